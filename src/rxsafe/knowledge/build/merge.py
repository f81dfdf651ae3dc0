"""Merging the sources' contributions into the tables: one row per concept, every source kept as evidence.

Interaction rules on the same concept pair become one rule: severity is the highest any source gives, every
source cite is kept, texts of each language are kept in source order. Ingredients that no table refers to and
that have no ATC code (most of DrugBank's experimental compounds) are left out, with their aliases.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rxsafe.knowledge.build import moieties
from rxsafe.knowledge.build.rows import (
    AgeRestrictionRow,
    AliasRow,
    AllergenTermRow,
    ClassRow,
    Contribution,
    CrossReactivityRow,
    DoseLimitRow,
    DurRuleRow,
    IngredientRow,
    ManufacturerWordRow,
    MemberRow,
    MoietyRow,
    PatientRuleRow,
    PregnancyRow,
    ProductRow,
    RuleRow,
    SourceCite,
)
from rxsafe.matching.normalize import match_key
from rxsafe.matching.vocabulary import ALIAS_KIND_RANK

SEVERITIES = ("minor", "moderate", "major", "contraindicated")
QD5948 = "QĐ 5948/QĐ-BYT"
SIDE_KINDS = ("ingredient", "class", "combination", "unmapped")
_TEXT_FIELDS = (
    "mechanism_vi",
    "mechanism_en",
    "consequence_vi",
    "consequence_en",
    "management_vi",
    "management_en",
)


@dataclass
class Tables:
    """The merged, deduplicated rows of every table (sorting happens when they are written)."""

    ingredients: list[IngredientRow] = field(default_factory=list)
    aliases: list[AliasRow] = field(default_factory=list)
    products: list[ProductRow] = field(default_factory=list)
    classes: list[ClassRow] = field(default_factory=list)
    members: list[MemberRow] = field(default_factory=list)
    rules: list[RuleRow] = field(default_factory=list)
    cross_reactivity: list[CrossReactivityRow] = field(default_factory=list)
    allergen_terms: list[AllergenTermRow] = field(default_factory=list)
    # Patient-level rules (issue 10): one source per table row, not merged across sources (build/__main__.py).
    dose_limits: list[DoseLimitRow] = field(default_factory=list)
    age_restrictions: list[AgeRestrictionRow] = field(default_factory=list)
    pregnancy: list[PregnancyRow] = field(default_factory=list)
    pregnancy_gnuhealth: list[PregnancyRow] = field(default_factory=list)
    stopp_rules: list[PatientRuleRow] = field(default_factory=list)
    moieties: list[MoietyRow] = field(default_factory=list)
    # Korea's patient-level DUR rules (issue 14).
    dur_rules: list[DurRuleRow] = field(default_factory=list)
    # Evidence strength per rule (issue 18): build/evidence.py, filled in by the build after the merge.
    evidence_strength: list[Any] = field(default_factory=list)
    manufacturer_words: list[ManufacturerWordRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def rule_id(a_kind: str, a: str, b_kind: str, b: str) -> str:
    """A stable id from the concept pair, so a rule keeps its id when sources or row order change."""
    digest = hashlib.sha256(f"{a_kind}:{a}|{b_kind}:{b}".encode()).hexdigest()
    return f"ix-{digest[:12]}"


def _distinct(values: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for value in values:
        if value and value not in seen:
            seen.append(value)
    return seen


def merge_ingredients(rows: Iterable[IngredientRow], problems: list[str]) -> dict[str, IngredientRow]:
    """One row per INN: ATC codes and sources united, the first non-empty DrugBank id and Vietnamese name."""
    grouped: dict[str, list[IngredientRow]] = {}
    for row in rows:
        grouped.setdefault(row.inn, []).append(row)
    merged: dict[str, IngredientRow] = {}
    for inn, group in grouped.items():
        group.sort()
        ids = sorted({r.drugbank_id for r in group if r.drugbank_id})
        if len(ids) > 1:
            problems.append(f"ingredient {inn!r}: several DrugBank ids {ids}; kept {ids[0]}")
        # QĐ 5948's spelling is the national reference; other sources' spellings (the product registrations)
        # only fill in where it has none.
        vi_names = sorted({(QD5948 not in r.sources, len(r.vi_name), r.vi_name) for r in group if r.vi_name})
        merged[inn] = IngredientRow(
            inn=inn,
            vi_name=vi_names[0][2] if vi_names else "",
            atc_codes=tuple(sorted({c for r in group for c in r.atc_codes})),
            drugbank_id=ids[0] if ids else "",
            sources=tuple(sorted({s for r in group for s in r.sources})),
        )
    return merged


def _ordered(rule: RuleRow) -> tuple[str, str, str, str]:
    if (rule.b_kind, rule.b) < (rule.a_kind, rule.a):
        return rule.b_kind, rule.b, rule.a_kind, rule.a
    return rule.a_kind, rule.a, rule.b_kind, rule.b


def merge_rules(rules: Iterable[RuleRow], problems: list[str]) -> list[RuleRow]:
    """One rule per unordered concept pair; highest severity; all cites; texts in cite order."""
    grouped: dict[tuple[str, str, str, str], list[RuleRow]] = {}
    for given in rules:
        rule = given
        if rule.severity not in SEVERITIES:
            problems.append(f"rule {rule.a}/{rule.b}: unknown severity {rule.severity!r}; kept as major")
            rule = RuleRow(**{**rule.__dict__, "severity": "major", "needs_review": True})
        if rule.a_kind not in SIDE_KINDS or rule.b_kind not in SIDE_KINDS:
            problems.append(f"rule {rule.a}/{rule.b}: unknown side kind {rule.a_kind}/{rule.b_kind}")
        grouped.setdefault(_ordered(rule), []).append(rule)
    merged: list[RuleRow] = []
    for key, group in grouped.items():
        # QĐ 5948's texts first (the national text leads in every language); then source order.
        group.sort(key=lambda r: (all(c.source != QD5948 for c in r.sources), r.sources, r))
        texts = {name: " | ".join(_distinct(getattr(r, name) for r in group)) for name in _TEXT_FIELDS}
        cites: list[SourceCite] = sorted({c for r in group for c in r.sources})
        severity = max((r.severity for r in group), key=SEVERITIES.index)
        merged.append(
            RuleRow(
                rule_id(*key),
                *key,
                severity=severity,
                sources=tuple(cites),
                needs_review=any(r.needs_review for r in group),
                **texts,
            )
        )
    return merged


_SEVERITY_RANK = ("", "minor", "moderate", "major", "contraindicated")


def merge_cross_reactivity(rows: Iterable[CrossReactivityRow]) -> list[CrossReactivityRow]:
    """One row per ordered pair; if two source rows disagree, cross-reactive wins (fail safe), both bases kept."""
    grouped: dict[tuple[str, str], list[CrossReactivityRow]] = {}
    for row in rows:
        grouped.setdefault((row.drug_a, row.drug_b), []).append(row)
    return [
        CrossReactivityRow(
            a,
            b,
            any(r.cross_reactive for r in group),
            " | ".join(_distinct(r.basis for r in sorted(group))),
            " | ".join(_distinct(r.source for r in sorted(group))),
            # The highest severity any cross-reactive row gives (fail safe, as for interactions).
            max((r.severity for r in group if r.cross_reactive), key=_SEVERITY_RANK.index, default=""),
        )
        for (a, b), group in grouped.items()
    ]


def merge_classes(rows: Iterable[ClassRow], problems: list[str]) -> list[ClassRow]:
    """One row per class id: names from the first source giving them, all sources listed."""
    grouped: dict[str, list[ClassRow]] = {}
    for row in rows:
        grouped.setdefault(row.class_id, []).append(row)
    merged: list[ClassRow] = []
    for class_id, group in grouped.items():
        group.sort()
        kinds = _distinct(r.kind for r in group)
        if len(kinds) > 1:
            problems.append(f"class {class_id}: several kinds {kinds}")
        merged.append(
            ClassRow(
                class_id,
                kinds[0],
                next((r.name_en for r in group if r.name_en), ""),
                next((r.name_vi for r in group if r.name_vi), ""),
                " | ".join(_distinct(r.source for r in group)),
            )
        )
    return merged


def _referenced(tables: Tables) -> set[str]:
    refs = {m.inn for m in tables.members}
    for rule in tables.rules:
        for kind, concept in ((rule.a_kind, rule.a), (rule.b_kind, rule.b)):
            if kind == "ingredient":
                refs.add(concept)
            elif kind == "combination":
                refs.update(concept.split(" + "))
    refs.update(i for p in tables.products for i in p.ingredients)
    refs.update(r.drug_a for r in tables.cross_reactivity)
    refs.update(t.concept for t in tables.allergen_terms if t.concept_kind == "ingredient")
    return refs


# A name carrying a stereo or optical descriptor ("(-)-Albuterol", "(+)-brompheniraminum", "α-…", "dl-…"): the
# matcher's normalisation drops the descriptor, so such a name collides with the racemate or the other isomer.
_DESCRIPTOR = re.compile(r"^[(\[]|[αβγδ±]|^(?:dl|d|l)-", re.IGNORECASE)


def drop_colliding_synonyms(
    ingredients: Iterable[IngredientRow], aliases: Iterable[AliasRow], problems: list[str]
) -> list[AliasRow]:
    """The aliases without DrugBank synonyms that, as the matcher normalises names, name two ingredients.

    The matcher (``rxsafe.matching``) keys every name by ``match_key`` and, where one key names several
    ingredients, keeps those of the strongest alias kind; a tie leaves the name AMBIGUOUS. A tie among DrugBank
    synonyms means a synonym names a different substance once normalised (an enantiomer written with a
    descriptor, "(-)-Albuterol" of levosalbutamol beside "Albuterol" of salbutamol; an abbreviation, "CDP" and
    "CDDP"): the one synonym written without a descriptor is kept when exactly one ingredient has such, every
    other tied synonym is dropped. A tie of stronger kinds (two INNs) is a duplicate ingredient: it is reported,
    to be fixed in ``data/ingredient_merges.csv`` or ``data/name_exceptions.csv``.
    """
    ranked: dict[str, dict[str, int]] = {}
    rows_by_key: dict[str, list[AliasRow]] = {}

    def note(key: str, inn: str, kind: str) -> None:
        rank = ALIAS_KIND_RANK.get(kind, len(ALIAS_KIND_RANK))
        by_inn = ranked.setdefault(key, {})
        by_inn[inn] = min(rank, by_inn.get(inn, rank))

    for ingredient in ingredients:
        note(match_key(ingredient.inn), ingredient.inn, "inn")
        if ingredient.vi_name:
            note(match_key(ingredient.vi_name), ingredient.inn, "vi_spelling")
    alias_list = list(aliases)
    for alias in alias_list:
        key = match_key(alias.alias)
        note(key, alias.inn, alias.kind)
        rows_by_key.setdefault(key, []).append(alias)

    synonym_rank = ALIAS_KIND_RANK["drugbank_synonym"]
    dropped: set[AliasRow] = set()
    for key, by_inn in ranked.items():
        if len(by_inn) < 2:
            continue
        top = min(by_inn.values())
        tied = sorted(inn for inn, rank in by_inn.items() if rank == top)
        if len(tied) < 2:
            continue
        if top != synonym_rank:
            problems.append(f"name key {key!r} names {tied} at the same strength; AMBIGUOUS in matching")
            continue
        rows = [r for r in rows_by_key.get(key, []) if r.kind == "drugbank_synonym" and r.inn in tied]
        plain = {r.inn for r in rows if not _DESCRIPTOR.search(r.alias)}
        keep = {r for r in rows if plain == {r.inn} and not _DESCRIPTOR.search(r.alias)}
        for row in rows:
            if row not in keep:
                dropped.add(row)
                problems.append(f"DrugBank synonym {row.alias!r} of {row.inn} dropped: its key names {tied}")
    return [a for a in alias_list if a not in dropped]


def merge(contributions: Iterable[Contribution]) -> Tables:
    """All contributions to one set of tables."""
    contributions = list(contributions)
    tables = Tables()
    problems = tables.problems
    tables.rules = merge_rules((r for c in contributions for r in c.rules), problems)
    tables.classes = merge_classes((r for c in contributions for r in c.classes), problems)
    tables.members = sorted({m for c in contributions for m in c.members})
    tables.cross_reactivity = merge_cross_reactivity(r for c in contributions for r in c.cross_reactivity)
    products: dict[str, ProductRow] = {}
    for product in (p for c in contributions for p in c.products):
        if product.product_id in products and products[product.product_id] != product:
            problems.append(f"product {product.product_id}: two different rows; kept the first")
            continue
        products[product.product_id] = product
    tables.products = list(products.values())
    terms: dict[str, AllergenTermRow] = {}
    for term in (t for c in contributions for t in c.allergen_terms):
        if term.term in terms and terms[term.term] != term:
            problems.append(f"allergen term {term.term!r}: two meanings; kept the first")
            continue
        terms[term.term] = term
    tables.allergen_terms = list(terms.values())

    ingredients = merge_ingredients((r for c in contributions for r in c.ingredients), problems)
    referenced = _referenced(tables)
    for inn in sorted(referenced - set(ingredients)):
        problems.append(f"ingredient {inn!r} is referenced but no source defines it")
    keep = {inn for inn, row in ingredients.items() if row.atc_codes or row.vi_name or inn in referenced}
    tables.ingredients = [row for inn, row in ingredients.items() if inn in keep]
    aliases = sorted({a for c in contributions for a in c.aliases if a.inn in keep})
    tables.aliases = drop_colliding_synonyms(tables.ingredients, aliases, problems)
    class_ids = {c.class_id for c in tables.classes}
    for member in tables.members:
        if member.class_id not in class_ids:
            problems.append(f"member {member.inn} of undefined class {member.class_id}")
    tables.moieties = moieties.derive(tables.ingredients, tables.aliases, tables.rules)
    return tables
