"""New prescriptions (issue 16): what the patient index, the context memo and the per-conflict forms keep must
never change a report. Each check here is compared with the same check computed from nothing (fresh service,
fresh indexes), with the real knowledge base and resolver."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from rxsafe.app.requests import CheckRequest
from rxsafe.app.service import SafetyService
from rxsafe.bootstrap import build_service
from rxsafe.core import patient_index
from rxsafe.core.models import ConflictReport, Prescription, PrescriptionLine
from rxsafe.ehr import serialize
from rxsafe.ehr.duckdb_store import DuckDBRecordStore
from rxsafe.gen import medication_safety_pb2 as pb
from rxsafe.service import convert
from scripts.bench import newcheck

TODAY = date(2026, 11, 20)
PATIENT = newcheck.LIST_PATIENT_IDS[20]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("new-checks") / "records.duckdb"
    with DuckDBRecordStore(path) as store:
        store.upsert_patient(newcheck.patient(PATIENT, 20, 3, TODAY), source="test (synthetic)")
    return path


@pytest.fixture
def service(db: Path) -> Iterator[SafetyService]:
    made = build_service(db=db, seed=False)
    yield made
    assert made.store is not None
    made.store.close()


def _request(lines: list[tuple[str, int]]) -> CheckRequest:
    return CheckRequest(
        patient_id=PATIENT,
        prescription=Prescription(
            lines=tuple(
                PrescriptionLine(text=text, quantity=days * 2, dose_text="1 viên/lần * 2 lần/ngày", days=days)
                for text, days in lines
            )
        ),
        as_of=TODAY,
    )


def _from_nothing(db: Path, request: CheckRequest) -> ConflictReport:
    """The same check with every cache empty: a new service and no patient index."""
    with patient_index._lock:
        patient_index._indexes.clear()
    fresh = build_service(db=db, seed=False)
    try:
        return fresh.check(request)
    finally:
        assert fresh.store is not None
        fresh.store.close()


def _content(report: ConflictReport) -> ConflictReport:
    return report.model_copy(update={"check_id": "", "checked_at": ""})


def test_reports_equal_a_check_from_nothing_whatever_came_before(service: SafetyService, db: Path) -> None:
    # The same ingredients on other lines, other days, a pair seen before on other lines: each report is the one
    # computed from nothing (ids follow line indexes; nothing of an earlier check leaks into a later one).
    prescriptions = [
        [("Clarithromycin 500mg", 7), ("Ibuprofen 400mg", 5), ("Amoxicilin 500mg (Hagimox)", 7)],
        [("Ibuprofen 400mg", 3), ("Clarithromycin 500mg", 10), ("Esomeprazol 40mg", 14)],
        [("Esomeprazol 40mg", 14), ("Cotrimoxazol 480mg", 5), ("Ibuprofen 400mg", 3), ("Clarithromycin 500mg", 7)],
        [("Clarithromycin 500mg", 7), ("Ibuprofen 400mg", 5), ("Amoxicilin 500mg (Hagimox)", 7)],
    ]
    for lines in prescriptions:
        got = service.check(_request(lines))
        assert got.conflicts, "the synthetic patient interacts with these lines"
        assert _content(got) == _content(_from_nothing(db, _request(lines)))


def test_stored_report_reads_back_equal_and_wire_matches(service: SafetyService) -> None:
    for request in newcheck.distinct_requests(PATIENT, 6):
        report = service.check(convert.check_request_from_pb(request))
        assert service.store is not None
        stored = service.store.get_check(report.check_id)
        assert stored is not None
        assert stored.report == report
        assert serialize.report_json(report) == report.model_dump_json()
        wire = pb.CheckPrescriptionResponse.FromString(convert.report_to_wire(report).data)
        assert wire == convert.report_to_pb(report)


def test_resolution_ignores_quantity_and_days_but_not_the_text(service: SafetyService) -> None:
    a = service.resolver.resolve_line(PrescriptionLine(text="Clarithromycin 500mg", quantity=14, days=7))
    b = service.resolver.resolve_line(PrescriptionLine(text="Clarithromycin 500mg", quantity=20, days=10))
    c = service.resolver.resolve_line(PrescriptionLine(text="Ibuprofen 400mg", quantity=14, days=7))
    assert a is b
    assert a.ingredients[0].inn == "clarithromycin"
    assert c.ingredients[0].inn == "ibuprofen"


def test_indexes_stay_within_their_memory_budget(service: SafetyService, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(patient_index, "MAX_HELD_CONFLICTS", 50)
    for n, request in enumerate(newcheck.distinct_requests(PATIENT, 8)):
        as_of = date(2026, 11, 1 + n)  # another date is another context, so another index
        check = convert.check_request_from_pb(request).model_copy(update={"as_of": as_of})
        service.check(check)
    with patient_index._lock:
        held = sum(index.held for index in patient_index._indexes.values())
        kept = len(patient_index._indexes)
    assert kept >= 1
    assert held <= 50 or kept == 1
