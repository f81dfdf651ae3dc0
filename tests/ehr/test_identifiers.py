"""Identifier formats: personal ID (shape only; consistency is a warning), insurance cards, facility, ICD-10."""

from __future__ import annotations

from datetime import date

from rxsafe.core.enums import Sex
from rxsafe.ehr.identifiers import (
    is_facility_code,
    is_insurance_card,
    is_personal_id,
    normalize_icd10,
    personal_id_warnings,
)


def test_personal_id_shape() -> None:
    assert is_personal_id("001150000123")
    assert not is_personal_id("00115000012")
    assert not is_personal_id("00115000012a")


def test_personal_id_consistency_warns() -> None:
    assert personal_id_warnings("001150000123", sex=Sex.FEMALE, birth_date=date(1950, 3, 2)) == []
    assert personal_id_warnings("001250000123", sex=Sex.FEMALE, birth_date=date(2050, 1, 1)) == [
        "personal ID says male, the record says female"
    ]
    assert personal_id_warnings("000150000123", sex=Sex.UNSPECIFIED, birth_date=None) == [
        "personal ID province code 000 is not a known province code"
    ]


def test_insurance_card_formats() -> None:
    assert is_insurance_card("HS4010120000001")  # legacy 15 characters
    assert is_insurance_card("0101200000")  # BHXH number alone
    assert is_insurance_card("001150000123")  # personal ID in place of the card
    assert not is_insurance_card("HS6010120000001")  # benefit level must be 1-5
    assert not is_insurance_card("hs4010120000001")


def test_facility_and_icd10() -> None:
    assert is_facility_code("79088") and not is_facility_code("7908")
    assert [normalize_icd10(c) for c in ("J189", "j18.9", "I10", "E1190", "99")] == [
        "J18.9",
        "J18.9",
        "I10",
        "E11.90",
        None,
    ]
