"""The compiled knowledge tables (knowledge/*.tsv) loaded into the indexes the checks query.

Startup reads the TSVs once and builds plain dict/set indexes; pydantic objects are made only when a query
needs them, and cached. Class rules (a class, or a fixed combination, on one side) are not expanded into pairs
at load: a query looks them up through the classes of each ingredient, which keeps memory and startup small.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from rxsafe.core.enums import Severity
from rxsafe.core.knowledge_port import (
    AgeRestriction,
    CrossReactivity,
    DoseLimit,
    DrugClass,
    DurRule,
    InteractionHit,
    InteractionRule,
    PatientRule,
    PregnancyCategory,
    SourceRef,
)
from rxsafe.core.models import LocalizedText
from rxsafe.knowledge.patient_rules import PatientRuleIndex
from rxsafe.knowledge.strength import strength_of

LIST_SEPARATOR = " | "
_RULE_COLUMNS = (
    "rule_id",
    "a_kind",
    "a",
    "b_kind",
    "b",
    "severity",
    "mechanism_vi",
    "mechanism_en",
    "consequence_vi",
    "consequence_en",
    "management_vi",
    "management_en",
    "sources",
    "needs_review",
)

Side = tuple[str, str]


class KnowledgeLoadError(Exception):
    """The tables cannot be read or do not match the schema; the service must not start on them."""


def _rows(path: Path, columns: Sequence[str] | None = None) -> Iterator[list[str]]:
    """The data rows of one TSV (no quoting in these tables, so a split is exact and fast)."""
    try:
        with path.open(encoding="utf-8") as handle:
            header = handle.readline().rstrip("\n").split("\t")
            if columns is not None and tuple(header) != tuple(columns):
                raise KnowledgeLoadError(f"{path.name}: header {header} is not {list(columns)}")
            width = len(header)
            for number, line in enumerate(handle, start=2):
                cells = line.rstrip("\n").split("\t")
                if len(cells) != width:
                    raise KnowledgeLoadError(f"{path.name}:{number}: {len(cells)} cells, expected {width}")
                yield cells
    except OSError as error:
        raise KnowledgeLoadError(f"cannot read {path}: {error}") from error


def _split(cell: str) -> tuple[str, ...]:
    return tuple(cell.split(LIST_SEPARATOR)) if cell else ()


@dataclass(frozen=True)
class IngredientInfo:
    """One row of ingredients.tsv."""

    inn: str
    vi_name: str
    atc_codes: tuple[str, ...]
    drugbank_id: str


class KnowledgeBase:
    """The ``Knowledge`` port over the compiled tables; read-only after construction."""

    def __init__(self, path: Path) -> None:
        """Read the tables under ``path`` and build the indexes; raises KnowledgeLoadError."""
        self.path = path
        try:
            manifest = (path / "MANIFEST.tsv").read_bytes()
        except OSError as error:
            raise KnowledgeLoadError(f"cannot read {path / 'MANIFEST.tsv'}: {error}") from error
        self._version = hashlib.sha256(manifest).hexdigest()[:12]

        self._ingredients: dict[str, IngredientInfo] = {}
        for inn, vi_name, atc_codes, drugbank_id, _sources in _rows(path / "ingredients.tsv"):
            self._ingredients[inn] = IngredientInfo(inn, vi_name, _split(atc_codes), drugbank_id)

        self._classes: dict[str, DrugClass] = {}
        for class_id, kind, name_en, name_vi, _source in _rows(path / "classes.tsv"):
            self._classes[class_id] = DrugClass(
                class_id=class_id, name=LocalizedText(vi=name_vi, en=name_en), kind=kind
            )

        # inn → {class_id: membership source}; class_id → members.
        self._memberships: dict[str, dict[str, str]] = {}
        self._members: dict[str, set[str]] = {}
        for class_id, inn, source, _via in _rows(path / "class_members.tsv"):
            self._memberships.setdefault(inn, {}).setdefault(class_id, source)
            self._members.setdefault(class_id, set()).add(inn)

        # Rules stay raw rows; pair rules keyed by the sorted ingredient pair, the rest by their
        # class/combination side(s). Rules with an unmapped side cannot reach a pair and are only counted.
        self._rules: list[list[str]] = []
        self._pair_rules: dict[tuple[str, str], list[int]] = {}
        self._side_rules: dict[Side, list[int]] = {}
        self._combinations_of: dict[str, set[str]] = {}
        self._pair_inns: set[str] = set()
        self.unmapped_rules = 0
        for cells in _rows(path / "interactions.tsv", _RULE_COLUMNS):
            a_kind, a, b_kind, b = cells[1], cells[2], cells[3], cells[4]
            if "unmapped" in (a_kind, b_kind):
                self.unmapped_rules += 1
                continue
            index = len(self._rules)
            self._rules.append(cells)
            if a_kind == "ingredient" and b_kind == "ingredient":
                self._pair_rules.setdefault((a, b) if a <= b else (b, a), []).append(index)
                self._pair_inns.update((a, b))
                continue
            for kind, concept in {(a_kind, a), (b_kind, b)}:
                if kind != "ingredient":
                    self._side_rules.setdefault((kind, concept), []).append(index)
                if kind == "combination":
                    for component in concept.split(" + "):
                        self._combinations_of.setdefault(component, set()).add(concept)

        # Evidence strength (issue 18): three more cells on each rule's row, read from its own table.
        _attach_strength(path, self._rules)
        self._parent = _parents(path)

        self._cross: dict[tuple[str, str], tuple[bool, str, str, str]] = {}
        for drug_a, drug_b, cross, basis, source, severity in _rows(
            path / "cross_reactivity.tsv", ("drug_a", "drug_b", "cross_reactive", "basis", "source", "severity")
        ):
            self._cross[(drug_a, drug_b)] = (cross == "1", basis, source, severity)

        self._rule_cache: dict[int, InteractionRule] = {}
        self._classes_of_cache: dict[str, tuple[DrugClass, ...]] = {}
        self._groups_cache: dict[str, tuple[str, ...]] = {}
        self._hits = lru_cache(maxsize=65536)(self._compute_hits)
        # Patient-level rules (issue 10): dose limits, age restrictions, pregnancy letters, STOPP/START.
        self.patient = PatientRuleIndex(path, {inn: info.atc_codes for inn, info in self._ingredients.items()})

    # --- the Knowledge port -------------------------------------------------------------------------------

    @property
    def version(self) -> str:
        """First 12 hex digits of the SHA-256 of MANIFEST.tsv."""
        return self._version

    def interactions(self, a: str, b: str) -> Sequence[InteractionHit]:
        """Rules that apply to the ingredient pair (order-free), highest severity first.

        A salt and its parent (moieties.tsv) are one drug: taken together that is duplicate therapy, not a pair.
        """
        if self.same_moiety(a, b):
            return ()
        return self._hits(*((a, b) if a <= b else (b, a)))

    def same_moiety(self, a: str, b: str) -> bool:
        """Whether two ingredients are one drug: the same, or a salt and the parent whose rules it takes."""
        return not self._forms(a).keys().isdisjoint(self._forms(b).keys())

    def classes_of(self, inn: str) -> Sequence[DrugClass]:
        """Every class the ingredient is a member of, sorted by class id."""
        cached = self._classes_of_cache.get(inn)
        if cached is None:
            ids = sorted(self._memberships.get(inn, {}))
            cached = tuple(self._classes[c] for c in ids if c in self._classes)
            self._classes_of_cache[inn] = cached
        return cached

    def in_class(self, inn: str, class_id: str) -> bool:
        """Whether the ingredient is a member of the class, itself or as a salt of a member (moieties.tsv)."""
        return any(class_id in self._memberships.get(form, {}) for form in self._forms(inn))

    def class_label(self, class_id: str) -> LocalizedText:
        """The class's names; an unknown class reads as its id."""
        known = self._classes.get(class_id)
        return known.name if known is not None else LocalizedText(en=class_id, vi=class_id)

    def cross_reactivity(self, allergen: str, drug: str) -> CrossReactivity | None:
        """The Hutten 2025 matrix's answer for two beta-lactams, or None when it does not cover them."""
        found = self._cross.get((allergen, drug))
        if found is None:
            return None
        cross, basis, source, severity = found
        return CrossReactivity(
            allergen=allergen,
            drug=drug,
            cross_reactive=cross,
            basis=basis,
            source=SourceRef(source=source, reference=f"{allergen} / {drug}"),
            severity=Severity[severity.upper()] if severity else Severity.MAJOR,
        )

    def therapeutic_groups(self, inn: str) -> Sequence[str]:
        """ATC level-4 groups (``atc:C09AA``) of the ingredient, for duplicate-therapy checks."""
        cached = self._groups_cache.get(inn)
        if cached is None:
            # Asked for every drug pair of every check: computed once per ingredient (was a scan per call).
            cached = tuple(c for c in sorted(self._memberships.get(inn, {})) if c.startswith("atc:") and len(c) == 9)
            self._groups_cache[inn] = cached
        return cached

    def vi_name(self, inn: str) -> str:
        """The Vietnamese spelling (from QĐ 5948), or ""."""
        info = self._ingredients.get(inn)
        return info.vi_name if info is not None else ""

    def dose_limits(self, inn: str) -> Sequence[DoseLimit]:
        """Sourced maximum doses of the ingredient (every age band)."""
        return self.patient.dose.get(inn, ())

    def pregnancy_categories(self, inn: str) -> Sequence[PregnancyCategory]:
        """Former FDA letters X/D of the ingredient, from every source."""
        return self.patient.pregnancy.get(inn, ())

    def age_restrictions(self, inn: str) -> Sequence[AgeRestriction]:
        """Sourced paediatric age restrictions of the ingredient."""
        return self.patient.age.get(inn, ())

    def patient_rules(self, inn: str) -> Sequence[PatientRule]:
        """STOPP rules whose drug is the ingredient."""
        return self.patient.rules_of(inn)

    def start_rules(self) -> Sequence[PatientRule]:
        """Every START rule."""
        return self.patient.start

    def dur_rules(self, inn: str) -> Sequence[DurRule]:
        """Korea's patient-level DUR rules naming the ingredient (daily doses are in ``dose_limits``)."""
        return self.patient.dur.get(inn, ())

    def matches_atc(self, inn: str, patterns: Sequence[str]) -> bool:
        """Whether an ATC code of the ingredient matches a pattern."""
        return self.patient.matches_atc(inn, patterns)

    # --- more than the port -------------------------------------------------------------------------------

    def ingredient(self, inn: str) -> IngredientInfo | None:
        """The ingredient row, or None when the INN is not in the knowledge base."""
        return self._ingredients.get(inn)

    def knows(self, inn: str) -> bool:
        """Whether the INN is an ingredient of the knowledge base."""
        return inn in self._ingredients

    def class_members(self, class_id: str) -> frozenset[str]:
        """The ingredients of a class (empty for an unknown class)."""
        return frozenset(self._members.get(class_id, ()))

    def covers(self, inn: str) -> bool:
        """Whether any rule reaches the ingredient, as a pair or through a class or combination it is in."""
        return any(form in self._pair_inns for form in self._forms(inn)) or any(
            side in self._side_rules for side in self._sides(inn)
        )

    def graph(self) -> Any:
        """The knowledge as a networkx graph, for exploration only (built on each call, never at startup).

        Nodes are ``("ingredient", inn)`` and ``("class", id)``; edges are memberships and rules.
        """
        # Imported here: exploration only, so the service does not pay for networkx at startup.
        import networkx as nx  # type: ignore[import-untyped]  # noqa: PLC0415

        graph = nx.Graph()
        for inn in self._ingredients:
            graph.add_node(("ingredient", inn))
        for class_id, members in self._members.items():
            for inn in members:
                graph.add_edge(("class", class_id), ("ingredient", inn), kind="member")
        for cells in self._rules:
            graph.add_edge((cells[1], cells[2]), (cells[3], cells[4]), kind="rule", rule_id=cells[0], severity=cells[5])
        return graph

    # --- internals ----------------------------------------------------------------------------------------

    def _forms(self, inn: str) -> dict[str, str]:
        """The ingredient, and the parent whose rules it takes (moieties.tsv), each with how ("" for itself)."""
        forms = {inn: ""}
        parent = self._parent.get(inn)
        if parent is not None:
            forms[parent[0]] = f"{inn} is a salt or ester of {parent[0]} ({parent[1]})"
        return forms

    def _sides(self, inn: str) -> dict[Side, str]:
        """Every rule side the ingredient stands for, each with how (the ``via`` text; "" for itself)."""
        sides: dict[Side, str] = {}
        for form, as_form in reversed(self._forms(inn).items()):  # the ingredient's own sides win
            sides[("ingredient", form)] = as_form
            for class_id, source in self._memberships.get(form, {}).items():
                label = self.class_label(class_id).en or class_id
                sides[("class", class_id)] = _joined(as_form, f"{form} is in {label} [{class_id}] ({source})")
            for combination in self._combinations_of.get(form, ()):
                sides[("combination", combination)] = _joined(
                    as_form, f"{form} is a component of the combination {combination} that the rule names"
                )
        return sides

    def _compute_hits(self, a: str, b: str) -> tuple[InteractionHit, ...]:
        found: dict[int, str] = {}
        for form_a, via_a in self._forms(a).items():
            for form_b, via_b in self._forms(b).items():
                pair = (form_a, form_b) if form_a <= form_b else (form_b, form_a)
                for index in self._pair_rules.get(pair, ()):
                    found.setdefault(index, _joined(via_a, via_b))
        sides_a, sides_b = self._sides(a), self._sides(b)
        for first, second in ((sides_a, sides_b), (sides_b, sides_a)):
            for side, via in first.items():
                for index in self._side_rules.get(side, ()):
                    if index in found:
                        continue
                    cells = self._rules[index]
                    rule_a, rule_b = (cells[1], cells[2]), (cells[3], cells[4])
                    other = rule_b if rule_a == side else rule_a
                    if other in second:
                        found[index] = _joined(via, second[other])
        hits = [InteractionHit(rule=self._rule(i), via=via) for i, via in found.items()]
        hits.sort(key=lambda h: (-int(h.rule.severity), h.rule.rule_id))
        return tuple(hits)

    def _rule(self, index: int) -> InteractionRule:
        rule = self._rule_cache.get(index)
        if rule is None:
            c = self._rules[index]
            sources = []
            for cite in _split(c[12]):
                source, reference, level = [*cite.split(";", 2), "", ""][:3]
                sources.append(SourceRef(source=source, reference=reference, level=level))
            rule = InteractionRule(
                rule_id=c[0],
                a_kind=c[1],
                a=c[2],
                b_kind=c[3],
                b=c[4],
                severity=Severity[c[5].upper()],
                mechanism=LocalizedText(vi=c[6], en=c[7]),
                consequence=LocalizedText(vi=c[8], en=c[9]),
                management=LocalizedText(vi=c[10], en=c[11]),
                sources=tuple(sources),
                needs_review=c[13] == "1",
                strength=strength_of(c[14], c[15], c[16]) if len(c) > _STRENGTH_AT else None,
            )
            self._rule_cache[index] = rule
        return rule


_STRENGTH_COLUMNS = (
    "rule_id",
    "strength",
    "independent_sources",
    "graded_severity",
    "official",
    "has_mechanism",
    "has_management",
    "ungraded_only",
    "derived_only",
    "support",
)
_STRENGTH_AT = len(_RULE_COLUMNS)


def _attach_strength(path: Path, rules: list[list[str]]) -> None:
    """Appends support, has_mechanism and has_management to each rule's cells (absent in builds before it).

    Both tables are sorted by rule id (and ``rules`` keeps the file's order), so one walk pairs them without an
    index. Only the last cells are cut from each line; the support cells repeat (a few hundred distinct values
    over 150,000 rules), so they are interned and cost a pointer per rule. Measured: ~0.3 s of the load.
    """
    file = path / "evidence_strength.tsv"
    if not file.exists():
        return
    try:
        with file.open(encoding="utf-8") as handle:
            header = tuple(handle.readline().rstrip("\n").split("\t"))
            if header != _STRENGTH_COLUMNS:
                raise KnowledgeLoadError(f"{file.name}: header {list(header)} is not {list(_STRENGTH_COLUMNS)}")
            index, count = 0, len(rules)
            for line in handle:
                rid = line[: line.index("\t")]
                while index < count and rules[index][0] < rid:
                    index += 1
                if index < count and rules[index][0] == rid:
                    _, mechanism, management, _ungraded, _derived, support = line.rstrip("\n").rsplit("\t", 5)
                    rules[index].extend((sys.intern(support), mechanism, management))
                    index += 1
    except (OSError, ValueError) as error:
        raise KnowledgeLoadError(f"cannot read {file}: {error}") from error


def _parents(path: Path) -> dict[str, tuple[str, str]]:
    """A salt no pair rule names → its parent ingredient and why (moieties.tsv; absent in builds before it)."""
    if not (path / "moieties.tsv").exists():
        return {}
    return {inn: (parent, basis) for inn, parent, basis, _source in _rows(path / "moieties.tsv")}


def _joined(*via: str) -> str:
    return "; ".join(v for v in via if v)


def load_knowledge(path: Path | str) -> KnowledgeBase:
    """Load the compiled tables from ``path`` (the ``knowledge/`` directory); raises KnowledgeLoadError."""
    return KnowledgeBase(Path(path))
