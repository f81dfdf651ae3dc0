"""Strengths as written on Vietnamese prescriptions: ``500mg``, ``0,25mg``, ``250mg/5ml``, ``1.000.000 UI``, ``0,9%``.

Units are normalised (``µg``/``ug`` -> ``mcg``, ``UI``/``đvqt`` -> ``IU``); the number follows the Vietnamese
convention (decimal comma, dot for thousands) unless the text is clearly English (``0.5mg``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rxsafe.core.models import Strength
from rxsafe.matching.normalize import fold

__all__ = ["StrengthSpan", "find_strengths", "parse_number", "parse_strength"]

_UNITS = {
    "mg": "mg",
    "mcg": "mcg",
    "ug": "mcg",
    "g": "g",
    "ml": "ml",
    "iu": "IU",
    "ui": "IU",
    "dvqt": "IU",
    "%": "%",
    "mmol": "mmol",
    "meq": "mEq",
}
_DENOMINATOR_UNITS = {"ml": "ml", "g": "g", "l": "l", "lieu": "liều", "vien": "viên", "goi": "gói", "ong": "ống"}

_NUMBER = r"\d+(?:[.,]\d+)*"
# Works on folded text (see normalize.fold). The look-behind keeps "b12" in "vitamin b12" a name, but
# reads a strength glued to a word of three letters or more ("Oxymetazolin HCl7,5mg", "Ibuprofen100mg").
_STRENGTH = re.compile(
    rf"(?:(?<![a-z0-9.,])|(?<=[a-z]{{3}}))(?P<num>{_NUMBER})\s*(?P<unit>mcg|mg|ug|mmol|meq|ml|iu|ui|dvqt|g|%)"
    rf"(?:\s*/\s*(?P<den_num>{_NUMBER})?\s*(?P<den_unit>ml|lieu|vien|goi|ong|g|l)(?![a-z]))?"
    r"(?![a-z])"
)
_THOUSANDS_DOT = re.compile(r"[1-9]\d{0,2}(?:\.\d{3})+")
_THOUSANDS_COMMA = re.compile(r"[1-9]\d{0,2}(?:,\d{3}){2,}")


@dataclass(frozen=True, slots=True)
class StrengthSpan:
    """A strength found in a text and where (start, end offsets into the text)."""

    strength: Strength
    start: int
    end: int


def parse_number(text: str) -> float | None:
    """A number written the Vietnamese or the English way.

    >>> parse_number("0,25"), parse_number("1.000.000"), parse_number("0.5"), parse_number("2.500")
    (0.25, 1000000.0, 0.5, 2500.0)
    """
    if _THOUSANDS_DOT.fullmatch(text):
        # "2.500" is 2500 in Vietnamese; English writes 2.5, never 2.500.
        text = text.replace(".", "")
    elif _THOUSANDS_COMMA.fullmatch(text):
        text = text.replace(",", "")
    elif "," in text and "." in text:
        text = text.replace(".", "").replace(",", ".")
    else:
        text = text.replace(",", ".")
    try:
        return float(text)
    except ValueError:
        return None


def find_strengths(text: str) -> list[StrengthSpan]:
    """Every strength in ``text``, in order.

    >>> [s.strength.text for s in find_strengths("Amoxicilin 875mg + Acid clavulanic 125 mg")]
    ['875mg', '125 mg']
    """
    folded = fold(text)
    found = []
    for m in _STRENGTH.finditer(folded):
        value = parse_number(m["num"])
        unit = _UNITS[m["unit"]]
        if m["den_unit"]:
            den_num = m["den_num"] or ""
            unit = f"{unit}/{den_num}{_DENOMINATOR_UNITS[m['den_unit']]}"
        found.append(StrengthSpan(Strength(value=value, unit=unit, text=text[m.start() : m.end()]), m.start(), m.end()))
    return found


def parse_strength(text: str) -> Strength | None:
    """The first strength in ``text``, or None.

    >>> parse_strength("250mg/5ml")
    Strength(value=250.0, unit='mg/5ml', text='250mg/5ml')
    >>> parse_strength("Natri clorid 0,9%")
    Strength(value=0.9, unit='%', text='0,9%')
    """
    found = find_strengths(text)
    return found[0].strength if found else None
