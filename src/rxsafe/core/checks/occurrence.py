"""Where an ingredient occurs: a line of the new prescription, or a medication already in the record."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from rxsafe.core.enums import RecordEntryKind, ResolutionStatus
from rxsafe.core.models import ActiveMedication, CheckedLine, PatientContext, RecordEntry


@dataclass(frozen=True)
class Occurrence:
    """An ingredient in a new line (``line_index``) or in a recorded medication (``medication``)."""

    inn: str
    line_index: int | None = None
    medication: ActiveMedication | None = None

    @property
    def is_new(self) -> bool:
        return self.line_index is not None

    def record_entries(self) -> tuple[RecordEntry, ...]:
        if self.medication is None:
            return ()
        return (medication_entry(self.medication),)

    def describe(self) -> str:
        """Short English description for texts: ``warfarin (recorded, active since 2026-11-01)``."""
        if self.medication is None:
            return self.inn
        med = self.medication
        since = f" since {med.medication.start_date.isoformat()}" if med.medication.start_date else ""
        return f"{self.inn} (recorded, {med.window.value}{since})"

    def describe_vi(self) -> str:
        if self.medication is None:
            return self.inn
        med = self.medication
        since = f" từ {med.medication.start_date.isoformat()}" if med.medication.start_date else ""
        return f"{self.inn} (đang dùng theo hồ sơ{since})"


def medication_entry(active: ActiveMedication) -> RecordEntry:
    med = active.medication
    return RecordEntry(
        kind=RecordEntryKind.MEDICATION,
        id=med.id,
        text=med.text,
        start_date=med.start_date,
        end_date=active.window_end,
        status=active.window.value,
        window_basis=active.window_basis,
        window_text=active.window_text,
    )


def new_occurrences(lines: Sequence[CheckedLine]) -> Iterator[Occurrence]:
    for line in lines:
        if line.resolution.status is ResolutionStatus.RESOLVED:
            for ingredient in line.resolution.ingredients:
                yield Occurrence(inn=ingredient.inn, line_index=line.index)


def recorded_occurrences(context: PatientContext) -> Iterator[Occurrence]:
    for active in context.active_medications:
        if active.resolution.status is ResolutionStatus.RESOLVED:
            for ingredient in active.resolution.ingredients:
                yield Occurrence(inn=ingredient.inn, medication=active)


def conflict_id(*parts: object) -> str:
    """A stable id from what the conflict is about, so a re-check names the same conflict the same way."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode("utf-8")).hexdigest()
    return "c-" + digest[:12]


def line_indexes(*occurrences: Occurrence) -> tuple[int, ...]:
    return tuple(sorted({o.line_index for o in occurrences if o.line_index is not None}))
