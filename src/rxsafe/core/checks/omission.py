"""START omissions: a drug indicated for an older patient's recorded condition and absent.

Absent from both the record and the prescription. Information only, off by default (``Policy.start_omissions``),
never interruptive.
"""

from __future__ import annotations

from collections.abc import Sequence

from rxsafe.core.checks.patient import (
    Outcome,
    Patient,
    Verdict3,
    condition_entries,
    evaluate,
    patient_conflict,
    rule_evidence,
)
from rxsafe.core.enums import ConflictKind
from rxsafe.core.knowledge_port import Knowledge
from rxsafe.core.models import CheckedLine, LocalizedText
from rxsafe.core.policy import Policy


def omission_check(patient: Patient, lines: Sequence[CheckedLine], knowledge: Knowledge, policy: Policy) -> Outcome:
    """START omissions for the patient (no line: the missing drug is not on the prescription)."""
    out = Outcome()
    if not policy.start_omissions or patient.facts.age_years is None:
        return out
    for rule in knowledge.start_rules():
        if not rule.diagnoses:
            continue  # a START rule with no recorded condition would fire for every older patient
        verdict, _ = evaluate(rule, patient, knowledge, -1, None)
        present = any(knowledge.matches_atc(o.inn, rule.drug_atc) for o in patient.occurrences)
        if verdict is not Verdict3.HOLDS or present:
            continue
        out.conflicts.append(
            patient_conflict(
                ConflictKind.OMISSION,
                rule.severity,
                policy,
                line_indexes=(),
                drugs=(),
                rule_id=rule.rule_id,
                title=LocalizedText(
                    vi=f"{rule.criterion}: có thể thiếu thuốc", en=f"{rule.criterion}: possible omission"
                ),
                detail=LocalizedText(vi=rule.text.vi, en=rule.text.en),
                evidence=(rule_evidence(rule),),
                record_entries=condition_entries(patient, rule),
            )
        )
    return out
