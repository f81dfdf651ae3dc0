"""The patient-level tables (dose_limits, age_restrictions, pregnancy*, stopp_rules) as dict indexes.

Loaded once at startup beside the interaction indexes (``KnowledgeBase``); every request-path lookup is a dict
access, and the STOPP rules of an ingredient are gathered once per ingredient through its ATC codes and cached.
A knowledge directory built before these tables existed loads with them empty: every check then says "not covered".
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from rxsafe.core.enums import Severity
from rxsafe.core.knowledge_port import (
    AgeRestriction,
    DoseLimit,
    DurRule,
    DurRuleKind,
    PatientRule,
    PregnancyCategory,
    SourceRef,
)
from rxsafe.core.models import LocalizedText

LIST_SEPARATOR = " | "
PATIENT_TABLES = (
    "dose_limits.tsv",
    "age_restrictions.tsv",
    "pregnancy.tsv",
    "pregnancy_gnuhealth.tsv",
    "stopp_rules.tsv",
    "dur_rules.tsv",
)
# How the daily-dose rules of Korea's DUR read in a dose conflict.
DUR_POPULATION = "Korea (HIRA DUR)"


def _cite(cell: str) -> SourceRef:
    source, reference, level = [*cell.split(";", 2), "", ""][:3]
    return SourceRef(source=source, reference=reference, level=level)


def _number(cell: str) -> float | None:
    return float(cell) if cell else None


def _groups(cell: str) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(group.split(";")) for group in cell.split(LIST_SEPARATOR)) if cell else ()


def _records(path: Path) -> Iterator[dict[str, str]]:
    if not path.exists():
        return
    with path.open(encoding="utf-8") as handle:
        header = handle.readline().rstrip("\n").split("\t")
        for line in handle:
            yield dict(zip(header, line.rstrip("\n").split("\t"), strict=True))


def atc_matches(codes: Sequence[str], patterns: Sequence[str]) -> bool:
    """Whether any ATC code matches any pattern (``M01A*`` a prefix, else the exact code).

    >>> atc_matches(["M01AE01"], ["M01A*"]), atc_matches(["N02BE01"], ["M01A*", "N02BA01"])
    (True, False)
    """
    for pattern in patterns:
        prefix = pattern[:-1] if pattern.endswith("*") else None
        for code in codes:
            if (prefix is not None and code.startswith(prefix)) or code == pattern:
                return True
    return False


class PatientRuleIndex:
    """Read-only indexes of the patient-level tables under ``path``."""

    def __init__(self, path: Path, atc_of: Mapping[str, Sequence[str]]) -> None:
        """Read the tables; ``atc_of`` gives each ingredient's ATC codes (from ingredients.tsv)."""
        self._atc_of = atc_of
        self.dose: dict[str, list[DoseLimit]] = {}
        for r in _records(path / "dose_limits.tsv"):
            self.dose.setdefault(r["inn"], []).append(
                DoseLimit(
                    limit_id=r["limit_id"],
                    inn=r["inn"],
                    basis=r["basis"],
                    limit_mg=float(r["limit_mg"]),
                    cap_mg=_number(r["cap_mg"]),
                    min_age=_number(r["min_age"]),
                    max_age=_number(r["max_age"]),
                    population=r["population"],
                    context=r["context"],
                    source=_cite(r["source"]),
                )
            )
        self.age: dict[str, list[AgeRestriction]] = {}
        for r in _records(path / "age_restrictions.tsv"):
            self.age.setdefault(r["inn"], []).append(
                AgeRestriction(
                    rule_id=r["rule_id"],
                    inn=r["inn"],
                    below_age=float(r["below_age"]),
                    severity=Severity[r["severity"].upper()],
                    text=LocalizedText(vi=r["text_vi"], en=r["text_en"]),
                    source=_cite(r["source"]),
                )
            )
        self.pregnancy: dict[str, list[PregnancyCategory]] = {}
        for name in ("pregnancy.tsv", "pregnancy_gnuhealth.tsv"):
            for r in _records(path / name):
                self.pregnancy.setdefault(r["inn"], []).append(
                    PregnancyCategory(
                        inn=r["inn"],
                        category=r["category"],
                        source=_cite(r["source"]),
                        needs_review=r["needs_review"] == "1",
                    )
                )
        self.rules: list[PatientRule] = []
        # ATC code or prefix (pattern without "*") → rules; an ingredient's rules are found through its codes.
        self._by_code: dict[str, list[PatientRule]] = {}
        self._by_prefix: dict[str, list[PatientRule]] = {}
        for r in _records(path / "stopp_rules.tsv"):
            rule = PatientRule(
                rule_id=r["rule_id"],
                criterion=r["criterion"],
                kind=r["kind"],
                drug_atc=tuple(r["drug_atc"].split(";")),
                min_age=float(r["min_age"]),
                diagnoses=_groups(r["diagnoses"]),
                with_drugs=_groups(r["with_drugs"]),
                without_drugs=_groups(r["without_drugs"]),
                egfr_below=_number(r["egfr_below"]),
                daily_dose_above_mg=_number(r["daily_dose_above_mg"]),
                severity=Severity[r["severity"].upper()],
                text=LocalizedText(en=r["text_en"]),
                source=_cite(r["source"]),
            )
            self.rules.append(rule)
            if rule.kind == "omission":
                continue
            for pattern in rule.drug_atc:
                if pattern.endswith("*"):
                    self._by_prefix.setdefault(pattern[:-1], []).append(rule)
                else:
                    self._by_code.setdefault(pattern, []).append(rule)
        self.start = tuple(r for r in self.rules if r.kind == "omission")
        self._rules_of: dict[str, tuple[PatientRule, ...]] = {}
        self.dur: dict[str, list[DurRule]] = {}
        self._read_dur(path)

    def _read_dur(self, path: Path) -> None:
        """Korea's DUR rules (issue 14): daily doses join the dose limits, the other kinds are kept by ingredient."""
        for r in _records(path / "dur_rules.tsv"):
            combination = tuple(r["combination"].split(" + ")) if r["combination"] else ()
            kind = DurRuleKind(r["kind"])
            if kind is DurRuleKind.DAILY_DOSE:
                self.dose.setdefault(r["inn"], []).append(
                    DoseLimit(
                        limit_id=r["rule_id"],
                        inn=r["inn"],
                        basis="daily",
                        limit_mg=float(r["limit_mg"]),
                        population=DUR_POPULATION,
                        context=f"forms (Korean, as written): {r['forms_ko']}" if r["forms_ko"] else "",
                        source=_cite(r["source"]),
                        combination=combination,
                    )
                )
                continue
            self.dur.setdefault(r["inn"], []).append(
                DurRule(
                    rule_id=r["rule_id"],
                    kind=kind,
                    inn=r["inn"],
                    combination=combination,
                    grade=r["grade"],
                    max_days=int(r["max_days"]) if r["max_days"] else None,
                    below_age=_number(r["below_age"]),
                    from_age=_number(r["from_age"]),
                    forms_ko=r["forms_ko"],
                    routes=tuple(r["routes"].split(LIST_SEPARATOR)) if r["routes"] else (),
                    text_ko=r["text_ko"],
                    source=_cite(r["source"]),
                )
            )

    def rules_of(self, inn: str) -> tuple[PatientRule, ...]:
        """STOPP rules whose drug matches one of the ingredient's ATC codes (cached per ingredient)."""
        cached = self._rules_of.get(inn)
        if cached is None:
            found: dict[str, PatientRule] = {}
            for code in self._atc_of.get(inn, ()):
                for rule in self._by_code.get(code, ()):
                    found.setdefault(rule.rule_id, rule)
                for size in range(1, len(code) + 1):
                    for rule in self._by_prefix.get(code[:size], ()):
                        found.setdefault(rule.rule_id, rule)
            cached = tuple(sorted(found.values(), key=lambda r: r.rule_id))
            self._rules_of[inn] = cached
        return cached

    def matches_atc(self, inn: str, patterns: Sequence[str]) -> bool:
        """Whether the ingredient's ATC codes match any pattern."""
        return atc_matches(self._atc_of.get(inn, ()), patterns)
