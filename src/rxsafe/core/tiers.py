"""Display tiers: ``act`` (interrupts), ``review`` (worth a look), ``info`` (collapsed, never dropped).

Pure: the severity, the policy's interrupt decision, the evidence strength and the facility's tier rules and
suppression list decide each conflict's tier. Every conflict stays in the report whatever its tier; the tier
says only what a prescriber is shown first (knowledge/SEVERITY.md §Display tiers).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from rxsafe.core.enums import ConflictKind, DisplayTier, EvidenceSourceKind, Severity
from rxsafe.core.models import Conflict, EvidenceStrength, LocalizedText
from rxsafe.core.policy import Policy
from rxsafe.core.tier_policy import REVIEW_FLOOR, TierRules

_ORDER = {DisplayTier.ACT: 0, DisplayTier.REVIEW: 1, DisplayTier.INFO: 2}

# The fixed reasons, made once (a check asks for one per conflict).
_INTERRUPTS = LocalizedText(
    vi="Cảnh báo bắt buộc xử lý theo chính sách cơ sở.", en="Interrupts under the facility policy."
)
_SERIOUS = LocalizedText(
    vi="Mức độ nghiêm trọng hoặc chống chỉ định: luôn cần xem xét.", en="Major or contraindicated: always worth a look."
)
_MINOR = LocalizedText(vi="Mức độ nhẹ (theo dõi).", en="Minor (monitor).")
_ABOUT_PATIENT = LocalizedText(
    vi="Mức độ trung bình, liên quan trực tiếp đến bệnh nhân này.", en="Moderate, about this patient's own record."
)
_SCREENING = LocalizedText(
    vi="Mức độ trung bình; tiêu chí sàng lọc chung (xem lại khi rà soát thuốc).",
    en="Moderate; a general screening criterion (for a medication review).",
)
_NO_STRENGTH = LocalizedText(
    vi="Mức độ trung bình; chưa có thông tin về độ mạnh bằng chứng.",
    en="Moderate; no evidence-strength information to weigh it by.",
)
_OFFICIAL = LocalizedText(
    vi="Mức độ trung bình, được một nguồn chính thức (cơ quan quản lý) phân loại.",
    en="Moderate, graded so by an official (regulator's) source.",
)


def with_tiers(conflicts: Iterable[Conflict], policy: Policy) -> list[Conflict]:
    """Each conflict with its tier, the reason in a sentence, and the suppression that demoted it (if any)."""
    return [_tiered(c, policy) for c in conflicts]


def tier_counts(conflicts: Iterable[Conflict]) -> dict[DisplayTier, int]:
    """How many conflicts in each tier (every tier present, zeros included)."""
    counts = dict.fromkeys(DisplayTier, 0)
    for conflict in conflicts:
        counts[conflict.tier] += 1
    return counts


def _tiered(conflict: Conflict, policy: Policy) -> Conflict:
    tier, reason = base_tier(conflict, policy.tiers)
    suppressed_by = ""
    if tier is not DisplayTier.ACT and policy.suppressions.entries:
        rule_ids = frozenset(e.rule_id for e in conflict.evidence if e.rule_id)
        found = policy.suppressions.find(conflict.kind, conflict.drugs, rule_ids)
        if found is not None:
            number, entry = found
            floor = DisplayTier.REVIEW if conflict.severity >= REVIEW_FLOOR else DisplayTier.INFO
            demoted = max(tier, entry.to, key=_ORDER.__getitem__)
            demoted = min(demoted, floor, key=_ORDER.__getitem__)
            if demoted is not tier:
                tier = demoted
                suppressed_by = entry.describe(number, policy.suppressions.version)
                reason = LocalizedText(
                    vi=f"Hội đồng Thuốc và Điều trị hạ mức hiển thị: {suppressed_by}",
                    en=f"Demoted by the drug and therapeutics committee: {suppressed_by}",
                )
    return conflict.model_copy(update={"tier": tier, "tier_reason": reason, "suppressed_by": suppressed_by})


def base_tier(conflict: Conflict, rules: TierRules) -> tuple[DisplayTier, LocalizedText]:
    """The tier before suppressions, and why."""
    if conflict.interruptive:
        return DisplayTier.ACT, _INTERRUPTS
    if conflict.severity >= REVIEW_FLOOR:
        return DisplayTier.REVIEW, _SERIOUS
    if conflict.severity is Severity.MINOR:
        return DisplayTier.INFO, _MINOR
    if conflict.kind is ConflictKind.INTERACTION:
        return _moderate_interaction(conflict.strength, rules)
    if conflict.kind in rules.moderate_review_kinds:
        return DisplayTier.REVIEW, _ABOUT_PATIENT
    return DisplayTier.INFO, _SCREENING


def _moderate_interaction(strength: EvidenceStrength | None, rules: TierRules) -> tuple[DisplayTier, LocalizedText]:
    if strength is None:
        # No strength to judge by (an older build): fail safe, never collapse what cannot be weighed.
        return DisplayTier.REVIEW, _NO_STRENGTH
    if rules.official_suffices and strength.families_at_least(Severity.MODERATE, kind=EvidenceSourceKind.OFFICIAL):
        return DisplayTier.REVIEW, _OFFICIAL
    graded = strength.families_at_least(Severity.MODERATE)
    text = strength.has_mechanism or strength.has_management
    if graded >= rules.min_sources_without_text or (graded >= rules.min_sources and (text or not rules.needs_text)):
        return DisplayTier.REVIEW, _solid_reason(graded, text)
    return DisplayTier.INFO, _weak_reason(graded, text, strength.ungraded_only, strength.derived_only)


@lru_cache(maxsize=64)
def _solid_reason(graded: int, text: bool) -> LocalizedText:
    return LocalizedText(
        vi=f"Mức độ trung bình, {graded} nguồn độc lập cùng phân loại" + (", có cơ chế/xử trí." if text else "."),
        en=f"Moderate, graded so by {graded} independent sources"
        + (", with a mechanism or management text." if text else "."),
    )


@lru_cache(maxsize=64)
def _weak_reason(graded: int, text: bool, ungraded_only: bool, derived_only: bool) -> LocalizedText:
    if ungraded_only:
        why_en, why_vi = "only an ungraded level (DDInter “Unknown”)", "chỉ có mức chưa phân loại (DDInter “Unknown”)"
    elif derived_only:
        why_en, why_vi = "only a rule derived from a class or mechanism table", "chỉ có quy tắc suy ra từ nhóm/cơ chế"
    elif graded == 0:
        why_en = "no source grades it moderate or higher"
        why_vi = "không nguồn nào phân loại từ mức trung bình trở lên"
    else:
        why_en = f"{graded} independent source(s) grade it moderate" + (
            "" if text else ", without mechanism or management text"
        )
        why_vi = f"{graded} nguồn độc lập phân loại trung bình" + ("" if text else ", không có cơ chế/xử trí")
    return LocalizedText(vi=f"Bằng chứng yếu: {why_vi}.", en=f"Weak evidence: {why_en}.")
