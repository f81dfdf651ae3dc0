"""Dose text as Vietnamese prescriptions write it, read into numbers: per-dose amount and doses per day.

Forms handled (XML 130 ``LIEU_DUNG`` and free text, Circular 26/2025):

- ``2 viên/lần * 2 lần/ngày * 5 ngày [4 viên/ngày]`` (the XML 130 pattern);
- ``500mg x 3 lần/ngày``, ``1 viên x 2 lần/ngày``, ``ngày 2 lần, mỗi lần 1 gói``;
- ``Sáng 1 viên, Tối 1 viên``, ``Sáng: 3 viên, Chiều: 2 viên, Tối: 1 viên`` (a schedule);
- fractions ``1/2 viên/lần``, ``½ viên``, and decimal commas ``2,5 ml/lần``.

Only what the text says is reported: a field the text does not give is None, never a default. The daily
total is left to the dose check (a later issue), which also knows the strength of one "viên".
"""

from __future__ import annotations

import re

from rxsafe.core.models import DoseInstruction
from rxsafe.matching.normalize import fold
from rxsafe.matching.strength import parse_number

__all__ = ["DoseInstruction", "parse_dose"]

# Units of one dose (folded) -> as reported. Counting units first: "viên" is what most lines use.
_UNITS = {
    "vien": "viên", "goi": "gói", "ong": "ống", "lo": "lọ", "chai": "chai", "tuyp": "tuýp", "mieng": "miếng",
    "giot": "giọt", "nhat": "nhát", "xit": "xịt", "lieu": "liều", "thia": "thìa", "mg": "mg", "mcg": "mcg",
    "g": "g", "ml": "ml", "iu": "IU", "ui": "IU", "dvqt": "IU",
}  # fmt: skip
_UNIT = r"(?P<unit>" + "|".join(sorted(_UNITS, key=len, reverse=True)) + r")(?![a-z])"
_AMOUNT = r"(?P<num>\d+\s*/\s*\d+|\d+(?:[.,]\d+)?|½|¼)"

_PER_DOSE = re.compile(rf"{_AMOUNT}\s*{_UNIT}\s*/\s*lan\b")
_EACH_TIME = re.compile(rf"\bmoi\s+lan\s*:?\s*{_AMOUNT}\s*{_UNIT}")
_PER_DAY = re.compile(r"(?P<n>\d+)\s*lan\s*/\s*ngay\b|\bngay\s*(?P<m>\d+)\s*lan\b")
_DAYS = re.compile(r"[*x×]\s*(?P<days>\d+)\s*ngay\b(?!\s*/)")
_STATED_DAILY = re.compile(rf"\[\s*{_AMOUNT}\s*{_UNIT}\s*/\s*ngay\s*\]")
_SCHEDULE = re.compile(rf"\b(?P<time>sang|trua|chieu|toi|dem)\s*:?\s*{_AMOUNT}\s*{_UNIT}")
# "500mg x 3 lần/ngày", "1 viên x 2 lần/ngày": an amount directly before "x N lần".
_AMOUNT_TIMES = re.compile(rf"{_AMOUNT}\s*{_UNIT}\s*[x*×]\s*\d+\s*lan\b")


def _amount(text: str) -> float | None:
    if text in ("½", "¼"):
        return 0.5 if text == "½" else 0.25
    if "/" in text:
        top, bottom = (t.strip() for t in text.split("/"))
        return int(top) / int(bottom) if int(bottom) else None
    return parse_number(text)


def parse_dose(text: str) -> DoseInstruction | None:
    """The dose instruction in ``text``, or None when it gives neither an amount nor a frequency.

    >>> d = parse_dose("2 viên/lần * 2 lần/ngày * 5 ngày [4 viên/ngày]")
    >>> d.amount, d.unit, d.doses_per_day, d.days, d.stated_daily
    (2.0, 'viên', 2, 5, 4.0)
    >>> d = parse_dose("Sáng 1 viên, Tối 1 viên")
    >>> d.amount, d.unit, d.doses_per_day, d.schedule
    (1.0, 'viên', 2, (('sáng', 1.0), ('tối', 1.0)))
    >>> d = parse_dose("500mg x 3 lần/ngày")
    >>> d.amount, d.unit, d.doses_per_day
    (500.0, 'mg', 3)
    >>> parse_dose("Uống sau ăn") is None
    True
    """
    folded = fold(text)
    amount: float | None = None
    unit = ""
    doses: int | None = None

    schedule: list[tuple[str, float, str]] = []
    for m in _SCHEDULE.finditer(folded):
        value = _amount(m["num"])
        if value is not None:
            schedule.append((text[m.start("time") : m.end("time")].lower(), value, _UNITS[m["unit"]]))
    if schedule:
        doses = len(schedule)
        units = {u for _, _, u in schedule}
        values = {v for _, v, _ in schedule}
        unit = units.pop() if len(units) == 1 else ""
        # A varying dose ("Sáng 3 viên, Tối 1 viên") has no single per-dose amount.
        amount = values.pop() if len(values) == 1 and unit else None

    per_dose = _PER_DOSE.search(folded) or _EACH_TIME.search(folded) or _AMOUNT_TIMES.search(folded)
    if per_dose and amount is None and not schedule:
        amount, unit = _amount(per_dose["num"]), _UNITS[per_dose["unit"]]
    per_day = _PER_DAY.search(folded)
    if per_day and doses is None:
        doses = int(per_day["n"] or per_day["m"])

    days_m = _DAYS.search(folded)
    stated = _STATED_DAILY.search(folded)
    stated_daily = _amount(stated["num"]) if stated else None
    if stated and not unit:
        unit = _UNITS[stated["unit"]]
    if amount is None and doses is None and stated_daily is None:
        return None
    return DoseInstruction(
        text=text,
        amount=amount,
        unit=unit,
        doses_per_day=doses,
        days=int(days_m["days"]) if days_m else None,
        schedule=tuple((t, v) for t, v, _ in schedule),
        stated_daily=stated_daily,
    )
