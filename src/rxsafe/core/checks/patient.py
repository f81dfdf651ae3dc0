"""What the patient-level checks share: their outcome (conflicts and coverage), conflict building, rule evaluation.

A patient-level check (dose, renal, pregnancy, age, drug–disease) says for every line whether it ran, and if it
could not, why ("no creatinine on record"): coverage is stated, never implied. Gaps where patient data is missing
or a source does not cover the drug also become ``CHECK_NOT_RUN`` notices.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum

from rxsafe.core.checks.occurrence import Occurrence, conflict_id, new_occurrences, recorded_occurrences
from rxsafe.core.dose import IngredientDose, ingredient_doses
from rxsafe.core.enums import ConflictKind, RecordEntryKind, ResolutionStatus, Severity
from rxsafe.core.knowledge_port import Knowledge, PatientRule
from rxsafe.core.models import (
    CheckedLine,
    CheckGap,
    Conflict,
    Evidence,
    LocalizedText,
    PatientContext,
    PatientFacts,
    RecordEntry,
    ResolvedIngredient,
)
from rxsafe.core.policy import Policy

NO_TEXT = LocalizedText()


@dataclass
class Outcome:
    """A check's conflicts, the lines it ran for, and the gaps (line, gap, whether it is also a notice)."""

    conflicts: list[Conflict] = field(default_factory=list)
    ran: list[tuple[int, str]] = field(default_factory=list)
    gaps: list[tuple[int, CheckGap, bool]] = field(default_factory=list)

    def gap(self, line: int, check: str, *, en: str, vi: str, notice: bool) -> None:
        self.gaps.append((line, CheckGap(check=check, reason=LocalizedText(vi=vi, en=en)), notice))


@dataclass(frozen=True)
class Patient:
    """What a patient-level check gets: the context, the facts derived once, and every drug occurrence."""

    context: PatientContext
    facts: PatientFacts
    occurrences: tuple[Occurrence, ...]
    lines: tuple[CheckedLine, ...] = ()
    # Each ingredient's doses across lines and medications, worked out once per check (dose and STOPP share them).
    _doses: dict[str, list[IngredientDose]] = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, context: PatientContext, facts: PatientFacts, lines: Sequence[CheckedLine]) -> Patient:
        return cls(context, facts, (*new_occurrences(lines), *recorded_occurrences(context)), tuple(lines))

    def doses(self, inn: str) -> list[IngredientDose]:
        """Every new line and active medication holding ``inn``, with its dose (computed once)."""
        found = self._doses.get(inn)
        if found is None:
            found = ingredient_doses(inn, self.lines, self.context)
            self._doses[inn] = found
        return found


def line_ingredients(lines: Sequence[CheckedLine]) -> Iterator[tuple[CheckedLine, ResolvedIngredient]]:
    """Each resolved line's ingredients (unresolved lines already have their own notice)."""
    for line in lines:
        if line.resolution.status is ResolutionStatus.RESOLVED:
            for ingredient in line.resolution.ingredients:
                yield line, ingredient


class Verdict3(Enum):
    """A rule's answer for a patient: it holds, it does not, or data to decide is missing."""

    HOLDS = "holds"
    FAILS = "fails"
    UNKNOWN = "unknown"


def evaluate(  # noqa: PLR0911, PLR0912 -- one decision per condition kind, first certain failure wins
    rule: PatientRule, patient: Patient, knowledge: Knowledge, line_index: int, daily_mg: float | None
) -> tuple[Verdict3, str]:
    """Whether a STOPP rule holds for the drug on ``line_index``; with UNKNOWN, which datum is missing.

    A condition that certainly fails decides first: a missing creatinine does not matter when the patient has
    none of the rule's diagnoses.
    """
    facts = patient.facts
    missing: list[str] = []
    if facts.age_years is None:
        missing.append("age unknown")
    elif facts.age_years < rule.min_age:
        return Verdict3.FAILS, ""
    for group in rule.diagnoses:
        if not any(icd10_matches(code, group) for code in facts.diagnoses):
            return Verdict3.FAILS, ""
    others = [o for o in patient.occurrences if o.line_index != line_index]
    for group in rule.with_drugs:
        if not any(knowledge.matches_atc(o.inn, group) for o in others):
            return Verdict3.FAILS, ""
    for group in rule.without_drugs:
        if any(knowledge.matches_atc(o.inn, group) for o in others):
            return Verdict3.FAILS, ""
    if rule.egfr_below is not None:
        if facts.egfr is None:
            missing.append("no creatinine on record")
        elif facts.egfr >= rule.egfr_below:
            return Verdict3.FAILS, ""
    if rule.daily_dose_above_mg is not None:
        if daily_mg is None:
            missing.append("daily dose unknown")
        elif daily_mg <= rule.daily_dose_above_mg:
            return Verdict3.FAILS, ""
    if missing:
        return Verdict3.UNKNOWN, "; ".join(missing)
    return Verdict3.HOLDS, ""


def icd10_matches(code: str, patterns: Sequence[str]) -> bool:
    """Whether an ICD-10 code matches a pattern: ``F00*`` is a prefix; ``K25`` also covers its subcodes ``K25.9``.

    >>> icd10_matches("K25.9", ("K25",)), icd10_matches("N18.4", ("N18.3", "N18.4")), icd10_matches("K2", ("K25",))
    (True, True, False)
    """
    for pattern in patterns:
        if pattern.endswith("*"):
            if code.startswith(pattern[:-1]):
                return True
        elif code == pattern or code.startswith(pattern + "."):
            return True
    return False


def patient_conflict(
    kind: ConflictKind,
    severity: Severity,
    policy: Policy,
    *,
    line_indexes: tuple[int, ...],
    drugs: tuple[str, ...],
    rule_id: str,
    title: LocalizedText,
    detail: LocalizedText,
    evidence: tuple[Evidence, ...],
    management: LocalizedText = NO_TEXT,
    record_entries: tuple[RecordEntry, ...] = (),
) -> Conflict:
    """A patient-level conflict with a stable id (kind, rule, drugs, lines)."""
    return Conflict(
        id=conflict_id(kind.value, rule_id, drugs, line_indexes, [e.id for e in record_entries]),
        kind=kind,
        severity=severity,
        interruptive=policy.is_interruptive(kind, severity),
        line_indexes=line_indexes,
        record_entries=record_entries,
        drugs=drugs,
        title=title,
        detail=detail,
        management=management,
        evidence=evidence,
    )


def condition_entries(patient: Patient, rule: PatientRule) -> tuple[RecordEntry, ...]:
    """The recorded diagnoses that made a rule hold, for the report."""
    entries = []
    for condition in patient.context.record.conditions:
        code = condition.code.strip().upper()
        if any(icd10_matches(code, group) for group in rule.diagnoses):
            entries.append(
                RecordEntry(
                    kind=RecordEntryKind.CONDITION,
                    id=condition.id,
                    text=f"{condition.code} {condition.text}".strip(),
                    start_date=condition.onset_date,
                    status=condition.clinical_status or "active",
                )
            )
    return tuple(entries)


def lab_entries(patient: Patient, name: str) -> tuple[RecordEntry, ...]:
    """The observation behind a derived fact (the creatinine behind an eGFR)."""
    entries = []
    for fact in patient.facts.used:
        if fact.name == name and fact.entry_id:
            entries.append(
                RecordEntry(
                    kind=RecordEntryKind.OBSERVATION,
                    id=fact.entry_id,
                    text=f"{fact.name} {fact.value} {fact.unit} ({fact.basis})".strip(),
                    start_date=fact.observed,
                )
            )
    return tuple(entries)


def rule_evidence(rule: PatientRule) -> Evidence:
    return Evidence(
        source=rule.source.source, reference=rule.source.reference, rule_id=rule.rule_id, source_level=rule.criterion
    )
