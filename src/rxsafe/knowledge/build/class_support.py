"""Helpers shared by the class-rule sources (ANSM, FDA, OSCAR, CredibleMeds).

WHO ATC membership is read here, from the source file, so that the ANSM class map and OSCAR can expand a group
code to its substances without depending on the order in which the build runs the source modules.
"""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from rxsafe.knowledge.build.rows import NameIndex

DATA_DIR = Path(__file__).parent / "data"
ATC_FILE = Path("who-atc-ddd") / "WHO_ATC-DDD_2026-04-25.csv"
# A level-5 (chemical substance) ATC code has 7 characters: N06AF03.
SUBSTANCE_CODE_LENGTH = 7


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a name, whitespace collapsed, typographic apostrophes made plain."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().replace("’", "'"))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", plain).strip()


def one_line(text: str) -> str:
    """Collapse line breaks and runs of spaces that PDF extraction leaves inside a sentence."""
    return re.sub(r"\s+", " ", text).strip()


def stable_id(prefix: str, *parts: str) -> str:
    """A rule id derived from the rule's content, so it survives a rebuild whatever the input order."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:10]
    return f"{prefix}:{digest}"


def read_data_csv(name: str) -> list[dict[str, str]]:
    """Rows of one of the reviewed data files shipped next to the build modules."""
    rows: list[dict[str, str]] = []
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            # A stray comma in a reviewed file shifts columns; refuse it rather than read a wrong mapping.
            if None in row or any(value is None for value in row.values()):
                raise ValueError(f"{name}: malformed row {row}")
            rows.append({key: value.strip() for key, value in row.items()})
    return rows


def split_list(cell: str) -> list[str]:
    """A ` | `-separated cell as a list (empty cell: empty list)."""
    return [part.strip() for part in cell.split("|") if part.strip()]


@dataclass(frozen=True)
class AtcTable:
    """WHO ATC code → name, with the substance codes (level 5) resolved to INNs through the name index."""

    names: dict[str, str]
    substance_inn: dict[str, str]

    def members(self, group: str, exclude: Iterable[str] = ()) -> list[str]:
        """INNs of the level-5 substances under an ATC group code, sorted; combinations are left out."""
        skip = set(exclude)
        found = {inn for code, inn in self.substance_inn.items() if code.startswith(group) and inn not in skip}
        return sorted(found)


def _is_single_substance(name: str) -> bool:
    # "x, combinations" and "x and y" rows name combination products, not an ingredient class member.
    lowered = name.casefold()
    return "combination" not in lowered and " and " not in lowered


def read_atc(sources_dir: Path, names: NameIndex) -> AtcTable:
    """Read the WHO ATC/DDD snapshot; a level-5 code whose name the index cannot bridge is left unresolved."""
    code_names: dict[str, str] = {}
    with (sources_dir / ATC_FILE).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            # A code has one row per DDD route; the name is the same on each.
            code_names.setdefault(row["atc_code"].strip(), row["atc_name"].strip())
    substance_inn: dict[str, str] = {}
    for code, name in code_names.items():
        if len(code) == SUBSTANCE_CODE_LENGTH and _is_single_substance(name):
            inn = names.to_inn(name)
            if inn:
                substance_inn[code] = inn
    return AtcTable(names=code_names, substance_inn=substance_inn)
