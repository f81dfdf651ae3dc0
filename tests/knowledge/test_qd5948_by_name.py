"""Every pair of Decision 5948 comes back contraindicated when written as the decision writes it, or by brand.

The decision's own Vietnamese names (read from the source workbook) go through the matching layer's
``NameResolver`` and the pair through ``KnowledgeBase.interactions``: this is the path a prescription takes, so
it tests the aliases, the name bridge and the rules together. A side the decision names as a group (reviewed in
``data/qd5948_class_sides.csv``) is represented by one of its members, as a prescriber would write it.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import pytest

from rxsafe.core.enums import ResolutionStatus, Severity
from rxsafe.knowledge.build.class_support import read_data_csv, split_list
from rxsafe.knowledge.build.context import BuildContext, Corrections
from rxsafe.knowledge.build.names import VocabularyIndex, fold, skeleton
from rxsafe.knowledge.build.qd5948 import CLASS_SIDES_FILE, SOURCE, Row5948, read_rows
from rxsafe.knowledge.loader import KnowledgeBase
from rxsafe.matching.resolver import NameResolver
from rxsafe.matching.vocabulary import load_vocabulary
from tests.knowledge.conftest import KNOWLEDGE, REPO, SOURCES

pytestmark = pytest.mark.skipif(not SOURCES.exists(), reason="knowledge sources not present")


@cache
def _rows() -> tuple[Row5948, ...]:
    # read_rows only needs the sources folder and the corrections; no vocabulary.
    ctx = BuildContext(SOURCES, VocabularyIndex({}), Corrections.load(REPO / "knowledge" / "corrections.csv"))
    return tuple(read_rows(ctx))


@cache
def _resolver() -> NameResolver:
    return NameResolver(load_vocabulary(KNOWLEDGE))


@cache
def _class_sides() -> dict[str, tuple[str, ...]]:
    return {fold(r["name"]): tuple(split_list(r["members"])) for r in read_data_csv(CLASS_SIDES_FILE)}


def _side_inns(name: str) -> tuple[str, ...] | None:
    """The ingredients a side's text resolves to (a group side: its first member), or None if it does not."""
    members = _class_sides().get(fold(name))
    if members:
        return members[:1]
    resolution = _resolver().resolve_text(name)
    if resolution.status is not ResolutionStatus.RESOLVED:
        return None
    return tuple(i.inn for i in resolution.ingredients)


def _contraindicated_by_5948(kb: KnowledgeBase, a: Iterable[str], b: Iterable[str], stt: int) -> bool:
    """Whether every ingredient pair across the two sides holds a contraindicated rule citing this row."""
    pairs = [(x, y) for x in a for y in b]
    return bool(pairs) and all(
        any(
            hit.rule.severity is Severity.CONTRAINDICATED
            and any(s.source == SOURCE and s.reference == f"row {stt}" for s in hit.rule.sources)
            for hit in kb.interactions(x, y)
        )
        for x, y in pairs
    )


def test_every_5948_pair_by_its_vietnamese_names(kb: KnowledgeBase) -> None:
    rows = _rows()
    assert len(rows) == 633
    failures = []
    for row in rows:
        a, b = _side_inns(row.drug_1), _side_inns(row.drug_2)
        if a is None or b is None or not _contraindicated_by_5948(kb, a, b, row.stt):
            failures.append(f"row {row.stt}: {row.drug_1} ({a}) + {row.drug_2} ({b})")
    assert not failures, f"{len(failures)} of {len(rows)} pairs fail:\n" + "\n".join(failures)


def _single_ingredient_brands() -> dict[str, str]:
    """INN → the brand of its first (by product id) Vietnamese single-ingredient product with a real brand.

    Many registered "brands" are the INN itself ("Ceftriaxone 1g"); those test the name path again, so a brand
    that contains the start of the INN's name is passed over.
    """
    brands: dict[str, str] = {}
    with (KNOWLEDGE / "products.tsv").open(encoding="utf-8") as handle:
        next(handle)
        for line in sorted(handle):
            product_id, brand, _reg, ingredients, *_ = line.rstrip("\n").split("\t")
            stem = skeleton(ingredients).replace(" ", "")[:5]
            if product_id.startswith("vn:") and " | " not in ingredients and stem not in skeleton(brand):
                brands.setdefault(ingredients, brand)
    return brands


def test_5948_pairs_by_brand_name(kb: KnowledgeBase) -> None:
    """Side 1 written as the brand of a Vietnamese product of it, side 2 as the decision writes it."""
    brands = _single_ingredient_brands()
    checked, failures = 0, []
    for row in _rows():
        a, b = _side_inns(row.drug_1), _side_inns(row.drug_2)
        if a is None or b is None or len(a) != 1 or a[0] not in brands:
            continue
        checked += 1
        brand = brands[a[0]]
        by_brand = _side_inns(brand)
        if by_brand is None or not _contraindicated_by_5948(kb, by_brand, b, row.stt):
            failures.append(f"row {row.stt}: brand {brand!r} of {a[0]} ({by_brand}) + {row.drug_2}")
    assert checked >= 200, f"only {checked} rows have a Vietnamese brand to test"
    assert not failures, f"{len(failures)} of {checked} brand pairs fail:\n" + "\n".join(failures)
