"""Evidence strength per rule: every source classified, computed from the source rows, attached at load."""

from __future__ import annotations

from rxsafe.core.enums import EvidenceSourceKind, Severity
from rxsafe.knowledge.build.evidence import classify, read_source_classes, strength_rows
from rxsafe.knowledge.build.merge import rule_id
from rxsafe.knowledge.build.rows import RuleRow, SourceCite
from rxsafe.knowledge.loader import KnowledgeBase
from rxsafe.knowledge.strength import parse_support

from .conftest import KNOWLEDGE


def _column(file: str, index: int) -> list[str]:
    with (KNOWLEDGE / file).open(encoding="utf-8") as handle:
        next(handle)
        return [line.rstrip("\n").split("\t")[index] for line in handle]


def test_every_cited_source_is_classified_by_the_reviewed_table() -> None:
    # A new source (HIRA DUR, VA NDF-RT, derived FDA rules …) needs its row in data/evidence_sources.csv.
    classes = read_source_classes()
    cited = {cite.split(";", 1)[0] for cell in _column("interactions.tsv", 12) for cite in cell.split(" | ")}
    assert {source for source in cited if classify(source, classes) is None} == set()


def test_the_announced_sources_slot_in_by_name() -> None:
    classes = read_source_classes()

    def kind(source: str) -> EvidenceSourceKind | None:
        found = classify(source, classes)
        return found.kind if found else None

    assert kind("HIRA DUR (KR) 2026-02") is EvidenceSourceKind.OFFICIAL
    assert kind("VA NDF-RT 2014-07") is EvidenceSourceKind.CURATED
    assert kind("CredibleMeds known TdP risk list 2014") is EvidenceSourceKind.DERIVED
    assert kind("CredibleMeds DDI listing 2017-02-26") is EvidenceSourceKind.CURATED
    assert kind("FDA DDI substrates/inhibitors/inducers table 2026-05-29") is EvidenceSourceKind.DERIVED
    assert kind("QĐ 5948/QĐ-BYT") is EvidenceSourceKind.OFFICIAL


def test_one_strength_row_per_rule() -> None:
    assert _column("evidence_strength.tsv", 0) == sorted(_column("interactions.tsv", 0))


def _rule(source: str, level: str, severity: str, mechanism: str = "") -> RuleRow:
    return RuleRow(
        "",
        "ingredient",
        "b",
        "ingredient",
        "a",
        severity,
        mechanism_en=mechanism,
        sources=(SourceCite(source, "r", level),),
    )


def test_strength_is_computed_from_each_source_row_before_the_merge() -> None:
    unclassified: set[str] = set()
    rows = [
        _rule("DDInter", "Unknown", "moderate"),
        _rule("OSCAR drugref2 DDI table", "significance 2", "moderate", mechanism="raises levels"),
        _rule("A new source", "High", "major"),
    ]
    [row] = strength_rows(rows, read_source_classes(), unclassified)
    assert row.rule_id == rule_id("ingredient", "a", "ingredient", "b")
    assert unclassified == {"A new source"}
    support = {s.source: s for s in parse_support(" | ".join(row.support))}
    assert support["DDInter"].severity is None  # "Unknown" is ungraded
    assert support["OSCAR drugref2 DDI table"].severity is Severity.MODERATE
    assert support["OSCAR drugref2 DDI table"].has_text
    # An unknown source counts as an independent curated one: it can raise a tier, never lower one.
    assert support["A new source"].kind is EvidenceSourceKind.CURATED
    assert (row.independent_sources, row.graded_severity, row.has_mechanism) == (3, "major", True)


def test_the_loader_attaches_each_rules_strength(kb: KnowledgeBase) -> None:
    hits = kb.interactions("clarithromycin", "simvastatin")
    assert hits
    assert all(h.rule.strength is not None for h in hits)
    pair = next(h.rule for h in hits if h.rule.a_kind == h.rule.b_kind == "ingredient")
    assert pair.strength is not None
    assert pair.strength.official
    assert pair.strength.graded_severity is Severity.CONTRAINDICATED
    ungraded = [h.rule.strength for h in kb.interactions("clarithromycin", "paracetamol")]
    assert ungraded
    assert all(s is not None and s.ungraded_only for s in ungraded)
