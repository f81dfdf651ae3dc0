"""XML 130/4750 import: the ``GIAMDINHHS`` envelope, its Base64 inner tables XML1, XML2 and XML4.

Field types and maximum sizes are the QĐ 130 columns as corrected by the QĐ 4750 appendix
(research/vietnam-context.md §1.3-§1.5): ``C`` string of at most N characters, ``N`` number of at most N characters
(``.`` as the decimal separator), ``D`` a ``yyyymmddHHMM`` time (C12). Fields with no fixed maximum ("C n") are
bounded by ``MAX_FREE_TEXT`` so one hostile row cannot exhaust memory.

Security: every XML document (the envelope and each decoded table) is parsed with ``defusedxml`` with DTDs,
entity declarations and external references forbidden, so entity-expansion ("billion laughs") and external-entity
attacks are refused before any expansion happens. Base64 is decoded strictly (an invalid character is an error,
not silently skipped). The file and each decoded table are size-bounded.

What is read: XML1 (the visit: personal ID, name, birth date, sex, blood group, address, insurance card, ICD-10
codes, admission and discharge, result, weight, procedures, follow-up), XML2 (medications) and XML4 (paraclinical
results). Other tables are skipped and counted. XML 130 has no allergy field, so an XML import never says anything
about allergies: the allergy status stays as it was ("not recorded" for a new patient).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from xml.etree.ElementTree import Element, ParseError
from xml.etree.ElementTree import fromstring as _stdlib_fromstring
from xml.parsers import expat

from defusedxml import (  # type: ignore[import-untyped]
    DefusedXmlException,
    DTDForbidden,
    EntitiesForbidden,
    ExternalReferenceForbidden,
)
from defusedxml.ElementTree import fromstring as _defused_fromstring  # type: ignore[import-untyped]

from rxsafe.core.enums import Sex
from rxsafe.core.models import Condition, Medication, Observation, Visit
from rxsafe.ehr.identifiers import (
    is_facility_code,
    is_insurance_card,
    is_personal_id,
    normalize_icd10,
    personal_id_warnings,
)
from rxsafe.ehr.imported import Demographics, ParsedFile, Provenance, Rejection, file_sha256

FORMAT = "xml130"
MAX_FILE_BYTES = 1 << 30  # 1 GiB: a month of a large hospital's XML2 fits; a runaway file does not.
MAX_TABLE_BYTES = 1 << 30
MAX_FREE_TEXT = 65_536  # "C n" fields: no fixed maximum in the standard, a generous one here.
MAX_SECONDARY_ICD = 12  # MA_BENH_KT: at most 12 codes (QĐ 130).

Kind = Literal["C", "N", "D"]


@dataclass(frozen=True, slots=True)
class FieldSpec:
    kind: Kind
    size: int | None  # None: "n", no fixed maximum


def _specs(text: str) -> dict[str, FieldSpec]:
    """``"MA_LK C100, STT N10, GHI_CHU Cn"`` → field specs (a compact transcription of the appendix tables)."""
    specs: dict[str, FieldSpec] = {}
    for item in text.split(","):
        name, code = item.split()
        kind: Kind = "D" if code == "D12" else ("N" if code[0] == "N" else "C")
        size = None if code[1:] == "n" else int(code[1:])
        specs[name] = FieldSpec(kind, size)
    return specs


# QĐ 130 Bảng 1 with the QĐ 4750 corrections (SO_CCCD C15, NHOM_MAU added, MA_DOITUONG_KCB C4).
XML1_FIELDS = _specs(
    "MA_LK C100, STT N10, MA_BN C100, HO_TEN C255, SO_CCCD C15, NGAY_SINH D12, GIOI_TINH N1, NHOM_MAU C5, "
    "MA_QUOCTICH N3, MA_DANTOC N2, MA_NGHE_NGHIEP N5, DIA_CHI C1024, MATINH_CU_TRU C3, MAHUYEN_CU_TRU C3, "
    "MAXA_CU_TRU C5, DIEN_THOAI N15, MA_THE_BHYT Cn, MA_DKBD Cn, GT_THE_TU Cn, GT_THE_DEN Cn, NGAY_MIEN_CCT C12, "
    "LY_DO_VV Cn, LY_DO_VNT Cn, MA_LY_DO_VNT C5, CHAN_DOAN_VAO Cn, CHAN_DOAN_RV Cn, MA_BENH_CHINH C7, "
    "MA_BENH_KT C100, MA_BENH_YHCT C255, MA_PTTT_QT C125, MA_DOITUONG_KCB C4, MA_NOI_DI C5, MA_NOI_DEN C5, "
    "MA_TAI_NAN N1, NGAY_VAO D12, NGAY_VAO_NOI_TRU D12, NGAY_RA D12, GIAY_CHUYEN_TUYEN C50, SO_NGAY_DTRI N3, "
    "PP_DIEU_TRI Cn, KET_QUA_DTRI N1, MA_LOAI_RV N1, GHI_CHU Cn, NGAY_TTOAN D12, T_THUOC N15, T_VTYT N15, "
    "T_TONGCHI_BV N15, T_TONGCHI_BH N15, T_BNTT N15, T_BNCCT N15, T_BHTT N15, T_NGUONKHAC N15, T_BHTT_GDV N15, "
    "NAM_QT N4, THANG_QT N2, MA_LOAI_KCB N2, MA_KHOA C50, MA_CSKCB C5, MA_KHUVUC C2, CAN_NANG C6, "
    "CAN_NANG_CON C100, NAM_NAM_LIEN_TUC C8, NGAY_TAI_KHAM C50, MA_HSBA C100, MA_TTDV C10, DU_PHONG Cn"
)
# QĐ 130 Bảng 2 with the QĐ 4750 corrections (MA_KHOA C50, NGAY_TH_YL added).
XML2_FIELDS = _specs(
    "MA_LK C100, STT N10, MA_THUOC C255, MA_PP_CHEBIEN C255, MA_CSKCB_THUOC C10, MA_NHOM N2, TEN_THUOC C1024, "
    "DON_VI_TINH C50, HAM_LUONG C1024, DUONG_DUNG C4, DANG_BAO_CHE C1024, LIEU_DUNG C1024, CACH_DUNG C1024, "
    "SO_DANG_KY C255, TT_THAU C50, PHAM_VI N1, TYLE_TT_BH N3, SO_LUONG N10, DON_GIA N15, THANH_TIEN_BV N15, "
    "THANH_TIEN_BH N15, T_NGUONKHAC_NSNN N15, T_NGUONKHAC_VTNN N15, T_NGUONKHAC_VTTN N15, T_NGUONKHAC_CL N15, "
    "T_NGUONKHAC N15, MUC_HUONG N3, T_BNTT N15, T_BNCCT N15, T_BHTT N15, MA_KHOA C50, MA_BAC_SI C255, "
    "MA_DICH_VU C255, NGAY_YL D12, NGAY_TH_YL D12, MA_PTTT N1, NGUON_CTRA N1, VET_THUONG_TP N1, DU_PHONG Cn"
)
# QĐ 130 Bảng 4 (paraclinical results).
XML4_FIELDS = _specs(
    "MA_LK C100, STT N10, MA_DICH_VU C15, MA_CHI_SO C50, TEN_CHI_SO C255, GIA_TRI C50, DON_VI_DO C50, MO_TA Cn, "
    "KET_LUAN Cn, NGAY_KQ D12, MA_BS_DOC_KQ C255, DU_PHONG Cn"
)
_FREE_TEXT = FieldSpec("C", None)  # a field the appendix does not list: free text, bounded
TABLE_FIELDS = {"XML1": XML1_FIELDS, "XML2": XML2_FIELDS, "XML4": XML4_FIELDS}
# The element holding one row, per table (implementers' root names, research §1.2).
ROW_TAGS = {"XML1": "TONG_HOP", "XML2": "CHI_TIET_THUOC", "XML4": "CHI_TIET_CLS"}
REQUIRED = {"XML1": ("MA_LK", "SO_CCCD"), "XML2": ("MA_LK", "TEN_THUOC", "NGAY_YL"), "XML4": ("MA_LK",)}

_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")
_TIME = re.compile(r"^\d{12}$")
_SEX = {"1": Sex.MALE, "2": Sex.FEMALE, "3": Sex.UNDETERMINED}
_B64_WHITESPACE = b" \t\r\n"
# LOINC codes the record uses for clinical indicators taken from XML1.
LOINC_WEIGHT = "29463-7"


class XmlFileError(ValueError):
    """The file as a whole cannot be read (not XML, forbidden construct, bad Base64, too large, wrong root)."""


def parse_secure(data: bytes, what: str) -> Element:
    """Parses XML with DTDs, entities and external references forbidden; raises ``XmlFileError`` naming ``what``.

    ``defusedxml`` parses the document and refuses any DTD, entity declaration or external reference.
    """
    try:
        root: Element = _defused_fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise XmlFileError(
            f"{what}: forbidden XML construct ({type(exc).__name__}); DTDs and entities are refused"
        ) from None
    except ParseError as exc:
        raise XmlFileError(f"{what}: not well-formed XML ({exc})") from None
    return root


def parse_table_secure(data: bytes, what: str) -> Element:
    """The same guarantees as ``parse_secure``, at C speed, for inner tables of 100,000 rows.

    ``defusedxml`` runs ElementTree's pure-Python parser (about 5 µs per element: 20 s for a 100,000-row XML2).
    Here a first pass of the C expat parser with *only* the DTD, entity and external-reference handlers set
    raises defusedxml's own exceptions on any of them (an entity can only be declared inside a DOCTYPE, so the
    doctype handler alone stops expansion attacks before any expansion); only a document that passes is then
    built by the C ElementTree parser.
    """

    def refuse_doctype(name: str, *_: object) -> None:
        raise DTDForbidden(name, None, None)

    def refuse_entity(name: str, *_: object) -> None:
        raise EntitiesForbidden(name, None, None, None, None, None)

    def refuse_external(context: str, base: str | None, sysid: str | None, pubid: str | None) -> int:
        raise ExternalReferenceForbidden(context, base, sysid, pubid)

    scanner = expat.ParserCreate()
    scanner.StartDoctypeDeclHandler = refuse_doctype
    scanner.EntityDeclHandler = refuse_entity
    scanner.UnparsedEntityDeclHandler = refuse_entity
    scanner.ExternalEntityRefHandler = refuse_external
    try:
        scanner.Parse(data, True)
    except DefusedXmlException as exc:
        raise XmlFileError(
            f"{what}: forbidden XML construct ({type(exc).__name__}); DTDs and entities are refused"
        ) from None
    except expat.ExpatError as exc:
        raise XmlFileError(f"{what}: not well-formed XML ({exc})") from None
    try:
        # Safe: the scan above refused every DTD, entity and external reference in these very bytes.
        return _stdlib_fromstring(data)  # noqa: S314
    except ParseError as exc:
        raise XmlFileError(f"{what}: not well-formed XML ({exc})") from None


def decode_base64(text: str, what: str) -> bytes:
    """Strict Base64 (whitespace and line breaks allowed); raises ``XmlFileError`` on any other bad character."""
    raw = text.encode("ascii", errors="replace").translate(None, _B64_WHITESPACE)
    if len(raw) * 3 // 4 > MAX_TABLE_BYTES:
        raise XmlFileError(f"{what}: larger than {MAX_TABLE_BYTES} bytes")
    try:
        return base64.b64decode(raw, validate=True)
    except ValueError:
        raise XmlFileError(f"{what}: NOIDUNGFILE is not valid Base64") from None


def parse_time(value: str) -> datetime:
    """``yyyymmddHHMM`` → datetime. ``0000`` for an unknown hour/minute is midnight; for day/month, 1 January."""
    if not _TIME.fullmatch(value):
        raise ValueError("expected yyyymmddHHMM (12 digits)")
    year, month, day = int(value[:4]), int(value[4:6]) or 1, int(value[6:8]) or 1
    return datetime(year, month, day, int(value[8:10]), int(value[10:12]))  # local clinical time, no zone


def _parse_date(value: str) -> date:
    """``yyyymmdd`` or ``yyyymmddHHMM`` → date (follow-up dates are written both ways)."""
    if re.fullmatch(r"\d{8}", value):
        return parse_time(value + "0000").date()
    return parse_time(value).date()


@dataclass
class _Row:
    """One row's fields (text, CDATA unwrapped by the parser), with where it sits."""

    table: str
    label: str  # "HOSO 2/XML2"
    number: int
    fields: dict[str, str]


def _rows(root: Element, table: str) -> Iterator[Element]:
    tag = ROW_TAGS[table]
    if root.tag == tag:
        yield root
        return
    found = False
    for element in root.iter(tag):
        found = True
        yield element
    if not found:
        # Implementers differ in the wrapping; any element with an MA_LK child is a row.
        yield from (el for el in root.iter() if el is not root and el.find("MA_LK") is not None)


def _validate(row: _Row, specs: dict[str, FieldSpec], file_name: str) -> list[Rejection]:
    """Type and size checks per the 4750 appendix; one rejection per offending field (values never quoted).

    The hot loop of an import (40 fields × 100,000 rows): empty fields are skipped first, and each check is one
    regex or one length comparison.
    """
    problems: list[Rejection] = []
    fields = row.fields
    for name in REQUIRED[row.table]:
        if not fields.get(name):
            problems.append(Rejection(file_name, row.label, row.number, name, "required field is missing or empty"))
    for name, value in fields.items():
        if not value:
            continue
        spec = specs.get(name, _FREE_TEXT)
        limit = spec.size or MAX_FREE_TEXT
        reason = ""
        if len(value) > limit:
            reason = f"longer than {limit} characters ({len(value)})"
        elif spec.kind == "N":
            if not _NUMBER.fullmatch(value):
                reason = "not a number (digits, '.' as the decimal separator)"
        elif spec.kind == "D":
            try:
                parse_time(value)
            except ValueError as exc:
                reason = str(exc) if "expected" in str(exc) else f"not a valid time ({exc})"
        if reason:
            problems.append(Rejection(file_name, row.label, row.number, name, reason))
    return problems


@dataclass
class _Visit:
    """What XML1 says about a visit, kept to link XML2/XML4 rows (by MA_LK) to their patient."""

    patient_id: str
    admitted: datetime | None
    facility: str
    follow_up: date | None


def parse_xml130(data: bytes, file_name: str) -> ParsedFile:
    """Parses one GIAMDINHHS envelope. File-level problems set ``fatal``; row-level ones become rejections."""
    parsed = ParsedFile(name=file_name, sha256=file_sha256(data), format=FORMAT)
    try:
        _parse_envelope(data, parsed)
    except XmlFileError as exc:
        parsed.fatal = str(exc)
    return parsed


def _parse_envelope(data: bytes, parsed: ParsedFile) -> None:
    if len(data) > MAX_FILE_BYTES:
        raise XmlFileError(f"{parsed.name}: larger than {MAX_FILE_BYTES} bytes")
    root = parse_secure(data, parsed.name)
    if root.tag != "GIAMDINHHS":
        raise XmlFileError(f"{parsed.name}: root element is <{root.tag}>, expected <GIAMDINHHS>")
    facility = (root.findtext("THONGTINDONVI/MACSKCB") or "").strip()
    if facility and not is_facility_code(facility):
        parsed.warnings.append(f"{parsed.name}: MACSKCB is not a 5-character facility code")
    records = root.findall("THONGTINHOSO/DANHSACHHOSO/HOSO")
    if not records:
        raise XmlFileError(f"{parsed.name}: no HOSO under THONGTINHOSO/DANHSACHHOSO")
    skipped: dict[str, int] = {}
    for n, hoso in enumerate(records, start=1):
        tables: dict[str, list[_Row]] = {}
        for entry in hoso.findall("FILEHOSO"):
            kind = (entry.findtext("LOAIHOSO") or "").strip().upper()
            what = f"{parsed.name} HOSO {n}/{kind or '?'}"
            if kind not in TABLE_FIELDS:
                skipped[kind or "?"] = skipped.get(kind or "?", 0) + 1
                continue
            inner = parse_table_secure(decode_base64(entry.findtext("NOIDUNGFILE") or "", what), what)
            label = f"HOSO {n}/{kind}"
            rows = tables.setdefault(kind, [])
            for element in _rows(inner, kind):
                fields = {child.tag: (child.text or "").strip() for child in element}
                rows.append(_Row(kind, label, len(rows) + 1, fields))
        _read_record(tables, parsed, n)
    if skipped:
        parsed.warnings.append(
            f"{parsed.name}: tables not read (no medication-safety content used yet): "
            + ", ".join(f"{k} ×{v}" for k, v in sorted(skipped.items()))
        )


def _read_record(tables: dict[str, list[_Row]], parsed: ParsedFile, n: int) -> None:
    """One HOSO: XML1 first (it names the patient of each MA_LK), then XML2 and XML4 linked by MA_LK."""
    visits: dict[str, _Visit] = {}
    if not tables.get("XML1"):
        parsed.rejections.append(Rejection(parsed.name, f"HOSO {n}", 0, "XML1", "record has no XML1 table"))
    for row in tables.get("XML1", []):
        problems = _validate(row, XML1_FIELDS, parsed.name)
        if problems:
            parsed.rejections.extend(problems)
            continue
        visit = _read_xml1(row, parsed)
        if visit is not None:
            visits[row.fields["MA_LK"]] = visit
    for row in tables.get("XML2", []):
        _read_linked(row, XML2_FIELDS, visits, parsed, _read_xml2)
    for row in tables.get("XML4", []):
        _read_linked(row, XML4_FIELDS, visits, parsed, _read_xml4)


def _read_linked(
    row: _Row,
    specs: dict[str, FieldSpec],
    visits: dict[str, _Visit],
    parsed: ParsedFile,
    read: Callable[[_Row, _Visit, ParsedFile], None],
) -> None:
    problems = _validate(row, specs, parsed.name)
    if problems:
        parsed.rejections.extend(problems)
        return
    visit = visits.get(row.fields["MA_LK"])
    if visit is None:
        parsed.rejections.append(
            Rejection(parsed.name, row.label, row.number, "MA_LK", "matches no valid XML1 visit in this record")
        )
        return
    read(row, visit, parsed)


def _provenance(parsed: ParsedFile, row: _Row, key: str) -> Provenance:
    return Provenance(file=parsed.name, table=row.label, row=row.number, key=key)


def _float(value: str) -> float | None:
    return float(value) if value and _NUMBER.fullmatch(value) else None


def _time(value: str) -> datetime | None:
    return parse_time(value) if value else None


def _read_xml1(row: _Row, parsed: ParsedFile) -> _Visit | None:
    f = row.fields
    ma_lk, personal_id = f["MA_LK"], f["SO_CCCD"]
    if not is_personal_id(personal_id):
        # SO_CCCD may hold an old 9-digit ID, a passport or a VNeID account code: none can key the record.
        parsed.rejections.append(
            Rejection(parsed.name, row.label, row.number, "SO_CCCD", "not a 12-digit personal ID; patient not imported")
        )
        return None
    sex = _SEX.get(f.get("GIOI_TINH", ""), Sex.UNSPECIFIED)
    birth = _time(f.get("NGAY_SINH", ""))
    if f.get("NGAY_SINH", "")[4:8] == "0000":
        parsed.warnings.append(f"{parsed.name} {row.label} row {row.number}: birth day and month not recorded")
    for warning in personal_id_warnings(personal_id, sex=sex, birth_date=birth.date() if birth else None):
        parsed.warnings.append(f"{parsed.name} {row.label} row {row.number}: {warning}")
    weight = _float(f.get("CAN_NANG", ""))
    if weight is not None and not 0 < weight < 500:
        parsed.rejections.append(Rejection(parsed.name, row.label, row.number, "CAN_NANG", "weight outside 0-500 kg"))
        return None
    cards = [c.strip() for c in f.get("MA_THE_BHYT", "").split(";") if c.strip()]
    card = cards[-1] if cards else ""  # several cards: the last is the one in force at discharge
    if card and not is_insurance_card(card):
        parsed.warnings.append(f"{parsed.name} {row.label} row {row.number}: MA_THE_BHYT format not recognised")
        card = ""
    facility = f.get("MA_CSKCB", "")
    admitted, discharged = _time(f.get("NGAY_VAO", "")), _time(f.get("NGAY_RA", ""))
    follow_up = _follow_up(f.get("NGAY_TAI_KHAM", ""))
    patient = parsed.patient(personal_id)
    old = patient.demographics
    patient.demographics = Demographics(
        name=f.get("HO_TEN", "") or old.name,
        birth_date=birth.date() if birth else old.birth_date,
        sex=sex if sex is not Sex.UNSPECIFIED else old.sex,
        insurance_card=card or old.insurance_card,
        address=f.get("DIA_CHI", "") or old.address,
        blood_group=f.get("NHOM_MAU", "") or old.blood_group,
        # Weight goes in as a dated observation; the store keeps the latest one on the patient.
        legal_representative=old.legal_representative,
    )
    procedures = tuple(p.strip() for p in f.get("MA_PTTT_QT", "").split(";") if p.strip())
    visit = Visit(
        id=ma_lk,
        facility=facility,
        admitted=admitted,
        discharged=discharged,
        visit_type=f.get("MA_LOAI_KCB", ""),
        reason=f.get("LY_DO_VV", ""),
        result=f.get("KET_QUA_DTRI", ""),
        discharge_diagnosis=f.get("CHAN_DOAN_RV", ""),
        blood_group=f.get("NHOM_MAU", ""),
        weight_kg=weight,
        procedures=procedures,
        follow_up=f.get("NGAY_TAI_KHAM", ""),
    )
    patient.visits.append((visit, _provenance(parsed, row, f"xml130:{ma_lk}:XML1")))
    _read_diagnoses(row, parsed, personal_id, admitted, facility)
    if weight is not None:
        observation = Observation(
            id="",
            code=LOINC_WEIGHT,
            name="Cân nặng",
            value_text=f["CAN_NANG"],
            value=weight,
            unit="kg",
            effective=admitted,
        )
        patient.observations.append((observation, _provenance(parsed, row, f"xml130:{ma_lk}:XML1:CAN_NANG")))
    return _Visit(patient_id=personal_id, admitted=admitted, facility=facility, follow_up=follow_up)


def _follow_up(value: str) -> date | None:
    first = value.split(";", maxsplit=1)[0].strip()
    try:
        return _parse_date(first) if first else None
    except ValueError:
        return None


def _read_diagnoses(row: _Row, parsed: ParsedFile, patient_id: str, when: datetime | None, place: str) -> None:
    f = row.fields
    patient = parsed.patient(patient_id)
    coded: list[tuple[str, str]] = []
    if f.get("MA_BENH_CHINH"):
        coded.append(("MA_BENH_CHINH", f["MA_BENH_CHINH"]))
    secondary = [c.strip() for c in f.get("MA_BENH_KT", "").split(";") if c.strip()]
    if len(secondary) > MAX_SECONDARY_ICD:
        parsed.rejections.append(
            Rejection(parsed.name, row.label, row.number, "MA_BENH_KT", f"more than {MAX_SECONDARY_ICD} codes")
        )
        secondary = secondary[:MAX_SECONDARY_ICD]
    coded += [("MA_BENH_KT", c) for c in secondary]
    for field_name, raw in coded:
        code = normalize_icd10(raw)
        if code is None:
            parsed.rejections.append(Rejection(parsed.name, row.label, row.number, field_name, "not an ICD-10 code"))
            continue
        principal = field_name == "MA_BENH_CHINH"
        condition = Condition(
            id="",
            code=code,
            text=f.get("CHAN_DOAN_RV", "") if principal else "",
            onset_date=when.date() if when else None,
            place=place,
            role="principal" if principal else "secondary",
        )
        key = f"xml130:{f['MA_LK']}:XML1:ICD:{code}"
        patient.conditions.append((condition, _provenance(parsed, row, key)))


def _medication_text(name: str, strength: str) -> str:
    """``TEN_THUOC`` plus ``HAM_LUONG`` unless the name already carries the strength (``Zaromax 500``)."""
    squash = "".join(name.lower().split())
    if not strength or "".join(strength.lower().split()) in squash:
        return name
    return f"{name} {strength}"


def _read_xml2(row: _Row, visit: _Visit, parsed: ParsedFile) -> None:
    f = row.fields
    ordered = parse_time(f["NGAY_YL"])
    medication = Medication(
        id="",
        text=_medication_text(f["TEN_THUOC"], f.get("HAM_LUONG", "")),
        start_date=ordered.date(),
        dose_text=f.get("LIEU_DUNG", "") or f.get("CACH_DUNG", ""),
        national_drug_code=f.get("MA_THUOC", ""),
        registration_number=f.get("SO_DANG_KY", ""),
        strength=f.get("HAM_LUONG", ""),
        quantity=_float(f.get("SO_LUONG", "")),
        unit=f.get("DON_VI_TINH", ""),
        route=f.get("DUONG_DUNG", ""),
        prescriber=f.get("MA_BAC_SI", ""),
        order_time=ordered,
        follow_up_date=visit.follow_up,
    )
    sequence = f.get("STT") or f"row{row.number}"
    key = f"xml130:{f['MA_LK']}:XML2:{sequence}"
    parsed.patient(visit.patient_id).medications.append((medication, _provenance(parsed, row, key)))


def _read_xml4(row: _Row, visit: _Visit, parsed: ParsedFile) -> None:
    f = row.fields
    if not f.get("MA_CHI_SO") and not f.get("TEN_CHI_SO"):
        parsed.rejections.append(
            Rejection(parsed.name, row.label, row.number, "MA_CHI_SO", "neither MA_CHI_SO nor TEN_CHI_SO given")
        )
        return
    value_text = f.get("GIA_TRI", "")
    observation = Observation(
        id="",
        code=f.get("MA_CHI_SO", ""),
        name=f.get("TEN_CHI_SO", ""),
        value_text=value_text,
        value=_lab_number(value_text),
        unit=f.get("DON_VI_DO", ""),
        effective=_time(f.get("NGAY_KQ", "")) or visit.admitted,
        conclusion=f.get("KET_LUAN", ""),
    )
    sequence = f.get("STT") or f"row{row.number}"
    key = f"xml130:{f['MA_LK']}:XML4:{sequence}"
    parsed.patient(visit.patient_id).observations.append((observation, _provenance(parsed, row, key)))


def _lab_number(text: str) -> float | None:
    """A lab value as a number when it is one (``5.2``, ``5,2``); ``< 0.5``, ``Âm tính`` stay text only."""
    candidate = text.strip().replace(",", ".")
    return float(candidate) if _NUMBER.fullmatch(candidate) else None
