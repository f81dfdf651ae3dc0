"""Races and shutdown: two commits for one patient race (one wins, one is refused as stale, saying what
changed); SIGTERM lets the calls in flight finish before the process exits."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest

from rxsafe.ehr.seed import DEMO_CARDIOVASCULAR
from rxsafe.gen import medication_safety_pb2 as pb
from tests.e2e.conftest import RunningServer, start_server, stop_server
from tests.postgres import fresh_schema, url_with_schema


def request(text: str) -> pb.CheckPrescriptionRequest:
    return pb.CheckPrescriptionRequest(
        patient_id=DEMO_CARDIOVASCULAR, prescription=pb.Prescription(lines=[pb.PrescriptionLine(text=text)])
    )


@pytest.fixture(params=["duckdb", "postgres"])
def racing_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The session's DuckDB server, or one server process on a fresh PostgreSQL schema."""
    if request.param == "duckdb":
        yield request.getfixturevalue("server")
        return
    with fresh_schema("rxsafe_race") as schema:
        running = start_server(tmp_path_factory.mktemp("pg") / "rxsafe.duckdb", "--store", url_with_schema(schema))
        yield running
        stop_server(running)


def test_two_racing_commits_for_one_patient_one_wins_one_is_stale(racing_server: RunningServer) -> None:
    server = racing_server
    stub = server.stub()
    first = stub.CheckPrescription(request("Omeprazol 20mg"), timeout=10)
    second = stub.CheckPrescription(request("Pantoprazol 40mg"), timeout=10)
    barrier = threading.Barrier(2)

    def commit(check_id: str, key: str) -> tuple[str, str]:
        barrier.wait()
        try:
            done = server.stub().CommitPrescription(
                pb.CommitPrescriptionRequest(check_id=check_id, idempotency_key=key), timeout=10
            )
        except grpc.RpcError as error:
            return error.code().name, error.details() or ""
        return "OK", done.prescription_id

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(commit, [first.check_id, second.check_id], ["race-1", "race-2"]))
    outcomes = sorted(code for code, _ in results)
    assert outcomes == ["FAILED_PRECONDITION", "OK"]
    refusal = next(message for code, message in results if code != "OK")
    assert "version" in refusal
    assert "prescription" in refusal  # it says what changed: a prescription was committed


def test_sigterm_drains_calls_in_flight(tmp_path: Path) -> None:
    running = start_server(tmp_path / "rxsafe.duckdb")
    stub = running.stub()
    results: list[str] = []

    def call(n: int) -> None:
        try:
            stub.CheckPrescription(request(f"Paracetamol {100 + n}mg"), timeout=20)
            results.append("ok")
        except grpc.RpcError as error:
            results.append(error.code().name)

    threads = [threading.Thread(target=call, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    running.process.send_signal(signal.SIGTERM)
    for t in threads:
        t.join(timeout=30)
    code = running.process.wait(timeout=30)
    if running.process.stderr is not None:
        running.process.stderr.close()
    assert code == 0
    # Every check the server started was finished and answered; calls arriving after SIGTERM were refused
    # (CANCELLED or UNAVAILABLE), never cut off half-done.
    checks_done = sum('"event": "check"' in line for line in running.logs)
    answered = results.count("ok")
    print(f"\nSIGTERM drain: {answered} answered, {len(results) - answered} refused, {checks_done} logged")
    assert answered == checks_done
    assert set(results) <= {"ok", "UNAVAILABLE", "CANCELLED"}
    assert any('"event": "draining"' in line for line in running.logs)
