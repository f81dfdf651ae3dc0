"""Whether a recorded medication counts as current on the check date, and how its window was worked out.

Records rarely state an end date. XML 130's medication table (XML2) has no stop date or duration field at all
(research/vietnam-context.md §1.3), so the window is inferred, firmest evidence first:

1. explicit start and end dates;
2. a start date and a recorded number of days;
3. a start date and the days in the dose text (``1 viên/lần * 2 lần/ngày * 7 ngày``);
4. a start date and the quantity divided by the daily dose (``[4 viên/ngày]`` or ``2 viên/lần * 2 lần/ngày``);
5. otherwise the medication is assumed active: missing data must never hide an interaction.

Every window records which of these it used (``MedicationWindowBasis``) and a sentence for the report
("Warfarin 5mg, prescribed 2026-11-01 for 30 days — active").

The dose-text parsing here is the minimum the window needs (days, daily total); ``rxsafe.matching`` owns full
dose parsing. Pure: no I/O.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, timedelta

from rxsafe.core.enums import MedicationWindowBasis, MedicationWindowStatus
from rxsafe.core.models import Medication

# Longest duration taken from any source: ten years, as the request validation allows (app.requests).
MAX_DAYS = 3660

# "* 7 ngày", "x 7 ngày", "× 7 ngay", "trong 7 ngày", "dùng 7 ngày". The unit must be days, not "lần/ngày".
_DAYS = re.compile(r"(?:[*x×]|\btrong\b|\bdùng\b|\bdung\b)\s*(\d{1,4})\s*(?:ngày|ngay)\b(?!\s*/)", re.IGNORECASE)
# The prescribed daily total in brackets, XML 130's convention: "[4 viên/ngày]".
_DAILY_BRACKET = re.compile(r"\[\s*(\d+(?:[.,]\d+)?)\s*([^\]\d/]*?)\s*/\s*(?:ngày|ngay)\s*\]", re.IGNORECASE)
# "2 viên/lần * 3 lần/ngày" (also with "x" and without spaces).
_PER_DOSE_TIMES = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*([^\d/*x×\[\]]*?)\s*/\s*(?:lần|lan)\s*[*x×,]?\s*(\d{1,2})\s*(?:lần|lan)\s*/\s*(?:ngày|ngay)",
    re.IGNORECASE,
)
# "4 viên/ngày" anywhere (after the two forms above have been tried).
_PER_DAY = re.compile(r"(\d+(?:[.,]\d+)?)\s*([^\d/*x×\[\]]*?)\s*/\s*(?:ngày|ngay)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DailyDose:
    """A daily total parsed from dose text: ``amount`` of ``unit`` (folded lowercase, may be empty) per day."""

    amount: float
    unit: str


@dataclass(frozen=True, slots=True)
class MedicationWindow:
    """A recorded medication's window on a check date, with how it was inferred and the sentence for reports."""

    status: MedicationWindowStatus
    start: date | None
    end: date | None
    days: int | None
    basis: MedicationWindowBasis
    text: str


def dose_text_days(text: str) -> int | None:
    """The number of days in a dose text, or None.

    >>> dose_text_days("1 viên/lần * 2 lần/ngày * 7 ngày [2 viên/ngày]")
    7
    >>> dose_text_days("2 viên/lần * 2 lần/ngày") is None
    True
    """
    match = _DAYS.search(text)
    if match is None:
        return None
    days = int(match.group(1))
    return days if 0 < days <= MAX_DAYS else None


def daily_dose(text: str) -> DailyDose | None:
    """The daily total of a dose text: the bracketed total, else per-dose × times a day, else ``N …/ngày``.

    >>> daily_dose("2 viên/lần * 2 lần/ngày * 5 ngày [4 viên/ngày]")
    DailyDose(amount=4.0, unit='viên')
    >>> daily_dose("Uống 1 viên/lần x 3 lần/ngày")
    DailyDose(amount=3.0, unit='viên')
    """
    bracket = _DAILY_BRACKET.search(text)
    if bracket is not None:
        return _dose(_number(bracket.group(1)), bracket.group(2))
    per_dose = _PER_DOSE_TIMES.search(text)
    if per_dose is not None:
        return _dose(_number(per_dose.group(1)) * int(per_dose.group(3)), per_dose.group(2))
    per_day = _PER_DAY.search(text)
    if per_day is not None:
        return _dose(_number(per_day.group(1)), per_day.group(2))
    return None


def _number(text: str) -> float:
    # Vietnamese text writes "0,5"; XML numbers write "0.5".
    return float(text.replace(",", "."))


def _dose(amount: float, unit: str) -> DailyDose | None:
    return DailyDose(amount=amount, unit=unit.strip().lower()) if amount > 0 else None


def quantity_days(med: Medication) -> int | None:
    """Days of supply: quantity ÷ daily dose, rounded up; None when the units differ or either is missing.

    >>> quantity_days(Medication(id="m", text="x", quantity=20, unit="Viên", dose_text="1 viên/lần * 2 lần/ngày"))
    10
    """
    if med.quantity is None or med.quantity <= 0:
        return None
    daily = daily_dose(med.dose_text)
    if daily is None:
        return None
    unit = med.unit.strip().lower()
    # 3 "Lọ" over "10 ml/ngày" says nothing about days: divide only like by like (or when one side is unstated).
    if unit and daily.unit and unit != daily.unit:
        return None
    days = math.ceil(med.quantity / daily.amount - 1e-9)
    return days if 0 < days <= MAX_DAYS else None


def infer_window(med: Medication, as_of: date, lookback_days: int) -> MedicationWindow:
    """The medication's window on ``as_of``: status, first and last day, and how it was worked out.

    >>> m = Medication(id="m1", text="Warfarin 5mg", start_date=date(2026, 11, 1), days=30)
    >>> w = infer_window(m, date(2026, 11, 26), 60)
    >>> w.status.value, w.end, w.basis.value
    ('active', datetime.date(2026, 11, 30), 'start + days')
    >>> w.text
    'Warfarin 5mg, prescribed 2026-11-01 for 30 days — active'
    """
    start = med.start_date or (med.order_time.date() if med.order_time is not None else None)
    end, days, basis, how = _span(med, start)
    status = _status(start, end, as_of, lookback_days)
    return MedicationWindow(
        status=status,
        start=start,
        end=end,
        days=days,
        basis=basis,
        text=f"{med.text}, {_describe(start, end, days, basis, how)} — {status.value}",
    )


def _span(med: Medication, start: date | None) -> tuple[date | None, int | None, MedicationWindowBasis, str]:
    """The last day, the days, the basis, and a short note on where the days came from."""
    if med.end_date is not None:
        days = (med.end_date - start).days + 1 if start is not None else None
        return med.end_date, days, MedicationWindowBasis.EXPLICIT_DATES, ""
    if start is None:
        return None, None, MedicationWindowBasis.ASSUMED, ""
    if med.days:
        return _end(start, med.days), med.days, MedicationWindowBasis.START_PLUS_DAYS, ""
    text_days = dose_text_days(med.dose_text)
    if text_days is not None:
        return _end(start, text_days), text_days, MedicationWindowBasis.DOSE_TEXT_DAYS, " (from the dose text)"
    supply = quantity_days(med)
    if supply is not None:
        note = f" (quantity {med.quantity:g} ÷ daily dose)"
        return _end(start, supply), supply, MedicationWindowBasis.QUANTITY_PER_DAILY_DOSE, note
    return None, None, MedicationWindowBasis.ASSUMED, ""


def _end(start: date, days: int) -> date:
    return start + timedelta(days=days - 1)


def _status(start: date | None, end: date | None, as_of: date, lookback_days: int) -> MedicationWindowStatus:
    if start is None and end is None:
        return MedicationWindowStatus.ASSUMED_ACTIVE
    if start is not None and start > as_of:
        return MedicationWindowStatus.FUTURE
    if end is None:
        # Started, with no duration recorded or inferable: still taken as far as anyone knows.
        return MedicationWindowStatus.ASSUMED_ACTIVE
    if as_of <= end:
        return MedicationWindowStatus.ACTIVE
    if as_of <= end + timedelta(days=lookback_days):
        return MedicationWindowStatus.RECENT
    return MedicationWindowStatus.ENDED


def _describe(start: date | None, end: date | None, days: int | None, basis: MedicationWindowBasis, how: str) -> str:
    if start is None and end is None:
        return "no dates recorded"
    if start is None:
        return f"until {end}"
    if end is None:
        return f"prescribed {start}, duration not recorded"
    if basis is MedicationWindowBasis.EXPLICIT_DATES:
        return f"{start} to {end}"
    return f"prescribed {start} for {days} days{how}"


def medication_window(med: Medication, as_of: date, lookback_days: int) -> tuple[MedicationWindowStatus, date | None]:
    """The medication's status on ``as_of`` and the last day it covers (None when unknown).

    A medication with no dates is assumed active: missing data must never hide an interaction.

    >>> m = Medication(id="m1", text="Warfarin 5mg", start_date=date(2026, 11, 1), days=30)
    >>> medication_window(m, date(2026, 11, 26), 60)
    (<MedicationWindowStatus.ACTIVE: 'active'>, datetime.date(2026, 11, 30))
    """
    window = infer_window(med, as_of, lookback_days)
    return window.status, window.end


COUNTED_WINDOWS = frozenset(
    {MedicationWindowStatus.ACTIVE, MedicationWindowStatus.RECENT, MedicationWindowStatus.ASSUMED_ACTIVE}
)
"""Window states whose medications are checked against the new prescription."""
