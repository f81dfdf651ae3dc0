"""A re-check says when a conflict's display tier changed (issue 18): same severity, shown at another tier."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rxsafe.app.recheck import what_changed
from rxsafe.app.requests import CheckRequest
from rxsafe.app.service import SafetyService
from rxsafe.bootstrap import build_service
from rxsafe.core.enums import DisplayTier
from rxsafe.core.models import ConflictReport, Prescription, PrescriptionLine
from rxsafe.core.policy import Policy
from rxsafe.core.tier_policy import TierRules
from rxsafe.ehr.seed import DEMO_CARDIOVASCULAR
from rxsafe.gen import medication_safety_pb2 as pb
from rxsafe.service.convert import report_to_pb

# One source grading a moderate interaction is enough for review: what a facility's drug committee might decide.
_LENIENT = Policy(
    name="lenient tiers",
    tiers=TierRules(name="one source", min_sources=1, needs_text=False, min_sources_without_text=1),
)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[SafetyService]:
    service = build_service(db=tmp_path / "store.duckdb")
    yield service
    assert service.store is not None
    service.store.close()


def _committed(service: SafetyService) -> tuple[ConflictReport, str]:
    lines = (PrescriptionLine(text="Omeprazol 20mg"),)
    request = CheckRequest(patient_id=DEMO_CARDIOVASCULAR, prescription=Prescription(lines=lines))
    report = service.check(request)
    assert not any(c.interruptive for c in report.conflicts)
    result = service.commit(check_id=report.check_id, overrides=(), idempotency_key="tier-recheck")
    return report, result.prescription_id


def test_a_conflict_moved_from_info_to_review_by_a_policy_update_counts_as_changed(service: SafetyService) -> None:
    before, prescription_id = _committed(service)
    assert "Nothing new" in (service.recheck(prescription_id).recheck or pytest.fail()).summary.en
    service.replace_policy(_LENIENT)
    after = service.recheck(prescription_id)
    info = after.recheck
    assert info is not None
    old = {c.id: c for c in before.conflicts}
    moved = [
        c
        for c in after.conflicts
        if c.id in old and old[c.id].tier is DisplayTier.INFO and c.tier is DisplayTier.REVIEW
    ]
    assert moved, "the lenient tier rules move a single-source moderate interaction to review"
    assert all(c.severity == old[c.id].severity for c in moved)  # the severity did not change, the tier did
    assert {t.conflict_id for t in info.tier_changes} == {c.id for c in moved}
    assert all((t.old, t.new) == (DisplayTier.INFO, DisplayTier.REVIEW) for t in info.tier_changes)
    assert set(info.changed_conflict_ids) == {c.id for c in moved}
    assert not info.new_conflict_ids and not info.resolved_conflict_ids
    first = moved[0]
    assert f"{' + '.join(first.drugs)}: info → review" in info.summary.en
    assert "thông tin → cần xem xét" in info.summary.vi
    assert f"{len(moved)} changed in severity or display tier" in info.summary.en
    # On the wire: RecheckInfo.tier_changes, old and new tier as the DisplayTier enum.
    wire = report_to_pb(after).recheck
    assert [(t.conflict_id, t.old_tier, t.new_tier) for t in wire.tier_changes] == [
        (t.conflict_id, pb.DISPLAY_TIER_INFO, pb.DISPLAY_TIER_REVIEW) for t in info.tier_changes
    ]


def test_a_report_stored_before_tiers_is_not_compared_by_tier(service: SafetyService) -> None:
    before, prescription_id = _committed(service)
    service.replace_policy(_LENIENT)
    now = service.recheck(prescription_id)
    # A report from before tiers names no tier rules: its tiers were read as defaults, not what was shown.
    untiered = before.model_copy(update={"tier_policy": ""})
    info = what_changed("rx-1", untiered, now)
    assert info.tier_changes == ()
    assert "Nothing new" in info.summary.en
    assert what_changed("rx-1", before, now).tier_changes
