"""Issue 10 in the core, over fakes: facts, dose arithmetic, and each patient-level check firing and not firing."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from rxsafe.core.dose import dose_figures, total_daily
from rxsafe.core.engine import check
from rxsafe.core.enums import ConflictKind, NoticeKind, PregnancyStatus, ResolutionStatus, Severity, Sex
from rxsafe.core.facts import ckd_epi_2021, cockcroft_gault, derive_facts
from rxsafe.core.knowledge_port import AgeRestriction, DoseLimit, PatientRule, PregnancyCategory, SourceRef
from rxsafe.core.models import (
    CheckedLine,
    Condition,
    ConflictReport,
    LocalizedText,
    Observation,
    PatientContext,
    PatientRecord,
    PrescriptionLine,
    Resolution,
    ResolvedIngredient,
    Strength,
)
from rxsafe.core.policy import Policy
from rxsafe.matching.dose import parse_dose

from .fakes import FakeKnowledge

AS_OF = date(2026, 11, 25)
SRC = SourceRef(source="fake source", reference="row 1")


def line(index: int, inn: str, mg: float, dose_text: str = "", text: str = "") -> CheckedLine:
    ingredient = ResolvedIngredient(inn=inn, strength=Strength(value=mg, unit="mg", text=f"{mg:g}mg"))
    return CheckedLine(
        index=index,
        line=PrescriptionLine(text=text or f"{inn} {mg:g}mg", dose_text=dose_text),
        resolution=Resolution(status=ResolutionStatus.RESOLVED, ingredients=(ingredient,)),
        dose=parse_dose(dose_text or text or f"{inn} {mg:g}mg"),
    )


def run(record: PatientRecord, kb: FakeKnowledge, *lines: CheckedLine, policy: Policy | None = None) -> ConflictReport:
    return check(PatientContext(record=record, as_of=AS_OF), lines, kb, policy or Policy())


def creatinine(value: float, unit: str = "mg/dL") -> Observation:
    return Observation(id="lab", code="2160-0", value=value, unit=unit, effective=datetime(2026, 11, 1))


@pytest.fixture
def kb() -> FakeKnowledge:
    kb = FakeKnowledge()
    kb.doses["paracetamol"] = [
        DoseLimit(limit_id="adult", inn="paracetamol", basis="daily", limit_mg=4000, min_age=12, source=SRC),
        DoseLimit(
            limit_id="child", inn="paracetamol", basis="daily_per_kg", limit_mg=75, cap_mg=4000, max_age=12, source=SRC
        ),
    ]
    kb.pregnancy["methotrexate"] = [PregnancyCategory(inn="methotrexate", category="X", source=SRC)]
    kb.pregnancy["warfarin"] = [PregnancyCategory(inn="warfarin", category="D", source=SRC)]
    kb.ages["codeine"] = [
        AgeRestriction(
            rule_id="fda-codeine",
            inn="codeine",
            below_age=12,
            severity=Severity.CONTRAINDICATED,
            text=LocalizedText(),
            source=SRC,
        )
    ]
    kb.atc = {"ibuprofen": ("M01AE01",), "metformin": ("A10BA02",), "warfarin": ("B01AA03",)}
    kb.stopp = [
        PatientRule(
            rule_id="STOPP E4#1", criterion="STOPP E4", kind="renal", drug_atc=("M01A*",), egfr_below=50,
            severity=Severity.MAJOR, source=SRC,
        ),
        PatientRule(
            rule_id="STOPP H2#4", criterion="STOPP H2", kind="drug_disease", drug_atc=("M01A*",),
            diagnoses=(("I50*", "I10"),), source=SRC,
        ),
        PatientRule(
            rule_id="STOPP C10#1", criterion="STOPP C10", kind="age", drug_atc=("M01A*",),
            with_drugs=(("B01AA*",),), source=SRC,
        ),
        PatientRule(
            rule_id="START A1#4", criterion="START A1", kind="omission", drug_atc=("B01AA*",),
            diagnoses=(("I48",),), severity=Severity.MINOR, source=SRC,
        ),
    ]  # fmt: skip
    return kb


def test_facts_age_pregnancy_weight_and_kidneys() -> None:
    record = PatientRecord(
        birth_date=date(1950, 6, 1),
        sex=Sex.FEMALE,
        weight_kg=60,
        conditions=(Condition(id="c1", code="N18.4"), Condition(id="c2", code="K25", clinical_status="resolved")),
        observations=(creatinine(150, "µmol/L"), Observation(id="w", code="29463-7", value=58, unit="kg")),
    )
    facts = derive_facts(record, AS_OF)
    assert facts.age_years is not None and 76 < facts.age_years < 77
    assert facts.weight_kg == 58  # the observation beats the undated record weight
    assert facts.creatinine_mg_dl == pytest.approx(150 / 88.42)
    assert facts.egfr == pytest.approx(ckd_epi_2021(150 / 88.42, facts.age_years, Sex.FEMALE))
    assert facts.crcl == pytest.approx(cockcroft_gault(150 / 88.42, facts.age_years, 58, Sex.FEMALE))
    assert facts.diagnoses == ("N18.4",)
    assert facts.pregnancy is PregnancyStatus.UNKNOWN
    assert {f.name for f in facts.used} >= {"age", "weight", "serum creatinine", "eGFR", "CrCl"}
    assert next(f for f in facts.used if f.name == "eGFR").age_days == 24


def test_pregnancy_from_o_codes_only_within_42_weeks() -> None:
    recent = PatientRecord(sex=Sex.FEMALE, conditions=(Condition(id="o", code="O24.4", onset_date=date(2026, 8, 1)),))
    old = PatientRecord(sex=Sex.FEMALE, conditions=(Condition(id="o", code="O24.4", onset_date=date(2024, 8, 1)),))
    assert derive_facts(recent, AS_OF).pregnancy is PregnancyStatus.PREGNANT
    assert derive_facts(old, AS_OF).pregnancy is PregnancyStatus.UNKNOWN


def test_dose_arithmetic() -> None:
    tablet = ResolvedIngredient(inn="paracetamol", strength=Strength(value=500, unit="mg", text="500mg"))
    syrup = ResolvedIngredient(inn="paracetamol", strength=Strength(value=250, unit="mg/5ml", text="250mg/5ml"))
    assert dose_figures(parse_dose("2 viên/lần * 2 lần/ngày"), tablet).daily_mg == 2000
    assert dose_figures(parse_dose("Sáng 1 viên, Tối 1 viên"), tablet).daily_mg == 1000
    assert dose_figures(parse_dose("500mg x 3 lần/ngày"), tablet).daily_mg == 1500
    assert dose_figures(parse_dose("5 ml/lần * 3 lần/ngày"), syrup).daily_mg == 750
    assert dose_figures(parse_dose("500mg x 3 lần/ngày"), tablet, n_ingredients=2).problem
    assert dose_figures(None, tablet).problem
    once_twice = dose_figures(parse_dose("1 viên/lần * 2 lần/ngày"), tablet)
    assert total_daily([once_twice, dose_figures(None, tablet)]) is None


def test_two_paracetamol_lines_add_up(kb: FakeKnowledge) -> None:
    adult = PatientRecord(birth_date=date(1980, 1, 1))
    report = run(
        adult,
        kb,
        line(0, "paracetamol", 500, "2 viên/lần * 3 lần/ngày"),
        line(1, "paracetamol", 500, "Sáng 2 viên, Tối 2 viên"),
    )
    dose = [c for c in report.conflicts if c.kind is ConflictKind.DOSE]
    assert len(dose) == 1 and dose[0].line_indexes == (0, 1) and dose[0].severity is Severity.MAJOR
    assert not dose[0].interruptive
    ok = run(adult, kb, line(0, "paracetamol", 500, "2 viên/lần * 4 lần/ngày"))
    assert not [c for c in ok.conflicts if c.kind is ConflictKind.DOSE]
    assert "dose" in ok.coverage[0].checks_run


def test_child_mg_per_kg_needs_a_weight(kb: FakeKnowledge) -> None:
    child = PatientRecord(birth_date=date(2020, 1, 1), weight_kg=20)
    over = run(child, kb, line(0, "paracetamol", 500, "1 viên/lần * 4 lần/ngày"))
    assert [c.kind for c in over.conflicts] == [ConflictKind.DOSE]
    no_weight = run(
        PatientRecord(birth_date=date(2020, 1, 1)), kb, line(0, "paracetamol", 500, "1 viên/lần * 4 lần/ngày")
    )
    assert not no_weight.conflicts
    assert any("no weight" in g.reason.en for g in no_weight.coverage[0].checks_not_run)
    assert any(n.kind is NoticeKind.CHECK_NOT_RUN for n in no_weight.notices)


def test_renal_fires_below_the_threshold_only_from_65(kb: FakeKnowledge) -> None:
    old_low = PatientRecord(birth_date=date(1946, 1, 1), sex=Sex.MALE, observations=(creatinine(2.4),))
    assert [c.kind for c in run(old_low, kb, line(0, "ibuprofen", 400)).conflicts] == [ConflictKind.RENAL]
    old_ok = PatientRecord(birth_date=date(1946, 1, 1), sex=Sex.MALE, observations=(creatinine(0.9),))
    assert not run(old_ok, kb, line(0, "ibuprofen", 400)).conflicts
    young_low = PatientRecord(birth_date=date(1986, 1, 1), sex=Sex.MALE, observations=(creatinine(2.4),))
    assert not run(young_low, kb, line(0, "ibuprofen", 400)).conflicts
    unknown = run(PatientRecord(birth_date=date(1946, 1, 1), sex=Sex.MALE), kb, line(0, "ibuprofen", 400))
    assert any("no creatinine on record" in g.reason.en for g in unknown.coverage[0].checks_not_run)


def test_pregnancy_x_contraindicated_d_major_unknown_is_a_gap(kb: FakeKnowledge) -> None:
    pregnant = PatientRecord(birth_date=date(1996, 1, 1), sex=Sex.FEMALE, pregnancy_status=PregnancyStatus.PREGNANT)
    report = run(pregnant, kb, line(0, "methotrexate", 2.5), line(1, "warfarin", 5))
    assert sorted(c.severity for c in report.conflicts) == [Severity.MAJOR, Severity.CONTRAINDICATED]
    assert "2015" in report.conflicts[0].detail.en
    male = PatientRecord(birth_date=date(1996, 1, 1), sex=Sex.MALE)
    assert not run(male, kb, line(0, "methotrexate", 2.5)).conflicts
    unknown = run(PatientRecord(birth_date=date(1996, 1, 1), sex=Sex.FEMALE), kb, line(0, "methotrexate", 2.5))
    assert [g.reason.en for g in unknown.coverage[0].checks_not_run if g.check == "pregnancy"] == [
        "pregnancy status unknown"
    ]


def test_age_paediatric_restriction_and_stopp_co_medication(kb: FakeKnowledge) -> None:
    child = PatientRecord(birth_date=date(2018, 1, 1))
    codeine = run(child, kb, line(0, "codeine", 10))
    assert [(c.kind, c.severity, c.interruptive) for c in codeine.conflicts] == [
        (ConflictKind.AGE, Severity.CONTRAINDICATED, True)
    ]
    assert not run(PatientRecord(birth_date=date(2000, 1, 1)), kb, line(0, "codeine", 10)).conflicts
    old = PatientRecord(birth_date=date(1950, 1, 1))
    both = run(old, kb, line(0, "ibuprofen", 400), line(1, "warfarin", 5))
    assert [c.evidence[0].source_level for c in both.conflicts if c.kind is ConflictKind.AGE] == ["STOPP C10"]


def test_drug_disease_and_start_omission_off_by_default(kb: FakeKnowledge) -> None:
    old = PatientRecord(
        birth_date=date(1950, 1, 1), conditions=(Condition(id="hf", code="I50.0"), Condition(id="af", code="I48"))
    )
    report = run(old, kb, line(0, "ibuprofen", 400))
    assert [c.kind for c in report.conflicts] == [ConflictKind.DRUG_DISEASE]
    assert report.conflicts[0].record_entries[0].id == "hf"
    with_start = run(old, kb, line(0, "ibuprofen", 400), policy=Policy(start_omissions=True))
    omissions = [c for c in with_start.conflicts if c.kind is ConflictKind.OMISSION]
    assert len(omissions) == 1 and not omissions[0].interruptive and omissions[0].severity is Severity.MINOR
