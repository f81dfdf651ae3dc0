"""Vietnamese identifiers: personal ID (CCCD), health-insurance card, facility codes, ICD-10 codes.

Formats from research/vietnam-context.md §3. The personal ID has no published check digit, so only its shape is
enforced (twelve digits); its embedded province, century/sex and birth-year digits are compared with the record
and a disagreement is a warning, never a rejection (numbers can be re-issued, records can be wrong either way).
"""

from __future__ import annotations

import re
from datetime import date

from rxsafe.core.enums import Sex

PERSONAL_ID = re.compile(r"^[0-9]{12}$")  # ASCII digits: \d also matches other scripts' digits
# Legacy 15-character card (2-letter group, benefit level 1-5, 2-digit province, 10-digit BHXH number), the
# 10-digit BHXH number alone (since 2021), or the 12-digit personal ID (since Decree 188/2025).
INSURANCE_CARD = re.compile(r"^(?:[A-Z]{2}[1-5]\d{2}\d{10}|\d{10}|\d{12})$", re.ASCII)
# MA_CSKCB: 5 characters, the first two the province code.
FACILITY_CODE = re.compile(r"^[0-9A-Z]{5}$")
# MA_CSKCB_THUOC: the supplying facility with its prefix (C., K., M., HC. for remote consultation).
SUPPLYING_FACILITY = re.compile(r"^(?:C|K|M|HC)\.[0-9A-Z]{5}$")
# ICD-10 as XML 130 writes it (``J189``) or with its dot (``J18.9``); a letter, two digits, up to two more.
ICD10 = re.compile(r"^([A-Z])(\d{2})\.?([0-9A-Z]{0,2})$", re.ASCII)

# Birth-registration province codes of the personal ID (TT 07/2016/TT-BCA Appendix 1, the 63 provinces before the
# 2025 merger). Codes of people registered abroad exist too, so an unknown code is only a warning.
_PROVINCES = (
    "001 002 004 006 008 010 011 012 014 015 017 019 020 022 024 025 026 027 030 031 033 034 035 036 037 038 "
    "040 042 044 045 046 048 049 051 052 054 056 058 060 062 064 066 067 068 070 072 074 075 077 079 080 082 "
    "083 084 086 087 089 091 092 093 094 095 096"
)
PROVINCE_CODES = frozenset(_PROVINCES.split(" "))


def mask_personal_id(patient_id: str) -> str:
    """The personal ID with all but its last four digits hidden (``********0001``); short IDs are hidden whole.

    Wherever an ID is shown to a person or written to a message, it is shown this way, never whole.
    """
    keep = 4
    if len(patient_id) <= keep:
        return "*" * len(patient_id)
    return "*" * (len(patient_id) - keep) + patient_id[-keep:]


def is_personal_id(value: str) -> bool:
    """Whether ``value`` has the shape of a personal identification number (12 digits)."""
    return PERSONAL_ID.fullmatch(value) is not None


def personal_id_warnings(personal_id: str, *, sex: Sex, birth_date: date | None) -> list[str]:
    """Disagreements between a personal ID's embedded digits and the record; empty when consistent.

    Digit 4 is century and sex (0/1 = 1900s male/female, 2/3 = 2000s, …), digits 5-6 the birth year's last two.
    The messages name the field, never the number itself (they end up in import summaries and logs).

    >>> personal_id_warnings("079203001234", sex=Sex.MALE, birth_date=date(2003, 3, 15))
    []
    >>> personal_id_warnings("079303001234", sex=Sex.MALE, birth_date=date(2003, 3, 15))
    ['personal ID says female, the record says male']
    """
    if not is_personal_id(personal_id):
        return ["personal ID is not 12 digits"]
    warnings: list[str] = []
    if personal_id[:3] not in PROVINCE_CODES:
        warnings.append(f"personal ID province code {personal_id[:3]} is not a known province code")
    century_sex = int(personal_id[3])
    id_sex = Sex.MALE if century_sex % 2 == 0 else Sex.FEMALE
    if sex in (Sex.MALE, Sex.FEMALE) and sex is not id_sex:
        warnings.append(f"personal ID says {id_sex.value.lower()}, the record says {sex.value.lower()}")
    if birth_date is not None:
        century = 1900 + 100 * (century_sex // 2)
        id_year = century + int(personal_id[4:6])
        if id_year != birth_date.year:
            warnings.append(f"personal ID says born {id_year}, the record says {birth_date.year}")
    return warnings


def is_insurance_card(value: str) -> bool:
    """Whether ``value`` is one of the three accepted insurance-card number formats."""
    return INSURANCE_CARD.fullmatch(value) is not None


def is_facility_code(value: str) -> bool:
    """Whether ``value`` is a 5-character facility code (MA_CSKCB)."""
    return FACILITY_CODE.fullmatch(value) is not None


def normalize_icd10(code: str) -> str | None:
    """``J189`` or ``j18.9`` → ``J18.9``; ``I10`` stays ``I10``; None when it is not an ICD-10 code.

    >>> normalize_icd10("J189"), normalize_icd10("I10"), normalize_icd10("bad")
    ('J18.9', 'I10', None)
    """
    match = ICD10.fullmatch(code.strip().upper())
    if match is None:
        return None
    letter, digits, rest = match.groups()
    return f"{letter}{digits}.{rest}" if rest else f"{letter}{digits}"
