"""A CDS Hooks request, read and validated: the hook's context, its draft orders and its prefetch, in domain terms.

FHIR resources are validated with ``fhir.resources`` (R4) and read by the importer's own code
(``rxsafe.ehr.fhir_io``), so a MedicationRequest means the same here as in ``rxsafe ehr import``. Anything that
cannot be read is refused with ``InvalidRequest`` naming the element (``context.draftOrders.entry[1].resource
.medicationCodeableConcept``); nothing is skipped silently, because a dropped allergy or order is a missed alert.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rxsafe.app.caching import BoundedCache
from rxsafe.core.enums import AllergyStatus
from rxsafe.core.errors import InvalidRequest
from rxsafe.core.models import Medication, PatientRecord, PrescriptionLine
from rxsafe.ehr.fhir_io import medication_from_resource, parse_fhir_bundle, validation_problem
from rxsafe.ehr.identifiers import is_personal_id
from rxsafe.ehr.imported import PatientImport, Rejection

ORDER_SELECT = "order-select"
ORDER_SIGN = "order-sign"
# The prefetch keys the discovery document declares (rxsafe.http.discovery), in the order they are read.
PATIENT_KEY = "patient"
RECORD_KEYS = ("allergies", "medications", "statements", "conditions", "weight", "creatinine")
# With these present the record comes from the prefetch; without them, from the record store. The allergies and
# active medications are what every check needs: a record without them would be checked half-blind.
INLINE_REQUIRES = (PATIENT_KEY, "allergies", "medications")
MAX_DRAFT_ORDERS = 100


@dataclass(frozen=True)
class HookRequest:
    """One call of an rxsafe CDS service, read: who, which patient, which orders.

    ``patient`` is the record built from the prefetch (None: load ``personal_id`` from the store).
    ``order_refs[i]`` is the ``MedicationRequest/<id>`` of ``lines[i]``; ``not_checked`` names draft orders that
    are not medication requests (a lab order in the same basket), which rxsafe does not check.
    """

    hook: str
    hook_instance: str
    user_id: str
    fhir_patient_id: str
    lines: tuple[PrescriptionLine, ...]
    order_refs: tuple[str, ...]
    selections: tuple[str, ...]
    patient: PatientRecord | None
    personal_id: str | None
    not_checked: tuple[str, ...] = ()


def parse_hook_request(body: Any, hook: str) -> HookRequest:
    """Reads a CDS Hooks 2.0 request for ``hook`` (``order-select`` or ``order-sign``)."""
    if not isinstance(body, dict):
        raise InvalidRequest("$", "the request body must be a JSON object")
    if body.get("hook") != hook:
        raise InvalidRequest("hook", f"this service answers the {hook!r} hook")
    hook_instance = _string(body, "hookInstance", "hookInstance")
    context = body.get("context")
    if not isinstance(context, dict):
        raise InvalidRequest("context", "required: a JSON object")
    user_id = _string(context, "userId", "context.userId")
    fhir_patient_id = _string(context, "patientId", "context.patientId")
    selections: tuple[str, ...] = ()
    if hook == ORDER_SELECT:
        raw = context.get("selections")
        if not isinstance(raw, list) or not raw or not all(isinstance(s, str) and s for s in raw):
            raise InvalidRequest("context.selections", "required for order-select: references to the selected orders")
        selections = tuple(raw)
    lines, refs, not_checked = _draft_orders(context.get("draftOrders"))
    prefetch = body.get("prefetch")
    if prefetch is not None and not isinstance(prefetch, dict):
        raise InvalidRequest("prefetch", "must be a JSON object of prefetch keys")
    patient, personal_id = _patient(prefetch or {}, fhir_patient_id)
    return HookRequest(
        hook=hook,
        hook_instance=hook_instance,
        user_id=user_id,
        fhir_patient_id=fhir_patient_id,
        lines=lines,
        order_refs=refs,
        selections=selections,
        patient=patient,
        personal_id=personal_id,
        not_checked=not_checked,
    )


def _string(obj: Mapping[str, Any], key: str, element: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest(element, "required: a non-empty string")
    return value


# --- draft orders --------------------------------------------------------------------------------------------


def _draft_orders(bundle: Any) -> tuple[tuple[PrescriptionLine, ...], tuple[str, ...], tuple[str, ...]]:
    where = "context.draftOrders"
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise InvalidRequest(where, "required: a FHIR Bundle of the draft orders")
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise InvalidRequest(f"{where}.entry", "must be a list")
    if len(entries) > MAX_DRAFT_ORDERS:
        raise InvalidRequest(f"{where}.entry", f"at most {MAX_DRAFT_ORDERS} draft orders")
    lines: list[PrescriptionLine] = []
    refs: list[str] = []
    not_checked: list[str] = []
    for i, entry in enumerate(entries):
        at = f"{where}.entry[{i}].resource"
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            raise InvalidRequest(at, "each entry needs a resource")
        kind = resource.get("resourceType")
        if kind != "MedicationRequest":
            not_checked.append(f"{kind}/{resource.get('id', '')}")
            continue
        medication = _read_order(resource, at)
        if medication is None:  # cancelled or entered in error: not an order to check
            continue
        lines.append(_line(medication))
        refs.append(f"MedicationRequest/{resource.get('id', '')}")
    return tuple(lines), tuple(refs), tuple(not_checked)


# Each order-select call sends the whole basket again, and order-sign sends it once more: an order already read is
# looked up by its content (its canonical JSON, ~20 us against ~130 us to validate it with the R4 model).
_ORDERS_READ = 4096
_orders: BoundedCache[str, tuple[Medication | None, str, str]] = BoundedCache(_ORDERS_READ)


def _read_order(resource: Mapping[str, Any], at: str) -> Medication | None:
    try:
        key = json.dumps(resource, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):  # not from JSON (non-string keys): read it, do not remember it
        key = ""
    read = _orders.get(key) if key else None
    if read is None:
        read = _read_order_anew(resource)
        if key:
            _orders.put(key, read)
    medication, element, problem = read
    if problem:
        raise InvalidRequest(f"{at}.{element}" if element else at, problem)
    return medication


def _read_order_anew(resource: Mapping[str, Any]) -> tuple[Medication | None, str, str]:
    """(the order read, or None when cancelled; else the element, relative to the resource, and its problem)."""
    null = _first_null(resource)
    if null is not None:
        return None, null, NULL_MESSAGE
    if "medicationCodeableConcept" not in resource and "medicationReference" not in resource:
        # The model's own message for this choice element names no element.
        return None, "medicationCodeableConcept", "required: the drug as written (text or coding)"
    problem = validation_problem(resource)
    if problem:
        element, _, message = problem.partition(": ")
        return None, ("" if element == "resource" else element), message
    read = medication_from_resource(resource)
    if isinstance(read, Rejection):
        return None, read.field, read.reason
    return read, "", ""


def _line(medication: Medication) -> PrescriptionLine:
    return PrescriptionLine(
        text=medication.text,
        quantity=medication.quantity,
        dose_text=medication.dose_text,
        route_code=medication.route,
        days=medication.days,
        national_drug_code=medication.national_drug_code,
        registration_number=medication.registration_number,
    )


NULL_MESSAGE = "null is not allowed in FHIR JSON: leave the element out"


def _first_null(value: Any, path: str = "") -> str | None:
    """The path of the first JSON null in a resource (FHIR JSON has none), or None."""
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = ((f"[{i}]", v) for i, v in enumerate(value))
    else:
        return None
    for key, item in items:
        here = f"{path}{key}" if str(key).startswith("[") else (f"{path}.{key}" if path else str(key))
        if item is None:
            return here
        found = _first_null(item, here)
        if found is not None:
            return found
    return None


# --- the patient --------------------------------------------------------------------------------------------


def _patient(prefetch: Mapping[str, Any], fhir_patient_id: str) -> tuple[PatientRecord | None, str | None]:
    """The record from the prefetch when it holds enough, else the personal ID to load from the store."""
    resource = prefetch.get(PATIENT_KEY)
    if resource is not None and (not isinstance(resource, dict) or resource.get("resourceType") != "Patient"):
        raise InvalidRequest(f"prefetch.{PATIENT_KEY}", "must be a Patient resource")
    if all(prefetch.get(key) is not None for key in INLINE_REQUIRES):
        return _record_from_prefetch(prefetch), None
    if resource is not None:
        personal_id = _personal_id(resource)
        if personal_id:
            return None, personal_id
    if is_personal_id(fhir_patient_id):
        return None, fhir_patient_id
    raise InvalidRequest(
        f"prefetch.{PATIENT_KEY}",
        "the patient's personal ID (identifier system http://fhir.hl7.org.vn/core/sid/cccd) is needed to load the "
        "record, or the prefetch must hold the patient, allergies and medications",
    )


def _personal_id(resource: Mapping[str, Any]) -> str:
    null = _first_null(resource)
    if null is not None:
        raise InvalidRequest(f"prefetch.{PATIENT_KEY}.{null}", NULL_MESSAGE)
    parsed = parse_fhir_bundle(_bundle([resource]), "prefetch")
    return next(iter(parsed.patients), "")


def _record_from_prefetch(prefetch: Mapping[str, Any]) -> PatientRecord:
    null = _first_null(prefetch[PATIENT_KEY])
    if null is not None:
        raise InvalidRequest(f"prefetch.{PATIENT_KEY}.{null}", NULL_MESSAGE)
    resources: list[Any] = [prefetch[PATIENT_KEY]]
    origin: list[str] = [f"prefetch.{PATIENT_KEY}"]
    for key in RECORD_KEYS:
        value = prefetch.get(key)
        if value is None:
            continue
        if not isinstance(value, dict) or value.get("resourceType") != "Bundle":
            raise InvalidRequest(f"prefetch.{key}", "must be a FHIR Bundle (the search result)")
        entries = value.get("entry", [])
        if not isinstance(entries, list):
            raise InvalidRequest(f"prefetch.{key}.entry", "must be a list")
        for i, entry in enumerate(entries):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if not isinstance(resource, dict):
                raise InvalidRequest(f"prefetch.{key}.entry[{i}]", "each entry needs a resource")
            if resource.get("resourceType") == "OperationOutcome":
                continue  # search results may carry warnings beside the matches
            null = _first_null(resource)
            if null is not None:
                raise InvalidRequest(f"prefetch.{key}.entry[{i}].resource.{null}", NULL_MESSAGE)
            resources.append(resource)
            origin.append(f"prefetch.{key}.entry[{i}].resource")
    parsed = parse_fhir_bundle(_bundle(resources), "prefetch")
    if parsed.fatal:
        raise InvalidRequest("prefetch", parsed.fatal)
    if parsed.rejections:
        first = parsed.rejections[0]
        # Rejection rows are 1-based positions in the bundle built above, in ``origin`` order.
        at = origin[first.row - 1] if 0 < first.row <= len(origin) else "prefetch"
        raise InvalidRequest(f"{at}.{first.field}" if first.field else at, first.reason)
    if len(parsed.patients) != 1:
        raise InvalidRequest(f"prefetch.{PATIENT_KEY}", "exactly one Patient with a personal ID is needed")
    return _record(next(iter(parsed.patients.values())))


def _bundle(resources: list[Any]) -> bytes:
    entries = [{"resource": r} for r in resources]
    return json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}).encode("utf-8")


def _record(imported: PatientImport) -> PatientRecord:
    """The imported rows as an inline record; each row's id is its FHIR key (``fhir:AllergyIntolerance/a1``)."""
    d = imported.demographics
    return PatientRecord(
        patient_id=imported.patient_id,
        name=d.name,
        birth_date=d.birth_date,
        sex=d.sex,
        # An empty allergy search result does not say "no known allergies": the history counts as not recorded.
        allergy_status=imported.allergy_status or AllergyStatus.NOT_RECORDED,
        allergies=tuple(a.model_copy(update={"id": p.key}) for a, p in imported.allergies),
        medications=tuple(m.model_copy(update={"id": p.key}) for m, p in imported.medications),
        conditions=tuple(c.model_copy(update={"id": p.key}) for c, p in imported.conditions),
        observations=tuple(o.model_copy(update={"id": p.key}) for o, p in imported.observations),
        weight_kg=d.weight_kg,
        insurance_card=d.insurance_card,
        address=d.address,
    )
