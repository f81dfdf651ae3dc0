"""What a re-check found, against the check the prescription was committed on (``RecheckInfo``).

A conflict counts as *changed* when its severity or its display tier differs: a knowledge update (a second
source now corroborates an interaction) or a policy update (the facility's tier rules or suppression list) can
move a conflict from ``info`` to ``review`` without changing its severity, and a pharmacist re-checking before
dispensing must see that. Tiers are compared only when the original check had them (its report names its tier
rules): a report stored before tiers reads every conflict as act or review, which is not what was shown.
"""

from __future__ import annotations

from rxsafe.core.enums import DisplayTier
from rxsafe.core.models import Conflict, ConflictReport, LocalizedText, RecheckInfo, TierChange

# Tier changes named in the summary; the rest are counted ("+2 more").
_NAMED_TIER_CHANGES = 3
_TIER_VI = {DisplayTier.ACT: "bắt buộc xử lý", DisplayTier.REVIEW: "cần xem xét", DisplayTier.INFO: "thông tin"}


def tier_changes(before: ConflictReport, after: ConflictReport) -> tuple[TierChange, ...]:
    """Conflicts in both reports shown at another display tier now (none when ``before`` predates tiers)."""
    if not before.tier_policy:
        return ()
    old = {c.id: c.tier for c in before.conflicts}
    return tuple(
        TierChange(conflict_id=c.id, old=old[c.id], new=c.tier)
        for c in after.conflicts
        if c.id in old and old[c.id] is not c.tier
    )


def _label(conflict: Conflict) -> str:
    return " + ".join(conflict.drugs) or conflict.title.en or conflict.id


def _named(changes: tuple[TierChange, ...], by_id: dict[str, Conflict], *, vi: bool) -> str:
    """``" (a + b: info → review; …)"``, or "" when no tier changed."""
    if not changes:
        return ""
    words = (lambda t: _TIER_VI[t]) if vi else (lambda t: t.value)
    parts = [f"{_label(by_id[t.conflict_id])}: {words(t.old)} → {words(t.new)}" for t in changes[:_NAMED_TIER_CHANGES]]
    if len(changes) > _NAMED_TIER_CHANGES:
        more = len(changes) - _NAMED_TIER_CHANGES
        parts.append(f"+{more} khác" if vi else f"+{more} more")
    return " (" + "; ".join(parts) + ")"


def what_changed(prescription_id: str, before: ConflictReport, after: ConflictReport) -> RecheckInfo:
    """The re-check's ``RecheckInfo``: conflicts new, changed (severity or tier) and gone, and the summary."""
    old = {c.id: c for c in before.conflicts}
    new = {c.id: c for c in after.conflicts}
    tiers = tier_changes(before, after)
    tier_changed = {t.conflict_id for t in tiers}
    added = tuple(i for i in new if i not in old)
    changed = tuple(i for i in new if i in old and (new[i].severity != old[i].severity or i in tier_changed))
    gone = tuple(i for i in old if i not in new)
    if not (added or changed or gone):
        summary = LocalizedText(
            vi="Không có gì mới so với lúc kê đơn.", en="Nothing new since the prescription was committed."
        )
    else:
        summary = LocalizedText(
            vi=f"So với lúc kê đơn: {len(added)} cảnh báo mới, {len(changed)} thay đổi mức độ hoặc mức hiển thị"
            f"{_named(tiers, new, vi=True)}, {len(gone)} không còn.",
            en=f"Since the prescription was committed: {len(added)} new, {len(changed)} changed in severity or "
            f"display tier{_named(tiers, new, vi=False)}, {len(gone)} no longer found.",
        )
    return RecheckInfo(
        prescription_id=prescription_id,
        original_check_id=before.check_id,
        original_knowledge_version=before.knowledge_version,
        original_as_of=before.as_of,
        new_conflict_ids=added,
        changed_conflict_ids=changed,
        resolved_conflict_ids=gone,
        summary=summary,
        tier_changes=tiers,
    )
