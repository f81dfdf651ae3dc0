"""The demo reports hold what a clinician needs: every conflict, every unverified item, the override reasons."""

from __future__ import annotations

import pytest
from markupsafe import escape

from rxsafe.ehr.seed import DEMO_ALLERGY_NOT_RECORDED, DEMO_CARDIOVASCULAR
from rxsafe.report.demo import DEMO_OVERRIDE_COMMENT
from rxsafe.report.i18n import Lang, label, pick, severity_label
from rxsafe.report.render import render_html
from rxsafe.report.view import mask_id, ordered_conflicts

from .conftest import DemoReports

LANGS: tuple[Lang, ...] = ("vi", "en")


def _has(html: str, text: str) -> bool:
    return str(escape(text)) in html


@pytest.mark.parametrize("lang", LANGS)
def test_every_conflict_is_shown_with_its_drugs_entries_and_sources(demo: DemoReports, lang: Lang) -> None:
    for report, patient in demo.values():
        html = render_html(report, patient, lang)
        for conflict in report.conflicts:
            assert _has(html, pick(conflict.title, lang).text)
            assert f'id="{conflict.id}"' in html
            assert _has(html, " + ".join(conflict.drugs))
            for entry in conflict.record_entries:
                assert _has(html, entry.text)
            for evidence in conflict.evidence:
                assert _has(html, evidence.source)
            for text in (conflict.mechanism, conflict.consequence, conflict.management):
                assert _has(html, pick(text, lang).text)
            assert _has(html, severity_label(conflict.severity, lang))


@pytest.mark.parametrize("lang", LANGS)
def test_conflicts_appear_most_severe_first(demo: DemoReports, lang: Lang) -> None:
    report, patient = demo[DEMO_CARDIOVASCULAR]
    html = render_html(report, patient, lang)
    positions = [html.index(f'id="{c.id}"') for c in ordered_conflicts(report)]
    assert positions == sorted(positions)
    severities = [int(c.severity) for c in ordered_conflicts(report)]
    assert severities == sorted(severities, reverse=True)


@pytest.mark.parametrize("lang", LANGS)
def test_every_unverified_item_is_in_its_own_block(demo: DemoReports, lang: Lang) -> None:
    seen_notices = 0
    for report, patient in demo.values():
        html = render_html(report, patient, lang)
        if report.notices:
            block = html[html.index('<section class="unverified">') :]
            block = block[: block.index("</section>")]
            for notice in report.notices:
                assert _has(block, pick(notice.message, lang).text)
                seen_notices += 1
    assert seen_notices >= 2  # the demo has an unidentified line and an unrecorded allergy history


def test_an_unrecorded_allergy_history_is_visible(demo: DemoReports) -> None:
    report, patient = demo[DEMO_ALLERGY_NOT_RECORDED]
    html = render_html(report, patient, "vi")
    assert "Chưa ghi nhận tiền sử dị ứng" in html
    assert '<section class="unverified">' in html


@pytest.mark.parametrize("lang", LANGS)
def test_the_committed_check_shows_its_overrides_and_reasons(demo: DemoReports, lang: Lang) -> None:
    report, patient = demo[DEMO_CARDIOVASCULAR]
    assert report.prescription_id
    overridden = [c for c in report.conflicts if c.override is not None]
    assert overridden
    html = render_html(report, patient, lang)
    assert _has(html, DEMO_OVERRIDE_COMMENT)
    assert report.prescription_id in html
    assert "BS-DEMO-01" in html
    assert label("not_overridden", lang) not in html


@pytest.mark.parametrize("lang", LANGS)
def test_patient_identified_but_id_masked(demo: DemoReports, lang: Lang) -> None:
    for patient_id, (report, patient) in demo.items():
        assert patient is not None
        html = render_html(report, patient, lang)
        assert _has(html, patient.name)
        assert mask_id(patient_id) in html
        assert patient_id not in html
        assert report.knowledge_version in html
        assert _has(html, report.policy)
        assert report.check_id in html


def test_english_report_marks_vietnamese_only_texts(demo: DemoReports) -> None:
    report, patient = demo[DEMO_CARDIOVASCULAR]
    vi_only = [
        t for c in report.conflicts for t in (c.mechanism, c.consequence, c.management) if t.vi.strip() and not t.en
    ]
    html = render_html(report, patient, "en")
    if vi_only:
        assert label("fallback_marker", "en") in html
        assert 'lang="vi"' in html
