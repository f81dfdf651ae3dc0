from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rxsafe.matching.strength import find_strengths, parse_number, parse_strength


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("500mg", 500.0, "mg"),
        ("0,25mg", 0.25, "mg"),
        ("0.5 mg", 0.5, "mg"),
        ("250mg/5ml", 250.0, "mg/5ml"),
        ("1 g", 1.0, "g"),
        ("1.000.000 UI", 1_000_000.0, "IU"),
        ("5000 IU", 5000.0, "IU"),
        ("0,9%", 0.9, "%"),
        ("100 µg", 100.0, "mcg"),
        ("100mcg", 100.0, "mcg"),
        ("2.500 mg", 2500.0, "mg"),
    ],
)
def test_parse_strength(text: str, value: float, unit: str) -> None:
    s = parse_strength(f"Thuoc {text}")
    assert s is not None
    assert (s.value, s.unit, s.text) == (value, unit, text)


def test_combination_strengths_are_separate() -> None:
    found = find_strengths("Augmentin 500mg/62,5mg")
    assert [(f.strength.value, f.strength.unit) for f in found] == [(500.0, "mg"), (62.5, "mg")]


def test_vitamin_numbers_are_not_strengths() -> None:
    assert [f.strength.text for f in find_strengths("Vitamin B12 1000mcg")] == ["1000mcg"]
    assert parse_strength("Vitamin B1") is None


@given(st.integers(min_value=0, max_value=999), st.integers(min_value=1, max_value=99))
def test_decimal_comma_and_point_agree(whole: int, frac: int) -> None:
    assert parse_number(f"{whole},{frac:02d}") == parse_number(f"{whole}.{frac:02d}")
