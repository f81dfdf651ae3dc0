"""Operations against real servers (issue 19): metrics through prometheus_client with error counters, a busy
port as a clean error, SIGTERM drained within 5 s, request ids and time zones in the log, API keys listed and
revoked."""

from __future__ import annotations

import json
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from rxsafe.ehr.seed import DEMO_CARDIOVASCULAR
from rxsafe.gen import medication_safety_pb2 as pb
from tests.e2e.conftest import RXSAFE, RunningServer, start_server, stop_server


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("ops") / "rxsafe.duckdb", "--metrics-port", "0")
    yield running
    stop_server(running)


def _log_entries(server: RunningServer) -> list[dict[str, object]]:
    return [json.loads(line) for line in list(server.logs) if line.startswith("{")]


def _scrape(server: RunningServer) -> str:
    (address,) = [e["address"] for e in _log_entries(server) if e.get("event") == "metrics"]
    port = str(address).rsplit(":", 1)[1]
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        text: str = answer.read().decode("utf-8")
    return text


def test_metrics_count_calls_by_method_and_code(served: RunningServer) -> None:
    stub = served.stub()
    stub.CheckPrescription(
        pb.CheckPrescriptionRequest(
            patient_id=DEMO_CARDIOVASCULAR, prescription=pb.Prescription(lines=[pb.PrescriptionLine(text="Aspirin")])
        ),
        timeout=20,
    )
    with pytest.raises(grpc.RpcError):
        stub.CheckPrescription(pb.CheckPrescriptionRequest(), timeout=20)
    method = "/rxsafe.v1.MedicationSafety/CheckPrescription"
    # The interceptor counts a call once its answer is sent, so the client can see the error first: poll briefly.
    deadline = time.monotonic() + 10
    text = _scrape(served)
    while (
        f'rxsafe_grpc_call_duration_seconds_count{{method="{method}"}} 2.0' not in text and time.monotonic() < deadline
    ):
        time.sleep(0.1)
        text = _scrape(served)
    assert f'rxsafe_grpc_calls_total{{code="OK",method="{method}"}} 1.0' in text
    assert f'rxsafe_grpc_calls_total{{code="INVALID_ARGUMENT",method="{method}"}} 1.0' in text
    assert f'rxsafe_grpc_call_duration_seconds_count{{method="{method}"}} 2.0' in text
    assert "process_resident_memory_bytes" in text and "process_open_fds" in text
    assert 'rxsafe_checks_total{verdict="WARN"}' in text or 'rxsafe_checks_total{verdict="BLOCK"}' in text


def test_log_lines_carry_the_request_id_and_the_time_zone(served: RunningServer) -> None:
    checks = [e for e in _log_entries(served) if e.get("event") == "check"]
    assert checks
    assert all(str(e.get("request_id", "")).startswith("req-") for e in checks)
    assert all(str(e["ts"])[-6] in "+-" for e in checks)  # ISO 8601 with the UTC offset


def test_a_busy_port_is_a_clean_error(served: RunningServer, tmp_path: Path) -> None:
    port = served.address.rsplit(":", 1)[1]
    done = subprocess.run(
        [str(RXSAFE), "serve", "--port", port, "--db", str(tmp_path / "other.duckdb"), "--no-seed"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    error = json.loads(done.stderr.strip().splitlines()[-1])["error"]
    assert error["code"] == "UNAVAILABLE" and "in use" in error["message"]


def test_sigterm_drains_within_five_seconds_even_with_a_health_watch_open(tmp_path: Path) -> None:
    server = start_server(tmp_path / "rxsafe.duckdb")
    channel = grpc.insecure_channel(server.address)
    watch = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service=""))
    assert next(watch).status == health_pb2.HealthCheckResponse.SERVING
    started = time.monotonic()
    server.process.terminate()
    server.process.wait(timeout=30)
    elapsed = time.monotonic() - started
    channel.close()
    stop_server(server)
    assert elapsed <= 5.0, elapsed


def test_keys_list_and_revoke(tmp_path: Path) -> None:
    access = tmp_path / "access.json"

    def rxsafe(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(RXSAFE), *args], capture_output=True, text=True, timeout=60, check=False)

    key = rxsafe("keys", "create", "--role", "prescriber", "--client", "HIS test", "--access", str(access)).stdout
    key_id = key.strip().removeprefix("rxsafe_").split("_", 1)[0]
    listed = rxsafe("keys", "list", "--access", str(access))
    assert listed.returncode == 0 and key_id in listed.stdout and "HIS test" in listed.stdout
    assert key.strip() not in listed.stdout  # the secret is never shown again
    assert rxsafe("keys", "revoke", key_id, "--access", str(access)).returncode == 0
    assert key_id not in rxsafe("keys", "list", "--access", str(access)).stdout
    assert rxsafe("keys", "revoke", key_id, "--access", str(access)).returncode == 1
    assert access.stat().st_mode & 0o077 == 0


def test_the_container_command_starts_behind_a_tls_proxy_and_creates_a_private_key(tmp_path: Path) -> None:
    # The Dockerfile's CMD, on a free port: beyond loopback without TLS only in the explicit proxy mode.
    db = tmp_path / "rxsafe.duckdb"
    refused = subprocess.run(
        [str(RXSAFE), "serve", "--host", "0.0.0.0", "--port", "0", "--db", str(db), "--no-seed"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode == 1 and "without TLS" in refused.stderr
    server = start_server(db, "--host", "0.0.0.0", "--behind-tls-proxy")
    try:
        assert server.address.startswith("0.0.0.0:")
        key_file = db.with_name("dev.key")
        assert key_file.stat().st_mode & 0o077 == 0
        assert server.key not in "".join(server.logs)  # never logged
        port = server.address.rsplit(":", 1)[1]
        local = RunningServer(process=server.process, address=f"127.0.0.1:{port}", db=db)
        answer = local.stub().CheckPrescription(
            pb.CheckPrescriptionRequest(
                patient_id=DEMO_CARDIOVASCULAR,
                prescription=pb.Prescription(lines=[pb.PrescriptionLine(text="Aspirin")]),
            ),
            timeout=20,
        )
        assert answer.check_id
    finally:
        stop_server(server)
