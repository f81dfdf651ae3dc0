"""Cards from a conflict report: tiers and indicators, card ids that lead back to their check, summary length."""

from __future__ import annotations

import json
import uuid
from datetime import date

from rxsafe.core.enums import AllergyStatus, ConflictKind, DisplayTier, NoticeKind, Severity, Verdict
from rxsafe.core.models import Conflict, ConflictReport, LocalizedText, Notice
from rxsafe.http.cards import (
    INFO_CARD,
    NOTICE_BASE,
    CardsEncoder,
    card_reference,
    card_tier,
    card_uuid,
    cards_response,
    indicator,
)

CHECK_ID = "chk-" + uuid.uuid4().hex


def conflict(n: int, severity: Severity, *, interruptive: bool = False, title: str = "") -> Conflict:
    # The tier the engine would give with the default policy and no evidence table (cards only read it).
    tier = DisplayTier.ACT if interruptive else DisplayTier.REVIEW if severity >= Severity.MAJOR else DisplayTier.INFO
    return Conflict(
        tier=tier,
        id=f"c-{n:012x}",
        kind=ConflictKind.INTERACTION,
        severity=severity,
        interruptive=interruptive,
        line_indexes=(0,),
        title=LocalizedText(vi=title or f"Tương tác {n}", en=title or f"Interaction {n}"),
    )


def report(*conflicts: Conflict, notices: tuple[Notice, ...] = ()) -> ConflictReport:
    return ConflictReport(
        check_id=CHECK_ID,
        verdict=Verdict.BLOCK,
        knowledge_version="kv1",
        lines=(),
        conflicts=conflicts,
        notices=notices,
        as_of=date(2026, 12, 6),
        allergy_status=AllergyStatus.LISTED,
        policy="rxsafe-default v1",
    )


def test_the_card_tier_is_the_conflicts_display_tier() -> None:
    assert card_tier(conflict(4, Severity.MODERATE)) is DisplayTier.INFO
    assert card_tier(conflict(3, Severity.MAJOR).model_copy(update={"tier": DisplayTier.INFO})) is DisplayTier.INFO
    assert card_tier(conflict(1, Severity.MODERATE, interruptive=True)) is DisplayTier.ACT
    assert [indicator(t) for t in DisplayTier] == ["critical", "warning", "info"]


def test_card_uuid_is_a_uuid_that_leads_back_to_its_check_and_position() -> None:
    for position in (0, 1, 85, NOTICE_BASE + 3, INFO_CARD):
        value = card_uuid(CHECK_ID, position)
        parsed = uuid.UUID(value)
        assert parsed.version == 8 and parsed.variant == uuid.RFC_4122
        ref = card_reference(value)
        assert ref is not None
        assert CHECK_ID.startswith(ref.check_id_prefix) and len(ref.check_id_prefix) == len(CHECK_ID) - 4
        assert ref.position == position
    assert card_uuid(CHECK_ID, 0) != card_uuid(CHECK_ID, 1)
    assert card_reference(str(uuid.uuid4())) is None  # not made by rxsafe
    assert card_reference("not a uuid") is None


def test_one_card_per_act_or_review_conflict_and_one_collapsed_info_card() -> None:
    answer = cards_response(
        report(
            conflict(1, Severity.MINOR),
            conflict(2, Severity.CONTRAINDICATED, interruptive=True),
            conflict(3, Severity.MAJOR),
            conflict(4, Severity.MODERATE),
        ),
        ["MedicationRequest/a"],
        "en",
    )
    cards = answer.body["cards"]
    assert [c["indicator"] for c in cards] == ["critical", "warning", "info"]
    assert cards[0]["extension"]["vn.rxsafe"]["conflictId"] == "c-000000000002"
    assert cards[2]["extension"]["vn.rxsafe"]["conflictIds"] == ["c-000000000001", "c-000000000004"]
    assert card_reference(cards[0]["uuid"]).position == 1  # type: ignore[union-attr]
    assert len(answer.body["extension"]["vn.rxsafe"]["conflicts"]) == 4
    assert all("suggestions" not in c for c in cards)


def test_summary_stays_under_140_characters() -> None:
    long = conflict(1, Severity.MAJOR, title="rất dài " * 40)
    card = cards_response(report(long), [], "vi").body["cards"][0]
    assert len(card["summary"]) < 140 and card["summary"].endswith("…")


def test_what_could_not_be_checked_is_a_warning_card() -> None:
    notice = Notice(kind=NoticeKind.UNRESOLVED_LINE, line_index=0, message=LocalizedText(en="not recognised"))
    cards = cards_response(report(notices=(notice,)), ["MedicationRequest/a"], "en").body["cards"]
    assert [c["indicator"] for c in cards] == ["warning"]
    assert cards[0]["extension"]["vn.rxsafe"] == {"notice": "UNRESOLVED_LINE", "orders": ["MedicationRequest/a"]}


def test_the_encoder_gives_the_same_json_as_the_cards_and_only_the_ids_change() -> None:
    result = report(conflict(1, Severity.CONTRAINDICATED, interruptive=True), conflict(2, Severity.MINOR))
    encoder = CardsEncoder()
    body, indicators = encoder.encode(result, ["MedicationRequest/a"], "vi", {"notChecked": ["ServiceRequest/x"]})
    expected = cards_response(result, ["MedicationRequest/a"], "vi").body
    expected["extension"]["vn.rxsafe"]["notChecked"] = ["ServiceRequest/x"]
    assert json.loads(body) == expected
    assert indicators == ("critical", "info")
    again = result.model_copy(update={"check_id": "chk-" + uuid.uuid4().hex})  # the memo's result, checked again
    second = json.loads(encoder.encode(again, ["MedicationRequest/a"], "vi")[0])
    assert second == cards_response(again, ["MedicationRequest/a"], "vi").body
    assert second["cards"][0]["uuid"] != expected["cards"][0]["uuid"]
