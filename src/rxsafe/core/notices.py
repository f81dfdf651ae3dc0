"""Notices: what the check could not verify. Never silent, and never compatible with a clean pass."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from rxsafe.core.enums import AllergenKind, AllergyStatus, MedicationWindowStatus, NoticeKind, ResolutionStatus
from rxsafe.core.knowledge_port import Knowledge
from rxsafe.core.models import CheckedLine, LocalizedText, Notice, PatientContext

# Notices that say something could not be verified: any of them rules out PASS (design invariant 1).
UNVERIFIED = frozenset(
    {
        NoticeKind.UNRESOLVED_LINE,
        NoticeKind.AMBIGUOUS_LINE,
        NoticeKind.ALLERGY_STATUS_UNKNOWN,
        NoticeKind.UNRESOLVED_ALLERGY,
        NoticeKind.UNRESOLVED_MEDICATION,
        NoticeKind.NOT_COVERED,
        NoticeKind.IDENTITY_MISMATCH,
        NoticeKind.PARTIAL_LINE,
    }
)


def notices(context: PatientContext, lines: Sequence[CheckedLine], knowledge: Knowledge) -> list[Notice]:
    """Every gap in what the check could verify, in a stable order."""
    return [
        *_line_notices(lines, knowledge),
        *_code_notices(lines),
        *_allergy_notices(context),
        *_medication_notices(context),
    ]


def _line_notices(lines: Sequence[CheckedLine], knowledge: Knowledge) -> Iterator[Notice]:
    for line in lines:
        res = line.resolution
        if res.status is ResolutionStatus.UNRESOLVED:
            yield Notice(
                kind=NoticeKind.UNRESOLVED_LINE,
                line_index=line.index,
                message=LocalizedText(
                    vi=f"Không nhận diện được thuốc «{line.line.text}»: dòng này chưa được kiểm tra.",
                    en=f"Could not identify «{line.line.text}»: this line was not checked.",
                ),
            )
        elif res.status is ResolutionStatus.AMBIGUOUS:
            options = ", ".join(res.candidates)
            yield Notice(
                kind=NoticeKind.AMBIGUOUS_LINE,
                line_index=line.index,
                message=LocalizedText(
                    vi=f"«{line.line.text}» có thể là nhiều thuốc ({options}): dòng này chưa được kiểm tra.",
                    en=f"«{line.line.text}» could be several drugs ({options}): this line was not checked.",
                ),
            )
        else:
            if res.unidentified:
                missing = "; ".join(res.unidentified)
                yield Notice(
                    kind=NoticeKind.PARTIAL_LINE,
                    line_index=line.index,
                    message=LocalizedText(
                        vi=f"«{line.line.text}»: chỉ nhận diện được một phần; chưa kiểm tra: {missing}.",
                        en=f"«{line.line.text}» was identified only in part; not checked: {missing}.",
                    ),
                )
            for ingredient in res.ingredients:
                if not knowledge.covers(ingredient.inn):
                    yield Notice(
                        kind=NoticeKind.NOT_COVERED,
                        line_index=line.index,
                        message=LocalizedText(
                            vi=f"Cơ sở tri thức không có dữ liệu tương tác cho {ingredient.inn}: không thể loại trừ.",
                            en=f"The knowledge base has no interaction data for {ingredient.inn}: not covered.",
                        ),
                    )


def _code_notices(lines: Sequence[CheckedLine]) -> Iterator[Notice]:
    for line in lines:
        if line.resolution.code_note:
            yield Notice(
                kind=NoticeKind.UNKNOWN_INSURANCE_CODE,
                line_index=line.index,
                message=LocalizedText(
                    vi=f"«{line.line.text}»: mã hoạt chất BHYT không khớp nguồn ({line.resolution.code_note}).",
                    en=f"«{line.line.text}»: {line.resolution.code_note}.",
                ),
            )


def _allergy_notices(context: PatientContext) -> Iterator[Notice]:
    if context.record.allergy_status is AllergyStatus.NOT_RECORDED:
        yield Notice(
            kind=NoticeKind.ALLERGY_STATUS_UNKNOWN,
            message=LocalizedText(
                vi="Chưa ghi nhận tiền sử dị ứng: không thể loại trừ dị ứng thuốc.",
                en="No allergy information recorded: drug allergies cannot be excluded.",
            ),
        )
    for allergy, allergen in context.allergies:
        if allergen.kind is AllergenKind.UNRESOLVED:
            yield Notice(
                kind=NoticeKind.UNRESOLVED_ALLERGY,
                record_entry_id=allergy.id,
                message=LocalizedText(
                    vi=f"Không nhận diện được dị nguyên «{allergy.allergen}»: cần dược sĩ xác minh.",
                    en=f"Could not identify the allergen «{allergy.allergen}»: a pharmacist should verify it.",
                ),
            )


def _medication_notices(context: PatientContext) -> Iterator[Notice]:
    for med in context.unresolved_medications:
        yield Notice(
            kind=NoticeKind.UNRESOLVED_MEDICATION,
            record_entry_id=med.id,
            message=LocalizedText(
                vi=f"Không nhận diện được thuốc đang dùng «{med.text}»: chưa kiểm tra tương tác với thuốc này.",
                en=f"Could not identify the recorded medication «{med.text}»: interactions with it were not checked.",
            ),
        )
    for active in context.active_medications:
        if active.window is MedicationWindowStatus.ASSUMED_ACTIVE:
            yield Notice(
                kind=NoticeKind.MEDICATION_WINDOW_ASSUMED,
                record_entry_id=active.medication.id,
                message=LocalizedText(
                    vi=f"«{active.medication.text}» không có thời gian dùng: được coi là đang dùng.",
                    en=f"«{active.medication.text}» has no recorded duration: assumed to be active.",
                ),
            )
