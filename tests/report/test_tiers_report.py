"""The report leads with act and review; info is collapsed under its count, every alert still in full."""

from __future__ import annotations

from markupsafe import escape

from rxsafe.core.enums import DisplayTier
from rxsafe.ehr.fhir_io import TIER_EXTENSION, report_bundle
from rxsafe.ehr.seed import DEMO_CARDIOVASCULAR
from rxsafe.report.i18n import strength_label
from rxsafe.report.render import render_html
from rxsafe.report.view import build_view

from .conftest import DemoReports


def test_info_alerts_are_collapsed_under_their_count_and_kept(demo: DemoReports) -> None:
    report, patient = demo[DEMO_CARDIOVASCULAR]
    info = [c for c in report.conflicts if c.tier is DisplayTier.INFO]
    assert info, "the cardiovascular demo has weakly supported alerts"
    html = render_html(report, patient, "en")
    # Twice: under the summary table, and in the details (each alert's article).
    assert html.count(f"Information: {len(info)} more alert(s)") == 2
    details = html.rindex('<details class="info-tier">')
    for conflict in report.conflicts:
        article = html.index(f'id="{conflict.id}"')
        assert (article > details) is (conflict.tier is DisplayTier.INFO)
    assert str(escape(report.tier_policy)) in html


def test_each_interaction_shows_its_evidence_strength(demo: DemoReports) -> None:
    report, patient = demo[DEMO_CARDIOVASCULAR]
    view = build_view(report, patient, "en")
    interactions = [c for c in view.conflicts if c.strength]
    assert interactions
    for conflict in report.conflicts:
        if conflict.strength is not None:
            shown = next(c for c in view.conflicts if c.id == conflict.id)
            assert shown.strength.startswith(strength_label(conflict.strength.label, "en"))
            assert len(shown.support) == len(conflict.strength.support)
    counts = {cls: n for _, n, cls in view.tier_counts}
    assert sum(counts.values()) == len(report.conflicts)


def test_detected_issues_carry_the_tier(demo: DemoReports) -> None:
    report, _ = demo[DEMO_CARDIOVASCULAR]
    bundle = report_bundle(report)
    tiers = [
        next(e["valueCode"] for e in entry["resource"]["extension"] if e["url"] == TIER_EXTENSION)
        for entry in bundle["entry"]
    ]
    assert tiers == [c.tier.value for c in report.conflicts]
