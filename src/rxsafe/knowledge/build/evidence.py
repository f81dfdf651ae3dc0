"""Evidence strength of every interaction rule (knowledge/evidence_strength.tsv), computed from the source rows.

For each merged rule: which sources support it, grouped into independent families, each at its own level on
rxsafe's scale (None for an ungraded level such as DDInter "Unknown"), whether that source gives a text, and
whether the rule has a mechanism and a management text. The sources are classified by the reviewed table
``data/evidence_sources.csv`` (source name prefix → family, kind official/curated/derived, ungraded levels), so
a new source slots in with one row and none of this code changes (knowledge/SEVERITY.md §Evidence strength).
A source no row names is counted as an independent curated source — it can raise a tier, never lower one —
and the build names it, so the table gets its row in review.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rxsafe.core.enums import EvidenceSourceKind, Severity
from rxsafe.core.models import EvidenceStrength, SourceSupport
from rxsafe.knowledge.build.merge import SEVERITIES, rule_id
from rxsafe.knowledge.build.rows import RuleRow

SOURCES_FILE = Path(__file__).with_name("data") / "evidence_sources.csv"
LIST_SEPARATOR = " | "


@dataclass(frozen=True)
class SourceClass:
    """One row of ``evidence_sources.csv``."""

    match: str
    family: str
    kind: EvidenceSourceKind
    ungraded_levels: frozenset[str]


@dataclass(frozen=True, order=True)
class EvidenceStrengthRow:
    """One row of knowledge/evidence_strength.tsv (SCHEMA.md)."""

    rule_id: str
    strength: str
    independent_sources: int
    graded_severity: str
    official: bool
    has_mechanism: bool
    has_management: bool
    ungraded_only: bool
    derived_only: bool
    # ``source;family;kind;level;severity;text`` per supporting source and level (severity "" = ungraded).
    support: tuple[str, ...]


def read_source_classes(path: Path = SOURCES_FILE) -> tuple[SourceClass, ...]:
    """The reviewed classification, longest match first (``CredibleMeds known TdP`` before ``CredibleMeds``)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [
            SourceClass(
                match=row["match"].strip(),
                family=row["family"].strip(),
                kind=EvidenceSourceKind(row["kind"].strip()),
                ungraded_levels=frozenset(v.strip().lower() for v in row["ungraded_levels"].split(";") if v.strip()),
            )
            for row in csv.DictReader(handle)
        ]
    return tuple(sorted(rows, key=lambda r: (-len(r.match), r.match)))


def classify(source: str, classes: Iterable[SourceClass]) -> SourceClass | None:
    """The row whose ``match`` begins the source name (case-insensitive), or None when no row does."""
    name = source.strip().lower()
    return next((c for c in classes if name.startswith(c.match.lower())), None)


def _has_text(row: RuleRow) -> bool:
    return any(
        (
            row.mechanism_vi,
            row.mechanism_en,
            row.consequence_vi,
            row.consequence_en,
            row.management_vi,
            row.management_en,
        )
    )


def _clean(part: str) -> str:
    # ";" separates the parts of a support entry and " | " the entries, so neither may appear inside a part.
    return part.replace(";", ",").replace("|", "/").replace("\t", " ").strip()


def strength_rows(
    rules: Iterable[RuleRow], classes: tuple[SourceClass, ...], unclassified: set[str]
) -> list[EvidenceStrengthRow]:
    """One row per merged rule (the same grouping and rule id as ``merge.merge_rules``).

    ``unclassified`` collects the source names no classification row matches.
    """
    grouped: dict[str, list[RuleRow]] = {}
    for rule in rules:
        key = (rule.a_kind, rule.a, rule.b_kind, rule.b)
        if (rule.b_kind, rule.b) < (rule.a_kind, rule.a):
            key = (rule.b_kind, rule.b, rule.a_kind, rule.a)
        grouped.setdefault(rule_id(*key), []).append(rule)
    out: list[EvidenceStrengthRow] = []
    for rid, group in grouped.items():
        support: dict[tuple[str, str], SourceSupport] = {}
        for row in group:
            severity = Severity[row.severity.upper()] if row.severity in SEVERITIES else Severity.MAJOR
            text = _has_text(row)
            for cite in row.sources:
                found = classify(cite.source, classes)
                if found is None:
                    unclassified.add(cite.source)
                family = found.family if found else cite.source
                kind = found.kind if found else EvidenceSourceKind.CURATED
                ungraded = found is not None and cite.level.strip().lower() in found.ungraded_levels
                entry = SourceSupport(
                    source=cite.source,
                    family=family,
                    kind=kind,
                    level=cite.level.strip(),
                    severity=None if ungraded else severity,
                    has_text=text,
                )
                previous = support.get((cite.source, entry.level))
                if previous is None or (entry.has_text and not previous.has_text):
                    support[(cite.source, entry.level)] = entry
        strength = EvidenceStrength(
            support=tuple(support[k] for k in sorted(support)),
            has_mechanism=any(r.mechanism_vi or r.mechanism_en or r.consequence_vi or r.consequence_en for r in group),
            has_management=any(r.management_vi or r.management_en for r in group),
        )
        out.append(row_of(rid, strength))
    return out


def row_of(rid: str, strength: EvidenceStrength) -> EvidenceStrengthRow:
    """The table row of one rule's strength (the summary columns are for the pharmacist reading a diff)."""
    graded = strength.graded_severity
    return EvidenceStrengthRow(
        rule_id=rid,
        strength=strength.label,
        independent_sources=strength.independent_sources,
        graded_severity=graded.name.lower() if graded is not None else "",
        official=strength.official,
        has_mechanism=strength.has_mechanism,
        has_management=strength.has_management,
        ungraded_only=strength.ungraded_only,
        derived_only=strength.derived_only,
        support=tuple(
            ";".join(
                _clean(p)
                for p in (
                    s.source,
                    s.family,
                    s.kind.value,
                    s.level,
                    s.severity.name.lower() if s.severity is not None else "",
                    "1" if s.has_text else "0",
                )
            )
            for s in strength.support
        ),
    )
