"""PostgresRecordStore with several writers on one database: each store object here is one writer process's
store (its own pool, write lock and audit chain), so these are the guarantees across processes."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import psycopg
import pytest

from rxsafe.core.enums import AllergyStatus, Sex
from rxsafe.core.errors import StaleCheck, Unavailable
from rxsafe.core.models import CommitResult, PatientRecord
from rxsafe.ehr.audit import AuditAction, AuditEvent
from rxsafe.ehr.postgres_store import PostgresRecordStore
from tests.ehr import synthetic
from tests.ehr.conftest import MakeCheck
from tests.postgres import POSTGRES_URL, fresh_schema, url_with_schema

RXSAFE = Path(sys.executable).with_name("rxsafe")

PATIENT = "000000000042"


@pytest.fixture
def schema() -> Iterator[str]:
    with fresh_schema() as name:
        yield name


@pytest.fixture
def writers(schema: str) -> Iterator[list[PostgresRecordStore]]:
    stores = [PostgresRecordStore(POSTGRES_URL, schema=schema, pool_size=4) for _ in range(3)]
    yield stores
    for s in stores:
        s.close()


def event(n: int) -> AuditEvent:
    return AuditEvent(
        at=f"2026-11-26T08:00:{n:02d}+07:00",
        client="HIS test",
        user=f"dr-{n}",
        purpose="treatment",
        action=AuditAction.CHECK,
        patient_id=PATIENT,
        subject=f"chk-{n}",
    )


def sql(schema: str, statement: str) -> list[tuple[object, ...]]:
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'SET search_path TO "{schema}"')
        cur = conn.execute(statement)
        return cur.fetchall() if cur.description else []


def seed(store: PostgresRecordStore) -> PatientRecord:
    return store.upsert_patient(
        PatientRecord(
            patient_id=PATIENT,
            name="BỆNH NHÂN TEST",
            birth_date=date(1950, 5, 5),
            sex=Sex.FEMALE,
            allergy_status=AllergyStatus.NO_KNOWN_ALLERGIES,
        )
    )


def test_writers_starting_at_once_migrate_once(schema: str) -> None:
    with ThreadPoolExecutor(4) as pool:
        stores = list(pool.map(lambda _: PostgresRecordStore(POSTGRES_URL, schema=schema, pool_size=1), range(4)))
    for s in stores:
        s.close()
    versions = sql(schema, "SELECT version, count(*) FROM schema_version GROUP BY version ORDER BY version")
    assert versions and all(count == 1 for _, count in versions)
    assert sql(schema, "SELECT count(*) FROM postgres_schema_version") == [(1,)]
    assert sql(schema, "SELECT count(*) FROM store_meta WHERE key = 'audit_secret'") == [(1,)]


def test_interleaved_writers_keep_one_chain_each_and_the_trail_verifies(writers: list[PostgresRecordStore]) -> None:
    def write(index: int) -> None:
        for n in range(10):
            writers[index].record_audit(event(n))

    with ThreadPoolExecutor(3) as pool:
        list(pool.map(write, range(3)))

    report = writers[0].verify_audit()
    assert report.ok, report.problem
    assert report.rows == 30
    assert len(writers[1].audit_events(PATIENT)) == 30


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        ("UPDATE audit_log SET user_id = 'someone else' WHERE seq = 3", "row 3 was changed"),
        ("DELETE FROM audit_log WHERE seq = 2", "row 2 is missing"),
        ("DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)", "rows were cut off"),
        ("DELETE FROM audit_log", "rows were cut off"),
        (
            "INSERT INTO audit_log (chain_id, seq, occurred_at, client, user_id, roles, purpose, action, patient_ref,"
            " subject, outcome, prev_hash, hash) VALUES ('forged', 1, '', '', '', '', '', '', '', '', '', '', '')",
            "not registered",
        ),
    ],
)
def test_tampering_with_any_chain_is_named(
    writers: list[PostgresRecordStore], schema: str, tamper: str, problem: str
) -> None:
    for n in range(1, 6):
        writers[n % 2].record_audit(event(n))
    assert writers[2].verify_audit().ok
    sql(schema, tamper)
    report = writers[2].verify_audit()
    assert not report.ok
    assert problem in report.problem


def test_two_writers_committing_for_one_patient_one_wins_one_is_stale(
    writers: list[PostgresRecordStore], make_check: MakeCheck
) -> None:
    patient = seed(writers[0])
    writers[0].save_check(make_check("chk-a", PATIENT, patient.record_version))
    writers[1].save_check(make_check("chk-b", PATIENT, patient.record_version))
    barrier = threading.Barrier(2)

    def commit(index: int) -> CommitResult | BaseException:
        barrier.wait()
        try:
            return writers[index].commit_prescription(
                check_id=f"chk-{'ab'[index]}",
                overrides=(),
                idempotency_key=f"key-{index}",
                prescriber_id="p",
                committed_at="2026-01-15T10:00:00+07:00",
            )
        except (StaleCheck, Unavailable) as error:
            return error

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(pool.map(commit, range(2)))
    won = [o for o in outcomes if isinstance(o, CommitResult)]
    refused = [o for o in outcomes if isinstance(o, StaleCheck)]
    assert len(won) == 1
    assert len(refused) == 1, outcomes
    assert "prescription" in str(refused[0])
    assert writers[2].get_patient(PATIENT).record_version == patient.record_version + 1  # type: ignore[union-attr]


def test_one_key_from_several_writers_at_once_commits_once(
    writers: list[PostgresRecordStore], make_check: MakeCheck, schema: str
) -> None:
    patient = seed(writers[0])
    writers[0].save_check(make_check("chk-1", PATIENT, patient.record_version))
    barrier = threading.Barrier(3)

    def commit(index: int) -> CommitResult:
        barrier.wait()
        return writers[index].commit_prescription(
            check_id="chk-1",
            overrides=(),
            idempotency_key="same-key",
            prescriber_id="p",
            committed_at="2026-01-15T10:00:00+07:00",
        )

    with ThreadPoolExecutor(3) as pool:
        results = list(pool.map(commit, range(3)))
    assert len({r.prescription_id for r in results}) == 1
    assert sorted(r.replayed for r in results) == [False, True, True]
    assert sql(schema, "SELECT count(*) FROM prescriptions") == [(1,)]
    assert writers[0].verify_audit().ok


def test_an_unreachable_database_is_unavailable() -> None:
    with pytest.raises(Unavailable):
        PostgresRecordStore("postgresql://127.0.0.1:1/test", timeout=1)


def test_the_cli_imports_into_shows_from_and_verifies_a_postgresql_store(schema: str, tmp_path: Path) -> None:
    url = url_with_schema(schema)
    (tmp_path / "visit.xml").write_bytes(synthetic.envelope(synthetic.visit_a()))
    (tmp_path / "bundle.json").write_bytes(
        synthetic.fhir_bundle(
            synthetic.fhir_patient(),
            synthetic.fhir_allergy(),
            synthetic.fhir_medication_request(),
            synthetic.fhir_observation(),
        )
    )
    files = [str(tmp_path / "visit.xml"), str(tmp_path / "bundle.json")]
    done = rxsafe("ehr", "import", *files, "--store", url, "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert (summary["patients"], summary["allergies"], summary["medications"]) == (2, 1, 2)
    again = json.loads(rxsafe("ehr", "import", *files, "--store", url, "--json").stdout)
    assert [f["outcome"] for f in again["files"]] != ["imported", "imported"]  # the same files change nothing
    patient_id = query_first(schema, "SELECT patient_id FROM allergies")
    shown = rxsafe("ehr", "show", patient_id, "--store", url)
    assert shown.returncode == 0, shown.stderr
    verified = rxsafe("audit", "verify", "--store", url)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "intact" in verified.stdout


def query_first(schema: str, statement: str) -> str:
    return str(sql(schema, statement)[0][0])


def rxsafe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(RXSAFE), *args], capture_output=True, text=True, timeout=120, check=False)
