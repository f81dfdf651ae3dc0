"""Drug–disease: STOPP drug–condition rules by ICD-10 for patients aged 65 and over."""

from __future__ import annotations

from collections.abc import Sequence

from rxsafe.core.checks.patient import Outcome, Patient
from rxsafe.core.checks.stopp import run_stopp
from rxsafe.core.enums import ConflictKind
from rxsafe.core.knowledge_port import Knowledge
from rxsafe.core.models import CheckedLine
from rxsafe.core.policy import Policy


def drug_disease_check(patient: Patient, lines: Sequence[CheckedLine], knowledge: Knowledge, policy: Policy) -> Outcome:
    """Drug–disease conflicts and coverage."""
    return run_stopp("drug_disease", ConflictKind.DRUG_DISEASE, patient, lines, knowledge, policy)
