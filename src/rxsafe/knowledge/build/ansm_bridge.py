"""French substance names of the ANSM thesaurus → English INN (lowercase).

Routes, tried in this order; the first that gives an INN wins:

1. ``reviewed_exception`` — ``data/ansm_name_exceptions.csv``, each row checked by hand, with its reason.
2. ``name_index`` — the build's name index (DrugBank synonyms carry many French spellings: "Clarithromycine").
3. ``rxnorm_worldvista`` — the thesaurus repository's RxNorm mapping gives an RxCUI; the 2016 WorldVistA
   English translation names the drug with that RxCUI in English; the index bridges that English name. Used
   only when every English name of the RxCUI gives the same INN.
4. ``normalised`` — deterministic spelling rules (accents, ``-e`` endings, "acide X-ique" → "X-ic acid",
   "X (citrate de)" → "X citrate", salt words dropped); a candidate counts only if the index knows it exactly.

The direct index lookup goes before the RxCUI route because it matches the French spelling itself, whereas the
RxCUI route goes through two third-party mappings (one case was seen where they disagree: "menthol racemique").
The Wikidata mapping file of the same repository is not used: the build has no offline Q-id → name table.
There is no fuzzy matching here; fuzzy candidates were only used offline to draft the exceptions file.
"""

from __future__ import annotations

import csv
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from rxsafe.knowledge.build.class_support import fold, read_data_csv
from rxsafe.knowledge.build.rows import NameIndex

ANSM_DIR = Path("ansm-thesaurus-fr")
EXCEPTIONS_FILE = "ansm_name_exceptions.csv"

# Salt and form words that follow the substance in ANSM's French names and do not change the active moiety.
_SALT_SUFFIX = re.compile(r" (sodique|calcique|potassique|trometamol|tert-butylamine|recombinante)$")
# "sodium (citrate de)" → "citrate de sodium"
_INVERTED = re.compile(r"^([\w-]+) \(([\w-]+) (de|d')\)$")
# "citrate de sodium" / "phosphate d'aluminium" → "sodium citrate" / "aluminium phosphate"
_OF = re.compile(r"^([\w-]+) (?:de |d')([\w-]+)$")
_ACID = re.compile(r"^acide ([\w-]+)ique$")


@dataclass(frozen=True)
class Bridged:
    """A French name bridged to an INN, and the route that did it."""

    inn: str
    via: str


def _candidates(name: str) -> list[str]:
    """Spelling variants of a French name, most literal first."""
    base = fold(name)
    stems = [base]
    stripped = _SALT_SUFFIX.sub("", base)
    if stripped != base:
        stems.append(stripped)
    inverted = _INVERTED.match(base)
    if inverted:
        joiner = " de " if inverted.group(3) == "de" else " d'"
        stems.append(f"{inverted.group(2)}{joiner}{inverted.group(1)}")
    variants: list[str] = []
    for stem in stems:
        variants.append(stem)
        of = _OF.match(stem)
        if of:
            variants.append(f"{of.group(2)} {of.group(1)}")
        acid = _ACID.match(stem)
        if acid:
            variants.append(f"{acid.group(1)}ic acid")
        if stem.startswith("insuline "):
            variants.append("insulin " + stem.removeprefix("insuline "))
    endings: list[str] = []
    for variant in variants:
        # French INNs add -e where English has none (clarithromycine, simvastatine, triméthoprime).
        if variant.endswith("e"):
            endings.append(variant[:-1])
        if variant.endswith("ique"):
            endings.append(variant[: -len("ique")] + "ic")
    seen: dict[str, None] = {}
    for candidate in variants + endings:
        seen.setdefault(candidate, None)
    return list(seen)


class FrenchBridge:
    """Bridges ANSM French substance names to INNs; remembers what it could not bridge."""

    def __init__(self, sources_dir: Path, names: NameIndex) -> None:
        self._names = names
        self._exceptions: dict[str, str] = {}
        self._bad_exceptions: list[str] = []
        for row in read_data_csv(EXCEPTIONS_FILE):
            target = self._resolve_target(row["inn"])
            if target is None:
                self._bad_exceptions.append(row["french_name"])
            else:
                self._exceptions[fold(row["french_name"])] = target
        self._rxcui = self._read_rxcui(sources_dir / ANSM_DIR)
        self._english = self._read_english_names(sources_dir / ANSM_DIR)

    def _resolve_target(self, inn: str) -> str | None:
        # The exceptions file names the INN; the index may spell the concept differently (its own INN wins).
        if self._names.knows(inn):
            return inn
        return self._names.to_inn(inn)

    @staticmethod
    def _read_rxcui(folder: Path) -> dict[str, str]:
        with (folder / "ansm_substance_rxnorm_mappings.tsv").open(encoding="utf-8", newline="") as handle:
            rows = csv.DictReader(handle, delimiter="\t")
            return {
                fold(row["substance"]): row["RxNorm"].strip() for row in rows if row["RxNorm"].strip() not in ("", "NA")
            }

    @staticmethod
    def _read_english_names(folder: Path) -> dict[str, set[str]]:
        """RxCUI → the English drug names the 2016 translation gives it (members file and interactions file)."""
        english: dict[str, set[str]] = defaultdict(set)
        members = folder / "worldvista_ansm2016_english_class_members.tsv"
        with members.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if row["RxNorm"].strip() and row["Drug Name"].strip():
                    english[row["RxNorm"].strip()].add(row["Drug Name"].strip())
        pairs = folder / "worldvista_ansm2016_english_interactions.tsv"
        with pairs.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                for side in ("1", "2"):
                    cui, name = row[f"Drug {side} RxCUI"].strip(), row[f"Drug {side} Name"].strip()
                    if cui and name:
                        english[cui].add(name)
        return english

    @property
    def unresolved_exceptions(self) -> list[str]:
        """Exception rows whose INN the name index does not know (reported, not used)."""
        return sorted(self._bad_exceptions)

    def bridge(self, french: str) -> Bridged | None:
        """The INN a French substance name means, or None."""
        key = fold(french)
        if key in self._exceptions:
            return Bridged(self._exceptions[key], "reviewed_exception")
        direct = self._names.to_inn(french) or self._names.to_inn(key)
        if direct:
            return Bridged(direct, "name_index")
        cui = self._rxcui.get(key)
        if cui:
            inns = {inn for name in sorted(self._english.get(cui, ())) if (inn := self._names.to_inn(name))}
            if len(inns) == 1:
                return Bridged(inns.pop(), "rxnorm_worldvista")
        for candidate in _candidates(french):
            inn = self._names.to_inn(candidate)
            if inn:
                return Bridged(inn, "normalised")
        return None
