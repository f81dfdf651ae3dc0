"""Issue 10 end to end: checks that use the patient's conditions, age, pregnancy, kidneys and dose.

Inline synthetic patients over the real server (no stored data): each check firing and not firing, and the
coverage notices where the record lacks what a check needs.
"""

from __future__ import annotations

from typing import Any

from rxsafe.gen import medication_safety_pb2 as pb

from .conftest import RunningServer

AS_OF = "2026-11-25"
NSAID = "Ibuprofen 400mg"


def patient(**fields: Any) -> pb.Patient:
    fields.setdefault("allergy_status", pb.ALLERGY_STATUS_NO_KNOWN_ALLERGIES)
    return pb.Patient(**fields)


def creatinine(value: float, unit: str = "mg/dL", when: str = "2026-11-01") -> pb.Observation:
    return pb.Observation(id="lab-creat", code="2160-0", name="Creatinine", value=value, unit=unit, effective=when)


def check(server: RunningServer, who: pb.Patient, *lines: tuple[str, str]) -> pb.CheckPrescriptionResponse:
    request = pb.CheckPrescriptionRequest(
        patient=who,
        prescription=pb.Prescription(lines=[pb.PrescriptionLine(text=t, dose_text=d) for t, d in lines]),
        as_of=AS_OF,
    )
    response: pb.CheckPrescriptionResponse = server.stub().CheckPrescription(request, timeout=30)
    return response


def kinds(response: pb.CheckPrescriptionResponse, kind: int) -> list[pb.Conflict]:
    return [c for c in response.conflicts if c.kind == kind]


def not_run(response: pb.CheckPrescriptionResponse, line: int, check_name: str) -> list[str]:
    return [g.reason.en for g in response.lines[line].checks_not_run if g.check == check_name]


def check_not_run_notices(response: pb.CheckPrescriptionResponse) -> list[str]:
    return [n.message.en for n in response.notices if n.kind == pb.NOTICE_KIND_CHECK_NOT_RUN]


def test_an_80_year_old_on_an_nsaid_with_egfr_25_gets_stopp_e4(server: RunningServer) -> None:
    old = patient(birth_date="1946-03-01", sex=pb.SEX_MALE, observations=[creatinine(2.4)])
    response = check(server, old, (NSAID, "1 viên/lần * 3 lần/ngày"))
    renal = kinds(response, pb.CONFLICT_KIND_RENAL)
    assert [c.drugs for c in renal] == [["ibuprofen"]]
    assert renal[0].evidence[0].source_level == "STOPP E4"
    assert "STOPP/START v2" in renal[0].evidence[0].source
    assert not renal[0].interruptive  # major: a warning by the default policy
    assert any(e.kind == pb.RECORD_ENTRY_KIND_OBSERVATION for e in renal[0].record_entries)
    assert "renal" in response.lines[0].checks_run
    facts = {f.name: f for f in response.facts.used}
    assert int(float(facts["eGFR"].value)) in range(24, 28)
    assert facts["eGFR"].age_days == 24
    assert response.facts.HasField("egfr")

    # Not firing: the same patient with a normal creatinine.
    well = patient(birth_date="1946-03-01", sex=pb.SEX_MALE, observations=[creatinine(0.9)])
    assert not kinds(check(server, well, (NSAID, "1 viên/lần * 3 lần/ngày")), pb.CONFLICT_KIND_RENAL)

    # Coverage: no creatinine on record → the renal check says it could not run, and a notice says so.
    unknown = check(server, patient(birth_date="1946-03-01", sex=pb.SEX_MALE), (NSAID, "1 viên/lần * 3 lần/ngày"))
    assert not kinds(unknown, pb.CONFLICT_KIND_RENAL)
    assert any("no creatinine on record" in r for r in not_run(unknown, 0, "renal"))
    assert any("no creatinine on record" in m for m in check_not_run_notices(unknown))


def test_a_pregnant_patient_prescribed_a_category_x_drug(server: RunningServer) -> None:
    pregnant = patient(
        birth_date="1996-03-01",
        sex=pb.SEX_FEMALE,
        conditions=[pb.Condition(id="dx-1", code="Z33", text="Có thai", onset_date="2026-09-01")],
    )
    response = check(server, pregnant, ("Methotrexat 2,5mg", "1 viên/lần * 1 lần/ngày"))
    conflicts = kinds(response, pb.CONFLICT_KIND_PREGNANCY)
    assert [c.severity for c in conflicts] == [pb.SEVERITY_CONTRAINDICATED]
    assert conflicts[0].interruptive
    assert response.verdict == pb.VERDICT_BLOCK
    assert "retired in 2015" in conflicts[0].detail.en
    # One conflict: the FDA letters, and Korea's DUR grade 1 (issue 14) as further evidence.
    assert all(e.source_level == "FDA category X" for e in conflicts[0].evidence if e.source != "HIRA DUR (Korea)")
    assert any(e.source_level == "임부금기 1등급" for e in conflicts[0].evidence)
    assert response.facts.pregnancy == pb.PREGNANCY_STATUS_PREGNANT

    # Not firing: a recorded "not pregnant"; and a D-only drug in pregnancy is major, not contraindicated.
    not_pregnant = patient(
        birth_date="1996-03-01", sex=pb.SEX_FEMALE, pregnancy_status=pb.PREGNANCY_STATUS_NOT_PREGNANT
    )
    assert not kinds(check(server, not_pregnant, ("Methotrexat 2,5mg", "")), pb.CONFLICT_KIND_PREGNANCY)

    # Coverage: status unknown for a woman of reproductive age, on a drug with an X letter.
    unknown = check(server, patient(birth_date="1996-03-01", sex=pb.SEX_FEMALE), ("Methotrexat 2,5mg", ""))
    assert not kinds(unknown, pb.CONFLICT_KIND_PREGNANCY)
    assert not_run(unknown, 0, "pregnancy") == ["pregnancy status unknown"]
    assert any("pregnancy status unknown" in m for m in check_not_run_notices(unknown))


def test_a_20_kg_child_over_the_paediatric_paracetamol_limit(server: RunningServer) -> None:
    child = patient(birth_date="2020-05-01", sex=pb.SEX_MALE, weight_kg=20)
    over = check(server, child, ("Paracetamol 500mg", "1 viên/lần * 4 lần/ngày"))  # 2000 mg > 75 mg/kg × 20 kg
    dose = kinds(over, pb.CONFLICT_KIND_DOSE)
    assert [c.drugs for c in dose] == [["paracetamol"]]
    assert "75 mg/kg/day × 20 kg = 1500 mg/day" in dose[0].detail.en
    assert dose[0].evidence[0].source == "DentRx 0.1.0"

    # Not firing: 250 mg four times a day is 1000 mg.
    under = check(server, child, ("Paracetamol 250mg", "1 gói/lần * 4 lần/ngày"))
    assert not kinds(under, pb.CONFLICT_KIND_DOSE)
    assert "dose" in under.lines[0].checks_run

    # Coverage: no weight → the mg/kg limit cannot be checked.
    no_weight = check(
        server, patient(birth_date="2020-05-01", sex=pb.SEX_MALE), ("Paracetamol 500mg", "1 viên/lần * 4 lần/ngày")
    )
    assert not kinds(no_weight, pb.CONFLICT_KIND_DOSE)
    assert any("no weight on record" in r for r in not_run(no_weight, 0, "dose"))

    # Codeine in a child under 12: the FDA 2017 contraindication.
    codeine = check(server, child, ("Codein 10mg", ""))
    assert [c.severity for c in kinds(codeine, pb.CONFLICT_KIND_AGE)] == [pb.SEVERITY_CONTRAINDICATED]


def test_two_paracetamol_products_over_the_daily_maximum(server: RunningServer) -> None:
    adult = patient(birth_date="1980-05-01", sex=pb.SEX_MALE)
    response = check(
        server,
        adult,
        ("Paracetamol 500mg", "2 viên/lần * 3 lần/ngày"),
        ("Efferalgan 500mg", "Sáng 1 viên, Tối 1 viên"),
    )  # 3000 + 1000 = 4000 mg: at the maximum, not above it
    assert not kinds(response, pb.CONFLICT_KIND_DOSE)
    response = check(
        server,
        adult,
        ("Paracetamol 500mg", "2 viên/lần * 3 lần/ngày"),
        ("Efferalgan 500mg", "Sáng 2 viên, Tối 2 viên"),
    )  # 3000 + 2000 = 5000 mg
    dose = kinds(response, pb.CONFLICT_KIND_DOSE)
    assert len(dose) == 1
    assert list(dose[0].line_indexes) == [0, 1]
    assert "daily total 5000 mg across 2 products > 4000 mg/day" in dose[0].detail.en
    # Both sources give 4 g a day: DentRx (ADA, BNF) and Korea's DUR (issue 14); one conflict cites both.
    assert {e.source for e in dose[0].evidence} == {"DentRx 0.1.0", "HIRA DUR (Korea)"}

    # Coverage: a dose text that cannot be read, and a drug no dose source covers.
    # (Omeprazole: amlodipine has a dose limit since Korea's DUR, issue 14.)
    unread = check(server, adult, ("Paracetamol 500mg", "Uống khi đau"), ("Omeprazol 20mg", "1 viên/lần * 1 lần/ngày"))
    assert any("dose text cannot be read" in r for r in not_run(unread, 0, "dose"))
    assert not_run(unread, 1, "dose") == ["no dose source for omeprazole"]
    assert len(check_not_run_notices(unread)) >= 2


def test_stopp_drug_disease_for_an_older_patient(server: RunningServer) -> None:
    old = patient(
        birth_date="1950-01-01",
        sex=pb.SEX_FEMALE,
        conditions=[pb.Condition(id="dx-ckd", code="N18.4", text="Bệnh thận mạn giai đoạn 4")],
    )
    response = check(server, old, ("Metformin 500mg", "1 viên/lần * 2 lần/ngày"))
    renal = kinds(response, pb.CONFLICT_KIND_RENAL)
    assert {c.evidence[0].source_level for c in renal} == {"STOPP E6"}
    assert any(e.kind == pb.RECORD_ENTRY_KIND_CONDITION for c in renal for e in c.record_entries)
    # A 40-year-old: STOPP does not apply, and the report says so rather than passing silently.
    young = check(server, patient(birth_date="1986-01-01", sex=pb.SEX_FEMALE), ("Metformin 500mg", ""))
    assert not kinds(young, pb.CONFLICT_KIND_RENAL)
    assert not_run(young, 0, "renal") == ["STOPP applies to patients aged 65 and over"]
