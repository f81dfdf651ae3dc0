"""``check()``: the whole pure check of one prescription against one patient context."""

from __future__ import annotations

from collections.abc import Sequence

from rxsafe.core.checks.allergy import allergy_conflicts
from rxsafe.core.checks.duplicates import duplicate_conflicts
from rxsafe.core.checks.interactions import interaction_conflicts
from rxsafe.core.knowledge_port import Knowledge
from rxsafe.core.models import CheckedLine, Conflict, ConflictReport, PatientContext
from rxsafe.core.notices import notices
from rxsafe.core.policy import Policy
from rxsafe.core.verdict import decide, summarize

CHECKS = (allergy_conflicts, interaction_conflicts, duplicate_conflicts)


def check(
    context: PatientContext, lines: Sequence[CheckedLine], knowledge: Knowledge, policy: Policy
) -> ConflictReport:
    """Runs every check and applies the verdict policy. Deterministic for the same inputs and knowledge.

    The report has no ``check_id`` or ``checked_at`` yet: the caller stamps and stores it.
    """
    conflicts: list[Conflict] = [c for run in CHECKS for c in run(context, lines, knowledge, policy)]
    conflicts.sort(key=lambda c: (-c.severity, c.kind.value, c.line_indexes, c.id))
    found = notices(context, lines, knowledge)
    verdict = decide(conflicts, found)
    return ConflictReport(
        verdict=verdict,
        knowledge_version=knowledge.version,
        lines=tuple(lines),
        conflicts=tuple(conflicts),
        notices=tuple(found),
        patient_id=context.record.patient_id,
        record_version=context.record.record_version,
        as_of=context.as_of,
        allergy_status=context.record.allergy_status,
        summary=summarize(verdict, conflicts, found),
        policy=policy.label,
    )
