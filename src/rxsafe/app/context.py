"""Builds the ``PatientContext`` the checks see: allergies and medications resolved, windows judged."""

from __future__ import annotations

from datetime import date

from rxsafe.core.enums import ResolutionStatus
from rxsafe.core.models import ActiveMedication, PatientContext, PatientRecord, PrescriptionLine
from rxsafe.core.policy import Policy
from rxsafe.core.window import COUNTED_WINDOWS, infer_window
from rxsafe.matching.dose import parse_dose
from rxsafe.matching.port import Resolver


def build_context(record: PatientRecord, as_of: date, resolver: Resolver, policy: Policy) -> PatientContext:
    """Resolves the record's allergy and medication text and keeps the medications that count on ``as_of``.

    Medications that count but cannot be resolved are kept aside so the report can say so.
    """
    allergies = tuple(
        (allergy, component)
        for allergy in record.allergies
        for component in resolver.resolve_allergen(allergy.allergen).each_component()
    )
    active: list[ActiveMedication] = []
    unresolved = []
    for med in record.medications:
        window = infer_window(med, as_of, policy.lookback_days)
        if window.status not in COUNTED_WINDOWS:
            continue
        # The registration number (XML 130 SO_DANG_KY) identifies the product when the text alone would not.
        as_written = PrescriptionLine(
            text=med.text, registration_number=med.registration_number, national_drug_code=med.national_drug_code
        )
        resolution = resolver.resolve_line(as_written)
        if resolution.status is not ResolutionStatus.RESOLVED:
            unresolved.append(med)
            continue
        active.append(
            ActiveMedication(
                medication=med,
                resolution=resolution,
                window=window.status,
                window_end=window.end,
                window_basis=window.basis,
                window_text=window.text,
                dose=parse_dose(med.dose_text or med.text),
            )
        )
    return PatientContext(
        record=record,
        as_of=as_of,
        allergies=allergies,
        active_medications=tuple(active),
        unresolved_medications=tuple(unresolved),
    )
