"""A check request in domain terms, and its validation: bad input names the offending field."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from rxsafe.core.errors import InvalidRequest
from rxsafe.core.models import PatientRecord, Prescription
from rxsafe.ehr.identifiers import is_personal_id


class Limits(BaseModel):
    """Bounds on one request, so hostile or broken input is refused before any work is done."""

    model_config = ConfigDict(frozen=True)

    max_lines: int = 100
    max_allergies: int = 200
    max_medications: int = 500
    max_text_length: int = 500


class CheckRequest(BaseModel):
    """Check a prescription for a stored patient (``patient_id``) or an inline one (``patient``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    patient_id: str | None = None
    patient: PatientRecord | None = None
    prescription: Prescription
    as_of: date | None = None


def validate_check_request(request: CheckRequest, limits: Limits | None = None) -> None:
    """Raises ``InvalidRequest`` naming the first offending field; returns None when the request is sound."""
    limits = limits or Limits()
    if request.patient_id is None and request.patient is None:
        raise InvalidRequest("patient", "give either patientId (stored record) or patient (inline record)")
    if request.patient_id is not None and not is_personal_id(request.patient_id):
        raise InvalidRequest("patient_id", "must be the 12-digit personal identification number")
    lines = request.prescription.lines
    if not lines:
        raise InvalidRequest("prescription.lines", "a prescription needs at least one line")
    if len(lines) > limits.max_lines:
        raise InvalidRequest("prescription.lines", f"at most {limits.max_lines} lines per prescription")
    for i, line in enumerate(lines):
        field = f"prescription.lines[{i}]"
        if not line.text.strip() and not line.registration_number and not line.national_drug_code:
            raise InvalidRequest(f"{field}.text", "empty: give the drug as written, or a registration number")
        _bounded(f"{field}.text", line.text, limits)
        _bounded(f"{field}.dose_text", line.dose_text, limits)
        if line.days is not None and not 0 <= line.days <= 3660:
            raise InvalidRequest(f"{field}.days", "must be between 0 and 3660")
        if line.quantity is not None and not 0 <= line.quantity <= 1e6:
            raise InvalidRequest(f"{field}.quantity", "must be between 0 and 1,000,000")
    if request.patient is not None:
        _validate_patient(request.patient, limits)


def _validate_patient(patient: PatientRecord, limits: Limits) -> None:
    if patient.patient_id and not is_personal_id(patient.patient_id):
        raise InvalidRequest("patient.patient_id", "must be the 12-digit personal identification number")
    if len(patient.allergies) > limits.max_allergies:
        raise InvalidRequest("patient.allergies", f"at most {limits.max_allergies} allergies")
    if len(patient.medications) > limits.max_medications:
        raise InvalidRequest("patient.medications", f"at most {limits.max_medications} medications")
    for i, allergy in enumerate(patient.allergies):
        if not allergy.allergen.strip():
            raise InvalidRequest(f"patient.allergies[{i}].allergen", "empty allergen")
        _bounded(f"patient.allergies[{i}].allergen", allergy.allergen, limits)
        _bounded(f"patient.allergies[{i}].reaction", allergy.reaction, limits)
    for i, med in enumerate(patient.medications):
        if not med.text.strip():
            raise InvalidRequest(f"patient.medications[{i}].text", "empty medication text")
        _bounded(f"patient.medications[{i}].text", med.text, limits)
        if med.days is not None and not 0 <= med.days <= 3660:
            raise InvalidRequest(f"patient.medications[{i}].days", "must be between 0 and 3660")
        if med.start_date and med.end_date and med.end_date < med.start_date:
            raise InvalidRequest(f"patient.medications[{i}].end_date", "ends before it starts")
    if patient.weight_kg is not None and not 0 < patient.weight_kg < 500:
        raise InvalidRequest("patient.weight_kg", "must be between 0 and 500 kg")


def _bounded(field: str, text: str, limits: Limits) -> None:
    if len(text) > limits.max_text_length:
        raise InvalidRequest(field, f"longer than {limits.max_text_length} characters")
