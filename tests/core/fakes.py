"""In-memory fakes for the core's ports: a tiny knowledge base and a dictionary resolver."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from rxsafe.core.enums import AllergenKind, AllergyStatus, MatchMethod, ResolutionStatus, Severity
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
from rxsafe.core.models import (
    CheckedLine,
    LocalizedText,
    PrescriptionLine,
    Resolution,
    ResolvedAllergen,
    ResolvedIngredient,
)
from rxsafe.knowledge.patient_rules import atc_matches


@dataclass
class FakeKnowledge:
    rules: dict[frozenset[str], list[InteractionHit]] = field(default_factory=dict)
    classes: dict[str, set[str]] = field(default_factory=dict)
    groups: dict[str, list[str]] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    cross: dict[tuple[str, str], bool] = field(default_factory=dict)
    covered: set[str] = field(default_factory=set)
    # Patient-level rules (issue 10), keyed by INN; ``atc`` gives each ingredient's ATC codes for STOPP matching.
    doses: dict[str, list[DoseLimit]] = field(default_factory=dict)
    pregnancy: dict[str, list[PregnancyCategory]] = field(default_factory=dict)
    ages: dict[str, list[AgeRestriction]] = field(default_factory=dict)
    stopp: list[PatientRule] = field(default_factory=list)
    atc: dict[str, tuple[str, ...]] = field(default_factory=dict)
    parents: dict[str, str] = field(default_factory=dict)  # salt -> parent (moieties.tsv)
    dur: dict[str, list[DurRule]] = field(default_factory=dict)  # Korea's DUR rules (issue 14), by INN

    @property
    def version(self) -> str:
        return "fake-1"

    def same_moiety(self, a: str, b: str) -> bool:
        return (
            a == b
            or self.parents.get(a) == b
            or self.parents.get(b) == a
            or (a in self.parents and self.parents.get(a) == self.parents.get(b))
        )

    def interactions(self, a: str, b: str) -> Sequence[InteractionHit]:
        return self.rules.get(frozenset((a, b)), [])

    def classes_of(self, inn: str) -> Sequence[DrugClass]:
        return [
            DrugClass(class_id=c, name=LocalizedText(en=c), kind="fake") for c, m in self.classes.items() if inn in m
        ]

    def in_class(self, inn: str, class_id: str) -> bool:
        return inn in self.classes.get(class_id, set())

    def class_members(self, class_id: str) -> frozenset[str]:
        return frozenset(self.classes.get(class_id, set()))

    def class_label(self, class_id: str) -> LocalizedText:
        return LocalizedText(en=self.labels.get(class_id, class_id))

    def cross_reactivity(self, allergen: str, drug: str) -> CrossReactivity | None:
        if (allergen, drug) not in self.cross:
            return None
        return CrossReactivity(
            allergen=allergen,
            drug=drug,
            cross_reactive=self.cross[(allergen, drug)],
            basis="similar R1 side chain",
            source=SourceRef(source="fake matrix"),
        )

    def therapeutic_groups(self, inn: str) -> Sequence[str]:
        return self.groups.get(inn, [])

    def covers(self, inn: str) -> bool:
        return inn in self.covered or any(inn in pair for pair in self.rules)

    def vi_name(self, inn: str) -> str:
        return ""

    def dose_limits(self, inn: str) -> Sequence[DoseLimit]:
        return self.doses.get(inn, [])

    def pregnancy_categories(self, inn: str) -> Sequence[PregnancyCategory]:
        return self.pregnancy.get(inn, [])

    def age_restrictions(self, inn: str) -> Sequence[AgeRestriction]:
        return self.ages.get(inn, [])

    def patient_rules(self, inn: str) -> Sequence[PatientRule]:
        return [r for r in self.stopp if r.kind != "omission" and self.matches_atc(inn, r.drug_atc)]

    def start_rules(self) -> Sequence[PatientRule]:
        return [r for r in self.stopp if r.kind == "omission"]

    def matches_atc(self, inn: str, patterns: Sequence[str]) -> bool:
        return atc_matches(self.atc.get(inn, ()), patterns)

    def dur_rules(self, inn: str) -> Sequence[DurRule]:
        return self.dur.get(inn, [])

    def add_rule(self, a: str, b: str, severity: Severity, source: str = "fake source", via: str = "") -> None:
        rule = InteractionRule(
            rule_id=f"r-{a}-{b}",
            a_kind="ingredient",
            a=a,
            b_kind="ingredient",
            b=b,
            severity=severity,
            mechanism=LocalizedText(en="mechanism"),
            sources=(SourceRef(source=source, level=severity.name),),
        )
        self.rules.setdefault(frozenset((a, b)), []).append(InteractionHit(rule=rule, via=via))


def resolved(*inns: str) -> Resolution:
    return Resolution(
        status=ResolutionStatus.RESOLVED,
        ingredients=tuple(ResolvedIngredient(inn=i) for i in inns),
        method=MatchMethod.EXACT_INN,
        score=100.0,
    )


UNRESOLVED = Resolution(status=ResolutionStatus.UNRESOLVED)


def lines(*resolutions: Resolution) -> tuple[CheckedLine, ...]:
    return tuple(
        CheckedLine(index=i, line=PrescriptionLine(text=f"line {i}"), resolution=r) for i, r in enumerate(resolutions)
    )


def ingredient_allergen(inn: str) -> ResolvedAllergen:
    return ResolvedAllergen(kind=AllergenKind.INGREDIENT, concept=inn, label=inn, method=MatchMethod.EXACT_INN)


def class_allergen(class_id: str) -> ResolvedAllergen:
    return ResolvedAllergen(kind=AllergenKind.DRUG_CLASS, concept=class_id, label=class_id, method=MatchMethod.CLASS)


AS_OF = date(2026, 11, 26)
KNOWN = AllergyStatus.NO_KNOWN_ALLERGIES
