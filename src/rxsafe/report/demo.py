"""Demo reports: the seeded demo patients, each with a prescription that shows what the report can show.

Used by ``scripts/screenshot_report.py`` and by the tests, so the pictures a person looks at and the reports the
tests read are the same ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from rxsafe.app.requests import CheckRequest
from rxsafe.bootstrap import build_service
from rxsafe.core.enums import OverrideReason
from rxsafe.core.models import ConflictReport, Override, PatientRecord, Prescription, PrescriptionLine
from rxsafe.ehr.seed import (
    DEMO_ALLERGY_NOT_RECORDED,
    DEMO_CARDIOVASCULAR,
    DEMO_PENICILLIN_CHILD,
    DEMO_WARFARIN_ELDERLY,
)
from rxsafe.report.inputs import load_report_inputs

# Each demo patient with a prescription that meets their record: interactions with current drugs, an allergy,
# duplicate therapy, an unidentifiable line, an unrecorded allergy history.
DEMO_PRESCRIPTIONS: dict[str, tuple[str, ...]] = {
    DEMO_WARFARIN_ELDERLY: ("Aspirin 81mg", "Bactrim 480mg", "Thuốc ABC-không-rõ 10mg"),
    DEMO_PENICILLIN_CHILD: ("Amoxicilin 500mg (Hagimox)", "Augmentin 625mg", "Paracetamol 250mg"),
    DEMO_CARDIOVASCULAR: ("Clarithromycin 500mg", "Paracetamol 500mg x 2 viên/lần"),
    DEMO_ALLERGY_NOT_RECORDED: ("Ibuprofen 400mg", "Omeprazol 20mg"),
}
# This patient's check is committed, every interruptive conflict overridden, so the report shows the reasons.
DEMO_COMMITTED = DEMO_CARDIOVASCULAR
DEMO_OVERRIDE_COMMENT = "Không có macrolid thay thế; tạm ngừng simvastatin trong 7 ngày"


def demo_reports(
    db: Path, patient_ids: Iterable[str] = DEMO_PRESCRIPTIONS
) -> Iterator[tuple[str, ConflictReport, PatientRecord | None]]:
    """Seeds a fresh store at ``db``, checks each patient's demo prescription, and yields the stored reports."""
    service = build_service(db=db, seed=True)
    try:
        for patient_id in patient_ids:
            lines = tuple(PrescriptionLine(text=text) for text in DEMO_PRESCRIPTIONS[patient_id])
            report = service.check(CheckRequest(patient_id=patient_id, prescription=Prescription(lines=lines)))
            if patient_id == DEMO_COMMITTED:
                overrides = [
                    Override(
                        conflict_id=c.id,
                        reason=OverrideReason.BENEFIT_OUTWEIGHS_RISK,
                        comment=DEMO_OVERRIDE_COMMENT,
                        overridden_by="BS-DEMO-01",
                    )
                    for c in report.conflicts
                    if c.interruptive
                ]
                service.commit(
                    check_id=report.check_id,
                    overrides=overrides,
                    idempotency_key=f"demo-{report.check_id}",
                    prescriber_id="BS-DEMO-01",
                )
            stored, patient = load_report_inputs(service, report.check_id)
            yield patient_id, stored, patient
    finally:
        if service.store is not None:
            service.store.close()
