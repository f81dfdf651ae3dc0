"""The national e-prescription body (``POST /api/v1/gui-don-thuoc``) as a check request.

A pharmacy receives the prescription as this JSON (research/vietnam-context.md §2.3); checking it "as it arrives"
means no re-keying. Field names are the ones every client implementation agrees on; types are not published, so
numbers are accepted as JSON numbers or numeric strings. Errors name the JSON path
(``thong_tin_don_thuoc[2].so_luong``).

Each line's text follows the TT 26/2025 pattern, INN then brand in parentheses: ``ten_thuoc (biet_duoc)``. The
line's ``ma_thuoc`` is passed on as a national drug code only when it has the DMDC shape (``40.229``): the API does
not document which code system it carries.

The patient: with ``stored_patient=True`` and a 12-digit personal ID in the body, the check loads the stored
record (allergies, current medications). Otherwise the patient is inline, built from the body; the body has no
allergy field, so the allergy history is "not recorded" and the verdict cannot be a clean pass.

Sex: clients reportedly send ``gioi_tinh`` 2 = male, 3 = female, where XML 130 uses 1/2/3; a number is therefore
ambiguous and is recorded as unspecified rather than guessed. Text ("nam", "nữ") is mapped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from rxsafe.app.requests import CheckRequest, ClaimedIdentity, Limits, check_date_range
from rxsafe.core.enums import AllergyStatus, Sex
from rxsafe.core.errors import InvalidRequest
from rxsafe.core.models import Condition, PatientRecord, Prescription, PrescriptionLine
from rxsafe.ehr.identifiers import is_insurance_card, is_personal_id, normalize_icd10

# ``loai_don_thuoc``: c normal, n narcotic, h psychotropic/precursor, y traditional, t decoction.
PRESCRIPTION_TYPES = frozenset("cnhyt")
PRESCRIPTION_CODE = re.compile(r"^[0-9A-Za-z]{5}[0-9a-z]{7}-[NHCYTnhcyt]$")
DMDC_CODE = re.compile(r"^\d{2}\.\d+(?:\.\d+)*$")
_NUMBER = re.compile(r"^\s*\d+(?:[.,]\d+)?\s*$")
_SEX_TEXT = {"nam": Sex.MALE, "nữ": Sex.FEMALE, "nu": Sex.FEMALE, "male": Sex.MALE, "female": Sex.FEMALE}


def eprescription_to_check_request(
    body: Mapping[str, Any], *, stored_patient: bool = False, limits: Limits | None = None
) -> CheckRequest:
    """The ``gui-don-thuoc`` body as a ``CheckRequest``; raises ``InvalidRequest`` naming the JSON path."""
    limits = limits or Limits()
    if not isinstance(body, Mapping):
        raise InvalidRequest("$", "the e-prescription must be a JSON object")
    kind = _text(body, "loai_don_thuoc", limits)
    if kind and kind.lower() not in PRESCRIPTION_TYPES:
        raise InvalidRequest("loai_don_thuoc", "must be one of c, n, h, y, t")
    code = _text(body, "ma_don_thuoc", limits)
    if code and not PRESCRIPTION_CODE.fullmatch(code):
        raise InvalidRequest("ma_don_thuoc", "must be 5 facility characters, 7 characters, '-' and the type letter")
    lines = _lines(body, limits)
    personal_id = _personal_id(body, limits)
    prescription = Prescription(lines=tuple(lines), prescriber_id="")
    if stored_patient and personal_id:
        # The name and birth date the body gives are kept, to be compared with the stored record's.
        claimed = ClaimedIdentity(
            name=_text(body, "ho_ten_benh_nhan", limits), birth_date=_birth_date(body.get("ngay_sinh_benh_nhan"))
        )
        return CheckRequest(patient_id=personal_id, prescription=prescription, claimed_identity=claimed)
    return CheckRequest(patient=_inline_patient(body, personal_id, limits), prescription=prescription)


def _lines(body: Mapping[str, Any], limits: Limits) -> list[PrescriptionLine]:
    items = body.get("thong_tin_don_thuoc")
    if not isinstance(items, list) or not items:
        raise InvalidRequest("thong_tin_don_thuoc", "a prescription needs at least one drug line (a JSON list)")
    if len(items) > limits.max_lines:
        raise InvalidRequest("thong_tin_don_thuoc", f"at most {limits.max_lines} lines per prescription")
    lines = []
    for i, item in enumerate(items):
        path = f"thong_tin_don_thuoc[{i}]"
        if not isinstance(item, Mapping):
            raise InvalidRequest(path, "must be a JSON object")
        name = _text(item, "ten_thuoc", limits, path)
        brand = _text(item, "biet_duoc", limits, path)
        if not name and not brand:
            raise InvalidRequest(f"{path}.ten_thuoc", "give ten_thuoc or biet_duoc")
        text = f"{name} ({brand})" if name and brand and brand.lower() != name.lower() else (name or brand)
        drug_code = _text(item, "ma_thuoc", limits, path)
        lines.append(
            PrescriptionLine(
                text=text[: limits.max_text_length],
                quantity=_number(item, "so_luong", path, maximum=1e6),
                dose_text=_text(item, "cach_dung", limits, path),
                national_drug_code=drug_code if DMDC_CODE.fullmatch(drug_code) else "",
            )
        )
    return lines


def _personal_id(body: Mapping[str, Any], limits: Limits) -> str:
    for key in ("ma_dinh_danh_y_te", "ma_dinh_danh_cong_dan"):
        value = _text(body, key, limits)
        if value and not is_personal_id(value):
            raise InvalidRequest(key, "must be the 12-digit personal identification number")
        if value:
            return value
    return ""


def _inline_patient(body: Mapping[str, Any], personal_id: str, limits: Limits) -> PatientRecord:
    card = _text(body, "ma_so_the_bao_hiem_y_te", limits)
    if card and not is_insurance_card(card):
        raise InvalidRequest("ma_so_the_bao_hiem_y_te", "not a health-insurance card number (15, 10 or 12 characters)")
    weight = _number(body, "can_nang", "", maximum=500)
    if weight is not None and weight <= 0:
        raise InvalidRequest("can_nang", "must be between 0 and 500 kg")
    return PatientRecord(
        patient_id=personal_id,
        name=_text(body, "ho_ten_benh_nhan", limits),
        birth_date=_birth_date(body.get("ngay_sinh_benh_nhan")),
        sex=_sex(body.get("gioi_tinh")),
        allergy_status=AllergyStatus.NOT_RECORDED,
        weight_kg=weight,
        insurance_card=card,
        address=_text(body, "dia_chi", limits),
        conditions=_diagnoses(body, limits),
    )


def _diagnoses(body: Mapping[str, Any], limits: Limits) -> tuple[Condition, ...]:
    items = body.get("chan_doan", [])
    if items in (None, ""):
        return ()
    if not isinstance(items, list):
        raise InvalidRequest("chan_doan", "must be a JSON list")
    conditions = []
    for i, item in enumerate(items):
        path = f"chan_doan[{i}]"
        if not isinstance(item, Mapping):
            raise InvalidRequest(path, "must be a JSON object")
        raw = _text(item, "ma_chan_doan", limits, path)
        code = normalize_icd10(raw) if raw else ""
        if code is None:
            raise InvalidRequest(f"{path}.ma_chan_doan", "not an ICD-10 code")
        conditions.append(Condition(id=f"diagnosis-{i}", code=code, text=_text(item, "ten_chan_doan", limits, path)))
    return tuple(conditions)


def _text(obj: Mapping[str, Any], key: str, limits: Limits, parent: str = "") -> str:
    value = obj.get(key)
    path = f"{parent}.{key}" if parent else key
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidRequest(path, "must be a string")
    text = str(value).strip()
    if len(text) > limits.max_text_length:
        raise InvalidRequest(path, f"longer than {limits.max_text_length} characters")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # JSON can escape a lone surrogate (\ud800), which no answer or store could encode.
        raise InvalidRequest(path, "not valid Unicode text (a lone surrogate escape)") from None
    return text


def _number(obj: Mapping[str, Any], key: str, parent: str, *, maximum: float) -> float | None:
    value = obj.get(key)
    path = f"{parent}.{key}" if parent else key
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InvalidRequest(path, "must be a number")
    if isinstance(value, str):
        if not _NUMBER.fullmatch(value):
            raise InvalidRequest(path, "must be a number")
        value = float(value.replace(",", "."))
    if not isinstance(value, int | float) or not 0 <= value <= maximum:
        raise InvalidRequest(path, f"must be a number between 0 and {maximum:g}")
    return float(value)


def _birth_date(value: Any) -> date | None:
    """``dd/mm/yyyy`` (seen in clients) or ISO ``yyyy-mm-dd``."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise InvalidRequest("ngay_sinh_benh_nhan", "must be a date string (dd/mm/yyyy or yyyy-mm-dd)")
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(value.strip(), pattern).date()  # a calendar date, no zone
        except ValueError:
            continue
        return check_date_range("ngay_sinh_benh_nhan", parsed)
    raise InvalidRequest("ngay_sinh_benh_nhan", "must be a date (dd/mm/yyyy or yyyy-mm-dd)")


def _sex(value: Any) -> Sex:
    if isinstance(value, str) and value.strip().lower() in _SEX_TEXT:
        return _SEX_TEXT[value.strip().lower()]
    if value in (None, "") or (isinstance(value, int | str) and str(value).strip() in {"1", "2", "3"}):
        return Sex.UNSPECIFIED  # numeric codes are ambiguous between XML 130 and the national API's clients
    raise InvalidRequest("gioi_tinh", "must be 1, 2, 3, 'nam' or 'nữ'")
