"""The judged figures on the committed labelled set (tests/matching/labelled, from scripts/make_matching_labelled.py).

Held-out products are removed from the vocabulary before resolving, so they stand for real products the
table does not list. The thresholds are the ones reached, not the targets where a target is not met:
see the comments.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from rxsafe.matching.evaluate import (
    BRAND_ALONE_KINDS,
    EvalReport,
    Outcome,
    evaluate,
    evaluate_command,
    read_cases,
)

from .conftest import REAL_KNOWLEDGE

LABELLED = Path(__file__).parent / "labelled" / "vn_products_cases.tsv"


@pytest.fixture(scope="module")
def report() -> EvalReport:
    if not (REAL_KNOWLEDGE / "products.tsv").exists():
        pytest.skip("knowledge tables not built (make knowledge)")
    return evaluate(REAL_KNOWLEDGE, read_cases(LABELLED))


def test_labelled_set_is_small_and_has_every_kind() -> None:
    assert LABELLED.stat().st_size < 2_000_000
    cases = read_cases(LABELLED)
    kinds = {(c.split, c.kind) for c in cases}
    assert ("held_out", "inn_brand") in kinds and ("held_out", "brand") in kinds
    assert all(c.expected for c in cases)


def test_held_out_inn_with_brand_resolves(report: EvalReport) -> None:
    # Target >= 98%.
    assert report.held_out_inn_with_brand_rate >= 0.98


def test_held_out_brand_alone_is_rarely_wrong(report: EvalReport) -> None:
    # Target <= 0.5%; reached 0.52% (15 of 2,873). Every one left is a product whose registered composition
    # differs from what its name says: brands spelled as an INN ("Artemisinin 250mg" is artenimol +
    # piperaquine, "Cisteine 100" carbocisteine), one brand registered with two compositions (Mydocalm;
    # Blooming as cysteine and as cystine), and "vitamin D" labelled where we answer colecalciferol.
    # Issue 15: held-out brands now also leave the vocabulary by name (as the independent evaluation's sources
    # were filtered), and partial lines count as wrong when what was identified is another moiety: 0.63%
    # (18 of 2,873); the six new cases are "Colistin TZF" / "Colistimethate" (colistin vs colistimethate,
    # a prodrug the moiety table does not link), each a PARTIAL line, never a clean pass.
    # Now 0.49% (14 of 2,873): the sources register colistin and colistimethate under each other's names, and
    # judging counts one as the other's salt (vocabulary._PRODRUG_MOIETIES, with its sources); the lines stay
    # PARTIAL ("TZF", "for Injection U.S.P." said to be unidentified).
    assert report.held_out_brand_alone_wrong_rate <= 0.005
    # Counting "zinc" for a product labelled "zinc citrate" as wrong too: 0.80%.
    strict = report.total("held_out", BRAND_ALONE_KINDS)
    assert (strict[Outcome.WRONG] + strict[Outcome.OTHER_SALT]) / sum(strict.values()) <= 0.0085


def test_brand_typos_never_resolve_to_another_drug(report: EvalReport) -> None:
    counts = report.total("known", ["brand_typo"])
    assert counts[Outcome.WRONG] == 0


def test_known_products_resolve(report: EvalReport) -> None:
    for kind in ("inn_brand", "brand"):
        counts = report.total("known", [kind])
        assert counts[Outcome.RIGHT] / sum(counts.values()) >= 0.98, kind
    assert all(k in BRAND_ALONE_KINDS for k in ("brand", "brand_typo"))


def test_command_prints_the_headlines() -> None:
    if not (REAL_KNOWLEDGE / "products.tsv").exists():
        pytest.skip("knowledge tables not built (make knowledge)")
    text = evaluate_command(REAL_KNOWLEDGE, LABELLED)
    assert "HEADLINE held-out INN strength (Brand)" in text and "HEADLINE held-out brand alone" in text
    assert "precision" in text and "recall" in text and "wrong" in text and "ambiguous" in text


def test_his_format_lines_resolve_and_are_never_wrong() -> None:
    # Issue 15: lines as hospital systems print them (scripts/make_his_format_cases.py), held out by
    # registration. Reached 98.72% right of 391 held-out ingredient lines, none wrong.
    his = LABELLED.parent / "his_format_cases.tsv"
    if not (REAL_KNOWLEDGE / "products.tsv").exists() or not his.exists():
        pytest.skip("knowledge tables not built (make knowledge)")
    report = evaluate(REAL_KNOWLEDGE, read_cases(his))
    counts = report.total("held_out", ("his_inn_maker", "his_combo_sep"))
    total = sum(counts.values())
    assert (counts[Outcome.RIGHT] + counts[Outcome.OTHER_SALT]) / total >= 0.98
    assert counts[Outcome.WRONG] == 0
    # Brands of every source, alone: wrong 0.50% (4 of 796 held out; brands registered with two compositions,
    # colistin/colistimethate); 0.38% once colistimethate is judged as colistin's salt.
    brands = report.total("held_out", ("his_brand",))
    assert brands[Outcome.WRONG] / sum(brands.values()) <= 0.005
    # Brands with form and pack words ("X TAB. 500MG 30'S"): 0.33% (1 of 303, "ARTEMISININ CAP." registered
    # as artenimol + piperaquine).
    formed = report.total("held_out", ("his_brand_form",))
    assert formed[Outcome.WRONG] / sum(formed.values()) <= 0.005
