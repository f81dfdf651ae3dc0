"""CDS Hooks feedback in ``rxsafe report alerts``: what users did with the cards, from the audit trail.

Feedback rows (``cds_feedback``) name ``<check id>/<conflict id>`` and ``accepted`` or ``overridden:<REASON>``; the
stored checks say which rule each conflict was, so overrides reported by the EMR count per rule beside the
overrides given at commit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from rxsafe.core.models import StoredCheck
from rxsafe.ehr.audit import AuditAction, AuditRow


@dataclass
class FeedbackSummary:
    outcomes: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    overridden_by_rule: Counter[str] = field(default_factory=Counter)


def summarize_feedback(rows: Iterable[AuditRow], checks: Iterable[StoredCheck], since: str = "") -> FeedbackSummary:
    """Counts the feedback rows made at or after ``since`` (an ISO date or time; "" for all)."""
    conflicts = {(s.report.check_id, c.id): c for s in checks for c in s.report.conflicts}
    summary = FeedbackSummary()
    for row in rows:
        if row.action != AuditAction.CDS_FEEDBACK.value or row.at < since:
            continue
        outcome, _, reason = row.outcome.partition(":")
        summary.outcomes[outcome] += 1
        if outcome != "overridden":
            continue
        summary.reasons[reason.split(":")[0] or "none"] += 1
        check_id, _, conflict_id = row.subject.partition("/")
        conflict = conflicts.get((check_id, conflict_id))
        if conflict is not None:
            summary.overridden_by_rule[f"{conflict.kind.value}: {' + '.join(conflict.drugs)}"] += 1
    return summary


def format_feedback(summary: FeedbackSummary, top: int = 10) -> str:
    """The summary as text, for the end of ``rxsafe report alerts``."""
    total = sum(summary.outcomes.values())
    if not total:
        return "CDS Hooks feedback: none"
    parts = ", ".join(f"{o} {n}" for o, n in sorted(summary.outcomes.items()))
    lines = [f"CDS Hooks feedback: {total} ({parts})"]
    if summary.reasons:
        lines.append("  override reasons: " + ", ".join(f"{r} {n}" for r, n in summary.reasons.most_common()))
    for rule, n in sorted(summary.overridden_by_rule.items(), key=lambda kv: (-kv[1], kv[0]))[:top]:
        lines.append(f"  {rule[:70]:<70}{n:>6} overridden")
    return "\n".join(lines)
