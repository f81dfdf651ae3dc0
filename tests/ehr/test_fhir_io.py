"""FHIR R4 import (Bundle → record) and export (conflicts → DetectedIssue, commit → MedicationRequest)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from fhir.resources.R4B.bundle import Bundle

from rxsafe.core.enums import AllergyStatus, ConflictKind, OverrideReason, RecordEntryKind, Severity, Verdict
from rxsafe.core.models import (
    Conflict,
    ConflictReport,
    LocalizedText,
    Override,
    Prescription,
    PrescriptionLine,
    RecordEntry,
    StoredCheck,
)
from rxsafe.ehr.duckdb_store import DuckDBRecordStore
from rxsafe.ehr.fhir_io import parse_fhir_bundle, prescription_bundle, report_bundle
from rxsafe.ehr.importer import import_file
from tests.ehr import synthetic as s
from tests.ehr.conftest import CountRows


def test_bundle_is_read_into_the_record(store: DuckDBRecordStore, tmp_path: Path) -> None:
    immunization = {
        "resourceType": "Immunization",
        "id": "i1",
        "status": "completed",
        "vaccineCode": {"text": "Vắc xin viêm gan B"},
        "patient": {"reference": "Patient/p1"},
        "occurrenceDateTime": "2020-05-01",
        "protocolApplied": [{"doseNumberPositiveInt": 2, "targetDisease": [{"text": "Viêm gan B"}]}],
    }
    bundle = s.fhir_bundle(
        s.fhir_patient(),
        s.fhir_allergy(),
        s.fhir_medication_request(),
        s.fhir_condition(),
        s.fhir_observation(),
        immunization,
    )
    path = tmp_path / "bundle.json"
    path.write_bytes(bundle)
    result = import_file(store, path)
    assert result.outcome == "imported", result
    record = store.get_patient(s.PATIENT_B)
    assert record is not None
    assert record.name == "THỬ BỆNH NHÂN HAI"
    assert record.allergy_status is AllergyStatus.LISTED
    [allergy] = record.allergies
    assert (allergy.allergen, allergy.reaction, allergy.allergy_type, allergy.verification_status) == (
        "Penicilin",
        "nổi mề đay",
        "medication",
        "confirmed",
    )
    [med] = record.medications
    assert (med.text, med.start_date, med.days, med.quantity) == ("Clopidogrel 75mg", date(2026, 11, 10), 28, 28.0)
    assert [c.code for c in record.conditions] == ["I10"]
    assert record.weight_kg == 71.5
    [vaccination] = record.vaccinations
    assert (vaccination.vaccine, vaccination.antigen, vaccination.dose_number) == (
        "Vắc xin viêm gan B",
        "Viêm gan B",
        2,
    )
    # Importing the same bundle again changes nothing.
    path2 = tmp_path / "bundle-copy.json"
    path2.write_bytes(bundle + b"\n")
    assert import_file(store, path2).outcome == "unchanged"


def test_no_known_allergy_sets_the_status_without_an_allergen() -> None:
    nka = s.fhir_allergy()
    nka["code"] = {"coding": [{"system": "http://snomed.info/sct", "code": "716186003", "display": "No known allergy"}]}
    parsed = parse_fhir_bundle(s.fhir_bundle(s.fhir_patient(), nka), "nka.json")
    patient = parsed.patients[s.PATIENT_B]
    assert patient.allergy_status is AllergyStatus.NO_KNOWN_ALLERGIES
    assert patient.allergies == []


def test_invalid_resources_are_rejected_with_their_element(
    store: DuckDBRecordStore, tmp_path: Path, count_rows: CountRows
) -> None:
    broken = s.fhir_medication_request()
    broken["status"] = 42  # not a code
    no_id = s.fhir_patient()
    no_id["identifier"] = [{"system": "urn:other", "value": "x"}]
    orphan = s.fhir_allergy()
    orphan["patient"] = {"reference": "Patient/unknown"}
    parsed = parse_fhir_bundle(s.fhir_bundle(s.fhir_patient(), broken, orphan), "bad.json")
    assert [(r.table, r.row, r.field) for r in parsed.rejections] == [
        ("MedicationRequest", 2, "status"),
        ("AllergyIntolerance", 3, "patient"),
    ]
    no_patient = parse_fhir_bundle(s.fhir_bundle(no_id), "p.json")
    assert [(r.table, r.field) for r in no_patient.rejections] == [("Patient", "identifier")]
    path = tmp_path / "bad.json"
    path.write_bytes(s.fhir_bundle(s.fhir_patient(), broken))
    assert import_file(store, path).outcome == "rejected"
    assert count_rows(store, "patients") == 0


def _report() -> ConflictReport:
    return ConflictReport(
        check_id="chk-0001",
        verdict=Verdict.BLOCK,
        knowledge_version="test-kb",
        lines=(),
        conflicts=(
            Conflict(
                id="c-aaaa",
                kind=ConflictKind.INTERACTION,
                severity=Severity.CONTRAINDICATED,
                interruptive=True,
                line_indexes=(0,),
                record_entries=(
                    RecordEntry(
                        kind=RecordEntryKind.MEDICATION,
                        id="medication-1",
                        text="Warfarin 5mg",
                        status="active",
                        window_text="Warfarin 5mg, prescribed 2026-11-01 for 30 days — active",
                    ),
                ),
                title=LocalizedText(en="Aspirin with warfarin", vi="Aspirin với warfarin"),
                override=Override(conflict_id="c-aaaa", reason=OverrideReason.WILL_MONITOR, comment="INR weekly"),
            ),
            Conflict(id="c-bbbb", kind=ConflictKind.ALLERGY, severity=Severity.MAJOR, line_indexes=(1,)),
        ),
        patient_id=s.PATIENT_A,
        as_of=date(2026, 11, 15),
        checked_at="2026-11-15T09:00:00+07:00",
        allergy_status=AllergyStatus.LISTED,
        prescription_id="rx-0001",
    )


def test_conflicts_export_as_valid_detected_issues() -> None:
    bundle = report_bundle(_report())
    Bundle.model_validate(bundle)
    issues = [e["resource"] for e in bundle["entry"]]
    assert [i["code"]["coding"][0]["code"] for i in issues] == ["DRUG", "ALGY"]
    assert [i["severity"] for i in issues] == ["high", "high"]
    assert issues[0]["patient"]["identifier"]["value"] == s.PATIENT_A
    assert issues[0]["mitigation"][0]["action"]["text"] == "override: WILL_MONITOR — INR weekly"
    assert issues[0]["implicated"][0]["display"].startswith("medication medication-1: Warfarin 5mg")


def test_every_conflict_kind_exports_as_a_valid_detected_issue() -> None:
    # Issue 14 added DURATION and LACTATION; RENAL, PREGNANCY and AGE conflicts once raised a KeyError on export.
    conflicts = tuple(
        Conflict(id=f"c-{n:04x}", kind=kind, severity=Severity.MAJOR, line_indexes=(0,))
        for n, kind in enumerate(ConflictKind)
    )
    bundle = report_bundle(_report().model_copy(update={"conflicts": conflicts}))
    Bundle.model_validate(bundle)
    codes = {e["resource"]["code"]["text"]: e["resource"]["code"].get("coding") for e in bundle["entry"]}
    assert set(codes) == {k.value for k in ConflictKind}
    assert codes["PREGNANCY"][0]["code"] == "PREG" and codes["LACTATION"][0]["code"] == "LACT"
    assert codes["RENAL"] is None  # no ActCode says "renal": the kind is given as text only


def test_a_committed_prescription_exports_linked_to_its_issues() -> None:
    stored = StoredCheck(
        report=_report(),
        prescription=Prescription(
            lines=(
                PrescriptionLine(text="Aspirin 81mg", quantity=30, days=30, dose_text="1 viên/ngày"),
                PrescriptionLine(text="Amoxicilin 500mg"),
            ),
            prescriber_id="000123/HN-CCHN",
        ),
    )
    bundle = prescription_bundle(stored)
    Bundle.model_validate(bundle)
    resources = {e["resource"]["id"]: e["resource"] for e in bundle["entry"]}
    first = resources["rx-0001-0"]
    assert first["resourceType"] == "MedicationRequest" and first["status"] == "active"
    assert first["dispenseRequest"]["expectedSupplyDuration"]["value"] == 30
    issue_id = first["detectedIssue"][0]["reference"].removeprefix("DetectedIssue/")
    assert resources[issue_id]["implicated"][0]["reference"] == "MedicationRequest/rx-0001-0"
    assert resources["rx-0001-1"]["detectedIssue"][0]["reference"] != first["detectedIssue"][0]["reference"]
