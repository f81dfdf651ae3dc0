"""Plain reads of the compiled tables (knowledge/SCHEMA.md) for the review tools (stats, diff).

The service loads the tables through :mod:`rxsafe.knowledge.loader`, which keeps only what requests need; the
review tools need every row as written (including rules with an ``unmapped`` side), so they read the TSVs here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

LIST_SEPARATOR = " | "
SEVERITIES = ("contraindicated", "major", "moderate", "minor")  # highest first, as the reports print them


class TableError(Exception):
    """A table is missing or does not have the columns the schema names."""


def read_tsv(path: Path) -> Iterator[dict[str, str]]:
    """The rows of one table as dicts keyed by the header (the tables have no quoting, so a split is exact)."""
    try:
        with path.open(encoding="utf-8") as handle:
            header = handle.readline().rstrip("\n").split("\t")
            for number, line in enumerate(handle, start=2):
                cells = line.rstrip("\n").split("\t")
                if len(cells) != len(header):
                    raise TableError(f"{path.name}:{number}: {len(cells)} cells, expected {len(header)}")
                yield dict(zip(header, cells, strict=True))
    except OSError as error:
        raise TableError(f"cannot read {path}: {error}") from error


def split_list(cell: str) -> tuple[str, ...]:
    """A `` | ``-separated cell as a tuple (empty cell: empty tuple)."""
    return tuple(cell.split(LIST_SEPARATOR)) if cell else ()


@dataclass(frozen=True)
class Rule:
    """One row of interactions.tsv, with the parts the review tools compare."""

    rule_id: str
    a_kind: str
    a: str
    b_kind: str
    b: str
    severity: str
    sources: tuple[str, ...]  # source names only (the first part of each ``source;reference;level`` cite)
    has_vi_text: bool
    needs_review: bool

    @property
    def key(self) -> tuple[str, str, str, str]:
        """The concept pair the rule is about: what identifies "the same rule" across two builds."""
        return (self.a_kind, self.a, self.b_kind, self.b)

    @property
    def is_pair(self) -> bool:
        """Whether both sides are single ingredients (a direct pair rule)."""
        return self.a_kind == "ingredient" and self.b_kind == "ingredient"


def read_rules(folder: Path) -> list[Rule]:
    """Every rule of ``folder/interactions.tsv``."""
    rules: list[Rule] = []
    for row in read_tsv(folder / "interactions.tsv"):
        cites = split_list(row["sources"])
        rules.append(
            Rule(
                rule_id=row["rule_id"],
                a_kind=row["a_kind"],
                a=row["a"],
                b_kind=row["b_kind"],
                b=row["b"],
                severity=row["severity"],
                sources=tuple(dict.fromkeys(c.split(";", 1)[0] for c in cites)),
                has_vi_text=any(row[f] for f in ("mechanism_vi", "consequence_vi", "management_vi")),
                needs_review=row["needs_review"] == "1",
            )
        )
    return rules


def read_ingredients(folder: Path) -> dict[str, str]:
    """INN → Vietnamese name ("" when none) from ``folder/ingredients.tsv``."""
    return {row["inn"]: row["vi_name"] for row in read_tsv(folder / "ingredients.tsv")}


def read_members(folder: Path) -> dict[str, set[str]]:
    """Class id → member INNs from ``folder/class_members.tsv``."""
    members: dict[str, set[str]] = {}
    for row in read_tsv(folder / "class_members.tsv"):
        members.setdefault(row["class_id"], set()).add(row["inn"])
    return members
