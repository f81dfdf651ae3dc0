"""DrugBank open vocabulary (CC0): DrugBank ids, US names and synonyms of the ingredients."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

from rxsafe.knowledge.build.names import SOURCE_DRUGBANK, DrugBankEntry, fold
from rxsafe.knowledge.build.rows import AliasRow, Contribution, IngredientRow

if TYPE_CHECKING:
    from rxsafe.knowledge.build.context import BuildContext

FOLDER = "drugbank-open-vocabulary"
FILE = "drugbank_vocabulary.csv"

# Systematic chemical names and sequence labels run long and never appear on a prescription; they would
# only add noise and memory to the alias table.
_MAX_SYNONYM_LENGTH = 60


def read_entries(sources_dir: Path) -> list[DrugBankEntry]:
    """Every DrugBank entry with its usable synonyms."""
    entries: list[DrugBankEntry] = []
    with (sources_dir / FOLDER / FILE).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            synonyms = tuple(
                s.strip() for s in row["Synonyms"].split(" | ") if s.strip() and len(s.strip()) <= _MAX_SYNONYM_LENGTH
            )
            entries.append(DrugBankEntry(row["DrugBank ID"].strip(), row["Common name"].strip(), synonyms))
    return entries


def contribute(ctx: BuildContext) -> Contribution:
    """Ingredient rows with their DrugBank id; the common name (``us_name`` when it differs) and synonyms."""
    out = Contribution()
    for concept in ctx.names.concepts.values():
        entries = concept.drugbank_entries()
        if not entries:
            continue
        drugbank_id = concept.drugbank.drugbank_id if concept.drugbank else ""
        out.ingredients.append(IngredientRow(concept.inn, drugbank_id=drugbank_id, sources=(SOURCE_DRUGBANK,)))
        known = {fold(concept.inn), *(fold(n) for n in concept.atc_names)}
        for entry in entries:
            if fold(entry.common_name) in known:
                out.aliases.append(AliasRow(entry.common_name, concept.inn, "inn", SOURCE_DRUGBANK))
            else:
                # DrugBank's preferred names lean US (acetaminophen, rifampin) where the key is the INN.
                out.aliases.append(AliasRow(entry.common_name, concept.inn, "us_name", SOURCE_DRUGBANK))
            known.add(fold(entry.common_name))
        for entry in entries:
            for synonym in entry.synonyms:
                if fold(synonym) not in known:
                    known.add(fold(synonym))
                    out.aliases.append(AliasRow(synonym, concept.inn, "drugbank_synonym", SOURCE_DRUGBANK))
    return out
