"""Issue 10 tables: every row names its source, the sources' own figures arrive intact, lookups are by ingredient."""

from __future__ import annotations

from pathlib import Path

from rxsafe.core.enums import Severity
from rxsafe.knowledge.loader import KnowledgeBase
from rxsafe.knowledge.stats import patient_coverage
from rxsafe.knowledge.tables import read_tsv

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"
TABLES = ("dose_limits.tsv", "age_restrictions.tsv", "pregnancy.tsv", "pregnancy_gnuhealth.tsv", "stopp_rules.tsv")


def test_every_row_names_its_source_and_is_in_the_manifest() -> None:
    manifest = (KNOWLEDGE / "MANIFEST.tsv").read_text(encoding="utf-8")
    for name in TABLES:
        assert name in manifest
        rows = list(read_tsv(KNOWLEDGE / name))
        assert rows, name
        assert all(row["source"].split(";")[0] for row in rows), name


def test_dose_limits_are_the_sources_maxima(kb: KnowledgeBase) -> None:
    limits = {(lim.basis, lim.limit_mg, lim.cap_mg, lim.max_age) for lim in kb.dose_limits("paracetamol")}
    assert ("daily", 4000, None, None) in limits  # ADA 2024 and BNF: 4 g a day for adults
    assert ("daily_per_kg", 75, 4000, 12) in limits  # ADA/AAPD children: 75 mg/kg/day, not above 4 g
    assert not kb.dose_limits("amoxicillin")  # dental-indication caps are not general maxima


def test_codeine_and_tramadol_under_12_are_contraindicated(kb: KnowledgeBase) -> None:
    for inn in ("codeine", "tramadol"):
        (restriction,) = kb.age_restrictions(inn)
        assert restriction.below_age == 12 and restriction.severity is Severity.CONTRAINDICATED
        assert "FDA" in restriction.source.reference


def test_pregnancy_letters_with_corrections(kb: KnowledgeBase) -> None:
    assert {c.category for c in kb.pregnancy_categories("methotrexate")} == {"X"}
    assert {c.category for c in kb.pregnancy_categories("simvastatin")} == {"D"}  # corrections.csv: FDA 2021
    assert all(c.needs_review for c in kb.pregnancy_categories("oxytocin"))
    assert not kb.pregnancy_categories("paracetamol")


def test_stopp_rules_reach_ingredients_through_atc(kb: KnowledgeBase) -> None:
    ibuprofen = {r.criterion for r in kb.patient_rules("ibuprofen") if r.kind == "renal"}
    assert "STOPP E4" in ibuprofen
    e4 = next(r for r in kb.patient_rules("ibuprofen") if r.rule_id == "STOPP E4#1")
    assert e4.egfr_below == 50 and e4.min_age == 65
    digoxin = next(r for r in kb.patient_rules("digoxin") if r.rule_id == "STOPP E1#1")
    assert digoxin.daily_dose_above_mg == 0.125
    assert kb.matches_atc("ibuprofen", ["M01A*"]) and not kb.matches_atc("paracetamol", ["M01A*"])
    assert kb.start_rules() and all(r.kind == "omission" for r in kb.start_rules())
    # No iteration coded in ICPC or ICD-9 survives: every diagnosis is ICD-10.
    for row in read_tsv(KNOWLEDGE / "stopp_rules.tsv"):
        for code in filter(None, row["diagnoses"].replace(" | ", ";").split(";")):
            assert code[0].isalpha() and code[1:3].isdigit(), code


def test_coverage_figures() -> None:
    coverage = {c.check: c for c in patient_coverage(KNOWLEDGE)}
    assert coverage["dose"].ingredients >= 2
    assert coverage["renal"].ingredients > 10
    assert coverage["pregnancy"].ingredients > 100
