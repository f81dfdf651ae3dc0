"""Former US FDA pregnancy letters X and D → pregnancy.tsv (label text via DrugCentral) and pregnancy_gnuhealth.tsv.

Two sources, two files, because their licences differ: the FDA label facts (public domain, selected through
DrugCentral, CC BY-SA 4.0) and GNU Health's letters for the WHO Essential Medicines List (GPL-3.0-or-later, kept in
a separate, clearly labelled file as its PROVENANCE asks). Only X and D are kept: B, C and N do not mean "safe", and
the checks report a drug without a letter as "not covered".

Combination products carry the letter of their worst component, which the row does not name: they are left out.
Where the two sources disagree on an ingredient, both rows are kept and flagged ``needs_review``. Every change to
a source value goes through knowledge/corrections.csv with its reason (statins, questionable GNU Health letters).
"""

from __future__ import annotations

import csv
from collections import defaultdict

from rxsafe.knowledge.build.context import BuildContext
from rxsafe.knowledge.build.rows import PatientRules, PregnancyRow, SourceCite

REPROTOX = "reprotox-fda-pregnancy-dx"
GNUHEALTH = "gnuhealth-who-eml-pregnancy"
SOURCE_FDA = "FDA label text via DrugCentral (ReproToxTables 2022)"
SOURCE_GNU = "GNU Health WHO EML pregnancy categories 5.0.4 (GPL-3.0-or-later)"
CORRECTION_FDA = "reprotox"
CORRECTION_GNU = "gnuhealth"
_COMBINATION_MARKERS = (" and ", "+", ",", "/")


def contribute(ctx: BuildContext) -> PatientRules:
    """The X/D rows of both sources, mapped to INNs, corrected where corrections.csv says, disagreements flagged."""
    out = PatientRules()
    rows = [*_fda(ctx, out), *_gnuhealth(ctx, out)]
    letters: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        letters[row.inn].add(row.category)
    for row in rows:
        disagree = len(letters[row.inn]) > 1
        out.pregnancy.append(
            PregnancyRow(row.inn, row.category, row.needs_review or disagree, row.source) if disagree else row
        )
    return out


def _fda(ctx: BuildContext, out: PatientRules) -> list[PregnancyRow]:
    path = ctx.sources_dir / REPROTOX / "fda_pregnancy_category_X_and_D_products.tsv"
    rows: list[PregnancyRow] = []
    with path.open(encoding="utf-8") as handle:
        lines = handle.read().splitlines()[2:]  # two header lines
    for number, line in enumerate(lines, start=3):
        cells = [*line.split("\t"), "", ""][:2]
        for category, cell in zip(("X", "D"), cells, strict=True):
            written = cell.strip()
            if not written:
                continue
            reference = f"line {number} {category}: {written}"
            name, _ = ctx.corrections.apply(CORRECTION_FDA, written, "generic name", written)
            row = _row(ctx, out, SOURCE_FDA, CORRECTION_FDA, name, category, reference)
            if row is not None:
                rows.append(row)
    return rows


def _gnuhealth(ctx: BuildContext, out: PatientRules) -> list[PregnancyRow]:
    path = ctx.sources_dir / GNUHEALTH / "who_eml_pregnancy_categories.csv"
    rows: list[PregnancyRow] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(handle):
            category = record["fda_pregnancy_category"].strip()
            if category not in ("X", "D"):
                continue
            reference = f"{record['gnuhealth_id']} {record['active_component']}"
            row = _row(ctx, out, SOURCE_GNU, CORRECTION_GNU, record["active_component"], category, reference)
            if row is not None:
                rows.append(row)
    return rows


def _row(  # noqa: PLR0917 -- private, two call sites
    ctx: BuildContext, out: PatientRules, source: str, key: str, name: str, category: str, reference: str
) -> PregnancyRow | None:
    if any(marker in name.lower() for marker in _COMBINATION_MARKERS):
        out.skipped.append((source, f"{reference}: combination product (the letter's component is not named)"))
        return None
    inn = ctx.names.to_inn(name)
    if inn is None:
        out.skipped.append((source, f"{reference}: name not bridged to an INN"))
        return None
    corrected, _ = ctx.corrections.apply(key, inn, "category", category)
    review, _ = ctx.corrections.apply(key, inn, "needs_review", "0")
    level = f"FDA {category}" if corrected == category else f"FDA {category}, corrected to {corrected}"
    return PregnancyRow(inn, corrected, review == "1", SourceCite(source, reference, level))
