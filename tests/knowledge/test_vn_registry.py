"""Issue 15: the product table merged by registration number, and the manufacturer words."""

from __future__ import annotations

from pathlib import Path

import pytest

from rxsafe.knowledge.build.rows import ProductRow
from rxsafe.knowledge.build.vn_registry import (
    SOURCE_DAV,
    SOURCE_TENDER,
    RegistryReport,
    SourceRecord,
    clean_brand,
    manufacturer_words,
    merge_products,
)
from rxsafe.knowledge.product_stats import format_product_stats

SCRAPED = ProductRow("vn:VD-1-12", "Hagimox 500", "VD-1-12", ("amoxicillin",), ("",), "Viên nang", "scrape;thuoc-1")


def test_one_product_per_registration_with_agreement_and_codes() -> None:
    report = RegistryReport()
    records = [
        SourceRecord(SOURCE_TENDER, "VD-1-12", "Hagimox", ("amoxicillin",), ("500mg",), insurance_code="40.150",
                     manufacturer="Công ty CP Dược Hậu Giang"),
        SourceRecord(SOURCE_DAV, "vd-1-12", "Hagimox 500", ("amoxicillin",), ("",)),
        SourceRecord(SOURCE_DAV, "VD-2-12", "Cefuroxim 500", ("cefuroxime",), ("500mg",)),
        SourceRecord(SOURCE_TENDER, "VD-2-12", "Zinnat", ("cefalexin",), ("500mg",)),
    ]  # fmt: skip
    out = {p.registration_number.upper(): p for p in merge_products([SCRAPED], records, report)}
    assert len(out) == 2
    hagimox = out["VD-1-12"]
    assert hagimox.strengths == ("500mg",) and hagimox.insurance_codes == ("40.150",)
    assert hagimox.agreement == "agree" and hagimox.other_names == ("Hagimox",)
    # The sources disagree: the first source's ingredients are kept and the disagreement recorded.
    other = out["VD-2-12"]
    assert other.agreement.startswith("disagree:") and "cefuroxime" in other.agreement
    assert report.agree == 1 and report.disagree == 1


def test_manufacturer_words_leave_out_company_and_drug_words() -> None:
    rows = [
        ProductRow("a", "X", "R1", ("amlodipine",), ("",), "", "s", manufacturer="Công ty TNHH LD Stada-Việt Nam",
                   country="Ấn Độ"),
        ProductRow("b", "Y", "R2", ("calcium",), ("",), "", "s", manufacturer="Calci Pharma Ltd"),
    ]  # fmt: skip
    words = {(r.word, r.kind) for r in manufacturer_words(rows, {"calci"})}
    assert ("stada", "manufacturer") in words and ("an do", "country") in words
    assert not {w for w, _ in words} & {"cong", "ty", "tnhh", "pharma", "ltd", "calci"}


def test_registered_name_loses_its_packaging_note() -> None:
    assert clean_brand("Tykerb (Cơ sở đóng gói, xuất xưởng: GlaxoSmithKline Australia)") == "Tykerb"
    assert clean_brand("Hagimox 500") == "Hagimox 500"


def test_stats_count_products_by_source() -> None:
    folder = Path(__file__).parents[2] / "knowledge"
    if not (folder / "products.tsv").exists():
        pytest.skip("knowledge tables not built (make knowledge)")
    text = format_product_stats(folder)
    assert "products (one per registration number)" in text and "with strengths" in text
    assert SOURCE_DAV in text and SOURCE_TENDER in text and "thuocbietduoc" in text
