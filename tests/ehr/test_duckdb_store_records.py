"""DuckDBRecordStore: patients, stored checks, opening and failing, on real DuckDB files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pytest

from rxsafe.core.enums import AllergyStatus, LactationStatus, Sex
from rxsafe.core.errors import InvalidRequest, Unavailable
from rxsafe.core.models import Allergy, Medication, PatientRecord, StoredCheck
from rxsafe.ehr.duckdb_store import DuckDBRecordStore
from rxsafe.ehr.schema import LATEST_VERSION

# The fixtures' types (see conftest.py); spelt out here because test modules must not import conftest.
MakeCheck = Callable[..., StoredCheck]
CountRows = Callable[[DuckDBRecordStore, str], int]
RawQuery = Callable[..., list[tuple[Any, ...]]]

PATIENT = "079203001234"


def _record(**changes: object) -> PatientRecord:
    base = PatientRecord(
        patient_id=PATIENT,
        name="Nguyễn Văn Thử",
        birth_date=date(2003, 4, 5),
        sex=Sex.MALE,
        allergy_status=AllergyStatus.LISTED,
        allergies=(
            Allergy(
                id="", allergen="Penicilin", reaction="nổi mề đay", severity="nặng", recorded_date=date(2020, 1, 2)
            ),
            Allergy(id="", allergen="Hải sản"),
        ),
        medications=(
            Medication(id="", text="Warfarin 5mg", start_date=date(2026, 1, 10), days=30, dose_text="1 viên/lần"),
            Medication(id="", text="Omeprazol 20mg", national_drug_code="40.677", registration_number="VD-1-26"),
        ),
        weight_kg=61.5,
    )
    return base.model_copy(update=changes)


def test_patient_round_trip(store: DuckDBRecordStore) -> None:
    stored = store.upsert_patient(_record())

    loaded = store.get_patient(PATIENT)

    assert loaded == stored
    assert loaded.record_version == 1
    assert loaded.model_copy(update={"allergies": (), "medications": ()}) == _record(
        allergies=(), medications=(), record_version=1
    )
    assert [a.allergen for a in loaded.allergies] == ["Penicilin", "Hải sản"]
    assert loaded.allergies[0].reaction == "nổi mề đay"
    assert loaded.allergies[0].recorded_date == date(2020, 1, 2)
    assert [m.text for m in loaded.medications] == ["Warfarin 5mg", "Omeprazol 20mg"]
    assert loaded.medications[0].start_date == date(2026, 1, 10)
    assert loaded.medications[0].days == 30
    assert loaded.medications[1].registration_number == "VD-1-26"
    assert all(a.id.startswith("allergy-") for a in loaded.allergies)
    assert all(m.id.startswith("medication-") for m in loaded.medications)
    # Ids are row ids: the same on every read.
    assert store.get_patient(PATIENT) == loaded


def test_unknown_patient_is_none(store: DuckDBRecordStore) -> None:
    assert store.get_patient("000000000999") is None


@pytest.mark.parametrize("bad_id", ["", "12345678901", "1234567890123", "07920300123a", "٠٧٩٢٠٣٠٠١٢٣٤"])
def test_upsert_requires_a_12_digit_personal_id(store: DuckDBRecordStore, bad_id: str) -> None:
    with pytest.raises(InvalidRequest) as err:
        store.upsert_patient(_record(patient_id=bad_id))
    assert err.value.field == "patient.patient_id"


def test_every_row_keeps_its_source(store: DuckDBRecordStore, raw: RawQuery) -> None:
    store.upsert_patient(_record(), source="import XML130 test")

    for table in ("patients", "allergies", "medications"):
        assert raw(store, f"SELECT DISTINCT source FROM {table}") == [("import XML130 test",)]


def test_upsert_unchanged_record_keeps_the_version(store: DuckDBRecordStore, count_rows: CountRows) -> None:
    first = store.upsert_patient(_record())

    again = store.upsert_patient(first)

    assert again == first
    assert again.record_version == 1
    assert count_rows(store, "record_changes") == 1


def test_upsert_replaces_entries_keeps_unchanged_ids_and_logs_the_change(
    store: DuckDBRecordStore, raw: RawQuery
) -> None:
    first = store.upsert_patient(_record(), source="import 1")
    penicillin, seafood = first.allergies
    edited = first.model_copy(
        update={
            "allergies": (penicillin, Allergy(id="", allergen="Aspirin", reaction="khó thở")),
            "medications": (first.medications[0].model_copy(update={"days": 60}),),
            "allergy_status": AllergyStatus.LISTED,
        }
    )

    second = store.upsert_patient(edited, source="import 2")

    assert second.record_version == 2
    assert second.allergies[0] == penicillin  # kept: same id, same row
    assert second.allergies[1].allergen == "Aspirin"
    assert second.allergies[1].id not in {penicillin.id, seafood.id}
    assert [(m.id, m.days) for m in second.medications] == [(first.medications[0].id, 60)]
    assert raw(store, "SELECT source FROM allergies ORDER BY id") == [("import 1",), ("import 2",)]
    what = raw(store, "SELECT what FROM record_changes WHERE version = 2")[0][0]
    assert "allergies: 1 added, 1 removed, 0 changed" in what
    assert "medications: 0 added, 1 removed, 1 changed" in what
    assert "Aspirin" not in what  # the change log names kinds of change, never record text


def test_save_and_get_check_round_trip(store: DuckDBRecordStore, make_check: MakeCheck) -> None:
    stored = make_check("chk-1", PATIENT, 1)

    store.save_check(stored)
    store.save_check(stored)  # a retried save is a no-op

    assert store.get_check("chk-1") == stored
    assert store.get_check("chk-unknown") is None


def test_a_different_check_under_a_used_id_is_refused(store: DuckDBRecordStore, make_check: MakeCheck) -> None:
    store.save_check(make_check("chk-1", PATIENT, 1))

    with pytest.raises(ValueError, match="already stored"):
        store.save_check(make_check("chk-1", PATIENT, 2))


def test_reopening_keeps_the_data(db_path: Path, make_check: MakeCheck) -> None:
    with DuckDBRecordStore(db_path) as first:
        stored = first.upsert_patient(_record())
        first.save_check(make_check("chk-1", PATIENT, 1))

    with DuckDBRecordStore(db_path) as second:
        assert second.get_patient(PATIENT) == stored
        assert second.get_check("chk-1") == make_check("chk-1", PATIENT, 1)


def test_schema_version_is_recorded_once(db_path: Path, raw: RawQuery) -> None:
    DuckDBRecordStore(db_path).close()
    with DuckDBRecordStore(db_path) as store:
        assert raw(store, "SELECT version FROM schema_version") == [(v,) for v in range(1, LATEST_VERSION + 1)]


def test_a_schema_newer_than_the_code_is_unavailable(db_path: Path) -> None:
    DuckDBRecordStore(db_path).close()
    conn = duckdb.connect(str(db_path))
    conn.execute("INSERT INTO schema_version VALUES (?, 'from the future', 'later')", [LATEST_VERSION + 1])
    conn.close()

    with pytest.raises(Unavailable, match="newer"):
        DuckDBRecordStore(db_path)


def test_garbage_file_is_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "garbage.duckdb"
    path.write_bytes(b"\x00\xffnot a database at all\x13\x37" * 512)

    with pytest.raises(Unavailable, match="cannot be opened"):
        DuckDBRecordStore(path)


def test_a_directory_is_unavailable(tmp_path: Path) -> None:
    with pytest.raises(Unavailable):
        DuckDBRecordStore(tmp_path)


def test_a_closed_store_is_unavailable(store: DuckDBRecordStore) -> None:
    store.close()
    store.close()  # idempotent

    with pytest.raises(Unavailable, match="closed"):
        store.get_patient(PATIENT)


def test_a_broken_stored_report_is_unavailable(store: DuckDBRecordStore, make_check: MakeCheck, raw: RawQuery) -> None:
    store.save_check(make_check("chk-1", PATIENT, 1))
    raw(store, 'UPDATE checks SET report_json = \'{"verdict": "MAYBE"}\'')

    with pytest.raises(Unavailable, match="cannot be read"):
        store.get_check("chk-1")


def test_patient_lookup_uses_the_art_index(store: DuckDBRecordStore, raw: RawQuery) -> None:
    if type(store) is not DuckDBRecordStore:
        pytest.skip("reads DuckDB's ART index plans; the PostgreSQL store has B-tree indexes on patient_id")
    # Enough rows that a sequential scan would cost something; on a tiny table DuckDB rightly scans.
    raw(
        store,
        """
        INSERT INTO medications (patient_id, text, source)
        SELECT lpad((i % 20000)::VARCHAR, 12, '0'), 'Thuốc ' || i, 'test'
        FROM range(200000) t(i)
        """,
    )
    raw(
        store,
        """
        INSERT INTO patients (patient_id, sex, allergy_status, record_version, source)
        SELECT lpad(i::VARCHAR, 12, '0'), 'UNSPECIFIED', 'NOT_RECORDED', 1, 'test' FROM range(20000) t(i)
        """,
    )

    plans = store.explain_patient_lookup("000000000042")

    assert "Index Scan" in plans["medications"], plans["medications"]
    assert "Index Scan" in plans["patients"], plans["patients"]
    assert len(store.get_patient("000000000042").medications) == 10  # type: ignore[union-attr]


def test_the_breastfeeding_status_is_stored_and_a_change_is_a_new_version(store: DuckDBRecordStore) -> None:
    first = store.upsert_patient(_record())
    assert first.lactation_status is LactationStatus.UNKNOWN  # the default of a record that never said
    changed = store.upsert_patient(first.model_copy(update={"lactation_status": LactationStatus.BREASTFEEDING}))
    assert changed.record_version == 2
    assert store.get_patient(PATIENT).lactation_status is LactationStatus.BREASTFEEDING
