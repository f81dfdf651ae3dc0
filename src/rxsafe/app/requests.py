"""A check request in domain terms, and its validation: bad input names the offending field."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict

from rxsafe.core.errors import InvalidRequest, WorkTooLarge
from rxsafe.core.models import Override, PatientRecord, Prescription
from rxsafe.ehr.identifiers import is_personal_id


class Limits(BaseModel):
    """Bounds on one request, so hostile or broken input is refused before any work is done."""

    model_config = ConfigDict(frozen=True)

    max_lines: int = 100
    max_allergies: int = 200
    max_medications: int = 500
    max_text_length: int = 500
    # Identifiers and short codes (check ids, idempotency keys, prescriber and facility ids, codes).
    max_id_length: int = 128
    max_conditions: int = 200
    max_observations: int = 500
    max_overrides: int = 500
    # The e-prescription JSON body, in bytes (a 100-line prescription is ~30 KB).
    max_body_bytes: int = 256 * 1024
    # Work budget: pairs the checks may have to compare, lines × (lines + active medications + allergies). Measured
    # before this budget: 100 lines × 500 medications ran 8–13 s and built a 54 MB answer; a large real
    # prescription (20 lines, 50 current medications, 10 allergies) is ~1,600.
    max_pairs: int = 10_000
    # Answer budget: conflicts in one answer (each is ~1–5 KB on the wire; 4 MiB is the message limit).
    max_conflicts: int = 1_000


class ClaimedIdentity(BaseModel):
    """Who the request says the patient is, beside the personal ID: compared with the stored record's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = ""
    birth_date: date | None = None


class CheckRequest(BaseModel):
    """Check a prescription for a stored patient (``patient_id``) or an inline one (``patient``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    patient_id: str | None = None
    patient: PatientRecord | None = None
    prescription: Prescription
    as_of: date | None = None
    # With ``patient_id``: the name and birth date the request gives (an e-prescription carries them).
    claimed_identity: ClaimedIdentity | None = None


# Dates a check can reason about: beyond these, date arithmetic (windows, ages) would overflow or mean nothing.
MIN_DATE = date(1850, 1, 1)
MAX_DATE = date(2200, 12, 31)


def check_date_range(field: str, value: date | None) -> date | None:
    """The date itself, or ``InvalidRequest`` naming the field when it is outside ``MIN_DATE``–``MAX_DATE``."""
    if value is not None and not MIN_DATE <= value <= MAX_DATE:
        raise InvalidRequest(field, f"date out of range ({MIN_DATE.isoformat()} to {MAX_DATE.isoformat()})")
    return value


def check_work_budget(lines: int, medications: int, allergies: int, limits: Limits) -> None:
    """Refuses, before any check runs, a request whose pairs to compare exceed ``limits.max_pairs``."""
    pairs = lines * (lines + medications + allergies)
    if pairs > limits.max_pairs:
        raise WorkTooLarge(
            "max_pairs",
            f"{lines} lines x ({lines} lines + {medications} current medications + {allergies} allergies) = "
            f"{pairs} pairs to check, over the budget of {limits.max_pairs}: split the prescription",
        )


def check_answer_budget(conflicts: int, limits: Limits) -> None:
    """Refuses an answer with more conflicts than ``limits.max_conflicts`` (it could not be read, or sent)."""
    if conflicts > limits.max_conflicts:
        raise WorkTooLarge("max_conflicts", f"{conflicts} conflicts, over the answer budget of {limits.max_conflicts}")


def check_identifier(field: str, value: str, limits: Limits) -> None:
    """``InvalidRequest`` naming the field when an identifier (check id, prescription id) is over its limit."""
    _bounded_id(field, value, limits)


def validate_commit_fields(
    check_id: str, idempotency_key: str, prescriber_id: str, overrides: tuple[Override, ...], limits: Limits
) -> None:
    """Bounds on a commit's free text and lists, each named when over its limit."""
    _bounded_id("check_id", check_id, limits)
    _bounded_id("idempotency_key", idempotency_key, limits)
    _bounded_id("prescriber_id", prescriber_id, limits)
    if len(overrides) > limits.max_overrides:
        raise InvalidRequest("overrides", f"at most {limits.max_overrides} overrides")
    for i, o in enumerate(overrides):
        _bounded_id(f"overrides[{i}].conflict_id", o.conflict_id, limits)
        _bounded_id(f"overrides[{i}].overridden_by", o.overridden_by, limits)
        _bounded(f"overrides[{i}].comment", o.comment, limits)


def validate_check_request(request: CheckRequest, limits: Limits | None = None) -> None:
    """Raises ``InvalidRequest`` naming the first offending field; returns None when the request is sound."""
    limits = limits or Limits()
    check_date_range("as_of", request.as_of)
    _bounded_id("prescription.prescriber_id", request.prescription.prescriber_id, limits)
    _bounded_id("prescription.facility_id", request.prescription.facility_id, limits)
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
        _bounded_id(f"{field}.route_code", line.route_code, limits)
        _bounded_id(f"{field}.national_drug_code", line.national_drug_code, limits)
        _bounded_id(f"{field}.registration_number", line.registration_number, limits)
        if line.days is not None and not 0 <= line.days <= 3660:
            raise InvalidRequest(f"{field}.days", "must be between 0 and 3660")
        if line.quantity is not None and not 0 <= line.quantity <= 1e6:
            raise InvalidRequest(f"{field}.quantity", "must be between 0 and 1,000,000")
    if request.patient is not None:
        _validate_patient(request.patient, limits)


def _validate_patient(patient: PatientRecord, limits: Limits) -> None:
    if patient.patient_id and not is_personal_id(patient.patient_id):
        raise InvalidRequest("patient.patient_id", "must be the 12-digit personal identification number")
    _validate_patient_extras(patient, limits)
    if len(patient.allergies) > limits.max_allergies:
        raise InvalidRequest("patient.allergies", f"at most {limits.max_allergies} allergies")
    if len(patient.medications) > limits.max_medications:
        raise InvalidRequest("patient.medications", f"at most {limits.max_medications} medications")
    for i, allergy in enumerate(patient.allergies):
        if not allergy.allergen.strip():
            raise InvalidRequest(f"patient.allergies[{i}].allergen", "empty allergen")
        _bounded(f"patient.allergies[{i}].allergen", allergy.allergen, limits)
        _bounded(f"patient.allergies[{i}].reaction", allergy.reaction, limits)
        _bounded(f"patient.allergies[{i}].severity", allergy.severity, limits)
        check_date_range(f"patient.allergies[{i}].recorded_date", allergy.recorded_date)
    for i, med in enumerate(patient.medications):
        if not med.text.strip():
            raise InvalidRequest(f"patient.medications[{i}].text", "empty medication text")
        _bounded(f"patient.medications[{i}].text", med.text, limits)
        _bounded(f"patient.medications[{i}].dose_text", med.dose_text, limits)
        check_date_range(f"patient.medications[{i}].start_date", med.start_date)
        check_date_range(f"patient.medications[{i}].end_date", med.end_date)
        if med.days is not None and not 0 <= med.days <= 3660:
            raise InvalidRequest(f"patient.medications[{i}].days", "must be between 0 and 3660")
        if med.start_date and med.end_date and med.end_date < med.start_date:
            raise InvalidRequest(f"patient.medications[{i}].end_date", "ends before it starts")
    if patient.weight_kg is not None and not 0 < patient.weight_kg < 500:
        raise InvalidRequest("patient.weight_kg", "must be between 0 and 500 kg")


def _validate_patient_extras(patient: PatientRecord, limits: Limits) -> None:
    """Administrative fields, conditions and observations: bounded, so no field is without a limit."""
    _bounded("patient.name", patient.name, limits)
    _bounded("patient.address", patient.address, limits)
    _bounded_id("patient.insurance_card", patient.insurance_card, limits)
    check_date_range("patient.birth_date", patient.birth_date)
    if len(patient.conditions) > limits.max_conditions:
        raise InvalidRequest("patient.conditions", f"at most {limits.max_conditions} conditions")
    for i, condition in enumerate(patient.conditions):
        _bounded_id(f"patient.conditions[{i}].code", condition.code, limits)
        _bounded(f"patient.conditions[{i}].text", condition.text, limits)
        check_date_range(f"patient.conditions[{i}].onset_date", condition.onset_date)
    if len(patient.observations) > limits.max_observations:
        raise InvalidRequest("patient.observations", f"at most {limits.max_observations} observations")
    for i, observation in enumerate(patient.observations):
        _bounded_id(f"patient.observations[{i}].code", observation.code, limits)
        _bounded(f"patient.observations[{i}].name", observation.name, limits)
        _bounded(f"patient.observations[{i}].value_text", observation.value_text, limits)


def _bounded(field: str, text: str, limits: Limits) -> None:
    if len(text) > limits.max_text_length:
        raise InvalidRequest(field, f"longer than {limits.max_text_length} characters")


def _bounded_id(field: str, text: str, limits: Limits) -> None:
    if len(text) > limits.max_id_length:
        raise InvalidRequest(field, f"longer than {limits.max_id_length} characters")
