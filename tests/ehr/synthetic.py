"""Synthetic XML 130/4750 envelopes and FHIR bundles, built in code. Every value here is invented.

Personal IDs have the 12-digit shape with digits that match the invented sex and birth year; names say "THỬ"
(test). No real patient data is used or stored anywhere in the tests.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from typing import Any
from xml.sax.saxutils import escape

# Female, born 1950 (century/sex digit 1, year 50), province 001.
PATIENT_A = "001150000123"
# Male, born 1985 (digit 0, year 85), province 079.
PATIENT_B = "079085000456"
VISIT_A = "79088-2026-000123"
VISIT_B = "79088-2026-000456"


def xml1(**fields: str) -> dict[str, str]:
    """An XML1 (TONG_HOP) row for patient A's visit, with ``fields`` overriding the defaults."""
    row = {
        "MA_LK": VISIT_A,
        "STT": "1",
        "MA_BN": "BN000123",
        "HO_TEN": "BỆNH NHÂN THỬ MỘT",
        "SO_CCCD": PATIENT_A,
        "NGAY_SINH": "195003020000",
        "GIOI_TINH": "2",
        "NHOM_MAU": "O+",
        "DIA_CHI": "Địa chỉ thử, Hà Nội",
        "MA_THE_BHYT": "HT4010123456789",
        "CHAN_DOAN_RV": "Rung nhĩ",
        "MA_BENH_CHINH": "I48",
        "MA_BENH_KT": "I10;E119",
        "MA_PTTT_QT": "",
        "NGAY_VAO": "202611010800",
        "NGAY_RA": "202611011100",
        "KET_QUA_DTRI": "2",
        "MA_LOAI_KCB": "01",
        "MA_CSKCB": "79088",
        "CAN_NANG": "48.50",
        "NGAY_TAI_KHAM": "20261201",
    }
    row.update(fields)
    return row


def xml2(stt: int, **fields: str) -> dict[str, str]:
    """An XML2 (CHI_TIET_THUOC) row: warfarin for 30 days unless overridden."""
    row = {
        "MA_LK": VISIT_A,
        "STT": str(stt),
        "MA_THUOC": "",
        "MA_NHOM": "4",
        "TEN_THUOC": "Warfarin",
        "DON_VI_TINH": "Viên",
        "HAM_LUONG": "5mg",
        "DUONG_DUNG": "1.01",
        "LIEU_DUNG": "1 viên/lần * 1 lần/ngày * 30 ngày [1 viên/ngày]",
        "CACH_DUNG": "Uống buổi tối",
        "SO_DANG_KY": "",
        "SO_LUONG": "30.000",
        "DON_GIA": "1500.000",
        "MA_BAC_SI": "000123/HN-CCHN",
        "NGAY_YL": "202611010930",
        "NGAY_TH_YL": "202611010945",
    }
    row.update(fields)
    return row


def xml4(stt: int, **fields: str) -> dict[str, str]:
    """An XML4 (CHI_TIET_CLS) row: an INR result unless overridden."""
    row = {
        "MA_LK": VISIT_A,
        "STT": str(stt),
        "MA_DICH_VU": "23.0001.0001",
        "MA_CHI_SO": "INR",
        "TEN_CHI_SO": "INR",
        "GIA_TRI": "2.4",
        "DON_VI_DO": "",
        "KET_LUAN": "Trong khoảng điều trị",
        "NGAY_KQ": "202611011000",
    }
    row.update(fields)
    return row


def _fields(row: Mapping[str, str], cdata: Sequence[str] = ("TEN_THUOC", "LIEU_DUNG", "CACH_DUNG", "HO_TEN")) -> str:
    parts = []
    for name, value in row.items():
        body = f"<![CDATA[{value}]]>" if name in cdata and value else escape(value)
        parts.append(f"<{name}>{body}</{name}>")
    return "".join(parts)


def table(kind: str, rows: Sequence[Mapping[str, str]]) -> bytes:
    """An inner table document (XML1 / XML2 / XML4) as UTF-8 bytes."""
    head = '<?xml version="1.0" encoding="UTF-8"?>'
    if kind == "XML1":
        return (head + f"<TONG_HOP>{_fields(rows[0])}</TONG_HOP>").encode()
    if kind == "XML2":
        body = "".join(f"<CHI_TIET_THUOC>{_fields(r)}</CHI_TIET_THUOC>" for r in rows)
        return (head + f"<CHITIEU_CHITIET_THUOC><DSACH_CHI_TIET_THUOC>{body}</DSACH_CHI_TIET_THUOC>"
                "</CHITIEU_CHITIET_THUOC>").encode()  # fmt: skip
    body = "".join(f"<CHI_TIET_CLS>{_fields(r)}</CHI_TIET_CLS>" for r in rows)
    return (head + f"<CHITIEU_CHITIET_DICHVUCANLAMSANG><DSACH_CHI_TIET_CLS>{body}</DSACH_CHI_TIET_CLS>"
            "</CHITIEU_CHITIET_DICHVUCANLAMSANG>").encode()  # fmt: skip


def envelope(*records: Mapping[str, bytes | str], facility: str = "79088", made: str = "20261101") -> bytes:
    """A GIAMDINHHS envelope; each record maps LOAIHOSO → inner document bytes (or a raw NOIDUNGFILE string)."""
    hoso = []
    for record in records:
        files = "".join(
            f"<FILEHOSO><LOAIHOSO>{kind}</LOAIHOSO><NOIDUNGFILE>"
            + (content if isinstance(content, str) else base64.b64encode(content).decode())
            + "</NOIDUNGFILE></FILEHOSO>"
            for kind, content in record.items()
        )
        hoso.append(f"<HOSO>{files}</HOSO>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<GIAMDINHHS>'
        f"<THONGTINDONVI><MACSKCB>{facility}</MACSKCB></THONGTINDONVI>"
        f"<THONGTINHOSO><NGAYLAP>{made}</NGAYLAP><SOLUONGHOSO>{len(records)}</SOLUONGHOSO>"
        f"<DANHSACHHOSO>{''.join(hoso)}</DANHSACHHOSO></THONGTINHOSO>"
        "<CHUKYDONVI></CHUKYDONVI></GIAMDINHHS>"
    ).encode()


def visit_a(
    medications: Sequence[Mapping[str, str]] | None = None, results: Sequence[Mapping[str, str]] | None = None
) -> dict[str, bytes]:
    """Patient A's visit: XML1, XML2 (warfarin by default), XML4 (INR by default)."""
    return {
        "XML1": table("XML1", [xml1()]),
        "XML2": table("XML2", medications if medications is not None else [xml2(1)]),
        "XML4": table("XML4", results if results is not None else [xml4(1)]),
    }


# --- FHIR ---------------------------------------------------------------------------------------------------------

CCCD = "http://fhir.hl7.org.vn/core/sid/cccd"


def fhir_bundle(*resources: Mapping[str, Any]) -> bytes:
    """A collection Bundle of ``resources`` as JSON bytes."""
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": f"urn:uuid:00000000-0000-0000-0000-{i:012d}", "resource": r} for i, r in enumerate(resources)
        ],
    }
    return json.dumps(bundle, ensure_ascii=False).encode()


def fhir_patient(personal_id: str = PATIENT_B, resource_id: str = "p1") -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": resource_id,
        "identifier": [
            {"system": CCCD, "value": personal_id},
            {"system": "http://fhir.hl7.org.vn/core/sid/bhyt", "value": "DN4790123456789"},
        ],
        "name": [{"family": "THỬ", "given": ["BỆNH NHÂN", "HAI"]}],
        "gender": "male",
        "birthDate": "1985-06-15",
        "address": [{"text": "Địa chỉ thử, TP HCM"}],
    }


def fhir_allergy(allergen: str = "Penicilin", resource_id: str = "a1") -> dict[str, Any]:
    return {
        "resourceType": "AllergyIntolerance",
        "id": resource_id,
        "clinicalStatus": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "code": "active"}
            ]
        },
        "verificationStatus": {
            "coding": [
                {"system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "code": "confirmed"}
            ]
        },
        "category": ["medication"],
        "code": {"text": allergen},
        "patient": {"reference": "Patient/p1"},
        "recordedDate": "2022-09-12",
        "reaction": [{"manifestation": [{"text": "nổi mề đay"}], "severity": "moderate"}],
    }


def fhir_medication_request(text: str = "Clopidogrel 75mg", resource_id: str = "m1") -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest",
        "id": resource_id,
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {"text": text},
        "subject": {"reference": "Patient/p1"},
        "authoredOn": "2026-11-10",
        "dosageInstruction": [{"text": "1 viên/lần * 1 lần/ngày"}],
        "dispenseRequest": {
            "quantity": {"value": 28, "unit": "Viên"},
            "expectedSupplyDuration": {"value": 28, "unit": "days", "system": "http://unitsofmeasure.org", "code": "d"},
        },
    }


def fhir_condition(code: str = "I10", resource_id: str = "c1") -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "id": resource_id,
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": code}], "text": "Tăng huyết áp"},
        "subject": {"reference": "Patient/p1"},
        "onsetDateTime": "2020-01-01",
    }


def fhir_observation(
    resource_id: str = "o1", value: float = 71.5, when: str = "2026-11-10T08:00:00+07:00"
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": resource_id,
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}], "text": "Cân nặng"},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": when,
        "valueQuantity": {"value": value, "unit": "kg"},
    }
