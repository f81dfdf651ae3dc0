"""Issue 14 part B, end to end in process: Korea's patient-level DUR rules and the allergy groups beyond beta-lactams.

Each rule family with a real row of its source (named in the test) firing, and a negative case. Inline synthetic
patients, the real knowledge build, the real resolver: what a caller of ``CheckPrescription`` gets.
"""

from __future__ import annotations

from typing import Any

import pytest

from rxsafe.app.service import SafetyService
from rxsafe.bootstrap import build_service
from rxsafe.core.enums import ConflictKind, NoticeKind, Severity
from rxsafe.core.models import Conflict, ConflictReport
from rxsafe.gen import medication_safety_pb2 as pb
from rxsafe.service import convert

AS_OF = "2026-11-25"
HIRA = "HIRA DUR (Korea)"
ADULT_MAN = {"birth_date": "1980-01-01", "sex": pb.SEX_MALE}


@pytest.fixture(scope="module")
def service() -> SafetyService:
    return build_service(db=None)


def check(service: SafetyService, lines: list[dict[str, Any]], **patient: Any) -> ConflictReport:
    patient.setdefault("allergy_status", pb.ALLERGY_STATUS_NO_KNOWN_ALLERGIES)
    request = pb.CheckPrescriptionRequest(
        patient=pb.Patient(**patient),
        prescription=pb.Prescription(lines=[pb.PrescriptionLine(**line) for line in lines]),
        as_of=AS_OF,
    )
    return service.check(convert.check_request_from_pb(request))


def of_kind(report: ConflictReport, kind: ConflictKind) -> list[Conflict]:
    return [c for c in report.conflicts if c.kind is kind]


def gaps(report: ConflictReport, check_name: str) -> list[str]:
    return [g.reason.en for line in report.coverage for g in line.checks_not_run if g.check == check_name]


# --- age (연령금기), dur_age_bann.tsv #137 moxifloxacin 18세 미만 ------------------------------------------------


def test_a_5_year_old_on_moxifloxacin_is_an_age_contraindication(service: SafetyService) -> None:
    child = check(service, [{"text": "Moxifloxacin 400mg", "dose_text": "1 viên/ngày"}], birth_date="2021-06-01")
    (age,) = [c for c in of_kind(child, ConflictKind.AGE) if c.drugs == ("moxifloxacin",)]
    assert age.severity is Severity.CONTRAINDICATED and age.interruptive
    assert age.evidence[0].source == HIRA and age.evidence[0].source_level == "연령금기 18세 미만"
    # The Korean detail text is shown as written, quoted, and marked as untranslated Korean.
    assert "Source text (Korean, no reviewed translation): «안전성 및 유효성 미확립»" in age.detail.en
    adult = check(service, [{"text": "Moxifloxacin 400mg", "dose_text": "1 viên/ngày"}], **ADULT_MAN)
    assert not of_kind(adult, ConflictKind.AGE)


def test_an_age_rule_without_an_age_is_a_stated_gap(service: SafetyService) -> None:
    report = check(service, [{"text": "Moxifloxacin 400mg", "dose_text": "1 viên/ngày"}], sex=pb.SEX_MALE)
    assert not of_kind(report, ConflictKind.AGE)
    assert any("HIRA DUR (Korea) age rules of moxifloxacin" in reason for reason in gaps(report, "age"))
    assert any(n.kind is NoticeKind.CHECK_NOT_RUN for n in report.notices)


# --- pregnancy (임부금기), dur_prgnt_bann.tsv: domperidone grade 1 ---------------------------------------------


def test_a_pregnant_patient_on_a_grade_1_drug_is_contraindicated(service: SafetyService) -> None:
    lines = [{"text": "Domperidon 10mg", "dose_text": "1 viên/lần * 3 lần/ngày"}]
    woman = {"birth_date": "1995-01-01", "sex": pb.SEX_FEMALE}
    pregnant = check(service, lines, pregnancy_status=pb.PREGNANCY_STATUS_PREGNANT, **woman)
    (conflict,) = of_kind(pregnant, ConflictKind.PREGNANCY)
    assert conflict.severity is Severity.CONTRAINDICATED
    assert conflict.evidence[0].source_level == "임부금기 1등급" and "grade 1" in conflict.title.en
    not_pregnant = check(service, lines, pregnancy_status=pb.PREGNANCY_STATUS_NOT_PREGNANT, **woman)
    assert not of_kind(not_pregnant, ConflictKind.PREGNANCY)


def test_grade_2_is_major(service: SafetyService) -> None:
    grades = {r.grade for r in service.knowledge.dur_rules("amlodipine") if r.kind.value == "pregnancy"}
    assert grades == {"2"}  # dur_prgnt_bann.tsv: amlodipine grade 2
    report = check(
        service,
        [{"text": "Amlodipin 5mg", "dose_text": "1 viên/ngày"}],
        birth_date="1995-01-01",
        sex=pb.SEX_FEMALE,
        pregnancy_status=pb.PREGNANCY_STATUS_PREGNANT,
    )
    (conflict,) = of_kind(report, ConflictKind.PREGNANCY)
    assert conflict.severity is Severity.MAJOR and not conflict.interruptive


# --- maximum daily dose (용량주의), dur_cpct.tsv #106 meloxicam 15 mg ------------------------------------------


def test_meloxicam_summed_across_two_lines_above_the_dur_daily_maximum(service: SafetyService) -> None:
    two = [
        {"text": "Meloxicam 7.5mg", "dose_text": "1 viên/lần * 2 lần/ngày"},
        {"text": "Meloxicam 7.5mg", "dose_text": "1 viên/lần * 1 lần/ngày"},
    ]
    report = check(service, two, **ADULT_MAN)
    (dose,) = of_kind(report, ConflictKind.DOSE)
    assert dose.drugs == ("meloxicam",) and dose.line_indexes == (0, 1)
    assert "22.5 mg across 2 products > 15 mg/day" in dose.detail.en
    assert dose.evidence[0].source == HIRA and dose.evidence[0].source_level == "용량주의 멜록시캄 15mg"
    one = check(service, two[:1], **ADULT_MAN)
    assert not of_kind(one, ConflictKind.DOSE) and "dose" in one.coverage[0].checks_run


def test_combination_limits_are_per_component_and_bind_only_the_combination(service: SafetyService) -> None:
    limits = {(lim.limit_mg, lim.combination) for lim in service.knowledge.dose_limits("tramadol")}
    # dur_cpct.tsv #164 "아세트아미노펜 2,600mg/트라마돌염산염 300mg", #254 tramadol alone 400 mg.
    assert (300.0, ("paracetamol", "tramadol")) in limits and (400.0, ()) in limits
    assert (2600.0, ("paracetamol", "tramadol")) in {
        (lim.limit_mg, lim.combination) for lim in service.knowledge.dose_limits("paracetamol")
    }
    # 350 mg of tramadol alone is under its own 400 mg: the combination's 300 mg does not apply to it.
    alone = check(service, [{"text": "Tramadol 50mg", "dose_text": "1 viên/lần * 7 lần/ngày"}], **ADULT_MAN)
    assert not [c for c in of_kind(alone, ConflictKind.DOSE) if c.drugs == ("tramadol",)]


# --- maximum duration (투여기간주의), dur_dosage.tsv #13 ketorolac tablets 7 days, #14 injection 2 days -----------


def test_days_on_the_line_above_the_maximum_duration(service: SafetyService) -> None:
    line = {"text": "Ketorolac 10mg viên", "dose_text": "1 viên/lần * 3 lần/ngày"}
    long = check(service, [{**line, "days": 10}], **ADULT_MAN)
    (duration,) = of_kind(long, ConflictKind.DURATION)
    assert duration.severity is Severity.MODERATE and "limits treatment to 7 days" in duration.detail.en
    assert duration.evidence[0].source_level == "투여기간주의 7일"  # the tablet rule, not the injection's 2 days
    short = check(service, [{**line, "days": 5}], **ADULT_MAN)
    assert not of_kind(short, ConflictKind.DURATION) and "duration" in short.coverage[0].checks_run
    unknown = check(service, [line], **ADULT_MAN)
    assert any("days of treatment not stated" in reason for reason in gaps(unknown, "duration"))


# --- the elderly (노인주의), dur_snctz.tsv: amitriptyline ------------------------------------------------------


def test_an_elderly_caution_at_65_and_over_only(service: SafetyService) -> None:
    line = [{"text": "Amitriptylin 25mg", "dose_text": "1 viên/ngày"}]
    old = check(service, line, birth_date="1950-01-01", sex=pb.SEX_MALE)
    (caution,) = [c for c in of_kind(old, ConflictKind.AGE) if c.evidence[0].source == HIRA]
    assert caution.severity is Severity.MODERATE and caution.evidence[0].source_level == "노인주의"
    middle_aged = check(service, line, birth_date="1980-01-01", sex=pb.SEX_MALE)
    assert not [c for c in of_kind(middle_aged, ConflictKind.AGE) if c.evidence[0].source == HIRA]


# --- breastfeeding (수유부주의), dur_nursw.tsv: methotrexate ----------------------------------------------------


def test_breastfeeding_status_unknown_is_a_gap_and_breastfeeding_a_conflict(service: SafetyService) -> None:
    line = [{"text": "Methotrexat 2.5mg", "dose_text": "1 viên/ngày"}]
    woman = {"birth_date": "1995-01-01", "sex": pb.SEX_FEMALE, "pregnancy_status": pb.PREGNANCY_STATUS_NOT_PREGNANT}
    unknown = check(service, line, **woman)
    assert not of_kind(unknown, ConflictKind.LACTATION)
    assert any("breastfeeding status unknown" in reason for reason in gaps(unknown, "breastfeeding"))
    # Stated as a notice, like an unknown pregnancy status (not silently "checked").
    assert any("Breastfeeding check not run" in n.message.en for n in unknown.notices)
    assert "breastfeeding" not in unknown.coverage[0].checks_run
    nursing = check(service, line, lactation_status=pb.LACTATION_STATUS_BREASTFEEDING, **woman)
    (conflict,) = of_kind(nursing, ConflictKind.LACTATION)
    assert conflict.severity is Severity.MODERATE and conflict.evidence[0].source_level == "수유부주의"
    assert nursing.facts.lactation.value == "BREASTFEEDING"
    not_nursing = check(service, line, lactation_status=pb.LACTATION_STATUS_NOT_BREASTFEEDING, **woman)
    assert not of_kind(not_nursing, ConflictKind.LACTATION) and not gaps(not_nursing, "breastfeeding")
    man = check(service, line, **ADULT_MAN)
    assert not gaps(man, "breastfeeding")


def test_the_lactation_status_round_trips_through_the_wire() -> None:
    request = pb.CheckPrescriptionRequest(
        patient=pb.Patient(lactation_status=pb.LACTATION_STATUS_BREASTFEEDING),
        prescription=pb.Prescription(lines=[pb.PrescriptionLine(text="Paracetamol 500mg")]),
    )
    domain = convert.check_request_from_pb(request)
    assert domain.patient is not None and domain.patient.lactation_status.value == "BREASTFEEDING"


# --- allergy groups beyond beta-lactams -------------------------------------------------------------------------


def allergic_to(allergen: str, reaction: str = "") -> dict[str, Any]:
    return {
        **ADULT_MAN,
        "allergies": [pb.Allergy(allergen=allergen, reaction=reaction)],
        "allergy_status": pb.ALLERGY_STATUS_LISTED,
    }


def test_aspirin_bronchospasm_warns_on_ibuprofen_and_paracetamol_lower(service: SafetyService) -> None:
    lines = [
        {"text": "Ibuprofen 400mg", "dose_text": "1 viên/lần * 2 lần/ngày"},
        {"text": "Paracetamol 500mg", "dose_text": "1 viên/lần * 2 lần/ngày"},
        {"text": "Celecoxib 200mg", "dose_text": "1 viên/ngày"},
    ]
    report = check(service, lines, **allergic_to("Aspirin", "co thắt phế quản"))
    severity = {c.drugs[0]: c.severity for c in of_kind(report, ConflictKind.ALLERGY)}
    assert severity == {"ibuprofen": Severity.MAJOR, "paracetamol": Severity.MODERATE, "celecoxib": Severity.MODERATE}
    ibuprofen = next(c for c in of_kind(report, ConflictKind.ALLERGY) if c.drugs == ("ibuprofen",))
    assert "Kowalski ML et al. Allergy 2013" in ibuprofen.evidence[0].source
    paracetamol = next(c for c in of_kind(report, ConflictKind.ALLERGY) if c.drugs == ("paracetamol",))
    assert "may cross-react" in paracetamol.detail.en and "weak COX-1 inhibitor" in paracetamol.detail.en
    # A paracetamol allergy is not extended to the strong COX-1 inhibitors (the classification does not say so).
    other_way = check(service, lines[:1], **allergic_to("Paracetamol"))
    assert not of_kind(other_way, ConflictKind.ALLERGY)


def test_ciprofloxacin_allergy_warns_on_levofloxacin(service: SafetyService) -> None:
    report = check(
        service, [{"text": "Levofloxacin 500mg", "dose_text": "1 viên/ngày"}], **allergic_to("Ciprofloxacin")
    )
    (allergy,) = of_kind(report, ConflictKind.ALLERGY)
    assert allergy.severity is Severity.MAJOR and "limited cross-reactivity" in allergy.detail.en
    assert "Doña I" in allergy.evidence[0].source
    unrelated = check(
        service, [{"text": "Amoxicilin 500mg", "dose_text": "1 viên/ngày"}], **allergic_to("Ciprofloxacin")
    )
    assert not of_kind(unrelated, ConflictKind.ALLERGY)


def test_sulfamethoxazole_allergy_is_no_allergy_conflict_with_furosemide(service: SafetyService) -> None:
    furosemide = check(
        service, [{"text": "Furosemid 40mg", "dose_text": "1 viên/ngày"}], **allergic_to("Sulfamethoxazol")
    )
    assert not of_kind(furosemide, ConflictKind.ALLERGY)
    # The row that says so is in the knowledge, citing Strom 2003, and marked not cross-reactive.
    row = service.knowledge.cross_reactivity("sulfamethoxazole", "furosemide")
    assert row is not None and not row.cross_reactive and "Strom BL" in row.source.source
    sulfonamide = check(
        service, [{"text": "Sulfadiazin 500mg", "dose_text": "1 viên/ngày"}], **allergic_to("Sulfamethoxazol")
    )
    assert [c.severity for c in of_kind(sulfonamide, ConflictKind.ALLERGY)] == [Severity.MAJOR]


def test_carbamazepine_allergy_warns_on_phenytoin_with_the_reported_rate(service: SafetyService) -> None:
    report = check(service, [{"text": "Phenytoin 100mg", "dose_text": "1 viên/ngày"}], **allergic_to("Carbamazepin"))
    (allergy,) = of_kind(report, ConflictKind.ALLERGY)
    assert allergy.severity is Severity.MAJOR and "57.6 %" in allergy.detail.en
    assert "Neurology 2008;71(19):1527-34" in allergy.evidence[0].source
    valproate = check(
        service, [{"text": "Valproat natri 500mg", "dose_text": "1 viên/ngày"}], **allergic_to("Carbamazepin")
    )
    assert not of_kind(valproate, ConflictKind.ALLERGY)


def test_a_rule_restricted_to_forms_follows_the_written_form(service: SafetyService) -> None:
    # dur_age_bann.tsv: loratadine under 2 years, "시럽제, 정제, 캡슐제, 구강붕해필름" (oral forms).
    toddler = {"birth_date": "2025-06-01", "sex": pb.SEX_FEMALE}
    oral = check(service, [{"text": "Loratadin 10mg viên nén", "dose_text": "1 viên/ngày"}], **toddler)
    assert [c.severity for c in of_kind(oral, ConflictKind.AGE)] == [Severity.CONTRAINDICATED]
    unwritten = check(service, [{"text": "Loratadin 10mg", "dose_text": "10mg x 1 lần/ngày"}], **toddler)
    (warning,) = of_kind(unwritten, ConflictKind.AGE)
    assert warning.severity is Severity.MAJOR and "does not state its form" in warning.detail.en
    # dur_dosage.tsv: ketorolac injection 2 days (#14), tablets 7 days (#13): an injection line gets the 2 days.
    injection = {"text": "Ketorolac 30mg/ml thuốc tiêm", "dose_text": "1 ống/lần * 2 lần/ngày", "days": 5}
    (duration,) = of_kind(check(service, [injection], **ADULT_MAN), ConflictKind.DURATION)
    assert duration.evidence[0].source_level == "투여기간주의 2일"
