"""What the checks ask of the knowledge base: a Protocol, so the core stays free of I/O and tests use fakes.

``rxsafe.knowledge.loader.KnowledgeBase`` is the real implementation, over the compiled tables in
``knowledge/``. Ingredients are keyed by their English INN in lowercase (``"amoxicillin"``); classes by a
stable id (``"atc:J01CA"``, ``"ansm:INHIBITEURS PUISSANTS DU CYP3A4"``, ``"allergy:penicillins"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from rxsafe.core.enums import Severity
from rxsafe.core.models import EvidenceStrength, LocalizedText


class KnowledgeFact(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceRef(KnowledgeFact):
    """One source supporting a fact: ``SourceRef(source="QĐ 5948/QĐ-BYT", reference="row 12", level="CCĐ")``."""

    source: str
    reference: str = ""
    # The severity or grade exactly as the source states it.
    level: str = ""


# Side kinds of an interaction rule: an ingredient, a class, or a fixed combination ("sacubitril + valsartan").
INGREDIENT = "ingredient"
CLASS = "class"
COMBINATION = "combination"


class InteractionRule(KnowledgeFact):
    """An interaction rule between two ingredients or classes, as compiled into knowledge/interactions.tsv."""

    rule_id: str
    # INGREDIENT, CLASS or COMBINATION on each side; the concept is an INN, a class id, or INNs joined by " + ".
    a_kind: str
    a: str
    b_kind: str
    b: str
    severity: Severity
    mechanism: LocalizedText = LocalizedText()
    consequence: LocalizedText = LocalizedText()
    management: LocalizedText = LocalizedText()
    sources: tuple[SourceRef, ...] = ()
    # Set when a source row is known to be damaged and awaits pharmacist review.
    needs_review: bool = False
    # How well the sources support it (knowledge/evidence_strength.tsv); None for builds without that table.
    strength: EvidenceStrength | None = None


class InteractionHit(KnowledgeFact):
    """A rule that applies to a concrete ingredient pair, with how it reached the pair.

    ``via`` reads like "clarithromycin is a strong CYP3A4 inhibitor (ANSM class)"; empty for pair rules.
    """

    rule: InteractionRule
    via: str = ""


class DrugClass(KnowledgeFact):
    class_id: str
    name: LocalizedText
    # "atc", "ansm", "fda", "allergy", "crediblemeds" …
    kind: str


class CrossReactivity(KnowledgeFact):
    """Whether an allergy to one drug implies a risk with another (Hutten 2025 beta-lactams; literature groups)."""

    allergen: str
    drug: str
    cross_reactive: bool
    basis: str = ""
    source: SourceRef
    # The severity of the allergy conflict (rxsafe policy, knowledge/SEVERITY.md): major for the beta-lactam matrix,
    # moderate where the literature says the drug is usually tolerated (paracetamol, COX-2 inhibitors).
    severity: Severity = Severity.MAJOR


class Knowledge(Protocol):
    """The questions the checks ask; every answer carries its sources."""

    @property
    def version(self) -> str:
        """Content hash of the compiled tables; stamped on every report."""
        ...

    def interactions(self, a: str, b: str) -> Sequence[InteractionHit]:
        """Rules that apply to the ingredient pair (order-free), pair rules and expanded class rules alike."""
        ...

    def same_moiety(self, a: str, b: str) -> bool:
        """Whether two ingredients are one drug: the same, or a salt and the parent it takes rules from."""
        ...

    def classes_of(self, inn: str) -> Sequence[DrugClass]:
        """Every class the ingredient belongs to (ATC groups, ANSM classes, allergy groups …)."""
        ...

    def in_class(self, inn: str, class_id: str) -> bool:
        """Whether the ingredient is a member of the class."""
        ...

    def class_members(self, class_id: str) -> frozenset[str]:
        """The ingredients in the class (empty for an unknown class)."""
        ...

    def class_label(self, class_id: str) -> LocalizedText:
        """A readable name of the class, in Vietnamese and English where known."""
        ...

    def cross_reactivity(self, allergen: str, drug: str) -> CrossReactivity | None:
        """The side-chain matrix's answer for two beta-lactams, or None when the matrix does not cover them."""
        ...

    def therapeutic_groups(self, inn: str) -> Sequence[str]:
        """ATC level-4 groups (chemical subgroup, e.g. ``atc:C09AA``) the ingredient is in: duplicate therapy."""
        ...

    def covers(self, inn: str) -> bool:
        """Whether any interaction rule reaches the ingredient (directly or through a class).

        False means "not covered": the report must say interactions could not be verified for it.
        """
        ...

    def vi_name(self, inn: str) -> str:
        """The Vietnamese spelling of the ingredient, or "" when none is known."""
        ...

    # --- patient-level rules (issue 10) ---

    def dose_limits(self, inn: str) -> Sequence[DoseLimit]:
        """Every sourced maximum dose of the ingredient (all age bands); empty: no dose source."""
        ...

    def pregnancy_categories(self, inn: str) -> Sequence[PregnancyCategory]:
        """The X/D letters sources give the ingredient; empty: no source covers it (not "safe")."""
        ...

    def age_restrictions(self, inn: str) -> Sequence[AgeRestriction]:
        """Sourced paediatric age restrictions of the ingredient."""
        ...

    def patient_rules(self, inn: str) -> Sequence[PatientRule]:
        """STOPP rules whose drug is the ingredient (by its ATC codes), every kind."""
        ...

    def start_rules(self) -> Sequence[PatientRule]:
        """Every START rule (omissions are about the patient, not a line)."""
        ...

    def matches_atc(self, inn: str, patterns: Sequence[str]) -> bool:
        """Whether any ATC code of the ingredient matches any pattern (``M01A*`` prefix, else exact)."""
        ...

    def dur_rules(self, inn: str) -> Sequence[DurRule]:
        """Korea's patient-level DUR rules naming the ingredient (age, pregnancy, duration, elderly, lactation)."""
        ...


# --- patient-level rules (issue 10): dose limits, renal, pregnancy, age, STOPP/START --------------------------


class DoseLimit(KnowledgeFact):
    """A sourced maximum dose of one ingredient for an age band, as compiled into knowledge/dose_limits.tsv.

    ``basis`` is ``single`` (one dose), ``daily`` (per day) or ``daily_per_kg`` (mg/kg/day, needs the weight);
    ``cap_mg`` is the absolute ceiling a weight-based limit must not exceed ("75 mg/kg/day, not to exceed 4 g").
    Ages are in years: the band is ``min_age <= age < max_age`` (None: open).
    """

    limit_id: str
    inn: str
    basis: str
    limit_mg: float
    cap_mg: float | None = None
    min_age: float | None = None
    max_age: float | None = None
    population: str = ""
    context: str = ""
    source: SourceRef
    # A limit written for a combination product (HIRA DUR, per component): every component of the product, sorted;
    # the limit applies only to a line holding them all. Empty: any product holding the ingredient.
    combination: tuple[str, ...] = ()


class PregnancyCategory(KnowledgeFact):
    """A former US FDA pregnancy letter (X or D) for an ingredient, with its source (knowledge/pregnancy*.tsv)."""

    inn: str
    category: str
    source: SourceRef
    needs_review: bool = False


class AgeRestriction(KnowledgeFact):
    """A sourced restriction of an ingredient below an age (codeine and tramadol under 12 years)."""

    rule_id: str
    inn: str
    below_age: float
    severity: Severity
    text: LocalizedText
    source: SourceRef


class PatientRule(KnowledgeFact):
    """One coded STOPP/START v2 criterion (one iteration of it), as compiled into knowledge/stopp_rules.tsv.

    The rule concerns ``drug_atc`` (ATC codes; ``M01A*`` is a prefix) in a patient aged ``min_age`` or more, and
    holds when every condition holds: each group of ``diagnoses`` matches an active ICD-10 diagnosis; each group of
    ``with_drugs`` matches another drug taken or prescribed; no group of ``without_drugs`` does; the eGFR is below
    ``egfr_below``; the daily dose exceeds ``daily_dose_above_mg``. ``kind`` says which check reports it:
    ``renal``, ``drug_disease``, ``age`` or ``omission`` (START: the drug is indicated and absent).
    """

    rule_id: str
    criterion: str
    kind: str
    drug_atc: tuple[str, ...]
    min_age: float = 65
    diagnoses: tuple[tuple[str, ...], ...] = ()
    with_drugs: tuple[tuple[str, ...], ...] = ()
    without_drugs: tuple[tuple[str, ...], ...] = ()
    egfr_below: float | None = None
    daily_dose_above_mg: float | None = None
    severity: Severity = Severity.MODERATE
    text: LocalizedText = LocalizedText()
    source: SourceRef


class DurRuleKind(StrEnum):
    """The patient-level rule sets of Korea's DUR (HIRA), by their Korean names (knowledge/SEVERITY.md)."""

    AGE = "age"  # 연령금기
    PREGNANCY = "pregnancy"  # 임부금기
    DAILY_DOSE = "daily_dose"  # 용량주의 (served as DoseLimit through ``dose_limits``)
    DURATION = "duration"  # 투여기간주의
    ELDERLY = "elderly"  # 노인주의
    LACTATION = "lactation"  # 수유부주의


class DurRule(KnowledgeFact):
    """One patient-level rule of Korea's DUR for one ingredient (knowledge/dur_rules.tsv).

    ``combination``: every component of the product the rule was written for (empty: any product); the rule
    applies to a line holding them all. Age band: ``from_age <= age < below_age`` in years (None: open).
    ``text_ko``: the source's detail text in Korean, as written (no reviewed translation exists).
    """

    rule_id: str
    kind: DurRuleKind
    inn: str
    combination: tuple[str, ...] = ()
    grade: str = ""
    max_days: int | None = None
    below_age: float | None = None
    from_age: float | None = None
    forms_ko: str = ""
    # Route families of ``forms_ko`` (``rxsafe.matching.dosage_form.FormFamily`` values); empty: every form.
    routes: tuple[str, ...] = ()
    text_ko: str = ""
    source: SourceRef

    def fits(self, ingredients: Sequence[str]) -> bool:
        """Whether a line holding ``ingredients`` is the product the rule was written for."""
        return not self.combination or set(self.combination) <= set(ingredients)

    def form_fit(self, line_routes: Sequence[str]) -> bool | None:
        """True: the rule holds for the line's form; False: the line is another form; None: the form is unknown."""
        if not self.routes:
            return None if self.forms_ko else True
        if not line_routes:
            return None
        return bool(set(self.routes) & set(line_routes))
