"""Decision 5948/QĐ-BYT: the national list of 633 contraindicated pairs, Vietnamese texts kept as written.

Every pair becomes a ``contraindicated`` rule. A side that names a fixed combination ("Lopinavir/ritonavir")
becomes a ``combination`` side listing its ingredients; a side that names a group of substances ("Ringer
Lactat" for its calcium, "Peginterferon-alpha") becomes a ``class`` side defined in the reviewed
``data/qd5948_class_sides.csv`` (members and reason; a side name that names each member, "Peginterferon-alpha",
is also an alias of each, so that a line written as the decision writes it is AMBIGUOUS with its candidates); a
side that cannot be mapped keeps the Vietnamese name as an ``unmapped`` side, so no pair is ever dropped. Cells
cut at a PDF page break (unbalanced parentheses) and corrected cells set ``needs_review``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import openpyxl

from rxsafe.knowledge.build.class_support import read_data_csv, split_list
from rxsafe.knowledge.build.names import fold, skeleton
from rxsafe.knowledge.build.rows import (
    AliasRow,
    ClassRow,
    Contribution,
    IngredientRow,
    MemberRow,
    RuleRow,
    SourceCite,
)

if TYPE_CHECKING:
    from rxsafe.knowledge.build.context import BuildContext

SOURCE = "QĐ 5948/QĐ-BYT"
CORRECTIONS_SOURCE = "qd5948"
FOLDER = "qd5948-byt-contraindicated-ddi"
FILE = "FileTTThuoc.xlsx"
LEVEL = "Chống chỉ định"
CLASS_SIDES_FILE = "qd5948_class_sides.csv"
FIELDS = ("HOAT_CHAT_1", "HOAT_CHAT_2", "CO_CHE", "HAU_QUA", "XU_TRI")


@dataclass(frozen=True)
class Row5948:
    """One row of the decision's table, cleaned and corrected."""

    stt: int
    drug_1: str
    drug_2: str
    mechanism: str
    consequence: str
    management: str
    truncated: bool
    corrected: bool


def clean(text: object) -> str:
    """PDF layout whitespace (line breaks, runs of spaces) to single spaces."""
    return " ".join(str(text or "").split())


def _balanced(text: str) -> bool:
    return text.count("(") == text.count(")")


def read_rows(ctx: BuildContext) -> list[Row5948]:
    """The 633 rows, whitespace normalised and documented corrections applied."""
    workbook = openpyxl.load_workbook(ctx.sources_dir / FOLDER / FILE, read_only=True)
    sheet = workbook.worksheets[0]
    rows: list[Row5948] = []
    for index, values in enumerate(sheet.iter_rows(values_only=True)):
        if index == 0:
            continue
        stt = int(str(values[0]))
        cells: list[str] = []
        corrected = False
        for name, value in zip(FIELDS, values[1:6], strict=True):
            text, fixed = ctx.corrections.apply(CORRECTIONS_SOURCE, f"row {stt}", name, clean(value))
            cells.append(text)
            corrected = corrected or fixed
        drug_1, drug_2, mechanism, consequence, management = cells
        truncated = not all(_balanced(t) for t in (mechanism, consequence, management))
        rows.append(Row5948(stt, drug_1, drug_2, mechanism, consequence, management, truncated, corrected))
    workbook.close()
    return rows


@dataclass
class _Mapping:
    counted_unmapped: set[str]
    out: Contribution
    vi_names: dict[str, set[str]]
    class_sides: dict[str, str]  # folded side name → class id


def _class_sides(ctx: BuildContext, out: Contribution) -> dict[str, str]:
    """The reviewed class sides: their classes and members into ``out``; folded name → class id."""
    sides: dict[str, str] = {}
    for row in read_data_csv(CLASS_SIDES_FILE):
        class_id = row["class_id"]
        sides[fold(row["name"])] = class_id
        out.classes.append(ClassRow(class_id, "qd5948", row["name_en"], class_id.removeprefix("qd5948:"), SOURCE))
        for inn in split_list(row["members"]):
            if not ctx.names.knows(inn):
                raise ValueError(f"{CLASS_SIDES_FILE}: member {inn!r} of {class_id!r} is not an ingredient")
            out.members.append(MemberRow(class_id, inn, f"{SOURCE}; rxsafe reviewed", CLASS_SIDES_FILE))
            if row["names_each_member"] == "yes":
                # "Peginterferon-alpha" is a name of each member: a line written so is AMBIGUOUS between them
                # (with the candidates), not unknown. "Ringer Lactat" contains its member, it is not its name.
                out.aliases.append(AliasRow(row["name"], inn, "reviewed_exception", f"{SOURCE}; rxsafe reviewed"))
    return sides


def _side(name: str, ctx: BuildContext, m: _Mapping) -> tuple[str, str]:
    """(kind, concept) of one side: ``ingredient``, ``combination`` (``a + b``), ``class``, or ``unmapped``."""
    class_id = m.class_sides.get(fold(name))
    if class_id is not None:
        return "class", class_id
    parts = [p.strip() for p in name.split("/") if p.strip()]
    inns: list[str] = []
    for part in parts:
        inn = ctx.names.to_inn(part)
        if inn is None:
            if part not in m.counted_unmapped:
                m.counted_unmapped.add(part)
                m.out.unmapped.append((SOURCE, part))
            return "unmapped", name
        inns.append(inn)
        m.out.aliases.append(AliasRow(part, inn, "vi_spelling", SOURCE))
        # The ingredient's Vietnamese name is the 5948 spelling when it is a spelling of the INN itself
        # (not a salt form like "Estradiol valerat" standing for estradiol).
        if skeleton(part).replace(" ", "") == skeleton(inn).replace(" ", "") or ctx.names.exception_for(part):
            m.vi_names.setdefault(inn, set()).add(part)
    unique = sorted(set(inns))
    if len(unique) == 1:
        # "Ioxaglic natri/ioxaglic meglumin": two salts of one ingredient.
        return "ingredient", unique[0]
    return "combination", " + ".join(unique)


def contribute(ctx: BuildContext) -> Contribution:
    """One contraindicated rule per row of the decision."""
    out = Contribution()
    m = _Mapping(counted_unmapped=set(), out=out, vi_names={}, class_sides=_class_sides(ctx, out))
    for row in read_rows(ctx):
        a_kind, a = _side(row.drug_1, ctx, m)
        b_kind, b = _side(row.drug_2, ctx, m)
        m.out.rules.append(
            RuleRow(
                rule_id="",
                a_kind=a_kind,
                a=a,
                b_kind=b_kind,
                b=b,
                severity="contraindicated",
                mechanism_vi=row.mechanism,
                consequence_vi=row.consequence,
                management_vi=row.management,
                sources=(SourceCite(SOURCE, f"row {row.stt}", LEVEL),),
                needs_review=row.truncated or row.corrected,
            )
        )
    for inn, names in m.vi_names.items():
        # Several spellings of one ingredient (rare): the shortest, then alphabetical, is the display name.
        vi_name = sorted(names, key=lambda n: (len(n), n))[0]
        m.out.ingredients.append(IngredientRow(inn, vi_name=vi_name, sources=(SOURCE,)))
    return m.out


def mapping_report(rules: list[RuleRow]) -> tuple[int, int]:
    """(rows whose both sides map to ingredients, combinations or reviewed classes, all rows) of this source."""
    full = sum(1 for r in rules if r.a_kind != "unmapped" and r.b_kind != "unmapped")
    return full, len(rules)
