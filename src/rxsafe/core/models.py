"""Domain models of a check: the patient as the checker sees it, the prescription, and the conflict report.

Immutable pydantic models. Protobuf never appears here; ``rxsafe.service.convert`` maps both ways.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rxsafe.core.enums import (
    AllergenKind,
    AllergyStatus,
    ConflictKind,
    DisplayTier,
    EvidenceSourceKind,
    LactationStatus,
    MatchMethod,
    MedicationWindowBasis,
    MedicationWindowStatus,
    NoticeKind,
    OverrideReason,
    PregnancyStatus,
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
    """An allergy entry as recorded (free text, usually Vietnamese).

    Decision 31 groups an allergy as type, allergen and manifestation: ``allergy_type`` is the type as recorded
    (FHIR category: ``medication``, ``food``, ``environment``, ``biologic``, or Vietnamese text), ``reaction`` the
    manifestation. ``verification_status`` is as recorded (``confirmed``, ``unconfirmed``, …; empty if unknown).
    """

    id: str
    allergen: str
    reaction: str = ""
    severity: str = ""
    recorded_date: date | None = None
    allergy_type: str = ""
    verification_status: str = ""


class Medication(Frozen):
    """A medication entry as recorded: an earlier prescription, with its window if known.

    ``start_date``/``days``/``end_date`` are what the record states; when they are missing, ``core.window`` infers
    the window from ``dose_text`` (``* 7 ngày``) or from ``quantity`` over the daily dose, and says so.
    """

    id: str
    text: str
    start_date: date | None = None
    days: int | None = None
    end_date: date | None = None
    dose_text: str = ""
    national_drug_code: str = ""
    registration_number: str = ""
    strength: str = ""
    quantity: float | None = None
    unit: str = ""
    # A DMDC route code (``1.01`` oral) or route text.
    route: str = ""
    # The prescriber's practising-licence number (CCHN) or name, as recorded.
    prescriber: str = ""
    order_time: datetime | None = None
    follow_up_date: date | None = None
    # Set on rows rxsafe itself wrote when a checked prescription was committed.
    prescription_id: str = ""


class LegalRepresentative(Frozen):
    """The patient's legal representative (guardian), Decision 31 administrative group."""

    name: str = ""
    relationship: str = ""
    personal_id: str = ""
    phone: str = ""


class Condition(Frozen):
    """A diagnosis: ICD-10 code (with its dot, ``J18.9``), text, when and where it was recorded."""

    id: str
    code: str = ""
    text: str = ""
    onset_date: date | None = None
    # The facility code (MA_CSKCB) or place text where it was diagnosed.
    place: str = ""
    # ``principal`` or ``secondary`` for a visit's diagnoses; empty for a history entry.
    role: str = ""
    clinical_status: str = ""


class Vaccination(Frozen):
    """A vaccination: vaccine, antigen (target disease), dose number, date."""

    id: str
    vaccine: str
    antigen: str = ""
    dose_number: int | None = None
    given_date: date | None = None


class Observation(Frozen):
    """A paraclinical result or clinical indicator (lab value, weight, height).

    ``value_text`` is exactly as recorded (XML 130 sends strings); ``value`` is its number when it parses as one.
    """

    id: str
    code: str = ""
    name: str = ""
    value_text: str = ""
    value: float | None = None
    unit: str = ""
    effective: datetime | None = None
    conclusion: str = ""


class Visit(Frozen):
    """One visit or episode (XML 130 ``MA_LK``): admission, discharge, type, result, indicators, procedures."""

    id: str
    facility: str = ""
    admitted: datetime | None = None
    discharged: datetime | None = None
    # MA_LOAI_KCB (``01`` outpatient exam, ``03`` inpatient …) or a FHIR Encounter class code.
    visit_type: str = ""
    reason: str = ""
    result: str = ""
    discharge_diagnosis: str = ""
    blood_group: str = ""
    height_cm: float | None = None
    weight_kg: float | None = None
    # ICD-9-CM procedure codes (MA_PTTT_QT) or procedure text.
    procedures: tuple[str, ...] = ()
    follow_up: str = ""


class PatientRecord(Frozen):
    """The patient's record as loaded from the store or given inline: the four groups of Decision 31.

    Administrative (name, birth date, personal ID = ``patient_id``, insurance card, address, representative),
    history (allergies, conditions, vaccinations), visits (with indicators and results in ``observations``) and
    medication. Everything after ``record_version`` is optional, so inline requests may omit it.
    """

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
    insurance_card: str = ""
    address: str = ""
    legal_representative: LegalRepresentative | None = None
    blood_group: str = ""
    height_cm: float | None = None
    conditions: tuple[Condition, ...] = ()
    vaccinations: tuple[Vaccination, ...] = ()
    visits: tuple[Visit, ...] = ()
    observations: tuple[Observation, ...] = ()
    # As recorded (a pregnancy test, the prescriber's statement); ICD-10 O codes / Z33 also count (core.facts).
    pregnancy_status: PregnancyStatus = PregnancyStatus.UNKNOWN
    # As recorded or stated by the request (issue 14): breastfeeding cautions need it; unknown is a stated gap.
    lactation_status: LactationStatus = LactationStatus.UNKNOWN


# --- the prescription --------------------------------------------------------------------------------------


class PrescriptionLine(Frozen):
    text: str
    quantity: float | None = None
    dose_text: str = ""
    route_code: str = ""
    days: int | None = None
    national_drug_code: str = ""
    registration_number: str = ""


class DoseInstruction(Frozen):
    """A dose instruction read from text (``rxsafe.matching.dose.parse_dose``).

    ``amount`` and ``unit``: one dose (``2``, ``"viên"``); ``doses_per_day``; ``days`` of treatment;
    ``schedule``: (time of day, amount) pairs when the text lists them; ``stated_daily``: the total per day
    the prescriber wrote in brackets (XML 130), in ``unit``. Any of them may be None or empty.
    """

    text: str
    amount: float | None = None
    unit: str = ""
    doses_per_day: int | None = None
    days: int | None = None
    schedule: tuple[tuple[str, float], ...] = ()
    stated_daily: float | None = None


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
    # Issue 15. What the line names that could not be identified ("Xyzzy", "strength 500mg: no known product of
    # this brand has it"): the checks ran on ``ingredients`` only, and the line is PARTIAL on the wire, never a
    # clean pass. ``ignored``: words read as manufacturer, country or pack ("Stada", "Ấn Độ"), not as drugs.
    unidentified: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()
    # An insurance active-ingredient code (40.xxx) that no source lists, or that lists another drug.
    code_note: str = ""

    @property
    def partial(self) -> bool:
        """Resolved, but the line names more than was identified."""
        return self.status is ResolutionStatus.RESOLVED and bool(self.unidentified)


class ResolvedAllergen(Frozen):
    """What an allergy entry resolved to: an ingredient, a drug class, a non-drug allergen, or nothing."""

    kind: AllergenKind
    # The ingredient INN, the class id, or the non-drug allergen's name.
    concept: str = ""
    label: str = ""
    method: MatchMethod = MatchMethod.NONE
    score: float = 0.0
    # Issue 15: an allergy recorded as a combination brand ("Bactrim", "Augmentin") means each component;
    # ``concept`` is then the first, and the check context holds one entry per component.
    components: tuple[str, ...] = ()

    def each_component(self) -> tuple[ResolvedAllergen, ...]:
        """One ingredient allergen per component of a combination, else the allergen itself."""
        if len(self.components) < 2:
            return (self,)
        return tuple(self.model_copy(update={"concept": c, "components": ()}) for c in self.components)


class ActiveMedication(Frozen):
    """A recorded medication that counts for this check, with how its window was judged."""

    medication: Medication
    resolution: Resolution
    window: MedicationWindowStatus
    window_end: date | None = None
    # How the window was worked out (None: not stated by the caller that built this).
    window_basis: MedicationWindowBasis | None = None
    # One line for the report: "Warfarin 5mg, prescribed 2026-11-01 for 30 days (start + days) — active".
    window_text: str = ""
    # Its dose text read into numbers, for daily totals across the record and the new lines.
    dose: DoseInstruction | None = None


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
    # The line's dose text read into numbers (None when it gives none), for the dose checks.
    dose: DoseInstruction | None = None
    # The routes its written form words name (``rxsafe.matching.dosage_form.FormFamily`` values); empty: unknown.
    routes: tuple[str, ...] = ()


# --- the report --------------------------------------------------------------------------------------------


class RecordEntry(Frozen):
    """A record entry that caused a conflict: which allergy, which earlier prescription and its dates."""

    kind: RecordEntryKind
    id: str
    text: str
    start_date: date | None = None
    end_date: date | None = None
    status: str = ""
    # For a medication: how its window was inferred, and the sentence the report shows for it.
    window_basis: MedicationWindowBasis | None = None
    window_text: str = ""


class Evidence(Frozen):
    source: str
    reference: str = ""
    rule_id: str = ""
    source_level: str = ""
    via: str = ""


class SourceSupport(Frozen):
    """One source's support for an interaction, as the knowledge build classified it (evidence_strength.tsv).

    ``severity`` is the source's own level on rxsafe's scale, None when the level is ungraded (DDInter
    "Unknown"); ``family`` groups sources that are not independent of each other (one publisher);
    ``has_text`` says whether that source gives a mechanism, consequence or management text.
    """

    source: str
    family: str
    kind: EvidenceSourceKind
    level: str = ""
    severity: Severity | None = None
    has_text: bool = False


class EvidenceStrength(Frozen):
    """How well an interaction is supported: which independent sources, at which level, with what text.

    Computed per rule by the knowledge build and combined over every rule that reaches a pair
    (``rxsafe.core.evidence``). The tier rules (``rxsafe.core.tiers``) read it; the report shows it.
    """

    support: tuple[SourceSupport, ...] = ()
    has_mechanism: bool = False
    has_management: bool = False
    # Every rule reached the pair through a class or combination it names (none names the pair itself).
    class_only: bool = False

    @property
    def independent_sources(self) -> int:
        """Distinct source families among the non-derived support."""
        return len({s.family for s in self.support if s.kind is not EvidenceSourceKind.DERIVED})

    @property
    def graded_severity(self) -> Severity | None:
        """The highest level any source grades the pair at; None when every level is ungraded."""
        graded = [s.severity for s in self.support if s.severity is not None]
        return max(graded) if graded else None

    @property
    def official(self) -> bool:
        return any(s.kind is EvidenceSourceKind.OFFICIAL for s in self.support)

    @property
    def ungraded_only(self) -> bool:
        """Every supporting level is ungraded (DDInter "Unknown"): recorded, but nobody said how serious."""
        return bool(self.support) and all(s.severity is None for s in self.support)

    @property
    def derived_only(self) -> bool:
        """The only support is a rule rxsafe derived (class or mechanism table), no source states the pair."""
        return bool(self.support) and all(s.kind is EvidenceSourceKind.DERIVED for s in self.support)

    def families_at_least(self, severity: Severity, *, kind: EvidenceSourceKind | None = None) -> int:
        """Independent (non-derived) source families grading the pair at ``severity`` or higher."""
        return len(
            {
                s.family
                for s in self.support
                if s.kind is not EvidenceSourceKind.DERIVED
                and s.severity is not None
                and s.severity >= severity
                and (kind is None or s.kind is kind)
            }
        )

    @property
    def label(self) -> str:
        """One word for the report and the metrics: official, corroborated, single, ungraded, derived, none."""
        if not self.support:
            return "none"
        if self.derived_only:
            return "derived"
        if self.ungraded_only:
            return "ungraded"
        graded = {s.family for s in self.support if s.severity is not None and s.kind is not EvidenceSourceKind.DERIVED}
        if any(s.kind is EvidenceSourceKind.OFFICIAL and s.severity is not None for s in self.support):
            return "official"
        return "corroborated" if len(graded) >= 2 else "single"


class Override(Frozen):
    conflict_id: str
    reason: OverrideReason
    comment: str = ""
    overridden_by: str = ""
    # The authenticated calling system that asserted ``overridden_by`` (the user is only what it says).
    asserted_by_client: str = ""


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
    # What to show first (rxsafe.core.tiers); set by the engine. Reports stored before tiers read as ACT when
    # interruptive, else REVIEW: never collapsed by default.
    tier: DisplayTier = DisplayTier.REVIEW
    # Why this tier, in a sentence (which rule of the facility's tier policy, or which suppression).
    tier_reason: LocalizedText = LocalizedText()
    # Interactions: how well the sources support the pair (None for other kinds).
    strength: EvidenceStrength | None = None
    # The facility's suppression-list entry that demoted it (who, when, why), or "".
    suppressed_by: str = ""

    @model_validator(mode="before")
    @classmethod
    def _default_tier(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("tier") is None:
            interruptive = bool(data.get("interruptive", False))
            return {**data, "tier": DisplayTier.ACT if interruptive else DisplayTier.REVIEW}
        return data

    @property
    def formulary_level(self) -> int:
        return self.severity.formulary_level


class Notice(Frozen):
    """Something that could not be verified; never silent."""

    kind: NoticeKind
    line_index: int = -1
    record_entry_id: str = ""
    message: LocalizedText = LocalizedText()


class FactUsed(Frozen):
    """One patient fact the checks used, with where it came from and how old it was on the check date."""

    name: str
    value: str
    unit: str = ""
    observed: date | None = None
    age_days: int | None = None
    basis: str = ""
    # The record entry (observation, condition) the fact came from, when there is one.
    entry_id: str = ""


class PatientFacts(Frozen):
    """The patient facts derived once per check (core.facts): age, pregnancy, weight, kidney function, diagnoses.

    None means unknown; ``used`` lists every fact with its basis and age, for the report.
    """

    as_of: date
    age_years: float | None = None
    sex: Sex = Sex.UNSPECIFIED
    pregnancy: PregnancyStatus = PregnancyStatus.UNKNOWN
    lactation: LactationStatus = LactationStatus.UNKNOWN
    weight_kg: float | None = None
    creatinine_mg_dl: float | None = None
    egfr: float | None = None
    crcl: float | None = None
    # Active ICD-10 codes, with their dot, upper case.
    diagnoses: tuple[str, ...] = ()
    used: tuple[FactUsed, ...] = ()


class CheckGap(Frozen):
    """A check that could not run for a line, and why (``no creatinine on record``)."""

    check: str
    reason: LocalizedText


class LineCoverage(Frozen):
    """Which patient-level checks ran for one line and which could not (stated, never implied)."""

    index: int
    checks_run: tuple[str, ...] = ()
    checks_not_run: tuple[CheckGap, ...] = ()


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
    recheck: RecheckInfo | None = None
    # The tier rules and suppression list that set the conflicts' tiers (Policy.tier_label).
    tier_policy: str = ""
    facts: PatientFacts | None = None
    coverage: tuple[LineCoverage, ...] = ()


class TierChange(Frozen):
    """A conflict found at the original check and at the re-check, shown at another display tier now."""

    conflict_id: str
    old: DisplayTier
    new: DisplayTier


class RecheckInfo(Frozen):
    """What a re-check of a committed prescription found new, against the check it was committed on."""

    prescription_id: str
    original_check_id: str
    original_knowledge_version: str
    original_as_of: date
    new_conflict_ids: tuple[str, ...] = ()
    changed_conflict_ids: tuple[str, ...] = ()
    resolved_conflict_ids: tuple[str, ...] = ()
    summary: LocalizedText = LocalizedText()
    # Conflicts whose display tier changed (each is also in changed_conflict_ids).
    tier_changes: tuple[TierChange, ...] = ()


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
