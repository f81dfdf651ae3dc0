"""End to end against a real server on a real port: check, commit, stale, idempotent retry, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import grpc
import pytest
from google.protobuf import json_format
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from grpc_status import rpc_status

from rxsafe.ehr.seed import DEMO_ALLERGY_NOT_RECORDED, DEMO_PENICILLIN_CHILD, DEMO_WARFARIN_ELDERLY
from rxsafe.gen import medication_safety_pb2 as pb
from tests.e2e.conftest import RunningServer

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "example_request.json"


def example_request(as_of: str = "2026-11-26") -> pb.CheckPrescriptionRequest:
    request = json_format.Parse(EXAMPLE.read_text(encoding="utf-8"), pb.CheckPrescriptionRequest())
    request.as_of = as_of
    return request


def by_id(patient_id: str, *texts: str) -> pb.CheckPrescriptionRequest:
    return pb.CheckPrescriptionRequest(
        patient_id=patient_id, prescription=pb.Prescription(lines=[pb.PrescriptionLine(text=t) for t in texts])
    )


def bad_request_fields(error: grpc.RpcError) -> list[str]:
    status = rpc_status.from_call(error)
    assert status is not None
    fields = []
    for detail in status.details:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            fields += [v.field for v in bad.field_violations]
    return fields


def test_health_and_reflection(server: RunningServer) -> None:
    health = health_pb2_grpc.HealthStub(server.channel())
    for service in ("", "rxsafe.v1.MedicationSafety"):
        answer = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        assert answer.status == health_pb2.HealthCheckResponse.SERVING
    stub = reflection_pb2_grpc.ServerReflectionStub(server.channel())
    (answer,) = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
    names = {s.name for s in answer.list_services_response.service}
    assert "rxsafe.v1.MedicationSafety" in names


def test_example_flags_the_penicillin_allergy_and_warfarin_aspirin(server: RunningServer) -> None:
    report = server.stub().CheckPrescription(example_request(), timeout=10)
    assert report.verdict == pb.VERDICT_BLOCK
    assert [line.status for line in report.lines] == [pb.RESOLUTION_STATUS_RESOLVED] * 2
    assert report.lines[0].ingredients[0].inn == "amoxicillin"
    allergy = [c for c in report.conflicts if c.kind == pb.CONFLICT_KIND_ALLERGY]
    assert len(allergy) == 1
    assert allergy[0].line_indexes == [0]
    assert allergy[0].interruptive
    assert allergy[0].record_entries[0].kind == pb.RECORD_ENTRY_KIND_ALLERGY
    interaction = [
        c
        for c in report.conflicts
        if c.kind == pb.CONFLICT_KIND_INTERACTION and list(c.drugs) == ["acetylsalicylic acid", "warfarin"]
    ]
    assert len(interaction) == 1
    assert interaction[0].line_indexes == [1]
    assert interaction[0].severity >= pb.SEVERITY_MAJOR
    assert interaction[0].evidence and all(e.source for e in interaction[0].evidence)
    assert interaction[0].record_entries[0].start_date == "2026-11-01"
    assert report.knowledge_version
    assert report.check_id


def test_check_commit_retry_and_read_back(server: RunningServer) -> None:
    stub = server.stub()
    report = stub.CheckPrescription(by_id(DEMO_PENICILLIN_CHILD, "Paracetamol 250mg"), timeout=10)
    assert report.patient_id == DEMO_PENICILLIN_CHILD
    assert not any(c.interruptive for c in report.conflicts)
    commit = pb.CommitPrescriptionRequest(check_id=report.check_id, idempotency_key="key-child-1")
    first = stub.CommitPrescription(commit, timeout=10)
    assert first.prescription_id
    assert not first.replayed
    assert first.record_version == report.record_version + 1
    again = stub.CommitPrescription(commit, timeout=10)
    assert again.replayed
    assert again.prescription_id == first.prescription_id
    stored = stub.GetCheck(pb.GetCheckRequest(check_id=report.check_id), timeout=10)
    assert stored.check_id == report.check_id
    assert stored.prescription_id == first.prescription_id
    # The committed prescription is now in the record: checking it again finds it as a current medication.
    recheck = stub.CheckPrescription(by_id(DEMO_PENICILLIN_CHILD, "Paracetamol 250mg"), timeout=10)
    assert recheck.record_version == first.record_version
    assert any(c.kind == pb.CONFLICT_KIND_DUPLICATE_THERAPY for c in recheck.conflicts)


def test_interruptive_conflict_needs_an_override_reason(server: RunningServer) -> None:
    stub = server.stub()
    report = stub.CheckPrescription(by_id(DEMO_PENICILLIN_CHILD, "Amoxicilin 250mg"), timeout=10)
    assert report.verdict == pb.VERDICT_BLOCK
    blocking = [c for c in report.conflicts if c.interruptive]
    with pytest.raises(grpc.RpcError) as refused:
        stub.CommitPrescription(
            pb.CommitPrescriptionRequest(check_id=report.check_id, idempotency_key="k-2"), timeout=10
        )
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "override" in (refused.value.details() or "")
    overrides = [
        pb.Override(conflict_id=c.id, reason=pb.OVERRIDE_REASON_ALLERGY_HISTORY_DOUBTFUL, comment="tested negative")
        for c in blocking
    ]
    done = stub.CommitPrescription(
        pb.CommitPrescriptionRequest(check_id=report.check_id, idempotency_key="k-3", overrides=overrides), timeout=10
    )
    assert done.prescription_id


def test_a_check_made_before_the_record_changed_is_refused_as_stale(server: RunningServer) -> None:
    stub = server.stub()
    first = stub.CheckPrescription(by_id(DEMO_WARFARIN_ELDERLY, "Omeprazol 20mg"), timeout=10)
    second = stub.CheckPrescription(by_id(DEMO_WARFARIN_ELDERLY, "Paracetamol 500mg"), timeout=10)
    stub.CommitPrescription(pb.CommitPrescriptionRequest(check_id=first.check_id, idempotency_key="s-1"), timeout=10)
    with pytest.raises(grpc.RpcError) as refused:
        stub.CommitPrescription(
            pb.CommitPrescriptionRequest(check_id=second.check_id, idempotency_key="s-2"), timeout=10
        )
    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "version" in (refused.value.details() or "").lower()


def test_unknown_allergy_history_and_unknown_drug_never_pass(server: RunningServer) -> None:
    report = server.stub().CheckPrescription(by_id(DEMO_ALLERGY_NOT_RECORDED, "Xyzzyquinol 10mg"), timeout=10)
    assert report.verdict == pb.VERDICT_WARN
    assert report.lines[0].status == pb.RESOLUTION_STATUS_UNRESOLVED
    kinds = {n.kind for n in report.notices}
    assert {pb.NOTICE_KIND_UNRESOLVED_LINE, pb.NOTICE_KIND_ALLERGY_STATUS_UNKNOWN} <= kinds


@pytest.mark.parametrize(
    ("request_json", "field"),
    [
        ({"patient": {}, "prescription": {"lines": []}}, "prescription.lines"),
        ({"patient": {}, "prescription": {"lines": [{"text": "  "}]}}, "prescription.lines[0].text"),
        ({"patientId": "12345", "prescription": {"lines": [{"text": "Aspirin"}]}}, "patient_id"),
        (
            {
                "patient": {"medications": [{"text": "Warfarin", "startDate": "1/11/2026"}]},
                "prescription": {"lines": [{"text": "Aspirin"}]},
            },
            "patient.medications[0].start_date",
        ),
        ({"prescription": {"lines": [{"text": "Aspirin"}]}}, "patient"),
    ],
)
def test_bad_input_is_invalid_argument_naming_the_field(
    server: RunningServer, request_json: dict[str, object], field: str
) -> None:
    request = json_format.Parse(json.dumps(request_json), pb.CheckPrescriptionRequest())
    with pytest.raises(grpc.RpcError) as error:
        server.stub().CheckPrescription(request, timeout=10)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_request_fields(error.value) == [field]


def test_unknown_patient_and_check_are_not_found(server: RunningServer) -> None:
    stub = server.stub()
    with pytest.raises(grpc.RpcError) as error:
        stub.CheckPrescription(by_id("999999999999", "Aspirin 81mg"), timeout=10)
    assert error.value.code() == grpc.StatusCode.NOT_FOUND
    assert "999999999999" not in (error.value.details() or "")  # personal IDs are masked in messages
    with pytest.raises(grpc.RpcError) as missing:
        stub.GetCheck(pb.GetCheckRequest(check_id="chk-nope"), timeout=10)
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND


def test_oversized_message_is_refused(server: RunningServer) -> None:
    huge = pb.CheckPrescriptionRequest(
        patient=pb.Patient(), prescription=pb.Prescription(lines=[pb.PrescriptionLine(text="x" * (5 * 1024 * 1024))])
    )
    with pytest.raises(grpc.RpcError) as error:
        server.stub().CheckPrescription(huge, timeout=10)
    assert error.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_every_check_and_commit_is_in_the_patients_audit_trail(server: RunningServer) -> None:
    stub = server.stub(user="dr-audit")
    report = stub.CheckPrescription(by_id(DEMO_ALLERGY_NOT_RECORDED, "Omeprazol 20mg"), timeout=10)
    stub.CommitPrescription(
        pb.CommitPrescriptionRequest(check_id=report.check_id, idempotency_key="audit-1"), timeout=10
    )
    stub.GetCheck(pb.GetCheckRequest(check_id=report.check_id), timeout=10)
    trail = stub.GetAuditTrail(pb.GetAuditTrailRequest(patient_id=DEMO_ALLERGY_NOT_RECORDED), timeout=10)
    assert trail.chain_intact
    mine = [(e.action, e.subject) for e in trail.events if e.user == "dr-audit"]
    assert ("check", report.check_id) in mine
    assert ("commit", report.check_id) in mine
    assert ("read_check", report.check_id) in mine
    assert all(e.client and e.purpose == "treatment" for e in trail.events)


def test_a_recheck_says_what_is_new_since_the_commit(server: RunningServer) -> None:
    stub = server.stub(purpose="dispensing")
    first = stub.CheckPrescription(by_id(DEMO_ALLERGY_NOT_RECORDED, "Paracetamol 500mg"), timeout=10)
    committed = stub.CommitPrescription(
        pb.CommitPrescriptionRequest(check_id=first.check_id, idempotency_key="recheck-1"), timeout=10
    )
    again = stub.RecheckPrescription(
        pb.RecheckPrescriptionRequest(prescription_id=committed.prescription_id), timeout=10
    )
    assert again.recheck.original_check_id == first.check_id
    assert list(again.recheck.new_conflict_ids) == []  # its own committed rows are not a duplicate of itself
    # Another prescription adds warfarin to the record; the pharmacy re-checks the first one before dispensing.
    second = stub.CheckPrescription(by_id(DEMO_ALLERGY_NOT_RECORDED, "Warfarin 5mg"), timeout=10)
    stub.CommitPrescription(
        pb.CommitPrescriptionRequest(check_id=second.check_id, idempotency_key="recheck-2"), timeout=10
    )
    later = stub.RecheckPrescription(
        pb.RecheckPrescriptionRequest(prescription_id=committed.prescription_id), timeout=10
    )
    new = [c for c in later.conflicts if c.id in set(later.recheck.new_conflict_ids)]
    assert new, "the interaction with the newly prescribed warfarin is reported as new"
    assert all("warfarin" in c.drugs for c in new)
    assert "1 new" in later.recheck.summary.en or "new" in later.recheck.summary.en
    with pytest.raises(grpc.RpcError) as missing:
        stub.RecheckPrescription(pb.RecheckPrescriptionRequest(prescription_id="rx-nope"), timeout=10)
    assert missing.value.code() == grpc.StatusCode.NOT_FOUND
