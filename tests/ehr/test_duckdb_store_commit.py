"""DuckDBRecordStore.commit_prescription: atomic, idempotent, refuses stale and inline checks, survives a crash."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from rxsafe.core.enums import AllergyStatus, OverrideReason, Sex
from rxsafe.core.errors import (
    CheckNotFound,
    CommitRefused,
    IdempotencyKeyReused,
    InvalidRequest,
    StaleCheck,
    Unavailable,
)
from rxsafe.core.models import Allergy, CommitResult, Override, PatientRecord, StoredCheck
from rxsafe.ehr.duckdb_store import DuckDBRecordStore

# The fixtures' types (see conftest.py); spelt out here because test modules must not import conftest.
MakeCheck = Callable[..., StoredCheck]
CountRows = Callable[[DuckDBRecordStore, str], int]
RawQuery = Callable[..., list[tuple[Any, ...]]]

PATIENT = "000000000101"
AS_OF = date(2026, 1, 15)  # conftest.make_check builds reports as of this day
COMMITTED_AT = "2026-01-15T09:35:00+07:00"
OVERRIDE = Override(
    conflict_id="c-1",
    reason=OverrideReason.WILL_MONITOR,
    comment="theo dõi INR",
    overridden_by="000123/HCM-CCHN",
)
WRITE_TABLES = ("prescriptions", "medications", "overrides", "record_changes")


@pytest.fixture
def patient(store: DuckDBRecordStore) -> PatientRecord:
    return store.upsert_patient(
        PatientRecord(
            patient_id=PATIENT,
            name="BỆNH NHÂN TEST",
            birth_date=date(1950, 5, 5),
            sex=Sex.FEMALE,
            allergy_status=AllergyStatus.NO_KNOWN_ALLERGIES,
        )
    )


def _commit(store: DuckDBRecordStore, check_id: str, key: str, **kwargs: object) -> CommitResult:
    args: dict[str, object] = {
        "check_id": check_id,
        "overrides": (OVERRIDE,),
        "idempotency_key": key,
        "prescriber_id": "000123/HCM-CCHN",
        "committed_at": COMMITTED_AT,
    }
    args.update(kwargs)
    return store.commit_prescription(**args)  # type: ignore[arg-type]


def _counts(store: DuckDBRecordStore, count_rows: CountRows) -> dict[str, int]:
    return {table: count_rows(store, table) for table in WRITE_TABLES}


def test_commit_writes_the_prescription_and_bumps_the_version(
    store: DuckDBRecordStore, patient: PatientRecord, make_check: MakeCheck, raw: RawQuery
) -> None:
    store.save_check(make_check("chk-1", PATIENT, patient.record_version))

    result = _commit(store, "chk-1", "key-1")

    assert result.prescription_id.startswith("rx-")
    assert result.check_id == "chk-1"
    assert result.patient_id == PATIENT
    assert result.record_version == patient.record_version + 1
    assert result.committed_at == COMMITTED_AT
    assert not result.replayed
    after = store.get_patient(PATIENT)
    assert after is not None
    assert after.record_version == result.record_version
    assert [(m.text, m.start_date, m.days, m.dose_text, m.national_drug_code) for m in after.medications] == [
        ("Amoxicilin 500mg", AS_OF, 7, "1 viên/lần * 3 lần/ngày", ""),
        ("Paracetamol 500mg", AS_OF, 3, "", "40.0000-test"),
    ]
    source = f"commit {result.prescription_id}"
    assert raw(store, "SELECT DISTINCT prescription_id, source FROM medications") == [(result.prescription_id, source)]
    assert raw(store, "SELECT conflict_id, reason, comment, overridden_by, source FROM overrides") == [
        ("c-1", "WILL_MONITOR", "theo dõi INR", "000123/HCM-CCHN", source)
    ]
    assert raw(store, "SELECT check_id, prescriber_id, idempotency_key FROM prescriptions") == [
        ("chk-1", "000123/HCM-CCHN", "key-1")
    ]
    stored = store.get_check("chk-1")
    assert stored is not None
    assert stored.report.prescription_id == result.prescription_id
    assert store.find_commit("key-1") == result.model_copy(update={"replayed": True})
    assert store.find_commit("key-unknown") is None


def test_retry_with_the_same_key_returns_the_first_answer_and_writes_nothing(
    store: DuckDBRecordStore, patient: PatientRecord, make_check: MakeCheck, count_rows: CountRows
) -> None:
    store.save_check(make_check("chk-1", PATIENT, patient.record_version))
    first = _commit(store, "chk-1", "key-1")
    counts = _counts(store, count_rows)

    retry = _commit(store, "chk-1", "key-1", committed_at="2026-01-15T09:36:00+07:00", overrides=())

    assert retry == first.model_copy(update={"replayed": True})
    assert (
        _counts(store, count_rows)
        == counts
        == {
            "prescriptions": 1,
            "medications": 2,
            "overrides": 1,
            "record_changes": 2,
        }
    )
    assert store.get_patient(PATIENT).record_version == first.record_version  # type: ignore[union-attr]


def test_the_retry_is_answered_even_after_the_record_moved_on(
    store: DuckDBRecordStore, patient: PatientRecord, make_check: MakeCheck
) -> None:
    store.save_check(make_check("chk-1", PATIENT, patient.record_version))
    first = _commit(store, "chk-1", "key-1")
    store.upsert_patient(store.get_patient(PATIENT).model_copy(update={"weight_kg": 50.0}))  # type: ignore[union-attr]

    assert _commit(store, "chk-1", "key-1") == first.model_copy(update={"replayed": True})


def test_a_key_reused_for_another_check_is_refused(
    store: DuckDBRecordStore, patient: PatientRecord, make_check: MakeCheck, count_rows: CountRows
) -> None:
    store.save_check(make_check("chk-1", PATIENT, patient.record_version))
    first = _commit(store, "chk-1", "key-1")
    store.save_check(make_check("chk-2", PATIENT, first.record_version))
    counts = _counts(store, count_rows)

    with pytest.raises(IdempotencyKeyReused):
        _commit(store, "chk-2", "key-1")

    assert _counts(store, count_rows) == counts


def test_a_check_committed_under_another_key_is_refused_naming_the_prescription(
    store: DuckDBRecordStore, patient: PatientRecord, make_check: MakeCheck, count_rows: CountRows
) -> None:
    store.save_check(make_check("chk-1", PATIENT, patient.record_version))
    first = _commit(store, "chk-1", "key-1")
    counts = _counts(store, count_rows)

    with pytest.raises(CommitRefused, match=f"already committed as {first.prescription_id}"):
        _commit(store, "chk-1", "key-2")

    assert _counts(store, count_rows) == counts


def test_a_stale_check_is_refused_saying_a_prescription_was_committed(
    store: DuckDBRecordStore, patient: PatientRecord, make_check: MakeCheck, count_rows: CountRows
) -> None:
    version = patient.record_version
    store.save_check(make_check("chk-1", PATIENT, version))
    store.save_check(make_check("chk-2", PATIENT, version))  # checked against the same, soon outdated, record
    first = _commit(store, "chk-1", "key-1")
    counts = _counts(store, count_rows)

    with pytest.raises(StaleCheck) as err:
        _commit(store, "chk-2", "key-2")

    message = str(err.value)
    assert f"record version {version} → {version + 1}" in message
    assert f"prescription {first.prescription_id} committed (2 lines) at {COMMITTED_AT}" in message
    assert _counts(store, count_rows) == counts


def test_a_stale_check_is_refused_saying_the_allergies_changed(
    store: DuckDBRecordStore, patient: PatientRecord, make_check: MakeCheck
) -> None:
    store.save_check(make_check("chk-1", PATIENT, patient.record_version))
    store.upsert_patient(
        patient.model_copy(
            update={"allergy_status": AllergyStatus.LISTED, "allergies": (Allergy(id="", allergen="Penicilin"),)}
        ),
        source="import XML130",
    )

    with pytest.raises(StaleCheck) as err:
        _commit(store, "chk-1", "key-1")

    message = str(err.value)
    assert "record version 1 → 2" in message
    assert "record updated (import XML130)" in message
    assert "allergy status NO_KNOWN_ALLERGIES → LISTED" in message
    assert "allergies: 1 added" in message


def test_an_inline_patient_check_cannot_be_committed(
    store: DuckDBRecordStore, make_check: MakeCheck, count_rows: CountRows
) -> None:
    store.save_check(make_check("chk-inline", PATIENT, 0, inline=True))

    with pytest.raises(CommitRefused, match="inline patient"):
        _commit(store, "chk-inline", "key-1")

    assert count_rows(store, "prescriptions") == 0


def test_an_unknown_check_is_not_found(store: DuckDBRecordStore) -> None:
    with pytest.raises(CheckNotFound):
        _commit(store, "chk-nope", "key-1")


def test_an_empty_idempotency_key_is_invalid(store: DuckDBRecordStore) -> None:
    with pytest.raises(InvalidRequest) as err:
        _commit(store, "chk-1", "")
    assert err.value.field == "idempotency_key"


def test_a_failure_in_the_middle_of_a_commit_leaves_nothing(
    store: DuckDBRecordStore,
    patient: PatientRecord,
    make_check: MakeCheck,
    count_rows: CountRows,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store.save_check(make_check("chk-1", PATIENT, patient.record_version))
    counts = _counts(store, count_rows)

    def explode(*args: object) -> None:
        raise RuntimeError("disk on fire, after the prescription and its medications were written")

    # Overrides are written after the prescription and medication rows: failing there tests the rollback.
    monkeypatch.setattr(type(store), "_insert_overrides", explode)
    with pytest.raises(RuntimeError, match="disk on fire"):
        _commit(store, "chk-1", "key-1")

    assert _counts(store, count_rows) == counts
    assert store.get_patient(PATIENT) == patient
    assert store.find_commit("key-1") is None
    monkeypatch.undo()
    # Nothing half-done blocks the retry.
    assert _commit(store, "chk-1", "key-1").record_version == patient.record_version + 1


def test_concurrent_retries_commit_exactly_once(
    store: DuckDBRecordStore, patient: PatientRecord, make_check: MakeCheck, count_rows: CountRows
) -> None:
    store.save_check(make_check("chk-1", PATIENT, patient.record_version))
    results: list[CommitResult] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def worker() -> None:
        start.wait()
        try:
            results.append(_commit(store, "chk-1", "key-1"))
            store.get_patient(PATIENT)  # reads interleave with the writes
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert len({r.prescription_id for r in results}) == 1
    assert sorted(r.replayed for r in results) == [False] + [True] * 7
    assert count_rows(store, "prescriptions") == 1
    assert count_rows(store, "medications") == 2


_CRASH_AFTER_COMMIT = """
import os, sys
from rxsafe.ehr.duckdb_store import DuckDBRecordStore
store = DuckDBRecordStore(sys.argv[1])
result = store.commit_prescription(
    check_id="chk-1", overrides=(), idempotency_key="key-1", prescriber_id="p", committed_at="t"
)
print(result.prescription_id, flush=True)
os._exit(0)  # no close, no checkpoint: as if the process died right after the acknowledgement
"""


def test_an_acknowledged_commit_survives_a_crash(db_path: Path, make_check: MakeCheck) -> None:
    with DuckDBRecordStore(db_path) as store:
        version = store.upsert_patient(
            PatientRecord(patient_id=PATIENT, sex=Sex.MALE, allergy_status=AllergyStatus.NO_KNOWN_ALLERGIES)
        ).record_version
        store.save_check(make_check("chk-1", PATIENT, version))

    crashed = subprocess.run(
        [sys.executable, "-c", _CRASH_AFTER_COMMIT, str(db_path)], capture_output=True, text=True, check=True
    )
    prescription_id = crashed.stdout.strip()
    # The commit is only in the WAL: reopening must replay it.
    assert db_path.with_name(db_path.name + ".wal").exists()

    with DuckDBRecordStore(db_path) as reopened:
        found = reopened.find_commit("key-1")
        assert found is not None
        assert found.prescription_id == prescription_id
        assert len(reopened.get_patient(PATIENT).medications) == 2  # type: ignore[union-attr]


def test_checks_with_one_result_share_its_stored_body_and_read_back_whole(
    store: DuckDBRecordStore, patient: PatientRecord, make_check: MakeCheck, raw: RawQuery
) -> None:
    # The service's memoised result (no id, no time) is the template; each check is it plus its id and time.
    template = make_check("", PATIENT, patient.record_version).report.model_copy(update={"checked_at": ""})
    saved = []
    for n, at in ((1, "2026-01-15T09:30:00+07:00"), (2, "2026-01-15T09:31:00+07:00")):
        stored = make_check(f"chk-{n}", PATIENT, patient.record_version)
        report = template.model_copy(update={"check_id": f"chk-{n}", "checked_at": at})
        stored = stored.model_copy(update={"report": report})
        store.save_check(stored, template=template)
        saved.append(stored)
    bodies = raw(store, "SELECT report_json, checked_at FROM checks ORDER BY check_id")
    assert bodies[0][0] == bodies[1][0]  # one body, made once
    assert [b[1] for b in bodies] == ["2026-01-15T09:30:00+07:00", "2026-01-15T09:31:00+07:00"]
    for stored in saved:
        got = store.get_check(stored.report.check_id)
        assert got is not None and got.report == stored.report


def test_a_report_that_is_not_its_template_is_stored_whole(
    store: DuckDBRecordStore, patient: PatientRecord, make_check: MakeCheck
) -> None:
    template = make_check("", PATIENT, patient.record_version).report.model_copy(update={"checked_at": ""})
    stored = make_check("chk-1", PATIENT, patient.record_version)
    other = stored.model_copy(update={"report": stored.report.model_copy(update={"record_version": 99})})
    store.save_check(other, template=template)
    got = store.get_check("chk-1")
    assert got is not None and got.report == other.report and got.report.record_version == 99


def test_a_check_whose_shared_body_is_gone_cannot_be_read(
    store: DuckDBRecordStore, patient: PatientRecord, make_check: MakeCheck, raw: RawQuery
) -> None:
    template = make_check("", PATIENT, patient.record_version).report.model_copy(update={"checked_at": ""})
    stored = make_check("chk-1", PATIENT, patient.record_version)
    report = template.model_copy(update={"check_id": "chk-1", "checked_at": "2026-01-15T09:30:00+07:00"})
    store.save_check(stored.model_copy(update={"report": report}), template=template)
    raw(store, "DELETE FROM report_bodies")
    with pytest.raises(Unavailable, match="report body is missing"):
        store.get_check("chk-1")
