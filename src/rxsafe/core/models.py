"""Domain models of a check: the patient as the checker sees it, the prescription, and the conflict report.

Immutable pydantic models. Protobuf never appears here; ``rxsafe.service.convert`` maps both ways.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from rxsafe.core.enums import (
    AllergenKind,
    AllergyStatus,
    ConflictKind,
    MatchMethod,
    MedicationWindowStatus,
    NoticeKind,
    OverrideReason,
    RecordEntryKind,
    ResolutionStatus,
    Severity,
    Sex,
    Verdict,
)


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class LocalizedText(Frozen):
    """A text in Vietnamese and English; either may be empty when no source gives it."""

    vi: str = ""
    en: str = ""


class Strength(Frozen):
    """A strength as parsed from text: ``Strength(value=500, unit="mg", text="500mg")``."""

    value: float | None = None
    unit: str = ""
    text: str = ""


# --- the patient -------------------------------------------------------------------------------------------


class Allergy(Frozen):
    """An allergy entry as recorded (free text, usually Vietnamese)."""

    id: str
    allergen: str
    reaction: str = ""
    severity: str = ""
    recorded_date: date | None = None


class Medication(Frozen):
    """A medication entry as recorded: an earlier prescription, with its window if known."""

    id: str
    text: str
    start_date: date | None = None
    days: int | None = None
    end_date: date | None = None
    dose_text: str = ""
    national_drug_code: str = ""
    registration_number: str = ""


class PatientRecord(Frozen):
    """The patient's record as loaded from the store or given inline."""

    patient_id: str = ""
    name: str = ""
    birth_date: date | None = None
    sex: Sex = Sex.UNSPECIFIED
    allergy_status: AllergyStatus = AllergyStatus.NOT_RECORDED
    allergies: tuple[Allergy, ...] = ()
    medications: tuple[Medication, ...] = ()
    weight_kg: float | None = None
    # Incremented by the store on every change; 0 for inline patients.
    record_version: int = 0


# --- the prescription --------------------------------------------------------------------------------------


class PrescriptionLine(Frozen):
    text: str
    quantity: float | None = None
    dose_text: str = ""
    route_code: str = ""
    days: int | None = None
    national_drug_code: str = ""
    registration_number: str = ""


class Prescription(Frozen):
    lines: tuple[PrescriptionLine, ...]
    prescriber_id: str = ""
    facility_id: str = ""


# --- resolution (matching's output, the checks' input) ------------------------------------------------------


class ResolvedIngredient(Frozen):
    """One active ingredient of a resolved line, keyed by its English INN in lowercase."""

    inn: str
    vi_name: str = ""
    strength: Strength | None = None
    atc_codes: tuple[str, ...] = ()


class Resolution(Frozen):
    """What a piece of drug text resolved to: ingredients, or why not."""

    status: ResolutionStatus
    ingredients: tuple[ResolvedIngredient, ...] = ()
    method: MatchMethod = MatchMethod.NONE
    score: float = 0.0
    candidates: tuple[str, ...] = ()
    product: str = ""


class ResolvedAllergen(Frozen):
    """What an allergy entry resolved to: an ingredient, a drug class, a non-drug allergen, or nothing."""

    kind: AllergenKind
    # The ingredient INN, the class id, or the non-drug allergen's name.
    concept: str = ""
    label: str = ""
    method: MatchMethod = MatchMethod.NONE
    score: float = 0.0


class ActiveMedication(Frozen):
    """A recorded medication that counts for this check, with how its window was judged."""

    medication: Medication
    resolution: Resolution
    window: MedicationWindowStatus
    window_end: date | None = None


class PatientContext(Frozen):
    """Everything the checks know about the patient, already resolved against the knowledge base."""

    record: PatientRecord
    as_of: date
    allergies: tuple[tuple[Allergy, ResolvedAllergen], ...] = ()
    active_medications: tuple[ActiveMedication, ...] = ()
    # Medications that could not be resolved, or whose window was assumed: reported as notices.
    unresolved_medications: tuple[Medication, ...] = ()


class CheckedLine(Frozen):
    index: int
    line: PrescriptionLine
    resolution: Resolution


# --- the report --------------------------------------------------------------------------------------------


class RecordEntry(Frozen):
    """A record entry that caused a conflict: which allergy, which earlier prescription and its dates."""

    kind: RecordEntryKind
    id: str
    text: str
    start_date: date | None = None
    end_date: date | None = None
    status: str = ""


class Evidence(Frozen):
    source: str
    reference: str = ""
    rule_id: str = ""
    source_level: str = ""
    via: str = ""


class Override(Frozen):
    conflict_id: str
    reason: OverrideReason
    comment: str = ""
    overridden_by: str = ""


class Conflict(Frozen):
    id: str
    kind: ConflictKind
    severity: Severity
    interruptive: bool = False
    line_indexes: tuple[int, ...] = ()
    record_entries: tuple[RecordEntry, ...] = ()
    drugs: tuple[str, ...] = ()
    title: LocalizedText = LocalizedText()
    detail: LocalizedText = LocalizedText()
    mechanism: LocalizedText = LocalizedText()
    consequence: LocalizedText = LocalizedText()
    management: LocalizedText = LocalizedText()
    evidence: tuple[Evidence, ...] = ()
    override: Override | None = None

    @property
    def formulary_level(self) -> int:
        return self.severity.formulary_level


class Notice(Frozen):
    """Something that could not be verified; never silent."""

    kind: NoticeKind
    line_index: int = -1
    record_entry_id: str = ""
    message: LocalizedText = LocalizedText()


class ConflictReport(Frozen):
    check_id: str = ""
    verdict: Verdict
    knowledge_version: str
    lines: tuple[CheckedLine, ...]
    conflicts: tuple[Conflict, ...] = ()
    notices: tuple[Notice, ...] = ()
    patient_id: str = ""
    record_version: int = 0
    as_of: date
    checked_at: str = ""
    allergy_status: AllergyStatus
    summary: LocalizedText = LocalizedText()
    policy: str = ""
    prescription_id: str = ""


class CommitResult(Frozen):
    prescription_id: str
    check_id: str
    patient_id: str
    record_version: int
    committed_at: str
    replayed: bool = False


class StoredCheck(Frozen):
    """A check as the store keeps it: the report, plus what a commit needs to verify and write."""

    report: ConflictReport
    prescription: Prescription
    inline_patient: bool = Field(default=False)
