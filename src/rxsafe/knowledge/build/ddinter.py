"""DDInter (8 of the 14 ATC files): graded pairs, English names bridged to INN keys.

Levels: Major→major, Moderate→moderate, Minor→minor, Unknown→moderate (SEVERITY.md says why). A pair listed in
several files (once per ATC group of its drugs) is one pair; its DDInter ids make the reference.
"""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING

from rxsafe.knowledge.build.rows import Contribution, RuleRow, SourceCite

if TYPE_CHECKING:
    from rxsafe.knowledge.build.context import BuildContext

SOURCE = "DDInter"
FOLDER = "ddinter"
GROUPS = "ABDHLPRV"
LEVELS = {"Major": "major", "Moderate": "moderate", "Minor": "minor", "Unknown": "moderate"}


def contribute(ctx: BuildContext) -> Contribution:
    """One rule per distinct DDInter pair; a name that does not map keeps its English name as ``unmapped``."""
    out = Contribution()
    pairs: dict[tuple[str, str], tuple[str, str, str]] = {}
    for group in GROUPS:
        path = ctx.sources_dir / FOLDER / f"ddinter_downloads_code_{group}.csv"
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                id_a, id_b = row["DDInterID_A"], row["DDInterID_B"]
                name_a, name_b = row["Drug_A"].strip(), row["Drug_B"].strip()
                if id_b < id_a:
                    id_a, id_b, name_a, name_b = id_b, id_a, name_b, name_a
                level = row["Level"].strip()
                previous = pairs.setdefault((id_a, id_b), (name_a, name_b, level))
                if previous[2] != level:
                    raise ValueError(f"DDInter {id_a}/{id_b}: two levels {previous[2]} and {level}")
    unmapped: set[str] = set()
    for (id_a, id_b), (name_a, name_b, level) in sorted(pairs.items()):
        sides: list[tuple[str, str]] = []
        for name in (name_a, name_b):
            inn = ctx.names.to_inn(name)
            if inn is None:
                if name not in unmapped:
                    unmapped.add(name)
                    out.unmapped.append((SOURCE, name))
                sides.append(("unmapped", name))
            else:
                sides.append(("ingredient", inn))
        reference = f"{id_a}/{id_b} {name_a} + {name_b}"
        out.rules.append(
            RuleRow(
                rule_id="",
                a_kind=sides[0][0],
                a=sides[0][1],
                b_kind=sides[1][0],
                b=sides[1][1],
                severity=LEVELS[level],
                sources=(SourceCite(SOURCE, reference, level),),
            )
        )
    return out
