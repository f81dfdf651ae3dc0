"""What every source module of the build receives: where the sources are, the name bridge, the manual fixes."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from rxsafe.knowledge.build.names import VocabularyIndex

CORRECTIONS_HEADER = ("source", "reference", "field", "original", "corrected", "reason")


@dataclass
class Corrections:
    """Manual fixes of source cells (knowledge/corrections.csv), each with its reason.

    A correction applies only when the cell still reads ``original``: if a source file changes under it, the
    build reports the correction as stale instead of silently overwriting new text.
    """

    fixes: dict[tuple[str, str, str], tuple[str, str]] = field(default_factory=dict)
    used: set[tuple[str, str, str]] = field(default_factory=set)
    stale: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> Corrections:
        """Read the corrections file; a missing file means no corrections."""
        fixes: dict[tuple[str, str, str], tuple[str, str]] = {}
        if path.exists():
            with path.open(encoding="utf-8", newline="") as handle:
                reader = csv.DictReader(handle)
                if tuple(reader.fieldnames or ()) != CORRECTIONS_HEADER:
                    raise ValueError(f"{path}: header must be {','.join(CORRECTIONS_HEADER)}")
                for row in reader:
                    key = (row["source"], row["reference"], row["field"])
                    if key in fixes:
                        raise ValueError(f"{path}: duplicate correction {key}")
                    fixes[key] = (row["original"], row["corrected"])
        return cls(fixes=fixes)

    def apply(self, source: str, reference: str, field_name: str, value: str) -> tuple[str, bool]:
        """The corrected cell and whether a correction was applied."""
        key = (source, reference, field_name)
        fix = self.fixes.get(key)
        if fix is None:
            return value, False
        original, corrected = fix
        if value != original:
            self.stale.append(f"{source} {reference} {field_name}: expected {original!r}, found {value!r}")
            return value, False
        self.used.add(key)
        return corrected, True

    def unused(self) -> list[tuple[str, str, str]]:
        """Corrections that matched no source cell (a typo in the file, or a source row that moved)."""
        return sorted(set(self.fixes) - self.used)


@dataclass
class BuildContext:
    """Inputs shared by the source modules of this package."""

    sources_dir: Path
    names: VocabularyIndex
    corrections: Corrections
