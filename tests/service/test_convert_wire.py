"""Pre-encoded check answers (convert.report_to_wire) are the same message as report_to_pb builds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from google.protobuf import json_format

from rxsafe.app.service import SafetyService
from rxsafe.bootstrap import build_service
from rxsafe.gen import medication_safety_pb2 as pb
from rxsafe.service import convert

EXAMPLE = Path(__file__).parents[1] / "data" / "example_request.json"


@pytest.fixture(scope="module")
def service() -> SafetyService:
    return build_service(db=None)


def _request(text: str) -> pb.CheckPrescriptionRequest:
    body = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    body["prescription"]["lines"][1]["text"] = text
    return json_format.Parse(json.dumps(body), pb.CheckPrescriptionRequest())


def test_wire_form_decodes_to_the_message(service: SafetyService) -> None:
    request = convert.check_request_from_pb(_request("Aspirin 81mg"))
    first, second = service.check(request), service.check(request)  # the second is a memoised copy
    assert first.conflicts and first.check_id != second.check_id
    for report in (first, second, first):
        wire = convert.serialize_check_response(convert.report_to_wire(report))
        decoded = pb.CheckPrescriptionResponse.FromString(wire)
        assert decoded == convert.report_to_pb(report)
        assert decoded.check_id == report.check_id and decoded.checked_at == report.checked_at
        assert len(decoded.conflicts) == len(report.conflicts) and len(decoded.lines) == len(report.lines)


def test_another_result_is_not_answered_from_the_cache(service: SafetyService) -> None:
    a = service.check(convert.check_request_from_pb(_request("Aspirin 81mg")))
    b = service.check(convert.check_request_from_pb(_request("Paracetamol 500mg")))
    decoded_b = pb.CheckPrescriptionResponse.FromString(convert.report_to_wire(b).data)
    assert [line.text for line in decoded_b.lines] == [line.line.text for line in b.lines]
    assert decoded_b != pb.CheckPrescriptionResponse.FromString(convert.report_to_wire(a).data)


def test_a_plain_message_is_serialised_as_usual() -> None:
    message = pb.CheckPrescriptionResponse(check_id="chk-1")
    assert convert.serialize_check_response(message) == message.SerializeToString()


def test_an_inline_patient_sent_again_is_one_record_and_a_changed_one_is_not(service: SafetyService) -> None:
    first = convert.check_request_from_pb(_request("Aspirin 81mg"))
    again = convert.check_request_from_pb(_request("Paracetamol 500mg"))
    assert first.patient is not None and first.patient is again.patient  # same bytes, one record
    changed_pb = _request("Aspirin 81mg")
    del changed_pb.patient.allergies[:]
    changed = convert.check_request_from_pb(changed_pb)
    assert changed.patient is not first.patient and changed.patient != first.patient
    with_allergy, without = service.check(first), service.check(changed)
    assert {c.kind for c in with_allergy.conflicts} != {c.kind for c in without.conflicts}
