"""``rxsafe serve --store postgresql://… --workers N``, as real processes on real ports, and faults across them:
a worker SIGKILLed during concurrent commits, two workers committing for one patient at once, PostgreSQL going
away under load (through a proxy the test controls, so the machine's PostgreSQL keeps running)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import grpc
import httpx
import psycopg
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from rxsafe.core.enums import AllergyStatus
from rxsafe.core.models import Medication, PatientRecord
from rxsafe.ehr.postgres_store import PostgresRecordStore
from rxsafe.gen import medication_safety_pb2 as pb
from rxsafe.gen import medication_safety_pb2_grpc as pb_grpc
from rxsafe.service.access import AccessFile, Role
from tests.e2e.conftest import RXSAFE, RunningServer, start_server, stop_server
from tests.e2e.tcp_proxy import TcpProxy
from tests.postgres import POSTGRES_URL, fresh_schema, url_with_schema

pytestmark = pytest.mark.slow

RETRYABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED}
CLIENTS = 4
PATIENTS_PER_CLIENT = 2
COMMITS_PER_PATIENT = 5
KILLS = 3
LOCAL_POOL = [("grpc.use_local_subchannel_pool", 1)]


@pytest.fixture
def schema() -> Iterator[str]:
    with fresh_schema("rxsafe_e2e") as name:
        yield name


def log_entries(server: RunningServer) -> list[dict[str, Any]]:
    return [json.loads(line) for line in list(server.logs) if line.startswith("{")]


def worker_addresses(server: RunningServer) -> dict[int, tuple[int, str]]:
    """Worker index → (pid, own address), as last reported (a restarted worker reports again)."""
    found: dict[int, tuple[int, str]] = {}
    for entry in log_entries(server):
        if entry.get("event") == "worker ready":
            found[int(entry["worker"])] = (int(entry["pid"]), str(entry["own_address"]))
    return found


def start_workers(tmp_path: Path, url: str, workers: int = 2, *extra: str) -> RunningServer:
    return start_server(tmp_path / "rxsafe.duckdb", "--store", url, "--workers", str(workers), *extra)


def seed(url_schema: str, ids: list[str]) -> None:
    with PostgresRecordStore(POSTGRES_URL, schema=url_schema, pool_size=1) as store:
        for pid in ids:
            store.upsert_patient(
                PatientRecord(
                    patient_id=pid,
                    name="BỆNH NHÂN THỬ NGHIỆM",
                    allergy_status=AllergyStatus.NO_KNOWN_ALLERGIES,
                    medications=(Medication(id="", text="Omeprazol 20mg", start_date=date(2026, 11, 1), days=30),),
                ),
                source="workers test (synthetic)",
            )


def query(schema: str, statement: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{schema}"')
        return conn.execute(statement).fetchall()


def integrity(schema: str, acknowledged: dict[str, str]) -> dict[str, int]:
    """Lost and duplicated acknowledged commits, half-written prescriptions, and whether the trail verifies."""
    by_key: dict[str, list[str]] = {}
    for key, prescription_id in query(schema, "SELECT idempotency_key, prescription_id FROM prescriptions"):
        by_key.setdefault(key, []).append(prescription_id)
    partial = query(
        schema,
        """SELECT count(*) FROM prescriptions p
           WHERE (SELECT count(*) FROM medications m WHERE m.prescription_id = p.prescription_id) != 1
              OR (SELECT count(*) FROM record_changes r
                  WHERE r.patient_id = p.patient_id AND r.what LIKE '%' || p.prescription_id || '%') != 1""",
    )[0][0]
    orphans = query(
        schema,
        """SELECT count(*) FROM medications m WHERE m.prescription_id IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM prescriptions p WHERE p.prescription_id = m.prescription_id)""",
    )[0][0]
    with PostgresRecordStore(POSTGRES_URL, schema=schema, pool_size=1) as store:
        chain = store.verify_audit()
    return {
        "lost": sum(1 for k, p in acknowledged.items() if by_key.get(k) != [p]),
        "duplicated": sum(1 for ps in by_key.values() if len(ps) > 1),
        "half_written": int(partial) + int(orphans),
        "chain_ok": int(chain.ok),
        "chain_rows": chain.rows,
    }


@dataclass
class Load:
    """Clients committing through the shared port, a new connection per call (so the kernel spreads them)."""

    address: str
    key: str
    acknowledged: dict[str, str] = field(default_factory=dict)
    sent: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def call(self, method: str, request: Any, *, retry: bool = True, timeout: float = 10) -> Any:
        metadata = (
            ("authorization", f"Bearer {self.key}"),
            ("x-rxsafe-user", "dr-workers"),
            ("x-rxsafe-purpose", "treatment"),
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                # A connection of its own (gRPC would share one among channels): the kernel spreads them.
                with grpc.insecure_channel(self.address, options=LOCAL_POOL) as channel:
                    stub = pb_grpc.MedicationSafetyStub(channel)
                    return getattr(stub, method)(request, timeout=timeout, metadata=metadata)
            except grpc.RpcError as error:
                with self.lock:
                    self.failures[error.code().name] = self.failures.get(error.code().name, 0) + 1
                if not retry or error.code() not in RETRYABLE or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def commit_one(self, pid: str, n: int, k: int) -> None:
        """Checks and commits until acknowledged, under one idempotency key, retrying as a real client would."""
        key = f"w-{n}-{pid}-{k}"
        while True:
            report = self.call(
                "CheckPrescription",
                pb.CheckPrescriptionRequest(
                    patient_id=pid,
                    prescription=pb.Prescription(lines=[pb.PrescriptionLine(text=f"Paracetamol {500 + k}mg")]),
                ),
            )
            with self.lock:
                self.sent += 1
            try:
                answer = self.call(
                    "CommitPrescription",
                    pb.CommitPrescriptionRequest(check_id=report.check_id, idempotency_key=key),
                )
            except grpc.RpcError as error:
                if error.code() in {grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION}:
                    continue  # a check the killed worker never stored, or a record that moved on: check again
                raise
            with self.lock:
                self.acknowledged[key] = answer.prescription_id
            break


def prescriber_key(tmp_path: Path) -> str:
    access = AccessFile()
    key = access.create_key((Role.PRESCRIBER, Role.ADMIN), "workers test")
    access.save(tmp_path / "access.json")
    return key


def test_duckdb_with_several_workers_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [str(RXSAFE), "serve", "--port", "0", "--db", str(tmp_path / "x.duckdb"), "--workers", "2"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "--workers" in done.stderr
    assert "postgresql://" in done.stderr
    assert not (tmp_path / "x.duckdb").exists()


def test_workers_share_one_port_answer_health_each_reload_together_and_drain(tmp_path: Path, schema: str) -> None:
    key = prescriber_key(tmp_path)
    running = start_workers(tmp_path, url_with_schema(schema), 2, "--metrics-port", "0")
    try:
        workers = worker_addresses(running)
        assert sorted(workers) == [0, 1]
        assert len({pid for pid, _ in workers.values()}) == 2
        for _, own in workers.values():  # health of each process, on its own port
            with grpc.insecure_channel(own) as channel:
                answer = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
                assert answer.status == health_pb2.HealthCheckResponse.SERVING
        load = Load(running.address, key)
        for n in range(6):  # through the shared port
            load.call(
                "CheckPrescription",
                pb.CheckPrescriptionRequest(
                    patient_id="000000000003",
                    prescription=pb.Prescription(lines=[pb.PrescriptionLine(text=f"Paracetamol {100 + n}mg")]),
                ),
            )
        # ReloadConfiguration answered by one worker reaches the other.
        load.call("ReloadConfiguration", pb.ReloadConfigurationRequest())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(e.get("event") == "reloaded" for e in log_entries(running)):
                break
            time.sleep(0.2)
        reloaded = [e["worker"] for e in log_entries(running) if e.get("event") == "reloaded"]
        assert len(reloaded) == 1
        os.kill(running.process.pid, signal.SIGHUP)  # an operator's SIGHUP reaches both
        while (
            time.monotonic() < deadline and len([e for e in log_entries(running) if e.get("event") == "reloaded"]) < 3
        ):
            time.sleep(0.2)
        assert sorted(e["worker"] for e in log_entries(running) if e.get("event") == "reloaded")[1:] != []
        assert len([e for e in log_entries(running) if e.get("event") == "reloaded"]) == 3
        running.process.send_signal(signal.SIGTERM)
        assert running.process.wait(timeout=60) == 0
        stopped = [e for e in log_entries(running) if e.get("event") == "stopped" and "exit_codes" in e]
        assert stopped and stopped[-1]["exit_codes"] == [0, 0]
    finally:
        stop_server(running)


def test_sigkill_a_worker_during_concurrent_commits_loses_and_duplicates_nothing(tmp_path: Path, schema: str) -> None:
    ids = [f"6000000{n:05d}" for n in range(CLIENTS * PATIENTS_PER_CLIENT)]
    seed(schema, ids)
    key = prescriber_key(tmp_path)
    running = start_workers(tmp_path, url_with_schema(schema), 2, "--no-seed")
    load = Load(running.address, key)
    kills = 0
    done = threading.Event()
    rounds = [0] * CLIENTS

    def client(n: int) -> None:
        # At least COMMITS_PER_PATIENT rounds, and on until the killer is through: every kill hits live load.
        while rounds[n] < COMMITS_PER_PATIENT or not done.is_set():
            for pid in ids[n::CLIENTS]:
                load.commit_one(pid, n, rounds[n])
            rounds[n] += 1

    def killer() -> None:
        nonlocal kills
        rng = random.Random(20261206)
        while kills < KILLS and not done.is_set():
            time.sleep(rng.uniform(0.3, 1.0))
            workers = worker_addresses(running)
            pid, _ = workers[rng.randrange(len(workers))]
            os.kill(pid, signal.SIGKILL)
            kills += 1
            deadline = time.monotonic() + 90  # wait for the supervisor to start it again
            while time.monotonic() < deadline and pid in {p for p, _ in worker_addresses(running).values()}:
                time.sleep(0.1)

    clients = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(CLIENTS)]
    kill_thread = threading.Thread(target=killer, daemon=True)
    started = time.monotonic()
    kill_thread.start()
    for c in clients:
        c.start()
    kill_thread.join(timeout=240)
    done.set()
    for c in clients:
        c.join(timeout=240)
    try:
        assert not any(c.is_alive() for c in clients), "a client did not finish in time"
        # Replays after the kills return the first answers.
        for idem, prescription_id in sorted(load.acknowledged.items())[:3]:
            check_id = query(schema, f"SELECT check_id FROM prescriptions WHERE idempotency_key = '{idem}'")[0][0]
            again = load.call(
                "CommitPrescription", pb.CommitPrescriptionRequest(check_id=check_id, idempotency_key=idem)
            )
            assert again.replayed and again.prescription_id == prescription_id
    finally:
        stop_server(running)
    figures = integrity(schema, load.acknowledged)
    print(
        f"\nworkers SIGKILL test: commits sent {load.sent}, acknowledged {len(load.acknowledged)}, kills {kills}, "
        f"lost {figures['lost']}, duplicated {figures['duplicated']}, half-written {figures['half_written']}, "
        f"audit chain {'verifies' if figures['chain_ok'] else 'BROKEN'} ({figures['chain_rows']} rows), "
        f"client errors retried {load.failures}, {time.monotonic() - started:.1f} s"
    )
    assert kills == KILLS
    assert len(load.acknowledged) == sum(rounds) * PATIENTS_PER_CLIENT
    assert figures["lost"] == 0
    assert figures["duplicated"] == 0
    assert figures["half_written"] == 0
    assert figures["chain_ok"] == 1


def test_two_workers_committing_for_one_patient_at_once_one_wins(tmp_path: Path, schema: str) -> None:
    key = prescriber_key(tmp_path)
    running = start_workers(tmp_path, url_with_schema(schema), 2)
    try:
        own = [address for _, address in sorted(worker_addresses(running).values())]
        per_worker = [Load(address, key) for address in own]
        checks = [
            load.call(
                "CheckPrescription",
                pb.CheckPrescriptionRequest(
                    patient_id="000000000003",
                    prescription=pb.Prescription(lines=[pb.PrescriptionLine(text=text)]),
                ),
            ).check_id
            for load, text in zip(per_worker, ["Omeprazol 20mg", "Pantoprazol 40mg"], strict=True)
        ]
        barrier = threading.Barrier(2)
        outcomes: list[tuple[str, str]] = []

        def commit(index: int) -> None:
            barrier.wait()
            try:
                answer = per_worker[index].call(
                    "CommitPrescription",
                    pb.CommitPrescriptionRequest(check_id=checks[index], idempotency_key=f"same-patient-{index}"),
                    retry=False,
                )
                outcomes.append(("OK", answer.prescription_id))
            except grpc.RpcError as error:
                outcomes.append((error.code().name, error.details() or ""))

        threads = [threading.Thread(target=commit, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert sorted(code for code, _ in outcomes) == ["FAILED_PRECONDITION", "OK"]
        refusal = next(message for code, message in outcomes if code != "OK")
        assert "version" in refusal and "prescription" in refusal
    finally:
        stop_server(running)


def test_postgresql_going_away_under_load_is_unavailable_then_recovers(tmp_path: Path, schema: str) -> None:
    ids = [f"6100000{n:05d}" for n in range(4)]
    seed(schema, ids)
    proxy = TcpProxy(("127.0.0.1", 5432))
    proxy.start()
    url = url_with_schema(schema).replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    key = prescriber_key(tmp_path)
    running = start_workers(tmp_path, url, 2, "--no-seed")
    load = Load(running.address, key)
    outcomes: dict[str, int] = {}
    stop = threading.Event()
    counter = iter(range(1_000_000))

    def client(patient_id: str) -> None:  # a patient per client: no stale refusals between them
        while not stop.is_set():
            try:
                n = next(counter)
                report = load.call(
                    "CheckPrescription",
                    pb.CheckPrescriptionRequest(
                        patient_id=patient_id,
                        prescription=pb.Prescription(
                            lines=[pb.PrescriptionLine(text=f"Paracetamol {n % 900 + 100}mg")]
                        ),
                    ),
                    retry=False,
                )
                answer = load.call(
                    "CommitPrescription",
                    pb.CommitPrescriptionRequest(check_id=report.check_id, idempotency_key=f"outage-{n}"),
                    retry=False,
                )
                with load.lock:
                    load.acknowledged[f"outage-{n}"] = answer.prescription_id
                code = "OK"
            except grpc.RpcError as error:
                code = error.code().name
            with load.lock:
                outcomes[code] = outcomes.get(code, 0) + 1

    try:
        threads = [threading.Thread(target=client, args=(pid,), daemon=True) for pid in ids]
        for t in threads:
            t.start()
        time.sleep(3)
        before = dict(outcomes)
        proxy.stop()  # PostgreSQL is gone for the workers
        time.sleep(6)
        during = {k: outcomes.get(k, 0) - before.get(k, 0) for k in outcomes}
        proxy.start()  # and back
        recovered_at = None
        deadline = time.monotonic() + 60
        mark = outcomes.get("OK", 0)
        while time.monotonic() < deadline:
            if outcomes.get("OK", 0) > mark + 4:
                recovered_at = time.monotonic()
                break
            time.sleep(0.2)
        stop.set()
        for t in threads:
            t.join(timeout=30)
    finally:
        stop_server(running)
        proxy.stop()
    figures = integrity(schema, load.acknowledged)
    print(
        f"\nPostgreSQL outage: before {before}, while down {during}, recovered {recovered_at is not None}, "
        f"all {outcomes}, integrity {figures}"
    )
    assert before.get("OK", 0) > 0
    assert during.get("UNAVAILABLE", 0) > 0
    assert set(during) - {"OK"} <= {"UNAVAILABLE"}  # while down: UNAVAILABLE (a call already past the store: OK)
    assert recovered_at is not None
    assert figures["lost"] == 0
    assert figures["duplicated"] == 0
    assert figures["half_written"] == 0
    assert figures["chain_ok"] == 1


def test_both_workers_serve_the_cds_port_and_feedback_crosses_them(tmp_path: Path, schema: str) -> None:
    """``--workers 2 --http-port 0``: one shared HTTP port (the supervisor reserves it), both workers answer on it,
    and feedback on a card finds its check whichever worker made it (the check is in PostgreSQL)."""
    key = prescriber_key(tmp_path)
    running = start_workers(tmp_path, url_with_schema(schema), 2, "--http-port", "0", "--metrics-port", "0")
    try:
        http = sorted({str(e["address"]) for e in log_entries(running) if e.get("event") == "cds serving"})
        assert len([e for e in log_entries(running) if e.get("event") == "cds serving"]) == 2
        assert len(http) == 1, f"the workers' CDS ports differ: {http}"
        headers = {"Authorization": f"Bearer {key}", "Connection": "close"}  # a connection per call: spread
        cards: list[dict[str, Any]] = []
        for n in range(16):
            body = {
                "hook": "order-sign",
                "hookInstance": f"00000000-0000-4000-8000-{n:012d}",
                "context": {
                    "userId": "Practitioner/bs-1",
                    "patientId": "000000000003",
                    "draftOrders": {
                        "resourceType": "Bundle",
                        "type": "collection",
                        "entry": [
                            {
                                "resource": {
                                    "resourceType": "MedicationRequest",
                                    "id": "draft-0",
                                    "status": "draft",
                                    "intent": "order",
                                    "medicationCodeableConcept": {"text": f"Clarithromycin {250 + n}mg"},
                                    "subject": {"reference": "Patient/000000000003"},
                                }
                            }
                        ],
                    },
                },
            }
            answer = httpx.post(f"http://{http[0]}/cds-services/rxsafe-order-sign", json=body, headers=headers)
            assert answer.status_code == 200, answer.text
            cards.append(next(c for c in answer.json()["cards"] if c["indicator"] == "critical"))
        # Which process made each check: the PostgreSQL audit trail has one chain per writer process.
        writers = query(schema, "SELECT count(DISTINCT chain_id) FROM audit_log WHERE action = 'check'")[0][0]
        assert writers == 2, "both workers answered on the shared CDS port"
        for card in cards:  # each on a new connection: some reach the worker that did not make the card's check
            entry = {"card": card["uuid"], "outcome": "accepted", "outcomeTimestamp": "2026-12-06T09:30:00Z"}
            answer = httpx.post(
                f"http://{http[0]}/cds-services/rxsafe-order-sign/feedback", json={"feedback": [entry]}, headers=headers
            )
            assert answer.status_code == 200, answer.text
        rows = query(schema, "SELECT count(*), count(DISTINCT chain_id) FROM audit_log WHERE action = 'cds_feedback'")
        assert rows[0] == (16, 2)
        # Each worker counts what it answered, on its own metrics port; together they count every call.
        scraped = [str(e["address"]) for e in log_entries(running) if e.get("event") == "metrics"]
        assert len(scraped) == 2
        total = 0.0
        for address in scraped:
            text = httpx.get(f"http://{address}/metrics").text
            total += sum(
                float(line.rsplit(" ", 1)[1])
                for line in text.splitlines()
                if line.startswith("rxsafe_cds_feedback_total{") and 'outcome="accepted"' in line
            )
        assert total == 16
    finally:
        stop_server(running)
