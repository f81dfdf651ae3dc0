"""Enumerations of the clinical domain; the protobuf enums mirror these one to one (see service.convert)."""

from __future__ import annotations

from enum import IntEnum, StrEnum


class Severity(IntEnum):
    """The one severity scale; every source's scale maps onto it (knowledge/SEVERITY.md).

    Ordered, so ``max()`` gives the highest: when sources disagree, the highest wins.
    """

    MINOR = 1
    MODERATE = 2
    MAJOR = 3
    CONTRAINDICATED = 4

    @property
    def formulary_level(self) -> int:
        """The National Drug Formulary level (1 theo dõi … 4 nguy hiểm), see knowledge/SEVERITY.md."""
        return int(self)


class Verdict(StrEnum):
    PASS = "PASS"  # noqa: S105 -- a verdict, not a password
    WARN = "WARN"
    BLOCK = "BLOCK"


class ResolutionStatus(StrEnum):
    RESOLVED = "RESOLVED"
    AMBIGUOUS = "AMBIGUOUS"
    UNRESOLVED = "UNRESOLVED"


class MatchMethod(StrEnum):
    """How a prescription line or an allergy entry was matched to the knowledge base."""

    EXACT_INN = "exact_inn"
    VI_SPELLING = "vietnamese_spelling"
    SYNONYM = "synonym"
    BRAND = "brand"
    REGISTRATION_NUMBER = "registration_number"
    NATIONAL_CODE = "national_drug_code"
    CLASS = "class"
    # Issue 15: a brand written without its product's suffix, for a family of one composition; an insurance
    # active-ingredient code (40.xxx) matched with the ingredient name or the only composition it lists.
    BRAND_FAMILY = "brand_family"
    INSURANCE_CODE = "insurance_code"
    FUZZY = "fuzzy"
    NONE = "none"


class ConflictKind(StrEnum):
    ALLERGY = "ALLERGY"
    INTERACTION = "INTERACTION"
    DUPLICATE_THERAPY = "DUPLICATE_THERAPY"
    DOSE = "DOSE"
    RENAL = "RENAL"
    PREGNANCY = "PREGNANCY"
    AGE = "AGE"
    DRUG_DISEASE = "DRUG_DISEASE"
    OMISSION = "OMISSION"
    # Issue 14: Korea's DUR maximum treatment duration (투여기간주의) and breastfeeding cautions (수유부주의).
    DURATION = "DURATION"
    LACTATION = "LACTATION"


class AllergyStatus(StrEnum):
    """Whether the allergy history is known: an empty list cannot tell "none" from "never asked"."""

    NOT_RECORDED = "NOT_RECORDED"
    NO_KNOWN_ALLERGIES = "NO_KNOWN_ALLERGIES"
    LISTED = "LISTED"


class Sex(StrEnum):
    UNSPECIFIED = "UNSPECIFIED"
    MALE = "MALE"
    FEMALE = "FEMALE"
    UNDETERMINED = "UNDETERMINED"


class PregnancyStatus(StrEnum):
    """Whether the patient is pregnant, as recorded or as the active diagnoses say (core.facts)."""

    UNKNOWN = "UNKNOWN"
    PREGNANT = "PREGNANT"
    NOT_PREGNANT = "NOT_PREGNANT"


class LactationStatus(StrEnum):
    """Whether the patient is breastfeeding, as recorded or as the request states; unknown is a stated gap."""

    UNKNOWN = "UNKNOWN"
    BREASTFEEDING = "BREASTFEEDING"
    NOT_BREASTFEEDING = "NOT_BREASTFEEDING"


class RecordEntryKind(StrEnum):
    ALLERGY = "ALLERGY"
    MEDICATION = "MEDICATION"
    CONDITION = "CONDITION"
    OBSERVATION = "OBSERVATION"


class MedicationWindowStatus(StrEnum):
    """Where a recorded medication stands relative to the check date."""

    ACTIVE = "active"
    RECENT = "recent"
    ASSUMED_ACTIVE = "assumed active"
    ENDED = "ended"
    FUTURE = "future"


class MedicationWindowBasis(StrEnum):
    """How a recorded medication's window (start to last day) was worked out; the report says which.

    Ordered from the firmest evidence to none: explicit dates beat a recorded number of days, which beats the
    days in the dose text, which beats a division of the quantity by the daily dose.
    """

    EXPLICIT_DATES = "explicit dates"
    START_PLUS_DAYS = "start + days"
    DOSE_TEXT_DAYS = "dose text days"
    QUANTITY_PER_DAILY_DOSE = "quantity ÷ daily dose"
    ASSUMED = "assumed"


class NoticeKind(StrEnum):
    UNRESOLVED_LINE = "UNRESOLVED_LINE"
    AMBIGUOUS_LINE = "AMBIGUOUS_LINE"
    ALLERGY_STATUS_UNKNOWN = "ALLERGY_STATUS_UNKNOWN"
    UNRESOLVED_ALLERGY = "UNRESOLVED_ALLERGY"
    UNRESOLVED_MEDICATION = "UNRESOLVED_MEDICATION"
    NOT_COVERED = "NOT_COVERED"
    MEDICATION_WINDOW_ASSUMED = "MEDICATION_WINDOW_ASSUMED"
    CHECK_NOT_RUN = "CHECK_NOT_RUN"
    IDENTITY_MISMATCH = "IDENTITY_MISMATCH"
    # Issue 15: a line identified only in part (the checks ran on what was identified).
    PARTIAL_LINE = "PARTIAL_LINE"
    # Issue 15: an insurance active-ingredient code (40.xxx) that no source lists, or that contradicts the text.
    UNKNOWN_INSURANCE_CODE = "UNKNOWN_INSURANCE_CODE"


class OverrideReason(StrEnum):
    BENEFIT_OUTWEIGHS_RISK = "BENEFIT_OUTWEIGHS_RISK"
    TOLERATED_BEFORE = "TOLERATED_BEFORE"
    WILL_MONITOR = "WILL_MONITOR"
    ALLERGY_HISTORY_DOUBTFUL = "ALLERGY_HISTORY_DOUBTFUL"
    DOSE_ADJUSTED = "DOSE_ADJUSTED"
    OTHER = "OTHER"


class AllergenKind(StrEnum):
    """What an allergy entry resolved to."""

    INGREDIENT = "ingredient"
    DRUG_CLASS = "drug_class"
    NON_DRUG = "non_drug"
    UNRESOLVED = "unresolved"


class DisplayTier(StrEnum):
    """What a prescriber is shown first (design §What a prescriber is shown; knowledge/SEVERITY.md §Display tiers).

    ``ACT``: interruptive under the facility policy; ``REVIEW``: worth a look (major, or moderate with solid
    evidence); ``INFO``: collapsed under a count in the report, never dropped from the response.
    """

    ACT = "act"
    REVIEW = "review"
    INFO = "info"


class EvidenceSourceKind(StrEnum):
    """What kind of source supports an interaction (knowledge/build/data/evidence_sources.csv).

    ``OFFICIAL``: a regulator's list (QĐ 5948, ANSM, HIRA DUR); ``CURATED``: an independent compiled database
    (DDInter, OSCAR, VA NDF-RT); ``DERIVED``: a rule rxsafe's build derived from a class or mechanism table
    (FDA index inhibitor × substrate, CredibleMeds known-risk × known-risk), not a pair any source states.
    """

    OFFICIAL = "official"
    CURATED = "curated"
    DERIVED = "derived"
