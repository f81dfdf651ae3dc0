"""The report's fixed wording in Vietnamese and English, and how a bilingual text is picked for one language.

Clinical texts come from the knowledge base (Decision 5948 gives the Vietnamese ones); only the labels around them
live here. A text missing in the chosen language falls back to the other one, marked, so a clinician never takes
an English paragraph for the Vietnamese source text or reads an empty section as "nothing to say".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from rxsafe.core.enums import (
    AllergyStatus,
    ConflictKind,
    DisplayTier,
    NoticeKind,
    OverrideReason,
    RecordEntryKind,
    Severity,
    Sex,
    Verdict,
)
from rxsafe.core.models import LocalizedText
from rxsafe.report.source_text import language_name, text_language

Lang = Literal["vi", "en"]
LANGUAGES: tuple[Lang, ...] = ("vi", "en")
DEFAULT_LANG: Lang = "vi"


def as_lang(value: str) -> Lang:
    """The language code, defaulting to Vietnamese; raises ValueError for anything but "", "vi" or "en"."""
    if value == "":
        return DEFAULT_LANG
    if value == "vi":
        return "vi"
    if value == "en":
        return "en"
    raise ValueError(f"unknown language {value!r}: expected vi or en")


@dataclass(frozen=True)
class Picked:
    """A text in the chosen language, or in the other one when the chosen one is empty (``fallback`` says which)."""

    text: str
    fallback: Lang | None = None
    # Set when the text is untranslated source text: its own language ("fr", "ko", "en", "vi"), for the ``lang``
    # attribute, and the marker that names it in the report's language.
    source_lang: str = ""
    source_marker: str = ""


def pick(text: LocalizedText, lang: Lang) -> Picked:
    """The text in ``lang``; else the other language's text, marked as quoted source text; else empty.

    Text in neither report language (French from the ANSM, Korean from the DUR lists) is marked as quoted
    source text in its own language wherever it appears, never labelled as English.
    """
    chosen = text.vi if lang == "vi" else text.en
    if chosen.strip():
        found = text_language(chosen)
        if found in FOREIGN_SOURCE_LANGUAGES:
            return _quoted(chosen, found, lang)
        return Picked(chosen)
    other: Lang = "en" if lang == "vi" else "vi"
    other_text = text.en if lang == "vi" else text.vi
    if other_text.strip():
        found = text_language(other_text)
        if found in FOREIGN_SOURCE_LANGUAGES:
            return _quoted(other_text, found, lang)
        # Text in the other slot is in the other report language unless it is plainly in a third one.
        return Picked(other_text, fallback=other)
    return Picked("")


# Languages sources write in that are neither report language.
FOREIGN_SOURCE_LANGUAGES = frozenset({"fr", "ko"})


def _quoted(text: str, source: str, lang: Lang) -> Picked:
    marker = label("source_text_marker", lang).format(language=language_name(source, lang))
    return Picked(text, source_lang=source, source_marker=marker)


# Labels: one key, both languages. Kept as one table so a missing translation is a visible gap in review.
_LABELS: dict[str, tuple[str, str]] = {
    "doc_title": ("Báo cáo an toàn thuốc", "Medication safety report"),
    "patient": ("Bệnh nhân", "Patient"),
    "name": ("Họ tên", "Name"),
    "birth_date": ("Ngày sinh", "Date of birth"),
    "personal_id": ("Số định danh", "Personal ID"),
    "sex": ("Giới tính", "Sex"),
    "weight": ("Cân nặng", "Weight"),
    "patient_not_stored": ("Bệnh nhân nhập trực tiếp / không lưu trong hồ sơ", "Patient given inline / not stored"),
    "record_changed": (
        "Hồ sơ đã thay đổi sau lần kiểm tra này (phiên bản {then} → {now}; lưu đơn cũng làm thay đổi hồ sơ).",
        "The record has changed since this check (version {then} → {now}; saving the prescription changes it too).",
    ),
    "check_id": ("Mã kiểm tra", "Check ID"),
    "checked_at": ("Thời điểm kiểm tra", "Checked at"),
    "as_of": ("Ngày áp dụng", "As of"),
    "knowledge_version": ("Phiên bản cơ sở tri thức", "Knowledge version"),
    "policy": ("Chính sách cơ sở", "Facility policy"),
    "prescription_id": ("Đơn đã lưu", "Committed prescription"),
    "committed_note": (
        "Đơn đã được lưu ({id}); {done}/{total} cảnh báo bắt buộc đã có lý do bỏ qua (xem bên dưới).",
        "Saved to the record ({id}); {done} of {total} interruptive alerts overridden with a reason (see below).",
    ),
    "not_committed": ("Chưa lưu vào hồ sơ", "Not committed to the record"),
    "verdict": ("Kết luận", "Verdict"),
    "what_to_do": ("Cần làm", "What to do"),
    "conflicts": ("Cảnh báo", "Alerts"),
    "conflict_details": ("Chi tiết từng cảnh báo", "Each alert in detail"),
    "severity": ("Mức độ", "Severity"),
    "alert": ("Cảnh báo", "Alert"),
    "no_conflicts": ("Không phát hiện cảnh báo nào.", "No alerts found."),
    "unverified": ("Chưa kiểm tra được", "Could not be verified"),
    "assumptions": ("Giả định", "Assumptions"),
    "graph": ("Sơ đồ tương tác của bệnh nhân", "The patient's interaction graph"),
    "lines": ("Đơn thuốc được kiểm tra", "The prescription checked"),
    "line": ("Dòng", "Line"),
    "drugs": ("Thuốc", "Drugs"),
    "record_entries": ("Từ hồ sơ", "From the record"),
    "in_this_prescription": ("Trong đơn này", "In this prescription"),
    "mechanism": ("Cơ chế", "Mechanism"),
    "consequence": ("Hậu quả", "Consequence"),
    "management": ("Xử trí", "Management"),
    "detail": ("Chi tiết", "Detail"),
    "sources": ("Nguồn", "Sources"),
    "via": ("qua", "via"),
    "formulary_level": ("Cấp độ {level}", "Level {level}"),
    "interruptive": ("Bắt buộc xử lý", "Interruptive"),
    "override": ("Bỏ qua cảnh báo", "Override"),
    "override_by": ("bởi", "by"),
    "asserted_by_client": ("do hệ thống {client} xác nhận", "as stated by {client}"),
    "not_overridden": ("Chưa có lý do bỏ qua", "Not overridden"),
    "source_text_marker": ("nguyên văn nguồn, {language}, chưa dịch", "source text in {language}, not translated"),
    "state_committed": ("ĐÃ LƯU ĐƠN — có ghi lý do bỏ qua cảnh báo", "SAVED — with alerts overridden"),
    "state_committed_clean": ("ĐÃ LƯU ĐƠN", "SAVED"),
    "headline_committed": (
        "Đơn đã được lưu ({id}); {done}/{total} cảnh báo bắt buộc đã được bác sĩ ghi lý do bỏ qua.",
        "Saved to the record ({id}); {done} of {total} interruptive alerts were overridden with a reason.",
    ),
    "state_recheck_nothing_new": ("KIỂM TRA LẠI — không có gì mới", "RE-CHECKED — nothing new"),
    "fallback_marker": ("bản tiếng Anh — chưa có bản tiếng Việt", "Vietnamese only — no English text"),
    "status": ("Trạng thái", "Status"),
    "ingredients": ("Hoạt chất", "Ingredients"),
    "resolved": ("đã nhận diện", "identified"),
    "ambiguous": ("chưa rõ (nhiều khả năng)", "ambiguous"),
    "unresolved": ("không nhận diện được", "not identified"),
    "from": ("từ", "from"),
    "to": ("đến", "to"),
    "new_lines": ("Đơn mới", "New prescription"),
    "record_column": ("Hồ sơ: thuốc đang dùng, dị ứng", "Record: current drugs, allergies"),
    "allergy_node": ("Dị ứng", "Allergy"),
    "medication_node": ("Đang dùng", "Taking"),
    "graph_partial": (
        "Chỉ hiển thị các mục hồ sơ liên quan đến cảnh báo.",
        "Only the record entries involved in alerts are shown.",
    ),
    "graph_empty": ("Không có tương tác nào để vẽ.", "No interactions to draw."),
    "tier_policy": ("Quy tắc hiển thị", "Display rules"),
    "tier": ("Mức hiển thị", "Display tier"),
    "tier_reason": ("Lý do mức hiển thị", "Why this tier"),
    "tiers_summary": ("Theo mức hiển thị", "By display tier"),
    "collapsed_info": (
        "Thông tin: {n} cảnh báo khác (thu gọn; bằng chứng yếu hoặc mức độ nhẹ)",
        "Information: {n} more alert(s) (collapsed; weak evidence or minor)",
    ),
    "evidence_strength": ("Độ mạnh bằng chứng", "Evidence strength"),
    "suppressed_by": ("Hạ mức bởi", "Demoted by"),
    "strength_sources": ("{n} nguồn độc lập", "{n} independent source(s)"),
    "strength_official": ("có nguồn chính thức", "an official source"),
    "strength_mechanism": ("có cơ chế", "mechanism text"),
    "strength_management": ("có hướng xử trí", "management text"),
    "strength_no_text": ("không có cơ chế hay xử trí", "no mechanism or management text"),
    "strength_ungraded_only": ("chỉ có mức chưa phân loại", "ungraded levels only"),
    "strength_derived_only": ("chỉ có quy tắc suy ra (nhóm/cơ chế)", "only a derived (class/mechanism) rule"),
    "strength_class_only": ("chỉ qua quy tắc nhóm thuốc", "reached only through class rules"),
    "ungraded": ("chưa phân loại", "ungraded"),
    "footer": (
        "Báo cáo do rxsafe tạo tự động để hỗ trợ quyết định lâm sàng; không thay thế đánh giá của người kê đơn.",
        "Generated by rxsafe to support clinical decisions; it does not replace the prescriber's judgement.",
    ),
}


def label(key: str, lang: Lang) -> str:
    """The fixed label ``key`` in ``lang``."""
    vi, en = _LABELS[key]
    return vi if lang == "vi" else en


def labels(lang: Lang) -> dict[str, str]:
    """Every label in ``lang``, for the template."""
    return {key: label(key, lang) for key in _LABELS}


_SEVERITY: dict[Severity, tuple[str, str]] = {
    Severity.CONTRAINDICATED: ("Chống chỉ định", "Contraindicated"),
    Severity.MAJOR: ("Nghiêm trọng", "Major"),
    Severity.MODERATE: ("Trung bình", "Moderate"),
    Severity.MINOR: ("Nhẹ", "Minor"),
}

# The National Drug Formulary's own words for its levels (knowledge/SEVERITY.md).
_FORMULARY: dict[int, tuple[str, str]] = {
    4: ("nguy hiểm", "dangerous"),
    3: ("cân nhắc nguy cơ/lợi ích", "weigh risk and benefit"),
    2: ("thận trọng", "caution"),
    1: ("theo dõi", "monitor"),
}

_VERDICT: dict[Verdict, tuple[str, str]] = {
    Verdict.BLOCK: ("DỪNG — cần xử lý trước khi lưu đơn", "STOP — resolve before saving"),
    Verdict.WARN: ("CẢNH BÁO — cần xem xét", "WARNING — review"),
    Verdict.PASS: ("ĐẠT — không phát hiện vấn đề", "PASS — nothing found"),
}

_KIND: dict[ConflictKind, tuple[str, str]] = {
    ConflictKind.ALLERGY: ("Dị ứng", "Allergy"),
    ConflictKind.INTERACTION: ("Tương tác thuốc", "Drug interaction"),
    ConflictKind.DUPLICATE_THERAPY: ("Trùng lặp điều trị", "Duplicate therapy"),
    ConflictKind.DOSE: ("Liều dùng", "Dose"),
    ConflictKind.RENAL: ("Chức năng thận", "Kidney function"),
    ConflictKind.PREGNANCY: ("Thai kỳ", "Pregnancy"),
    ConflictKind.AGE: ("Tuổi", "Age"),
    ConflictKind.DRUG_DISEASE: ("Thuốc – bệnh", "Drug–disease"),
    ConflictKind.OMISSION: ("Có thể thiếu thuốc", "Possible omission"),
    ConflictKind.DURATION: ("Thời gian dùng thuốc", "Treatment duration"),
    ConflictKind.LACTATION: ("Cho con bú", "Breastfeeding"),
}

_NOTICE: dict[NoticeKind, tuple[str, str]] = {
    NoticeKind.UNRESOLVED_LINE: ("Thuốc không nhận diện được", "Drug not identified"),
    NoticeKind.AMBIGUOUS_LINE: ("Thuốc chưa rõ", "Ambiguous drug"),
    NoticeKind.ALLERGY_STATUS_UNKNOWN: ("Chưa có thông tin dị ứng", "Allergy history not recorded"),
    NoticeKind.UNRESOLVED_ALLERGY: ("Dị nguyên không nhận diện được", "Allergen not identified"),
    NoticeKind.UNRESOLVED_MEDICATION: ("Thuốc trong hồ sơ không nhận diện được", "Recorded drug not identified"),
    NoticeKind.NOT_COVERED: ("Ngoài phạm vi cơ sở tri thức", "Not covered by the knowledge base"),
    NoticeKind.MEDICATION_WINDOW_ASSUMED: ("Thời gian dùng thuốc được giả định", "Medication window assumed"),
    NoticeKind.CHECK_NOT_RUN: ("Chưa kiểm tra được", "Check not run"),
    NoticeKind.IDENTITY_MISMATCH: ("Thông tin người bệnh không khớp hồ sơ", "Patient identity does not match record"),
    NoticeKind.PARTIAL_LINE: ("Thuốc chỉ nhận diện được một phần", "Drug identified only in part"),
    NoticeKind.UNKNOWN_INSURANCE_CODE: ("Mã hoạt chất BHYT không rõ", "Insurance ingredient code not known"),
}

_OVERRIDE: dict[OverrideReason, tuple[str, str]] = {
    OverrideReason.BENEFIT_OUTWEIGHS_RISK: ("Lợi ích vượt trội nguy cơ", "Benefit outweighs risk"),
    OverrideReason.TOLERATED_BEFORE: ("Đã dung nạp trước đây", "Tolerated before"),
    OverrideReason.WILL_MONITOR: ("Sẽ theo dõi", "Will monitor"),
    OverrideReason.ALLERGY_HISTORY_DOUBTFUL: ("Tiền sử dị ứng không chắc chắn", "Allergy history doubtful"),
    OverrideReason.DOSE_ADJUSTED: ("Đã chỉnh liều", "Dose adjusted"),
    OverrideReason.OTHER: ("Lý do khác", "Other reason"),
}

_ENTRY_KIND: dict[RecordEntryKind, tuple[str, str]] = {
    RecordEntryKind.ALLERGY: ("Dị ứng", "Allergy"),
    RecordEntryKind.MEDICATION: ("Thuốc trong hồ sơ", "Recorded medication"),
    RecordEntryKind.CONDITION: ("Chẩn đoán", "Diagnosis"),
    RecordEntryKind.OBSERVATION: ("Kết quả xét nghiệm", "Test result"),
}

_ALLERGY_STATUS: dict[AllergyStatus, tuple[str, str]] = {
    AllergyStatus.NOT_RECORDED: ("Chưa ghi nhận tiền sử dị ứng", "Allergy history not recorded"),
    AllergyStatus.NO_KNOWN_ALLERGIES: ("Không có dị ứng đã biết", "No known allergies"),
    AllergyStatus.LISTED: ("Có ghi nhận dị ứng", "Allergies listed"),
}

_SEX: dict[Sex, tuple[str, str]] = {
    Sex.UNSPECIFIED: ("—", "—"),
    Sex.MALE: ("Nam", "Male"),
    Sex.FEMALE: ("Nữ", "Female"),
    Sex.UNDETERMINED: ("Chưa xác định", "Undetermined"),
}

# Recorded window states as the checker writes them (MedicationWindowStatus values).
_WINDOW: dict[str, tuple[str, str]] = {
    "active": ("đang dùng", "active"),
    "recent": ("mới ngừng", "recently stopped"),
    "assumed active": ("giả định đang dùng", "assumed active"),
    "ended": ("đã ngừng", "ended"),
    "future": ("chưa bắt đầu", "not started"),
}


_TIER: dict[DisplayTier, tuple[str, str]] = {
    DisplayTier.ACT: ("Bắt buộc xử lý", "Act"),
    DisplayTier.REVIEW: ("Cần xem xét", "Review"),
    DisplayTier.INFO: ("Thông tin", "Information"),
}

_STRENGTH: dict[str, tuple[str, str]] = {
    "official": ("Nguồn chính thức", "Official source"),
    "corroborated": ("Nhiều nguồn xác nhận", "Corroborated"),
    "single": ("Một nguồn", "Single source"),
    "ungraded": ("Chưa phân loại", "Ungraded"),
    "derived": ("Suy ra", "Derived"),
    "none": ("Không rõ", "Unknown"),
}

_SOURCE_KIND: dict[str, tuple[str, str]] = {
    "official": ("chính thức", "official"),
    "curated": ("cơ sở dữ liệu độc lập", "independent database"),
    "derived": ("suy ra", "derived"),
}


def tier_label(tier: DisplayTier, lang: Lang) -> str:
    """The display tier's name."""
    return _one(_TIER[tier], lang)


def strength_label(label: str, lang: Lang) -> str:
    """An evidence-strength label (``EvidenceStrength.label``) in words."""
    return _one(_STRENGTH.get(label, (label, label)), lang)


def source_kind_label(kind: str, lang: Lang) -> str:
    """A source kind (official, curated, derived) in words."""
    return _one(_SOURCE_KIND.get(kind, (kind, kind)), lang)


def _one(pair: tuple[str, str], lang: Lang) -> str:
    return pair[0] if lang == "vi" else pair[1]


def severity_label(severity: Severity, lang: Lang) -> str:
    return _one(_SEVERITY[severity], lang)


def formulary_label(level: int, lang: Lang) -> str:
    return _one(_FORMULARY[level], lang)


def verdict_label(verdict: Verdict, lang: Lang) -> str:
    return _one(_VERDICT[verdict], lang)


def kind_label(kind: ConflictKind, lang: Lang) -> str:
    return _one(_KIND[kind], lang)


def notice_label(kind: NoticeKind, lang: Lang) -> str:
    return _one(_NOTICE[kind], lang)


def override_label(reason: OverrideReason, lang: Lang) -> str:
    return _one(_OVERRIDE[reason], lang)


def entry_kind_label(kind: RecordEntryKind, lang: Lang) -> str:
    return _one(_ENTRY_KIND[kind], lang)


def allergy_status_label(status: AllergyStatus, lang: Lang) -> str:
    return _one(_ALLERGY_STATUS[status], lang)


def sex_label(sex: Sex, lang: Lang) -> str:
    return _one(_SEX[sex], lang)


def window_label(status: str, lang: Lang) -> str:
    """A recorded medication's window status in words; unknown states are shown as written."""
    pair = _WINDOW.get(status)
    return _one(pair, lang) if pair else status


def format_date(value: date | None, lang: Lang) -> str:
    """Vietnamese forms use day/month/year; the English report uses ISO dates, which no reader misreads."""
    if value is None:
        return "—"
    return value.strftime("%d/%m/%Y") if lang == "vi" else value.isoformat()


def format_timestamp(text: str, lang: Lang) -> str:
    """An ISO timestamp with its UTC offset, as a local date and time; unparseable text is shown as stored."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text or "—"
    offset = moment.strftime("%z")
    zone = f" (UTC{offset[:3]}:{offset[3:]})" if offset else ""
    return f"{format_date(moment.date(), lang)} {moment.strftime('%H:%M')}{zone}"
