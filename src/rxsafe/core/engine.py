"""``check()``: the whole pure check of one prescription against one patient context."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from rxsafe.core.checks.age import age_check
from rxsafe.core.checks.allergy import allergy_conflicts
from rxsafe.core.checks.dose import dose_check
from rxsafe.core.checks.drug_disease import drug_disease_check
from rxsafe.core.checks.duplicates import duplicate_conflicts
from rxsafe.core.checks.dur import duration_check, lactation_check
from rxsafe.core.checks.interactions import interaction_conflicts
from rxsafe.core.checks.occurrence import new_occurrences
from rxsafe.core.checks.omission import omission_check
from rxsafe.core.checks.patient import Patient
from rxsafe.core.checks.pregnancy import pregnancy_check
from rxsafe.core.checks.renal import renal_check
from rxsafe.core.coverage import coverage_of
from rxsafe.core.facts import derive_facts
from rxsafe.core.knowledge_port import Knowledge
from rxsafe.core.models import CheckedLine, Conflict, ConflictReport, PatientContext
from rxsafe.core.notices import notices
from rxsafe.core.patient_index import patient_index
from rxsafe.core.policy import Policy
from rxsafe.core.tiers import with_tiers
from rxsafe.core.verdict import decide, summarize

CHECKS = (allergy_conflicts, interaction_conflicts, duplicate_conflicts)
# Checks that use the patient's facts (issue 10); each also says, line by line, whether it ran.
PATIENT_CHECKS = (
    dose_check,
    renal_check,
    pregnancy_check,
    age_check,
    drug_disease_check,
    omission_check,
    # Korea's DUR (issue 14): maximum treatment duration, breastfeeding cautions.
    duration_check,
    lactation_check,
)


def _tiered(conflict: Conflict, policy: Policy) -> Conflict:
    return with_tiers((conflict,), policy)[0]


def check(
    context: PatientContext, lines: Sequence[CheckedLine], knowledge: Knowledge, policy: Policy
) -> ConflictReport:
    """Runs every check and applies the verdict policy. Deterministic for the same inputs and knowledge.

    The report has no ``check_id`` or ``checked_at`` yet: the caller stamps and stores it.
    """
    conflicts: list[Conflict] = [c for run in CHECKS for c in run(context, lines, knowledge, policy)]
    # The facts are derived once per context and shared by every patient-level check; the recorded occurrences
    # too (core.patient_index keeps both while the record version lasts).
    index = patient_index(context, knowledge, policy)
    facts = index.derived(("facts",), partial(derive_facts, context.record, context.as_of))
    patient = Patient(context, facts, (*new_occurrences(lines), *index.recorded), tuple(lines))
    outcomes = [run_patient(patient, lines, knowledge, policy) for run_patient in PATIENT_CHECKS]
    conflicts.extend(c for outcome in outcomes for c in outcome.conflicts)
    conflicts.sort(key=lambda c: (-c.severity, c.kind.value, c.line_indexes, c.id))
    # Every conflict gets its display tier (issue 18); none is dropped. Tiered once per conflict object of the
    # patient's graph, and equal conflicts of earlier checks are the same objects (encodings made once).
    conflicts = [index.intern(index.per_conflict(c, partial(_tiered, policy=policy))) for c in conflicts]
    coverage, gaps = coverage_of(lines, outcomes)
    found = [*notices(context, lines, knowledge), *gaps]
    verdict = decide(conflicts, found)
    # Every part is already a validated domain object: constructed without validating the whole report again.
    return ConflictReport.model_construct(
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
        tier_policy=policy.tier_label,
        facts=facts,
        coverage=coverage,
    )
