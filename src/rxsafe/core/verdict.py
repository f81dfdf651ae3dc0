"""The verdict policy: BLOCK, WARN or PASS, and the one-line summary of what to do."""

from __future__ import annotations

from collections.abc import Sequence

from rxsafe.core.enums import DisplayTier, Verdict
from rxsafe.core.models import Conflict, LocalizedText, Notice
from rxsafe.core.notices import UNVERIFIED


def decide(conflicts: Sequence[Conflict], notices: Sequence[Notice]) -> Verdict:
    """BLOCK when an interruptive conflict exists; WARN for other findings or anything unverified; else PASS.

    >>> decide([], [])
    <Verdict.PASS: 'PASS'>
    """
    if any(c.interruptive and c.override is None for c in conflicts):
        return Verdict.BLOCK
    if conflicts or any(n.kind in UNVERIFIED for n in notices):
        return Verdict.WARN
    return Verdict.PASS


def summarize(verdict: Verdict, conflicts: Sequence[Conflict], notices: Sequence[Notice]) -> LocalizedText:
    """What to do, first: one sentence per language."""
    blocking = sum(1 for c in conflicts if c.interruptive)
    unverified = sum(1 for n in notices if n.kind in UNVERIFIED)
    if verdict is Verdict.BLOCK:
        return LocalizedText(
            vi=f"DỪNG: {blocking} cảnh báo nghiêm trọng phải được xử lý hoặc ghi lý do bỏ qua trước khi lưu đơn.",
            en=f"STOP: {blocking} serious alert(s) must be resolved or overridden with a reason before saving.",
        )
    if verdict is Verdict.WARN:
        # Counted by display tier (core.tiers): what to review first, and how much is information only.
        info = sum(1 for c in conflicts if c.tier is DisplayTier.INFO)
        review = len(conflicts) - info
        return LocalizedText(
            vi=f"CẢNH BÁO: {review} cảnh báo cần xem xét, {info} cảnh báo thông tin; "
            f"{unverified} mục chưa thể xác minh.",
            en=f"WARNING: {review} finding(s) to review, {info} for information; "
            f"{unverified} item(s) could not be verified.",
        )
    return LocalizedText(
        vi="Không phát hiện vấn đề; mọi dòng đã được nhận diện và tiền sử dị ứng đã biết.",
        en="No problems found; every line was identified and the allergy history is known.",
    )
