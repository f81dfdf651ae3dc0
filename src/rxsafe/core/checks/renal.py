"""Renal: a drug below a sourced eGFR threshold (STOPP section E), or with the matching CKD stage recorded.

The eGFR comes from the latest creatinine (CKD-EPI 2021, core.facts). Without a creatinine on record the check
cannot run for a drug that has a threshold, and the report says so.
"""

from __future__ import annotations

from collections.abc import Sequence

from rxsafe.core.checks.patient import Outcome, Patient
from rxsafe.core.checks.stopp import run_stopp
from rxsafe.core.enums import ConflictKind
from rxsafe.core.knowledge_port import Knowledge
from rxsafe.core.models import CheckedLine
from rxsafe.core.policy import Policy


def renal_check(patient: Patient, lines: Sequence[CheckedLine], knowledge: Knowledge, policy: Policy) -> Outcome:
    """Renal conflicts and coverage."""
    return run_stopp("renal", ConflictKind.RENAL, patient, lines, knowledge, policy)
