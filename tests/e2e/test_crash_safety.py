"""Crash safety, proven: commits from several clients with retries while the server is SIGKILLed at random.

On both stores (a DuckDB file; a PostgreSQL schema). Every acknowledged commit must be in the record exactly once,
no partial write may exist, and a retry after the restart must return the original answer. Bounded in time; prints
its figures.
"""

from __future__ import annotations

import random
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import grpc
import psycopg
import pytest
from psycopg import sql

from rxsafe.core.enums import AllergyStatus
from rxsafe.core.models import Medication, PatientRecord
from rxsafe.ehr.duckdb_store import DuckDBRecordStore
from rxsafe.ehr.postgres_store import PostgresRecordStore
from rxsafe.gen import medication_safety_pb2 as pb
from rxsafe.gen import medication_safety_pb2_grpc as pb_grpc
from rxsafe.service.access import AccessFile, Role
from tests.e2e.conftest import RunningServer, start_server, stop_server
from tests.postgres import POSTGRES_URL, fresh_schema, url_with_schema

CLIENTS = 4
PATIENTS_PER_CLIENT = 3
COMMITS_PER_PATIENT = 6
KILLS = 4
DURATION_LIMIT = 90.0
RETRYABLE = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.CANCELLED}


@dataclass
class Shared:
    """What the clients and the killer share: where the server is now, and what was acknowledged."""

    server: RunningServer
    key: str
    options: tuple[str, ...] = ()  # the server's store options, for every restart
    lock: threading.Lock = field(default_factory=threading.Lock)
    # idempotency key -> (check id, prescription id)
    acknowledged: dict[str, tuple[str, str]] = field(default_factory=dict)
    sent: int = 0
    kills: int = 0
    done: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class CrashStore:
    """The store under test: the server's extra options, a direct handle for seeding, raw queries afterwards."""

    db: Path
    schema: str | None = None  # a PostgreSQL schema, else the DuckDB file ``db``

    @property
    def server_options(self) -> tuple[str, ...]:
        return ("--store", url_with_schema(self.schema)) if self.schema else ()

    def open(self) -> DuckDBRecordStore:
        if self.schema:
            return PostgresRecordStore(POSTGRES_URL, schema=self.schema, pool_size=1)
        return DuckDBRecordStore(self.db)

    def query(self, statement: str) -> list[tuple[Any, ...]]:
        if self.schema:
            with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
                conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))
                return conn.execute(statement).fetchall()  # type: ignore[arg-type]  # the test's constant SQL
        with duckdb.connect(str(self.db), read_only=True) as conn:
            return conn.execute(statement).fetchall()


@pytest.fixture(params=["duckdb", "postgres"])
def crash_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CrashStore]:
    if request.param == "duckdb":
        yield CrashStore(tmp_path / "rxsafe.duckdb")
        return
    with fresh_schema("rxsafe_crash") as schema:
        yield CrashStore(tmp_path / "rxsafe.duckdb", schema)


def _seed(target: CrashStore) -> list[str]:
    ids = [f"5000000{n:05d}" for n in range(CLIENTS * PATIENTS_PER_CLIENT)]
    with target.open() as store:
        for pid in ids:
            store.upsert_patient(
                PatientRecord(
                    patient_id=pid,
                    name="BỆNH NHÂN THỬ NGHIỆM",
                    allergy_status=AllergyStatus.NO_KNOWN_ALLERGIES,
                    medications=(Medication(id="", text="Omeprazol 20mg", start_date=date(2026, 11, 1), days=30),),
                ),
                source="crash test (synthetic)",
            )
    return ids


def _call(shared: Shared, method: str, request: Any) -> Any:
    """Calls the server wherever it is now, retrying through kills and restarts (like a real client)."""
    deadline = time.monotonic() + DURATION_LIMIT
    while time.monotonic() < deadline:
        with shared.lock:
            address = shared.server.address
        metadata = (
            ("authorization", f"Bearer {shared.key}"),
            ("x-rxsafe-user", "dr-crash"),
            ("x-rxsafe-purpose", "treatment"),
        )
        try:
            with grpc.insecure_channel(address) as channel:
                return getattr(pb_grpc.MedicationSafetyStub(channel), method)(request, timeout=5, metadata=metadata)
        except grpc.RpcError as error:
            if error.code() not in RETRYABLE:
                raise
            time.sleep(0.05)
    raise TimeoutError("the server did not come back")


def _client(shared: Shared, patients: list[str], n: int) -> None:
    for pid in patients:
        for k in range(COMMITS_PER_PATIENT):
            key = f"crash-{n}-{pid}-{k}"
            while True:
                report = _call(
                    shared,
                    "CheckPrescription",
                    pb.CheckPrescriptionRequest(
                        patient_id=pid,
                        prescription=pb.Prescription(lines=[pb.PrescriptionLine(text=f"Paracetamol {500 + k}mg")]),
                    ),
                )
                with shared.lock:
                    shared.sent += 1
                try:
                    answer = _call(
                        shared,
                        "CommitPrescription",
                        pb.CommitPrescriptionRequest(check_id=report.check_id, idempotency_key=key),
                    )
                except grpc.RpcError as error:
                    # A check the server never stored (killed before it answered) or a record that moved on:
                    # check again and commit under the same key.
                    if error.code() in {grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION}:
                        continue
                    raise
                with shared.lock:
                    shared.acknowledged[key] = (report.check_id, answer.prescription_id)
                break


def _killer(shared: Shared, rng: random.Random) -> None:
    while shared.kills < KILLS and not shared.done.is_set():
        time.sleep(rng.uniform(0.2, 1.2))
        with shared.lock:
            old = shared.server
        old.process.send_signal(signal.SIGKILL)
        old.process.wait()
        restarted = start_server(old.db, *shared.options)
        with shared.lock:
            shared.server = restarted
            shared.kills += 1
        if old.process.stderr is not None:
            old.process.stderr.close()


@pytest.mark.slow
def test_acknowledged_commits_survive_sigkill_exactly_once(tmp_path: Path, crash_store: CrashStore) -> None:
    db = crash_store.db
    patients = _seed(crash_store)
    access = AccessFile()
    key = access.create_key((Role.PRESCRIBER,), "crash test")
    access.save(tmp_path / "access.json")
    options = crash_store.server_options
    shared = Shared(server=start_server(db, *options), key=key, options=options)
    rng = random.Random(20261126)
    killer = threading.Thread(target=_killer, args=(shared, rng), daemon=True)
    clients = [
        threading.Thread(target=_client, args=(shared, patients[n::CLIENTS], n), daemon=True) for n in range(CLIENTS)
    ]
    started = time.monotonic()
    killer.start()
    for c in clients:
        c.start()
    for c in clients:
        c.join(timeout=DURATION_LIMIT)
    shared.done.set()
    killer.join(timeout=60)
    assert not any(c.is_alive() for c in clients), "a client did not finish in time"

    # A retry after the last restart returns the original answers.
    replays = 0
    for idem_key, (check_id, prescription_id) in sorted(shared.acknowledged.items())[:5]:
        answer = _call(
            shared, "CommitPrescription", pb.CommitPrescriptionRequest(check_id=check_id, idempotency_key=idem_key)
        )
        assert answer.prescription_id == prescription_id
        assert answer.replayed
        replays += 1
    stop_server(shared.server)

    rows = crash_store.query("SELECT idempotency_key, prescription_id FROM prescriptions")
    by_key: dict[str, list[str]] = {}
    for idem_key, prescription_id in rows:
        by_key.setdefault(idem_key, []).append(prescription_id)
    lost = [k for k, (_, p) in shared.acknowledged.items() if by_key.get(k) != [p]]
    duplicates = [k for k, ps in by_key.items() if len(ps) > 1]
    partial = crash_store.query(
        """
        SELECT count(*) FROM prescriptions p
        WHERE (SELECT count(*) FROM medications m WHERE m.prescription_id = p.prescription_id) != 1
        """
    )[0]
    orphans = crash_store.query(
        """
        SELECT count(*) FROM medications m
        WHERE m.prescription_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM prescriptions p WHERE p.prescription_id = m.prescription_id)
        """
    )[0]
    with crash_store.open() as store:
        chain = store.verify_audit()
    print(
        f"\ncrash test: commits sent {shared.sent}, acknowledged {len(shared.acknowledged)}, kills {shared.kills}, "
        f"duplicates found {len(duplicates)}, lost found {len(lost)}, partial writes "
        f"{(partial or (0,))[0] + (orphans or (0,))[0]}, replays checked {replays}, {time.monotonic() - started:.1f} s"
    )
    assert len(shared.acknowledged) == CLIENTS * PATIENTS_PER_CLIENT * COMMITS_PER_PATIENT
    assert shared.kills >= 1
    assert lost == []
    assert duplicates == []
    assert partial == (0,)
    assert orphans == (0,)
    assert chain.ok, chain.problem
