"""Reading a CDS Hooks request: the draft orders as prescription lines, the prefetch as the patient's record."""

from __future__ import annotations

from typing import Any

import pytest

from rxsafe.core.enums import AllergyStatus
from rxsafe.core.errors import InvalidRequest
from rxsafe.http.fhir_input import parse_hook_request

PERSONAL_ID = "001219000777"


def order(**extra: Any) -> dict[str, Any]:
    resource = {
        "resourceType": "MedicationRequest",
        "id": "o1",
        "status": "draft",
        "intent": "order",
        "medicationCodeableConcept": {"text": "Amoxicilin 500mg"},
        "subject": {"reference": "Patient/p1"},
        "dosageInstruction": [{"text": "1 viên/lần * 3 lần/ngày"}],
        "dispenseRequest": {"quantity": {"value": 21}, "expectedSupplyDuration": {"value": 7, "code": "d"}},
    }
    resource.update(extra)
    return resource


def body(*orders: dict[str, Any], prefetch: dict[str, Any] | None = None, patient_id: str = "p1") -> dict[str, Any]:
    draft = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": o} for o in orders]}
    request: dict[str, Any] = {
        "hook": "order-sign",
        "hookInstance": "h-1",
        "context": {"userId": "Practitioner/1", "patientId": patient_id, "draftOrders": draft},
    }
    if prefetch is not None:
        request["prefetch"] = prefetch
    return request


def searchset(*resources: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in resources]}


PATIENT = {
    "resourceType": "Patient",
    "id": "p1",
    "identifier": [{"system": "http://fhir.hl7.org.vn/core/sid/cccd", "value": PERSONAL_ID}],
}


def test_draft_orders_become_lines_with_dose_quantity_and_days() -> None:
    lab = {"resourceType": "ServiceRequest", "id": "lab"}
    request = parse_hook_request(body(order(), lab, patient_id=PERSONAL_ID), "order-sign")
    line = request.lines[0]
    assert (line.text, line.dose_text, line.quantity, line.days) == (
        "Amoxicilin 500mg",
        "1 viên/lần * 3 lần/ngày",
        21,
        7,
    )
    assert request.order_refs == ("MedicationRequest/o1",)
    assert request.not_checked == ("ServiceRequest/lab",)


def test_a_personal_id_as_patient_id_loads_the_stored_record() -> None:
    request = parse_hook_request(body(order(), patient_id=PERSONAL_ID), "order-sign")
    assert request.patient is None and request.personal_id == PERSONAL_ID


def test_without_personal_id_or_prefetch_the_request_is_refused() -> None:
    with pytest.raises(InvalidRequest) as error:
        parse_hook_request(body(order()), "order-sign")
    assert error.value.field == "prefetch.patient"


def test_prefetch_with_allergies_is_a_listed_history() -> None:
    allergy = {
        "resourceType": "AllergyIntolerance",
        "id": "a1",
        "patient": {"reference": "Patient/p1"},
        "code": {"text": "Penicilin"},
    }
    prefetch = {"patient": PATIENT, "allergies": searchset(allergy), "medications": searchset()}
    record = parse_hook_request(body(order(), prefetch=prefetch), "order-sign").patient
    assert record is not None
    assert record.patient_id == PERSONAL_ID
    assert record.allergy_status is AllergyStatus.LISTED
    assert [(a.id, a.allergen) for a in record.allergies] == [("fhir:AllergyIntolerance/a1", "Penicilin")]


def test_an_empty_allergy_search_is_not_no_known_allergies() -> None:
    prefetch = {"patient": PATIENT, "allergies": searchset(), "medications": searchset()}
    record = parse_hook_request(body(order(), prefetch=prefetch), "order-sign").patient
    assert record is not None and record.allergy_status is AllergyStatus.NOT_RECORDED


def test_a_prefetched_medication_without_its_patient_is_named() -> None:
    stray = order(id="m9", status="active", subject={"reference": "Patient/someone-else"})
    prefetch = {"patient": PATIENT, "allergies": searchset(), "medications": searchset(stray)}
    with pytest.raises(InvalidRequest) as error:
        parse_hook_request(body(order(), prefetch=prefetch), "order-sign")
    assert error.value.field == "prefetch.medications.entry[0].resource.subject"


def test_order_select_needs_selections() -> None:
    request = body(order())
    request["hook"] = "order-select"
    with pytest.raises(InvalidRequest) as error:
        parse_hook_request(request, "order-select")
    assert error.value.field == "context.selections"


def test_the_bench_request_reads_as_its_five_lines() -> None:
    from scripts.bench.workload import PRESCRIPTION_TEXTS  # noqa: PLC0415
    from scripts.bench_cds import order_sign_body  # noqa: PLC0415 -- the bench's own request, kept valid here

    request = parse_hook_request(order_sign_body(), "order-sign")
    assert [line.text for line in request.lines] == list(PRESCRIPTION_TEXTS)
    assert request.personal_id is not None and request.patient is None
