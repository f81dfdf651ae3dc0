"""How a knowledge build grades lists of high- and low-priority drug pairs (issue 14's alert-fatigue measure).

- **Recall at major or above** on high-priority pair lists: the ONC list (Phansalkar 2012, pairs in
  ``tests/data/ddi_priority_pairs.csv``), and two national lists read from their source files — Korea's DUR
  병용금기 and the VA's NDF-RT Critical pairs (ingredient × ingredient rows whose names map). Once those sources
  are in the build, their own recall is by construction; it measures the *older* builds against other countries'
  lists, and the ONC list stays the check no source of the build was tuned on.
- **Contraindicated share** on common low-priority pairs (``low`` rows): what must stay under 5 %.

``python -m scripts.ddi_priority_eval [--knowledge DIR]`` prints both.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rxsafe.core.enums import Severity
from rxsafe.knowledge.loader import KnowledgeBase

PAIRS_FILE = Path(__file__).resolve().parents[3] / "tests" / "data" / "ddi_priority_pairs.csv"


@dataclass(frozen=True)
class SetResult:
    """How one pair list came out."""

    name: str
    pairs: int
    at_least_major: int
    contraindicated: int
    misses: tuple[tuple[str, str, str], ...]  # (a, b, the grade found or "none")

    @property
    def recall(self) -> float:
        """Share of pairs at major or above."""
        return self.at_least_major / self.pairs if self.pairs else 0.0

    @property
    def contraindicated_share(self) -> float:
        """Share of pairs graded contraindicated."""
        return self.contraindicated / self.pairs if self.pairs else 0.0


def read_pairs(path: Path = PAIRS_FILE) -> dict[str, list[tuple[str, str]]]:
    """Set name → its (a, b) pairs, from the measurement file."""
    sets: dict[str, list[tuple[str, str]]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            sets.setdefault(row["set"], []).append((row["drug_a"], row["drug_b"]))
    return sets


def grade(kb: KnowledgeBase, a: str, b: str) -> Severity | None:
    """The highest severity any rule gives the pair, or None."""
    hits = kb.interactions(a, b)
    return max((h.rule.severity for h in hits), default=None)


def measure(kb: KnowledgeBase, name: str, pairs: Iterable[tuple[str, str]]) -> SetResult:
    """Grade every pair of one list."""
    listed = sorted(set(pairs))
    major = contra = 0
    misses: list[tuple[str, str, str]] = []
    for a, b in listed:
        found = grade(kb, a, b)
        if found is not None and found >= Severity.MAJOR:
            major += 1
        else:
            misses.append((a, b, found.name.lower() if found is not None else "none"))
        if found is Severity.CONTRAINDICATED:
            contra += 1
    return SetResult(name, len(listed), major, contra, tuple(misses))


def source_pairs(sources_dir: Path) -> dict[str, list[tuple[str, str]]]:
    """The national lists read from the source files (names through the build's vocabulary)."""
    # Imported here: the build's vocabulary is needed only for this measurement, never at service start-up.
    from rxsafe.knowledge.build import kr_dur, va_ndfrt  # noqa: PLC0415
    from rxsafe.knowledge.build.__main__ import DEFAULT_CORRECTIONS, build_context  # noqa: PLC0415

    ctx = build_context(sources_dir, DEFAULT_CORRECTIONS)
    dur = kr_dur.contribute(sources_dir, ctx.names).rules
    va = va_ndfrt.contribute(sources_dir, ctx.names).rules
    return {
        "kr_dur_contraindicated": [(r.a, r.b) for r in dur if r.a_kind == r.b_kind == "ingredient"],
        "va_critical": [
            (r.a, r.b) for r in va if r.a_kind == r.b_kind == "ingredient" and r.sources[0].level == "Critical"
        ],
    }
