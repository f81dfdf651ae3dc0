"""parse_dose: the dose text of a line read into a per-dose amount and doses per day."""

from __future__ import annotations

import pytest

from rxsafe.matching.dose import DoseInstruction, parse_dose


@pytest.mark.parametrize(
    ("text", "amount", "unit", "per_day"),
    [
        ("2 viên/lần * 2 lần/ngày", 2.0, "viên", 2),
        ("1 viên/lần * 1 lần/ngày * 7 ngày [1 viên/ngày]", 1.0, "viên", 1),
        ("Sáng 1 viên, Tối 1 viên", 1.0, "viên", 2),
        ("500mg x 3 lần/ngày", 500.0, "mg", 3),
        ("1 viên x 2 lần/ngày", 1.0, "viên", 2),
        ("1/2 viên/lần x 2 lần/ngày", 0.5, "viên", 2),
        ("½ viên/lần, ngày 1 lần", 0.5, "viên", 1),
        ("Ngày 2 lần, mỗi lần 1 gói", 1.0, "gói", 2),
        ("2,5 ml/lần * 3 lần/ngày", 2.5, "ml", 3),
        ("uong 2 vien/lan, 3 lan/ngay", 2.0, "viên", 3),  # typed without diacritics
        ("x 2 viên/lần", 2.0, "viên", None),
        ("ngày 3 lần", None, "", 3),
    ],
)
def test_amount_and_frequency(text: str, amount: float | None, unit: str, per_day: int | None) -> None:
    dose = parse_dose(text)
    assert dose is not None
    assert (dose.amount, dose.unit, dose.doses_per_day) == (amount, unit, per_day)


def test_xml130_pattern_with_days_and_stated_total() -> None:
    dose = parse_dose("2 viên/lần * 2 lần/ngày * 5 ngày [4 viên/ngày]")
    assert dose == DoseInstruction(
        text="2 viên/lần * 2 lần/ngày * 5 ngày [4 viên/ngày]",
        amount=2.0,
        unit="viên",
        doses_per_day=2,
        days=5,
        stated_daily=4.0,
    )


def test_varying_schedule_has_no_single_amount() -> None:
    dose = parse_dose("Sáng: 3 viên, Chiều: 2 viên, Tối: 1 viên [6 viên/ngày]")
    assert dose is not None
    assert dose.amount is None and dose.doses_per_day == 3 and dose.stated_daily == 6.0
    assert dose.schedule == (("sáng", 3.0), ("chiều", 2.0), ("tối", 1.0))


@pytest.mark.parametrize("text", ["", "Uống sau ăn", "Theo chỉ định của bác sĩ", "Amoxicilin 500mg"])
def test_no_dose_is_none(text: str) -> None:
    assert parse_dose(text) is None
