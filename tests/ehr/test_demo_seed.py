"""The demo seed: four clearly synthetic patients, written once."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from rxsafe.core.enums import AllergyStatus
from rxsafe.core.models import PatientRecord
from rxsafe.ehr.duckdb_store import DuckDBRecordStore
from rxsafe.ehr.seed import (
    DEMO_ALLERGY_NOT_RECORDED,
    DEMO_CARDIOVASCULAR,
    DEMO_PATIENT_IDS,
    DEMO_PENICILLIN_CHILD,
    DEMO_SOURCE,
    DEMO_WARFARIN_ELDERLY,
    seed_demo_patients,
)

# The fixtures' types (see conftest.py); spelt out here because test modules must not import conftest.
CountRows = Callable[[DuckDBRecordStore, str], int]
RawQuery = Callable[..., list[tuple[Any, ...]]]

TODAY = date(2026, 3, 1)


def test_seed_writes_the_four_demo_patients(store: DuckDBRecordStore) -> None:
    assert seed_demo_patients(store, today=TODAY) == list(DEMO_PATIENT_IDS)
    for patient_id in DEMO_PATIENT_IDS:
        assert re.fullmatch(r"[0-9]{12}", patient_id)
        record = store.get_patient(patient_id)
        assert record is not None
        assert record.name.startswith("BỆNH NHÂN DEMO")
        assert record.record_version == 1


def test_seed_is_idempotent(store: DuckDBRecordStore, count_rows: CountRows) -> None:
    seed_demo_patients(store, today=TODAY)
    counts = {t: count_rows(store, t) for t in ("patients", "allergies", "medications", "record_changes")}

    assert seed_demo_patients(store, today=TODAY + timedelta(days=1)) == []
    assert {t: count_rows(store, t) for t in counts} == counts


def test_seed_leaves_a_store_with_real_patients_alone(store: DuckDBRecordStore) -> None:
    store.upsert_patient(PatientRecord(patient_id="079203001234"))

    assert seed_demo_patients(store, today=TODAY) == []
    assert store.get_patient(DEMO_WARFARIN_ELDERLY) is None


def test_demo_patients_are_the_documented_cases(store: DuckDBRecordStore) -> None:
    seed_demo_patients(store, today=TODAY)

    elderly = store.get_patient(DEMO_WARFARIN_ELDERLY)
    assert elderly is not None
    assert elderly.birth_date == date(1944, 3, 2)
    assert elderly.allergy_status is AllergyStatus.LISTED
    assert elderly.allergies
    (warfarin,) = elderly.medications
    assert warfarin.text == "Warfarin 5mg"
    # Active on the seed day: started a few days before it, for 30 days.
    assert warfarin.start_date is not None
    assert warfarin.days == 30
    assert warfarin.start_date < TODAY < warfarin.start_date + timedelta(days=warfarin.days)

    child = store.get_patient(DEMO_PENICILLIN_CHILD)
    assert child is not None
    assert child.birth_date is not None
    assert child.birth_date.year == 2019
    assert child.weight_kg == 20.0
    assert [(a.allergen, a.reaction) for a in child.allergies] == [("Penicilin", "nổi mề đay")]

    cardio = store.get_patient(DEMO_CARDIOVASCULAR)
    assert cardio is not None
    assert cardio.allergy_status is AllergyStatus.NO_KNOWN_ALLERGIES
    assert [m.text.split()[0] for m in cardio.medications] == [
        "Amlodipin",
        "Simvastatin",
        "Bisoprolol",
        "Aspirin",
        "Digoxin",
    ]

    unknown = store.get_patient(DEMO_ALLERGY_NOT_RECORDED)
    assert unknown is not None
    assert unknown.allergy_status is AllergyStatus.NOT_RECORDED
    assert unknown.allergies == ()


def test_seed_rows_say_they_are_synthetic(store: DuckDBRecordStore, raw: RawQuery) -> None:
    seed_demo_patients(store, today=TODAY)

    for table in ("patients", "allergies", "medications"):
        assert raw(store, f"SELECT DISTINCT source FROM {table}") == [(DEMO_SOURCE,)]
