from __future__ import annotations

import xml.etree.ElementTree as ET

from rxsafe.core.enums import RecordEntryKind
from rxsafe.ehr.seed import DEMO_CARDIOVASCULAR, DEMO_PENICILLIN_CHILD, DEMO_WARFARIN_ELDERLY
from rxsafe.report.graph_svg import SEVERITY_COLOURS, build_graph, graph_svg
from rxsafe.report.view import ordered_conflicts

from .conftest import DemoReports

SVG = "{http://www.w3.org/2000/svg}"


def test_every_line_and_every_record_entry_of_a_conflict_is_a_node(demo: DemoReports) -> None:
    for report, patient in demo.values():
        graph = build_graph(report, patient, "vi")
        labels = {n.label for n in graph.nodes}
        assert {line.line.text for line in report.lines} <= labels
        for conflict in report.conflicts:
            assert {e.text for e in conflict.record_entries} <= labels


def test_each_conflict_is_an_edge_coloured_by_its_severity(demo: DemoReports) -> None:
    report, patient = demo[DEMO_WARFARIN_ELDERLY]
    svg, _ = graph_svg(report, patient, "en")
    root = ET.fromstring(svg)
    paths = root.findall(f"{SVG}path")
    by_number = {int(p.attrib["data-conflict"]): p.attrib["stroke"] for p in paths}
    for number, conflict in enumerate(ordered_conflicts(report), start=1):
        if len(conflict.line_indexes) + len(conflict.record_entries) < 2:
            continue  # a conflict of one line alone (dose, age, STOPP) is a numbered mark on the line, not an edge
        assert by_number[number] == SEVERITY_COLOURS[conflict.severity]


def test_allergy_conflicts_join_the_line_to_the_allergy(demo: DemoReports) -> None:
    report, patient = demo[DEMO_PENICILLIN_CHILD]
    graph = build_graph(report, patient, "vi")
    allergy_nodes = {n.key for n in graph.nodes if n.style == "allergy"}
    allergy_conflicts = [
        c for c in report.conflicts if any(e.kind is RecordEntryKind.ALLERGY for e in c.record_entries)
    ]
    assert allergy_conflicts
    assert sum(1 for e in graph.edges if e.b in allergy_nodes) >= len(allergy_conflicts)


def test_the_svg_is_deterministic_and_well_formed(demo: DemoReports) -> None:
    report, patient = demo[DEMO_CARDIOVASCULAR]
    first, _ = graph_svg(report, patient, "vi")
    second, _ = graph_svg(report, patient, "vi")
    assert first == second
    root = ET.fromstring(first)
    assert root.tag == f"{SVG}svg"
    # Standalone: nothing outside the SVG is referenced.
    assert "href" not in first and "url(" not in first
