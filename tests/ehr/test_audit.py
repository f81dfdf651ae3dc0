"""The audit trail is append-only and hash-chained: a changed, removed or cut-off row is detected."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from rxsafe.ehr.audit import AuditAction, AuditEvent
from rxsafe.ehr.duckdb_store import DuckDBRecordStore

PATIENT = "000000000042"


def event(n: int, patient_id: str = PATIENT, action: AuditAction = AuditAction.CHECK) -> AuditEvent:
    return AuditEvent(
        at=f"2026-11-26T08:00:{n:02d}+07:00",
        client="HIS test",
        user=f"dr-{n}",
        roles="prescriber",
        purpose="treatment",
        action=action,
        patient_id=patient_id,
        subject=f"chk-{n}",
    )


@pytest.fixture
def trail(tmp_path: Path) -> Path:
    path = tmp_path / "audit.duckdb"
    with DuckDBRecordStore(path) as store:
        for n in range(1, 6):
            store.record_audit(event(n, PATIENT if n % 2 else "000000000043"))
    return path


def tamper(path: Path, sql: str) -> None:
    with duckdb.connect(str(path)) as conn:
        conn.execute(sql)


def test_an_untouched_trail_verifies_and_lists_by_patient(trail: Path) -> None:
    with DuckDBRecordStore(trail) as store:
        report = store.verify_audit()
        assert report.ok
        assert report.rows == 5
        mine = store.audit_events(PATIENT)
        assert [r.user for r in mine] == ["dr-1", "dr-3", "dr-5"]
        # The trail holds a pseudonym, never the personal ID itself.
        assert all(PATIENT not in r.patient_ref for r in store.audit_events())


def test_a_changed_row_is_detected(trail: Path) -> None:
    tamper(trail, "UPDATE audit_log SET user_id = 'someone-else' WHERE seq = 3")
    with DuckDBRecordStore(trail) as store:
        report = store.verify_audit()
    assert not report.ok
    assert "row 3" in report.problem


def test_a_removed_row_is_detected(trail: Path) -> None:
    tamper(trail, "DELETE FROM audit_log WHERE seq = 2")
    with DuckDBRecordStore(trail) as store:
        report = store.verify_audit()
    assert not report.ok
    assert "row 2 is missing" in report.problem


def test_cutting_off_the_tail_is_detected(trail: Path) -> None:
    tamper(trail, "DELETE FROM audit_log WHERE seq = 5")
    with DuckDBRecordStore(trail) as store:
        report = store.verify_audit()
    assert not report.ok
    assert "cut off" in report.problem


def test_appending_after_reopening_continues_the_chain(trail: Path) -> None:
    with DuckDBRecordStore(trail) as store:
        store.record_audit(event(6))
        assert store.verify_audit().ok
        assert [r.seq for r in store.audit_events()] == [1, 2, 3, 4, 5, 6]
