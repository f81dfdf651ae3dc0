"""Allergy groups (``allergy:penicillins`` …) defined as ATC groups, and the allergy words that name them.

Both are reviewed data files under ``data/``: ``allergy_groups.csv`` (which ATC groups make each allergy group)
and ``allergen_terms.csv`` (Vietnamese and English words for drug classes and non-drug allergens). Words that
only mean "unknown" (không rõ, chưa rõ) are refused: an unknown allergy must stay unresolved, never a concept.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING

from rxsafe.knowledge.build.names import SOURCE_ATC, fold
from rxsafe.knowledge.build.rows import AllergenTermRow, ClassRow, Contribution, MemberRow

if TYPE_CHECKING:
    from rxsafe.knowledge.build.context import BuildContext

DATA = Path(__file__).parent / "data"
GROUP_SOURCE = f"{SOURCE_ATC}; group definition: rxsafe"
TERM_SOURCE = "rxsafe reviewed allergen terms"
CONCEPT_KINDS = ("drug_class", "non_drug", "ingredient")
UNKNOWN_WORDS = frozenset({"khong ro", "chua ro", "unknown", "khong", "khong biet", "chua biet", "n a", "na"})


def contribute(ctx: BuildContext) -> Contribution:
    """Group classes, their members (every ingredient with an ATC code under a listed group), the terms."""
    out = Contribution()
    groups: set[str] = set()
    with (DATA / "allergy_groups.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            class_id, atc_groups = row["class_id"], row["atc_groups"].split()
            groups.add(class_id)
            out.classes.append(ClassRow(class_id, "allergy", row["name_en"], row["name_vi"], GROUP_SOURCE))
            for concept in ctx.names.concepts.values():
                for code in concept.atc_codes:
                    group = next((g for g in atc_groups if code.startswith(g)), None)
                    if group is not None:
                        out.members.append(MemberRow(class_id, concept.inn, GROUP_SOURCE, f"atc {group}"))
                        break
    with (DATA / "allergen_terms.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            term, kind, target = row["term"].strip().lower(), row["concept_kind"], row["concept"]
            if fold(term) in UNKNOWN_WORDS:
                raise ValueError(f"allergen term {term!r} means 'unknown'; it must not be a concept")
            if kind not in CONCEPT_KINDS:
                raise ValueError(f"allergen term {term!r}: concept_kind {kind!r}")
            if kind == "drug_class" and target not in groups:
                raise ValueError(f"allergen term {term!r}: no allergy group {target!r}")
            if kind == "ingredient" and not ctx.names.knows(target):
                raise ValueError(f"allergen term {term!r}: no ingredient {target!r}")
            out.allergen_terms.append(AllergenTermRow(term, kind, target, TERM_SOURCE))
    return out
