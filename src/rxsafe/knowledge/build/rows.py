"""Row types of the compiled tables (knowledge/SCHEMA.md) and the name bridge every source module uses.

Each source module turns its files into a ``Contribution``; the build merges them, sorts and writes the tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True, order=True)
class SourceCite:
    """``source;reference;level`` in the tables: which source, where in it, and its own grade."""

    source: str
    reference: str = ""
    level: str = ""


@dataclass(frozen=True, order=True)
class IngredientRow:
    inn: str
    vi_name: str = ""
    atc_codes: tuple[str, ...] = ()
    drugbank_id: str = ""
    sources: tuple[str, ...] = ()


@dataclass(frozen=True, order=True)
class AliasRow:
    alias: str
    inn: str
    kind: str
    source: str


@dataclass(frozen=True, order=True)
class ProductRow:
    product_id: str
    brand: str
    registration_number: str
    ingredients: tuple[str, ...]
    strengths: tuple[str, ...]
    dosage_form: str
    source: str
    # Issue 15: the product table merges several sources by registration number (build/vn_registry.py).
    other_names: tuple[str, ...] = ()
    insurance_codes: tuple[str, ...] = ()
    manufacturer: str = ""
    country: str = ""
    agreement: str = ""
    # The match keys of the brand and its other names (matching.vocabulary.brand_key), made once at build
    # so that loading 12,000 products does not re-read every name (start-up).
    brand_keys: tuple[str, ...] = ()
    # The match key of each name's first word when the name has more ("Nexium" of "Nexium Mups"): the brand
    # family a prescriber means when writing the brand without the product's suffix.
    family_keys: tuple[str, ...] = ()


@dataclass(frozen=True, order=True)
class ManufacturerWordRow:
    """A word of a manufacturer's or country's name, as prescription lines write it after an INN."""

    word: str
    kind: str
    products: int
    source: str


@dataclass(frozen=True, order=True)
class ClassRow:
    class_id: str
    kind: str
    name_en: str
    name_vi: str
    source: str


@dataclass(frozen=True, order=True)
class MemberRow:
    class_id: str
    inn: str
    source: str
    via: str


@dataclass(frozen=True, order=True)
class RuleRow:
    """One interaction rule. ``severity`` is one of contraindicated/major/moderate/minor (see SEVERITY.md)."""

    rule_id: str
    a_kind: str
    a: str
    b_kind: str
    b: str
    severity: str
    mechanism_vi: str = ""
    mechanism_en: str = ""
    consequence_vi: str = ""
    consequence_en: str = ""
    management_vi: str = ""
    management_en: str = ""
    sources: tuple[SourceCite, ...] = ()
    needs_review: bool = False


@dataclass(frozen=True, order=True)
class CrossReactivityRow:
    drug_a: str
    drug_b: str
    cross_reactive: bool
    basis: str
    source: str
    # The severity of the allergy conflict the pair raises (knowledge/SEVERITY.md); empty when not cross-reactive.
    severity: str = "major"


@dataclass(frozen=True, order=True)
class MoietyRow:
    """A salt or ester whose own name no interaction source uses, and the parent ingredient whose rules it takes."""

    inn: str
    parent: str
    basis: str
    source: str


@dataclass(frozen=True, order=True)
class AllergenTermRow:
    term: str
    concept_kind: str
    concept: str
    source: str


@dataclass
class Contribution:
    """What one source adds to the knowledge base."""

    ingredients: list[IngredientRow] = field(default_factory=list)
    aliases: list[AliasRow] = field(default_factory=list)
    products: list[ProductRow] = field(default_factory=list)
    classes: list[ClassRow] = field(default_factory=list)
    members: list[MemberRow] = field(default_factory=list)
    rules: list[RuleRow] = field(default_factory=list)
    cross_reactivity: list[CrossReactivityRow] = field(default_factory=list)
    allergen_terms: list[AllergenTermRow] = field(default_factory=list)
    # Names a source used that could not be bridged to an INN: reported by the build, never silently dropped.
    unmapped: list[tuple[str, str]] = field(default_factory=list)


class NameIndex(Protocol):
    """Bridges a source's drug name (English, Vietnamese, French, US) to the English INN in lowercase."""

    def to_inn(self, name: str) -> str | None:
        """The INN the name means, or None when it cannot be bridged with confidence."""
        ...

    def knows(self, inn: str) -> bool:
        """Whether the INN is an ingredient of the vocabulary."""
        ...


# --- patient-level rules (issue 10) -------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class DoseLimitRow:
    """A maximum dose (knowledge/dose_limits.tsv). Numbers as text (``4000``), empty when not given."""

    limit_id: str
    inn: str
    basis: str
    limit_mg: str
    cap_mg: str
    min_age: str
    max_age: str
    population: str
    context: str
    source: SourceCite


@dataclass(frozen=True, order=True)
class AgeRestrictionRow:
    """A paediatric age restriction (knowledge/age_restrictions.tsv)."""

    rule_id: str
    inn: str
    below_age: str
    severity: str
    text_en: str
    text_vi: str
    source: SourceCite


@dataclass(frozen=True, order=True)
class PregnancyRow:
    """A former FDA pregnancy letter X or D (knowledge/pregnancy.tsv, and pregnancy_gnuhealth.tsv for GPL data)."""

    inn: str
    category: str
    needs_review: bool
    source: SourceCite


@dataclass(frozen=True, order=True)
class PatientRuleRow:
    """One coded STOPP/START iteration (knowledge/stopp_rules.tsv).

    Code groups are `` | ``-separated, codes in a group ``;``-separated, ``*`` marks a prefix.
    """

    rule_id: str
    criterion: str
    kind: str
    drug_atc: str
    min_age: str
    diagnoses: str
    with_drugs: str
    without_drugs: str
    egfr_below: str
    daily_dose_above_mg: str
    severity: str
    text_en: str
    source: SourceCite


@dataclass(frozen=True, order=True)
class DurRuleRow:
    """One patient-level rule of Korea's DUR for one ingredient (knowledge/dur_rules.tsv, issue 14).

    ``kind``: ``age``, ``pregnancy``, ``daily_dose``, ``duration``, ``elderly``, ``lactation``. A rule written for
    a combination names all its components in ``combination`` (`` + ``-joined) and applies only to a line that
    holds them all. Numbers as text; empty where the kind does not use them.
    """

    rule_id: str
    kind: str
    inn: str
    combination: str
    grade: str
    limit_mg: str
    max_days: str
    below_age: str
    from_age: str
    forms_ko: str
    # The route families the forms name (oral, injection, skin …; `` | ``-joined), empty when unknown or all.
    routes: str
    text_ko: str
    source: SourceCite


@dataclass
class PatientRules:
    """What the patient-level source modules add (kept apart from ``Contribution``: these tables are not merged)."""

    dose_limits: list[DoseLimitRow] = field(default_factory=list)
    age_restrictions: list[AgeRestrictionRow] = field(default_factory=list)
    pregnancy: list[PregnancyRow] = field(default_factory=list)
    stopp_rules: list[PatientRuleRow] = field(default_factory=list)
    dur_rules: list[DurRuleRow] = field(default_factory=list)
    # (source, what was left out and why): printed by the build.
    skipped: list[tuple[str, str]] = field(default_factory=list)
