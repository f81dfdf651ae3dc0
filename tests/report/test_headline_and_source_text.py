"""The report's headline follows the state (checked, saved with overrides, re-checked with nothing new), and
untranslated source text is quoted in its own language (issue 19)."""

from __future__ import annotations

from datetime import date

from rxsafe.core.enums import ConflictKind, OverrideReason, Severity, Verdict
from rxsafe.core.models import Conflict, LocalizedText, Override, RecheckInfo
from rxsafe.report.render import render_html
from rxsafe.report.source_text import text_language
from rxsafe.report.view import build_view
from tests.report.test_i18n_view import _report

STOP = LocalizedText(vi="DỪNG: 1 cảnh báo nghiêm trọng …", en="STOP: 1 serious alert(s) …")


def _blocking(override: Override | None = None, **texts: LocalizedText) -> Conflict:
    return Conflict(
        id="c-1",
        kind=ConflictKind.INTERACTION,
        severity=Severity.CONTRAINDICATED,
        interruptive=True,
        line_indexes=(0,),
        drugs=("a", "b"),
        title=LocalizedText(vi="Tương tác", en="Interaction"),
        override=override,
        **texts,
    )


def test_a_fresh_block_says_stop() -> None:
    report = _report(conflicts=(_blocking(),)).model_copy(update={"verdict": Verdict.BLOCK, "summary": STOP})
    view = build_view(report, None, "vi")
    assert view.verdict.startswith("DỪNG") and view.summary.text.startswith("DỪNG")


def test_a_saved_prescription_with_overrides_no_longer_says_stop() -> None:
    override = Override(conflict_id="c-1", reason=OverrideReason.WILL_MONITOR, overridden_by="dr-a")
    report = _report(conflicts=(_blocking(override),)).model_copy(
        update={"verdict": Verdict.BLOCK, "summary": STOP, "prescription_id": "rx-1"}
    )
    for lang, saved in (("vi", "ĐÃ LƯU"), ("en", "SAVED")):
        view = build_view(report, None, lang)  # type: ignore[arg-type]
        assert view.verdict.startswith(saved)
        assert "DỪNG" not in view.summary.text and "STOP" not in view.summary.text
        assert ("rx-1" in view.summary.text and "1/1" in view.summary.text) or "1 of 1" in view.summary.text
        html = render_html(report, None, lang)  # type: ignore[arg-type]
        assert "DỪNG" not in html and "STOP —" not in html


def test_a_recheck_with_nothing_new_says_so() -> None:
    info = RecheckInfo(
        prescription_id="rx-1",
        original_check_id="chk-0",
        original_knowledge_version="kv-1",
        original_as_of=date(2026, 11, 1),
        summary=LocalizedText(
            vi="Không có gì mới so với lúc kê đơn.", en="Nothing new since the prescription was committed."
        ),
    )
    report = _report(conflicts=(_blocking(),)).model_copy(
        update={"verdict": Verdict.BLOCK, "summary": STOP, "recheck": info}
    )
    view = build_view(report, None, "en")
    assert view.verdict.startswith("RE-CHECKED")
    assert view.summary.text == "Nothing new since the prescription was committed."


def test_a_recheck_with_a_new_conflict_still_says_stop() -> None:
    info = RecheckInfo(
        prescription_id="rx-1",
        original_check_id="chk-0",
        original_knowledge_version="kv-1",
        original_as_of=date(2026, 11, 1),
        new_conflict_ids=("c-1",),
    )
    report = _report(conflicts=(_blocking(),)).model_copy(
        update={"verdict": Verdict.BLOCK, "summary": STOP, "recheck": info}
    )
    assert build_view(report, None, "vi").verdict.startswith("DỪNG")


def test_language_guesses() -> None:
    assert text_language("Risque majoré d'effets indésirables") == "fr"
    assert text_language("병용 시 QT 연장") == "ko"
    assert text_language("Tăng nồng độ thuốc trong máu") == "vi"
    assert text_language("Increased exposure to simvastatin") == "en"


def test_french_and_korean_source_text_is_quoted_in_its_own_language_never_as_english() -> None:
    conflict = _blocking(
        mechanism=LocalizedText(en="Risque majoré de rhabdomyolyse"),
        management=LocalizedText(en="병용금기"),
    )
    report = _report(conflicts=(conflict,))
    for lang in ("vi", "en"):
        html = render_html(report, None, lang)  # type: ignore[arg-type]
        assert '<q class="source-text" lang="fr">Risque majoré de rhabdomyolyse</q>' in html
        assert '<q class="source-text" lang="ko">병용금기</q>' in html
        assert '<span lang="en">Risque' not in html
    vi = render_html(report, None, "vi")
    assert "tiếng Pháp" in vi and "tiếng Hàn" in vi
    assert "French" in render_html(report, None, "en")
