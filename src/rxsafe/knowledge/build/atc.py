"""WHO ATC/DDD: the ATC classes at every level, each substance's memberships, and the combination products."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rxsafe.knowledge.build.names import SOURCE_ATC, AtcSubstance, split_strength
from rxsafe.knowledge.build.rows import AliasRow, ClassRow, Contribution, IngredientRow, MemberRow, ProductRow

if TYPE_CHECKING:
    from rxsafe.knowledge.build.context import BuildContext

FOLDER = "who-atc-ddd"
CODES_FILE = "WHO_ATC-DDD_2026-04-25.csv"
COMBINATIONS_FILE = "WHO_ATC-DDD-combinations_2026-04-25.csv"

# Level-5 names that describe a mixture or a catch-all, not one substance ("combinations",
# "enalapril and diuretics", "prednisolone, combinations"): they are not ingredients.
_NOT_A_SUBSTANCE = re.compile(r",| and |combination|\bvarious\b|\bothers?\b|\bexcl\.|\bincl\.")


@dataclass(frozen=True)
class AtcCode:
    """One ATC code (any level) and its English name."""

    code: str
    name: str


def read_codes(sources_dir: Path) -> list[AtcCode]:
    """Every distinct ATC code with its name (a level-5 code has one row per DDD route; the name is the same)."""
    seen: dict[str, str] = {}
    with (sources_dir / FOLDER / CODES_FILE).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            seen.setdefault(row["atc_code"].strip(), row["atc_name"].strip())
    return [AtcCode(code, name) for code, name in sorted(seen.items())]


def substances(codes: list[AtcCode]) -> list[AtcSubstance]:
    """The level-5 codes that name a single substance."""
    return [
        AtcSubstance(c.code, c.name) for c in codes if len(c.code) == 7 and not _NOT_A_SUBSTANCE.search(c.name.lower())
    ]


def ancestors(code: str) -> list[str]:
    """The groups above a level-5 code: ``J01CA04`` → ``J``, ``J01``, ``J01C``, ``J01CA``."""
    return [code[:n] for n in (1, 3, 4, 5) if n < len(code)]


def contribute(ctx: BuildContext) -> Contribution:
    """Classes ``atc:<code>`` (levels 1 to 4), memberships, ingredient ATC codes, combination products."""
    codes = read_codes(ctx.sources_dir)
    out = Contribution()
    for c in codes:
        if len(c.code) < 7:
            out.classes.append(ClassRow(f"atc:{c.code}", "atc", c.name, "", SOURCE_ATC))
    for concept in ctx.names.concepts.values():
        if not concept.atc_codes:
            continue
        out.ingredients.append(
            IngredientRow(concept.inn, atc_codes=tuple(sorted(concept.atc_codes)), sources=(SOURCE_ATC,))
        )
        out.aliases.append(AliasRow(concept.inn, concept.inn, "inn", SOURCE_ATC))
        for name in concept.atc_names:
            if name != concept.inn:
                out.aliases.append(AliasRow(name, concept.inn, "inn", SOURCE_ATC))
        for code in concept.atc_codes:
            for group in ancestors(code):
                out.members.append(MemberRow(f"atc:{group}", concept.inn, SOURCE_ATC, "atc"))
    _combinations(ctx, out)
    return out


def _combinations(ctx: BuildContext, out: Contribution) -> None:
    """WHO ATC combination products (brand → ingredients); only products whose every ingredient maps."""
    path = ctx.sources_dir / FOLDER / COMBINATIONS_FILE
    occurrences: dict[tuple[str, str], int] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            code, brand = row["atc_code"].strip(), row["brand_name"].strip()
            # A brand has one row per strength: the n-th row of (code, brand) in the file is product n.
            occurrence = occurrences[(code, brand)] = occurrences.get((code, brand), 0) + 1
            parts = [p.strip() for p in row["ingredients"].split("/") if p.strip()]
            inns: list[str] = []
            strengths: list[str] = []
            complete = True
            for part in parts:
                name, strength = split_strength(part)
                inn = ctx.names.to_inn(name)
                if inn is None:
                    out.unmapped.append((SOURCE_ATC + " combinations", name))
                    complete = False
                    continue
                inns.append(inn)
                strengths.append(strength)
            if not complete or not inns:
                continue
            out.products.append(
                ProductRow(
                    product_id=f"atc:{code}:{brand}:{occurrence}",
                    brand=brand,
                    registration_number="",
                    ingredients=tuple(inns),
                    strengths=tuple(strengths),
                    dosage_form=row["dosage_form"].strip(),
                    source=f"{SOURCE_ATC} combinations;{code}",
                )
            )
