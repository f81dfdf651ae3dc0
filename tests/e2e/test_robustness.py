"""Fixed hostile cases through a real server on a real port (issue 19): each once answered UNKNOWN, took the
service's slots, exhausted its memory or misled; each must now be a clear, named answer.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from rxsafe.ehr.seed import DEMO_CARDIOVASCULAR, DEMO_PENICILLIN_CHILD, DEMO_WARFARIN_ELDERLY
from rxsafe.gen import medication_safety_pb2 as pb
from tests.e2e.conftest import RunningServer, start_server, stop_server


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("robust") / "rxsafe.duckdb")
    yield running
    stop_server(running)


def _error(call: object, *args: object) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        call(*args, timeout=30)  # type: ignore[operator]
    error: grpc.RpcError = caught.value
    return error


def _violations(error: grpc.RpcError) -> list[str]:
    """The fields (BadRequest) and limits (QuotaFailure) the error's details name."""
    status = rpc_status.from_call(error)
    assert status is not None, error
    named = []
    for detail in status.details:
        bad, quota = error_details_pb2.BadRequest(), error_details_pb2.QuotaFailure()
        if detail.Unpack(bad):
            named += [v.field for v in bad.field_violations]
        elif detail.Unpack(quota):
            named += [v.subject for v in quota.violations]
    return named


def _line(text: str) -> pb.PrescriptionLine:
    return pb.PrescriptionLine(text=text)


def _erx(**fields: object) -> str:
    body: dict[str, object] = {"thong_tin_don_thuoc": [{"ten_thuoc": "Paracetamol", "so_luong": 10}]}
    body.update(fields)
    return json.dumps(body, ensure_ascii=False)


def test_as_of_far_future_is_invalid_argument_naming_the_field(target: RunningServer) -> None:
    request = pb.CheckPrescriptionRequest(
        patient_id=DEMO_CARDIOVASCULAR, prescription=pb.Prescription(lines=[_line("Aspirin 81mg")]), as_of="9999-12-31"
    )
    error = _error(target.stub().CheckPrescription, request)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _violations(error) == ["as_of"]


def test_deeply_nested_eprescription_is_invalid_argument(target: RunningServer) -> None:
    nested = '{"thong_tin_don_thuoc": ' + "[" * 100_000 + "]" * 100_000 + "}"
    error = _error(target.stub().CheckEPrescription, pb.CheckEPrescriptionRequest(body_json=nested))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _violations(error) == ["body_json"]


def test_lone_surrogate_in_eprescription_is_invalid_argument_naming_the_field(target: RunningServer) -> None:
    body = '{"thong_tin_don_thuoc": [{"ten_thuoc": "Para\\ud800cetamol"}]}'
    error = _error(target.stub().CheckEPrescription, pb.CheckEPrescriptionRequest(body_json=body))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _violations(error) == ["thong_tin_don_thuoc[0].ten_thuoc"]


def test_work_over_budget_is_refused_before_the_work(target: RunningServer) -> None:
    # 100 lines x 500 medications: inside every field limit; once 8–13 s and a 54 MB answer.
    meds = [pb.Medication(text=f"Warfarin {i % 9 + 1}mg", start_date="2026-11-01", days=30) for i in range(500)]
    patient = pb.Patient(allergy_status=pb.ALLERGY_STATUS_NO_KNOWN_ALLERGIES, medications=meds)
    lines = [_line(f"Aspirin {i + 1}mg") for i in range(100)]
    request = pb.CheckPrescriptionRequest(patient=patient, prescription=pb.Prescription(lines=lines))
    started = time.perf_counter()
    error = _error(target.stub().CheckPrescription, request)
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert _violations(error) == ["max_pairs"]
    assert time.perf_counter() - started < 5


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (pb.CommitPrescriptionRequest(check_id="chk-x", idempotency_key="k" * 500), "idempotency_key"),
        (pb.CommitPrescriptionRequest(check_id="c" * 500, idempotency_key="k"), "check_id"),
    ],
)
def test_commit_identifiers_have_limits(
    target: RunningServer, request_: pb.CommitPrescriptionRequest, field: str
) -> None:
    error = _error(target.stub().CommitPrescription, request_)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert _violations(error) == [field]


def test_inline_lists_and_names_have_limits(target: RunningServer) -> None:
    conditions = [pb.Condition(code="I10") for _ in range(201)]
    for patient, field in (
        (pb.Patient(name="N" * 600), "patient.name"),
        (pb.Patient(conditions=conditions), "patient.conditions"),
    ):
        request = pb.CheckPrescriptionRequest(patient=patient, prescription=pb.Prescription(lines=[_line("Aspirin")]))
        error = _error(target.stub().CheckPrescription, request)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert _violations(error) == [field]


def test_open_health_streams_cannot_take_the_slots_of_authenticated_work(target: RunningServer) -> None:
    # No credentials: 256 Watch streams held open, as an attacker would.
    channel = grpc.insecure_channel(target.address)
    health = health_pb2_grpc.HealthStub(channel)
    streams = [health.Watch(health_pb2.HealthCheckRequest(service="")) for _ in range(256)]
    refused = 0
    try:
        time.sleep(1.0)
        for stream in streams[:64]:
            try:
                next(stream)
            except grpc.RpcError as error:
                assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
                refused += 1
        answer = target.stub().CheckPrescription(
            pb.CheckPrescriptionRequest(
                patient_id=DEMO_WARFARIN_ELDERLY, prescription=pb.Prescription(lines=[_line("Aspirin 81mg")])
            ),
            timeout=10,
        )
        assert answer.check_id
        probe = health.Check(health_pb2.HealthCheckRequest(service=""), timeout=2)
        assert probe.status == health_pb2.HealthCheckResponse.SERVING
    finally:
        for stream in streams:
            stream.cancel()
        channel.close()
    assert refused > 0


def test_health_answers_while_every_work_slot_is_busy(target: RunningServer) -> None:
    stub = target.stub()
    request = pb.CheckPrescriptionRequest(
        patient_id=DEMO_CARDIOVASCULAR, prescription=pb.Prescription(lines=[_line("Clarithromycin 500mg")])
    )
    futures = [stub.CheckPrescription.future(request, timeout=60) for _ in range(300)]
    health = health_pb2_grpc.HealthStub(grpc.insecure_channel(target.address))
    probes = [health.Check(health_pb2.HealthCheckRequest(service=""), timeout=5).status for _ in range(10)]
    codes = set()
    for future in futures:
        try:
            future.result()
            codes.add(grpc.StatusCode.OK)
        except grpc.RpcError as error:
            codes.add(error.code())
    assert probes == [health_pb2.HealthCheckResponse.SERVING] * 10
    assert codes <= {grpc.StatusCode.OK, grpc.StatusCode.RESOURCE_EXHAUSTED}


def test_no_unknown_or_internal_in_the_log(target: RunningServer) -> None:
    time.sleep(0.2)
    assert not [line for line in target.logs if '"unexpected error"' in line]


def _by_id(patient_id: str, *texts: str) -> pb.CheckPrescriptionRequest:
    return pb.CheckPrescriptionRequest(
        patient_id=patient_id, prescription=pb.Prescription(lines=[_line(t) for t in texts])
    )


def test_idempotency_key_reused_with_another_body_is_refused_naming_the_key(target: RunningServer) -> None:
    stub = target.stub()
    report = stub.CheckPrescription(_by_id(DEMO_PENICILLIN_CHILD, "Amoxicilin 250mg"), timeout=10)
    blocking = [c for c in report.conflicts if c.interruptive]
    assert blocking

    def commit(reason: int) -> pb.CommitPrescriptionRequest:
        overrides = [pb.Override(conflict_id=c.id, reason=reason, comment="tested negative") for c in blocking]
        return pb.CommitPrescriptionRequest(check_id=report.check_id, idempotency_key="idem-19", overrides=overrides)

    first = stub.CommitPrescription(commit(pb.OVERRIDE_REASON_ALLERGY_HISTORY_DOUBTFUL), timeout=10)
    again = stub.CommitPrescription(commit(pb.OVERRIDE_REASON_ALLERGY_HISTORY_DOUBTFUL), timeout=10)
    assert again.replayed and again.prescription_id == first.prescription_id
    error = _error(stub.CommitPrescription, commit(pb.OVERRIDE_REASON_WILL_MONITOR))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "idem-19" in (error.details() or "")
    # The override names the user the client asserted and, beside it, the authenticated client itself.
    stored = stub.GetCheck(pb.GetCheckRequest(check_id=report.check_id), timeout=10)
    overridden = [c.override for c in stored.conflicts if c.HasField("override")]
    assert overridden and all(o.asserted_by_client == "development key (make run)" for o in overridden)


def test_identity_mismatch_between_eprescription_and_record_is_a_notice(target: RunningServer) -> None:
    stub = target.stub()

    def kinds(name: str, birth: str) -> list[int]:
        body = _erx(ma_dinh_danh_y_te=DEMO_CARDIOVASCULAR, ho_ten_benh_nhan=name, ngay_sinh_benh_nhan=birth)
        answer = stub.CheckEPrescription(pb.CheckEPrescriptionRequest(body_json=body), timeout=10)
        assert answer.patient_id == DEMO_CARDIOVASCULAR
        return [n.kind for n in answer.notices]

    # The stored patient is "BỆNH NHÂN DEMO Ba", born 1956-11-20; the same name without diacritics is no mismatch.
    assert pb.NOTICE_KIND_IDENTITY_MISMATCH not in kinds("BENH NHAN DEMO BA", "20/11/1956")
    assert pb.NOTICE_KIND_IDENTITY_MISMATCH in kinds("Trần Thị Khác", "20/11/1956")
    assert pb.NOTICE_KIND_IDENTITY_MISMATCH in kinds("BỆNH NHÂN DEMO Ba", "01/01/1990")


def test_store_and_log_files_are_private(target: RunningServer) -> None:
    for path in (target.db, target.db.with_name(target.db.name + ".wal"), target.db.with_name("access.json")):
        if path.exists():
            assert path.stat().st_mode & 0o077 == 0, path
