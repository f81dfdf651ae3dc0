"""Evidence strength in numbers, for ``rxsafe knowledge stats`` and ``diff`` (issue 18).

Reads ``knowledge/evidence_strength.tsv`` with the loader's own parser (:func:`rxsafe.knowledge.strength.strength_of`)
so the counts a reviewer sees are computed exactly as the tier rules see each rule: independent sources are
distinct non-derived source families, ``official`` is any regulator's list among them, and the class is the
model's label (official, corroborated, single, ungraded, derived).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rxsafe.core.models import EvidenceStrength
from rxsafe.knowledge.strength import strength_of
from rxsafe.knowledge.tables import read_tsv

STRENGTH_TABLE = "evidence_strength.tsv"
# The order the classes are printed in: strongest first.
STRENGTH_CLASSES = ("official", "corroborated", "single", "ungraded", "derived", "none")
SOURCE_BUCKETS = ("0", "1", "2", "3+")


def read_strengths(folder: Path) -> dict[str, EvidenceStrength] | None:
    """Each rule id's strength; None for a build without the table (before issue 18)."""
    path = folder / STRENGTH_TABLE
    if not path.exists():
        return None
    # Support cells repeat (a few hundred distinct values over ~150,000 rules): parse each once.
    parsed: dict[tuple[str, str, str], EvidenceStrength] = {}
    strengths: dict[str, EvidenceStrength] = {}
    for row in read_tsv(path):
        cells = (row["support"], row["has_mechanism"], row["has_management"])
        strength = parsed.get(cells)
        if strength is None:
            strength = parsed[cells] = strength_of(*cells)
        strengths[row["rule_id"]] = strength
    return strengths


def _bucket(sources: int) -> str:
    return SOURCE_BUCKETS[min(sources, len(SOURCE_BUCKETS) - 1)]


@dataclass(frozen=True)
class StrengthCounts:
    """How the interaction rules of one build are supported."""

    rules: int
    by_independent_sources: dict[str, int]  # "0" (derived only or none), "1", "2", "3+"
    official: int  # at least one regulator's list (QĐ 5948, ANSM, HIRA DUR) supports the rule
    ungraded_only: int  # every supporting level is ungraded (DDInter "Unknown")
    derived_only: int  # only a rule rxsafe derived (class or mechanism table) supports it
    with_text: int  # some source gives a mechanism or management text
    by_class: dict[str, int]


def strength_counts(strengths: dict[str, EvidenceStrength]) -> StrengthCounts:
    """The counts of ``strengths`` (one entry per rule)."""
    values = list(strengths.values())
    buckets = Counter(_bucket(s.independent_sources) for s in values)
    classes = Counter(s.label for s in values)
    return StrengthCounts(
        rules=len(values),
        by_independent_sources={b: buckets[b] for b in SOURCE_BUCKETS},
        official=sum(1 for s in values if s.official),
        ungraded_only=sum(1 for s in values if s.ungraded_only),
        derived_only=sum(1 for s in values if s.derived_only),
        with_text=sum(1 for s in values if s.has_mechanism or s.has_management),
        by_class={c: classes[c] for c in STRENGTH_CLASSES},
    )


def format_strength_counts(counts: StrengthCounts | None) -> str:
    """The section ``rxsafe knowledge stats`` appends (a build without the table says so)."""
    if counts is None:
        return f"\nevidence strength: not in this build (no {STRENGTH_TABLE})\n"
    lines = [
        "",
        f"evidence strength of {counts.rules} interaction rules ({STRENGTH_TABLE}; SEVERITY.md §Evidence strength):",
        "  independent sources supporting a rule (distinct source families, derived rules not counted):",
        *(f"    {b:<14}{counts.by_independent_sources[b]:>9}" for b in SOURCE_BUCKETS),
        f"  supported by an official source:   {counts.official:>9}",
        f"  ungraded only (no level given):    {counts.ungraded_only:>9}",
        f"  derived only (class or mechanism): {counts.derived_only:>9}",
        f"  with a mechanism or management:    {counts.with_text:>9}",
        "  by strength class:",
        *(f"    {c:<14}{counts.by_class[c]:>9}" for c in STRENGTH_CLASSES),
    ]
    return "\n".join(lines) + "\n"


def strength_classes(folder: Path) -> dict[str, str]:
    """Rule id → strength class; empty for a build without the table."""
    strengths = read_strengths(folder)
    return {rid: s.label for rid, s in (strengths or {}).items()}
