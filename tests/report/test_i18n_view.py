from __future__ import annotations

from datetime import date

from rxsafe.core.enums import (
    AllergyStatus,
    ConflictKind,
    MatchMethod,
    NoticeKind,
    ResolutionStatus,
    Severity,
    Verdict,
)
from rxsafe.core.models import (
    CheckedLine,
    Conflict,
    ConflictReport,
    LocalizedText,
    Notice,
    PrescriptionLine,
    Resolution,
    ResolvedIngredient,
)
from rxsafe.report.i18n import Picked, as_lang, format_date, format_timestamp, labels, pick
from rxsafe.report.render import render_html
from rxsafe.report.view import build_view, mask_id, ordered_conflicts


def _report(conflicts: tuple[Conflict, ...] = (), notices: tuple[Notice, ...] = ()) -> ConflictReport:
    lines = (
        CheckedLine(
            index=0,
            line=PrescriptionLine(text="Aspirin 81mg <b>"),
            resolution=Resolution(
                status=ResolutionStatus.RESOLVED,
                ingredients=(ResolvedIngredient(inn="acetylsalicylic acid"),),
                method=MatchMethod.EXACT_INN,
            ),
        ),
        CheckedLine(
            index=1, line=PrescriptionLine(text="Thuốc lạ"), resolution=Resolution(status=ResolutionStatus.UNRESOLVED)
        ),
    )
    return ConflictReport(
        check_id="chk-test",
        verdict=Verdict.WARN,
        knowledge_version="kv-1",
        lines=lines,
        conflicts=conflicts,
        notices=notices,
        patient_id="",
        as_of=date(2026, 11, 26),
        checked_at="2026-11-26T09:05:00+07:00",
        allergy_status=AllergyStatus.NOT_RECORDED,
        policy="rxsafe-default v1",
    )


def _conflict(cid: str, severity: Severity, *, interruptive: bool = False) -> Conflict:
    return Conflict(
        id=cid,
        kind=ConflictKind.INTERACTION,
        severity=severity,
        interruptive=interruptive,
        line_indexes=(0,),
        drugs=("a", "b"),
        title=LocalizedText(vi=f"Tiêu đề {cid}", en=f"Title {cid}"),
        mechanism=LocalizedText(en="Only in English"),
    )


def test_mask_keeps_only_the_last_four_digits() -> None:
    assert mask_id("000000000001") == "********0001"
    assert mask_id("123") == "***"


def test_pick_falls_back_to_the_other_language_and_says_so() -> None:
    assert pick(LocalizedText(vi="Chống chỉ định", en="Contraindicated"), "vi") == Picked("Chống chỉ định")
    assert pick(LocalizedText(en="Only English"), "vi") == Picked("Only English", fallback="en")
    assert pick(LocalizedText(vi="Chỉ tiếng Việt"), "en") == Picked("Chỉ tiếng Việt", fallback="vi")
    assert pick(LocalizedText(), "en") == Picked("")


def test_language_codes() -> None:
    assert as_lang("") == "vi"
    assert as_lang("en") == "en"


def test_every_label_exists_in_both_languages() -> None:
    vi, en = labels("vi"), labels("en")
    assert vi.keys() == en.keys()
    assert all(vi[k].strip() and en[k].strip() for k in vi)


def test_dates_and_times() -> None:
    assert format_date(date(2026, 11, 6), "vi") == "06/11/2026"
    assert format_date(date(2026, 11, 6), "en") == "2026-11-06"
    assert format_timestamp("2026-11-26T09:05:00+07:00", "vi") == "26/11/2026 09:05 (UTC+07:00)"
    assert format_timestamp("garbled", "en") == "garbled"


def test_conflicts_are_ordered_by_severity_then_interruptive_then_as_found() -> None:
    report = _report(
        conflicts=(
            _conflict("minor", Severity.MINOR),
            _conflict("major", Severity.MAJOR),
            _conflict("ci-warn", Severity.CONTRAINDICATED),
            _conflict("ci-stop", Severity.CONTRAINDICATED, interruptive=True),
        )
    )
    assert [c.id for c in ordered_conflicts(report)] == ["ci-stop", "ci-warn", "major", "minor"]
    view = build_view(report, None, "vi")
    assert [c.number for c in view.conflicts] == [1, 2, 3, 4]
    assert view.conflicts[0].texts[0].text.fallback == "en"


def test_unverified_notices_come_before_assumptions() -> None:
    notices = (
        Notice(kind=NoticeKind.MEDICATION_WINDOW_ASSUMED, message=LocalizedText(vi="giả định", en="assumed")),
        Notice(kind=NoticeKind.UNRESOLVED_LINE, line_index=1, message=LocalizedText(vi="không rõ", en="unknown")),
    )
    view = build_view(_report(notices=notices), None, "en")
    assert [n.unverified for n in view.notices] == [True, False]


def test_inline_patient_is_marked_and_text_is_escaped() -> None:
    html = render_html(_report(conflicts=(_conflict("x", Severity.MAJOR),)), None, "en")
    assert "Patient given inline / not stored" in html
    assert "Aspirin 81mg &lt;b&gt;" in html
    assert "Aspirin 81mg <b>" not in html
    assert "Vietnamese only" not in html  # the only fallback here is vi → en, shown only in a Vietnamese report
    assert "Only in English" in html
    vi = render_html(_report(conflicts=(_conflict("x", Severity.MAJOR),)), None, "vi")
    assert "bản tiếng Anh — chưa có bản tiếng Việt" in vi
