"""Synthetic demo patients, so a fresh install can run a check end to end.

Every patient here is invented. Names say "DEMO"; personal IDs are ``0000000000NN``, which has the 12-digit format
of a personal identification number but province code ``000``, which no province has (research/vietnam-context.md
§3.1). Drug texts are written as a Vietnamese prescriber writes them (Vietnamese spelling, ``,`` as the decimal
separator). Drug codes and registration numbers are left empty rather than invented.

Medication dates are set relative to the seed day, so the demo's current medications are current when seeded.
"""

from __future__ import annotations

from datetime import date, timedelta

from rxsafe.core.enums import AllergyStatus, Sex
from rxsafe.core.models import Allergy, Medication, PatientRecord
from rxsafe.ehr.store import RecordStore

DEMO_SOURCE = "demo seed (synthetic)"

# (a) born 1944, on warfarin, allergy history listed.
DEMO_WARFARIN_ELDERLY = "000000000001"
# (b) born 2019, 20 kg, allergic to penicillin.
DEMO_PENICILLIN_CHILD = "000000000002"
# (c) on five cardiovascular drugs, no known allergies.
DEMO_CARDIOVASCULAR = "000000000003"
# (d) allergy history never recorded.
DEMO_ALLERGY_NOT_RECORDED = "000000000004"

DEMO_PATIENT_IDS: tuple[str, ...] = (
    DEMO_WARFARIN_ELDERLY,
    DEMO_PENICILLIN_CHILD,
    DEMO_CARDIOVASCULAR,
    DEMO_ALLERGY_NOT_RECORDED,
)

_ONCE_DAILY = "1 viên/lần * 1 lần/ngày"


def _current(text: str, today: date, *, started_days_ago: int, days: int, dose_text: str = _ONCE_DAILY) -> Medication:
    # An empty id makes the store create a new row (and give it its row id).
    return Medication(
        id="", text=text, start_date=today - timedelta(days=started_days_ago), days=days, dose_text=dose_text
    )


def demo_patients(today: date) -> tuple[PatientRecord, ...]:
    """The demo records, with medication windows relative to ``today``."""
    return (
        PatientRecord(
            patient_id=DEMO_WARFARIN_ELDERLY,
            name="BỆNH NHÂN DEMO Một",
            birth_date=date(1944, 3, 2),
            sex=Sex.FEMALE,
            allergy_status=AllergyStatus.LISTED,
            allergies=(
                Allergy(
                    id="",
                    allergen="Cotrimoxazol",
                    reaction="phát ban",
                    severity="trung bình",
                    recorded_date=date(2019, 8, 14),
                ),
            ),
            medications=(_current("Warfarin 5mg", today, started_days_ago=3, days=30),),
            weight_kg=48.0,
        ),
        PatientRecord(
            patient_id=DEMO_PENICILLIN_CHILD,
            name="BỆNH NHÂN DEMO Hai",
            birth_date=date(2019, 6, 15),
            sex=Sex.MALE,
            allergy_status=AllergyStatus.LISTED,
            allergies=(
                Allergy(
                    id="",
                    allergen="Penicilin",
                    reaction="nổi mề đay",
                    severity="trung bình",
                    recorded_date=date(2022, 9, 12),
                ),
            ),
            weight_kg=20.0,
        ),
        PatientRecord(
            patient_id=DEMO_CARDIOVASCULAR,
            name="BỆNH NHÂN DEMO Ba",
            birth_date=date(1956, 11, 20),
            sex=Sex.MALE,
            allergy_status=AllergyStatus.NO_KNOWN_ALLERGIES,
            medications=(
                _current("Amlodipin 5mg", today, started_days_ago=10, days=30),
                _current(
                    "Simvastatin 20mg", today, started_days_ago=10, days=30, dose_text="1 viên/lần * 1 lần/ngày (tối)"
                ),
                _current("Bisoprolol 2,5mg", today, started_days_ago=10, days=30),
                _current("Aspirin 81mg", today, started_days_ago=10, days=30),
                _current("Digoxin 0,25mg", today, started_days_ago=10, days=30),
            ),
            weight_kg=66.0,
        ),
        PatientRecord(
            patient_id=DEMO_ALLERGY_NOT_RECORDED,
            name="BỆNH NHÂN DEMO Bốn",
            birth_date=date(1988, 1, 9),
            sex=Sex.FEMALE,
            allergy_status=AllergyStatus.NOT_RECORDED,
            medications=(
                _current("Metformin 850mg", today, started_days_ago=5, days=30, dose_text="1 viên/lần * 2 lần/ngày"),
            ),
            weight_kg=58.0,
        ),
    )


def seed_demo_patients(store: RecordStore, *, today: date | None = None) -> list[str]:
    """Writes the demo patients into an empty store; returns the ids written (``[]`` if the store had patients).

    Idempotent: a store that already holds any patient, demo or real, is left alone. Meant for start-up, before
    the service takes requests (the emptiness check and the writes are separate transactions).
    """
    if store.count_patients() > 0:
        return []
    seeded: list[str] = []
    for record in demo_patients(today or date.today()):
        store.upsert_patient(record, source=DEMO_SOURCE)
        seeded.append(record.patient_id)
    return seeded
