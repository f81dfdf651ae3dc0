"""Wrong-patient guard: the name and birth date a request gives, compared with the stored record's.

An e-prescription names the patient by personal ID and also gives a name and a birth date. When the ID finds a
stored patient but the name or the birth date differs, the ID may have been mistyped into another person's
record: the check then carries an ``IDENTITY_MISMATCH`` notice (never a clean pass). Names are compared without
case, spacing or Vietnamese diacritics ("NGUYEN VAN AN" is "Nguyễn Văn An"), since systems drop them.
The notice says *what* differs, never the values (they are personal data).
"""

from __future__ import annotations

import unicodedata

from rxsafe.app.requests import ClaimedIdentity
from rxsafe.core.enums import NoticeKind
from rxsafe.core.models import ConflictReport, LocalizedText, Notice, PatientRecord
from rxsafe.core.verdict import decide, summarize


def comparable_name(name: str) -> str:
    """A name without case, extra spaces or diacritics (đ → d).

    >>> comparable_name("  Nguyễn   Văn  Đức ") == comparable_name("NGUYEN VAN DUC")
    True
    """
    decomposed = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def identity_notice(record: PatientRecord, claimed: ClaimedIdentity | None) -> Notice | None:
    """The mismatch notice when the claimed name or birth date differs from the record's; else None.

    A side that is empty (not given, not recorded) is not a mismatch: there is nothing to compare.
    """
    if claimed is None:
        return None
    differs_vi, differs_en = [], []
    if claimed.name and record.name and comparable_name(claimed.name) != comparable_name(record.name):
        differs_vi.append("họ tên")
        differs_en.append("name")
    if claimed.birth_date and record.birth_date and claimed.birth_date != record.birth_date:
        differs_vi.append("ngày sinh")
        differs_en.append("birth date")
    if not differs_en:
        return None
    return Notice(
        kind=NoticeKind.IDENTITY_MISMATCH,
        message=LocalizedText(
            vi=f"Mã định danh khớp với hồ sơ đã lưu nhưng {' và '.join(differs_vi)} khác: kiểm tra đúng người bệnh "
            "trước khi dùng kết quả.",
            en=f"The personal ID matches a stored record but the {' and '.join(differs_en)} differ(s): confirm it is "
            "the right patient before relying on this check.",
        ),
    )


def with_notice(report: ConflictReport, notice: Notice) -> ConflictReport:
    """The report with one more notice, its verdict and summary decided again (an unverified item rules out PASS)."""
    notices = (*report.notices, notice)
    verdict = decide(report.conflicts, notices)
    return report.model_copy(
        update={"notices": notices, "verdict": verdict, "summary": summarize(verdict, report.conflicts, notices)}
    )
