"""End to end: synthetic XML 130 and FHIR files imported by the CLI, then prescriptions checked against them.

Uses the real compiled knowledge base and name resolver; every patient and file is built in code (synthetic).
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from rxsafe.app.requests import CheckRequest
from rxsafe.app.service import SafetyService
from rxsafe.bootstrap import build_service
from rxsafe.core.enums import ConflictKind, MedicationWindowBasis, Severity, Verdict
from rxsafe.core.models import Prescription, PrescriptionLine
from rxsafe.ehr.eprescription import eprescription_to_check_request
from rxsafe.ehr.fhir_io import prescription_bundle
from tests.ehr import synthetic as s
from tests.ehr.test_eprescription import body

RXSAFE = Path(sys.executable).with_name("rxsafe")
AS_OF = date(2026, 11, 15)


def rxsafe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(RXSAFE), *args], capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SafetyService]:
    folder = tmp_path_factory.mktemp("import")
    db = folder / "records.duckdb"
    (folder / "visit.xml").write_bytes(s.envelope(s.visit_a()))
    (folder / "bundle.json").write_bytes(
        s.fhir_bundle(s.fhir_patient(), s.fhir_allergy(), s.fhir_medication_request(), s.fhir_observation())
    )
    done = rxsafe("ehr", "import", str(folder / "visit.xml"), str(folder / "bundle.json"), "--db", str(db), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["patients"], summary["allergies"], summary["medications"]) == (2, 1, 2)
    assert [f["outcome"] for f in summary["files"]] == ["imported", "imported"]
    return db, build_service(db=db, seed=False)


def _check(service: SafetyService, patient_id: str, *texts: str) -> object:
    lines = tuple(PrescriptionLine(text=t) for t in texts)
    return service.check(CheckRequest(patient_id=patient_id, prescription=Prescription(lines=lines), as_of=AS_OF))


def test_warfarin_from_xml2_is_active_and_says_how(imported: tuple[Path, SafetyService]) -> None:
    _, service = imported
    report = _check(service, s.PATIENT_A, "Aspirin 81mg")
    assert report.verdict is not Verdict.PASS  # type: ignore[attr-defined]
    [conflict] = [c for c in report.conflicts if c.kind is ConflictKind.INTERACTION]  # type: ignore[attr-defined]
    assert conflict.severity >= Severity.MAJOR  # warfarin + low-dose aspirin: bleeding (DDInter major)
    [entry] = conflict.record_entries
    assert entry.status == "active"
    assert entry.window_basis is MedicationWindowBasis.DOSE_TEXT_DAYS
    assert entry.window_text == "Warfarin 5mg, prescribed 2026-11-01 for 30 days (from the dose text) — active"


def test_allergy_from_fhir_blocks_amoxicillin(imported: tuple[Path, SafetyService]) -> None:
    _, service = imported
    report = _check(service, s.PATIENT_B, "Amoxicilin 500mg")
    kinds = {c.kind for c in report.conflicts}  # type: ignore[attr-defined]
    assert ConflictKind.ALLERGY in kinds
    stored = service.store.get_check(report.check_id)  # type: ignore[union-attr, attr-defined]
    assert stored is not None
    bundle = prescription_bundle(stored)
    assert {e["resource"]["resourceType"] for e in bundle["entry"]} == {"MedicationRequest", "DetectedIssue"}


def test_eprescription_checks_against_the_stored_record(imported: tuple[Path, SafetyService]) -> None:
    _, service = imported
    request = eprescription_to_check_request(body(), stored_patient=True)
    report = service.check(request.model_copy(update={"as_of": AS_OF}))
    assert report.verdict is Verdict.BLOCK  # the stored penicillin allergy meets Augmentin
    assert ConflictKind.ALLERGY in {c.kind for c in report.conflicts}
    inline = service.check(eprescription_to_check_request(body()).model_copy(update={"as_of": AS_OF}))
    assert inline.verdict is not Verdict.PASS  # no allergy history in the body: never a clean pass


def test_show_prints_the_patient_as_checked(tmp_path: Path) -> None:
    # A store of its own: the module's service holds the other file open (DuckDB allows one writing process).
    db = tmp_path / "show.duckdb"
    (tmp_path / "visit.xml").write_bytes(s.envelope(s.visit_a()))
    assert rxsafe("ehr", "import", str(tmp_path / "visit.xml"), "--db", str(db)).returncode == 0
    done = rxsafe("ehr", "show", s.PATIENT_A, "--db", str(db), "--as-of", AS_OF.isoformat())
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert s.PATIENT_A not in out  # the personal ID is masked
    assert "Warfarin 5mg, prescribed 2026-11-01 for 30 days (from the dose text) — active [dose text days" in out
    assert "→ warfarin" in out and "[from visit.xml HOSO 1/XML2 row 1]" in out
    assert "I48 Rung nhĩ (principal)" in out
    assert "weight 48.5 kg" in out and "INR: 2.4" in out
