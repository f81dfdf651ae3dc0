"""Active medications: windows from explicit dates, start + days, dose text, quantity ÷ daily dose, or assumed."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from rxsafe.core.enums import MedicationWindowBasis as Basis
from rxsafe.core.enums import MedicationWindowStatus as Status
from rxsafe.core.models import Medication
from rxsafe.core.window import daily_dose, dose_text_days, infer_window

START = date(2026, 11, 1)


@pytest.mark.parametrize(
    ("med", "basis", "end", "text"),
    [
        (
            Medication(id="m", text="Warfarin 5mg", start_date=START, end_date=date(2026, 11, 20)),
            Basis.EXPLICIT_DATES,
            date(2026, 11, 20),
            "Warfarin 5mg, 2026-11-01 to 2026-11-20 — active",
        ),
        (
            Medication(id="m", text="Warfarin 5mg", start_date=START, days=30),
            Basis.START_PLUS_DAYS,
            date(2026, 11, 30),
            "Warfarin 5mg, prescribed 2026-11-01 for 30 days — active",
        ),
        (
            Medication(id="m", text="Warfarin 5mg", start_date=START, dose_text="1 viên/lần * 1 lần/ngày * 30 ngày"),
            Basis.DOSE_TEXT_DAYS,
            date(2026, 11, 30),
            "Warfarin 5mg, prescribed 2026-11-01 for 30 days (from the dose text) — active",
        ),
        (
            Medication(
                id="m",
                text="Warfarin 5mg",
                order_time=datetime(2026, 11, 1, 9, 30),
                quantity=60,
                unit="Viên",
                dose_text="2 viên/lần x 1 lần/ngày",
            ),
            Basis.QUANTITY_PER_DAILY_DOSE,
            date(2026, 11, 30),
            "Warfarin 5mg, prescribed 2026-11-01 for 30 days (quantity 60 ÷ daily dose) — active",
        ),
        (
            Medication(id="m", text="Warfarin 5mg", start_date=START, quantity=3, unit="Lọ", dose_text="10 ml/ngày"),
            Basis.ASSUMED,
            None,
            "Warfarin 5mg, prescribed 2026-11-01, duration not recorded — assumed active",
        ),
        (
            Medication(id="m", text="Warfarin 5mg"),
            Basis.ASSUMED,
            None,
            "Warfarin 5mg, no dates recorded — assumed active",
        ),
    ],
    ids=["explicit", "start+days", "dose-text", "quantity", "units-differ", "no-dates"],
)
def test_window_basis_and_report_text(med: Medication, basis: Basis, end: date | None, text: str) -> None:
    window = infer_window(med, date(2026, 11, 15), 60)
    assert (window.basis, window.end, window.text) == (basis, end, text)


def test_lookback_is_configurable() -> None:
    med = Medication(id="m", text="Amiodaron 200mg", start_date=START, dose_text="* 10 ngày")
    assert infer_window(med, date(2026, 12, 1), 60).status is Status.RECENT
    assert infer_window(med, date(2026, 12, 1), 5).status is Status.ENDED
    assert infer_window(med, date(2026, 10, 1), 5).status is Status.FUTURE


def test_dose_text_patterns() -> None:
    assert dose_text_days("Sáng: 3 viên, Chiều: 2 viên [5 viên/ngày]") is None
    assert dose_text_days("uống trong 5 ngày") == 5
    assert dose_text_days("1 viên/lần * 1 lần/ngày * 0 ngày") is None
    assert daily_dose("Sáng: 3 viên, Chiều: 2 viên, Tối: 1 viên [6 viên/ngày]") == daily_dose("6 viên/ngày")
    assert daily_dose("Uống 0,5 viên/ngày").amount == 0.5  # type: ignore[union-attr]
    assert daily_dose("Uống sau ăn") is None
