"""FHIR R4 import (a Bundle of the patient's record) and export (a check's conflicts, a committed prescription).

``fhir.resources`` validates every resource; its ``R4B`` package is used, the R4 technical correction, whose
Patient, AllergyIntolerance, MedicationRequest, MedicationStatement, Condition, Observation, Immunization and
DetectedIssue are the R4 resources. Identifier systems follow the community VN Core guide
(research/vietnam-context.md §1.7): ``…/sid/cccd`` for the personal ID, ``…/sid/bhyt`` for the insurance card.

Import reads the validated JSON (plain dicts): a resource that fails validation becomes a rejected row naming the
element. Each imported row's natural key is ``fhir:<resourceType>/<id>`` (the entry's ``fullUrl`` when there is no
id), so re-importing a bundle updates changed resources and leaves the rest alone.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from rxsafe.core.enums import AllergyStatus, ConflictKind, Severity, Sex
from rxsafe.core.models import (
    Allergy,
    CommitResult,
    Condition,
    Conflict,
    ConflictReport,
    Medication,
    Observation,
    StoredCheck,
    Vaccination,
)
from rxsafe.ehr.identifiers import is_insurance_card, is_personal_id, normalize_icd10, personal_id_warnings
from rxsafe.ehr.imported import Demographics, ParsedFile, PatientImport, Provenance, Rejection, file_sha256

FORMAT = "fhir"
MAX_FILE_BYTES = 256 << 20
VN_CORE = "http://fhir.hl7.org.vn/core"
CCCD_SYSTEM = f"{VN_CORE}/sid/cccd"
BHYT_SYSTEM = f"{VN_CORE}/sid/bhyt"
PRESCRIPTION_SYSTEM = "urn:rxsafe:prescription"
CHECK_SYSTEM = "urn:rxsafe:check"
LOINC = "http://loinc.org"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
# SNOMED CT 716186003 |No known allergy|: an AllergyIntolerance saying "none", which is not an allergen.
NO_KNOWN_ALLERGY = frozenset({"716186003", "409137002", "428607008"})
_SEX = {"male": Sex.MALE, "female": Sex.FEMALE, "other": Sex.UNDETERMINED, "unknown": Sex.UNSPECIFIED}
_SKIPPED_STATUSES = frozenset({"entered-in-error", "refuted", "cancelled", "not-taken"})
_IMPORTED = ("Patient", "AllergyIntolerance", "MedicationRequest", "MedicationStatement", "Condition", "Observation")


class FhirFileError(ValueError):
    """The file as a whole is not a FHIR Bundle this importer can read."""


# --- import -----------------------------------------------------------------------------------------------------


def parse_fhir_bundle(data: bytes, file_name: str) -> ParsedFile:
    """Parses one Bundle (JSON). File-level problems set ``fatal``; resource-level ones become rejections."""
    parsed = ParsedFile(name=file_name, sha256=file_sha256(data), format=FORMAT)
    try:
        entries = _entries(data, file_name)
        _read_bundle(entries, parsed)
    except FhirFileError as exc:
        parsed.fatal = str(exc)
    return parsed


def _entries(data: bytes, file_name: str) -> list[Mapping[str, Any]]:
    if len(data) > MAX_FILE_BYTES:
        raise FhirFileError(f"{file_name}: larger than {MAX_FILE_BYTES} bytes")
    try:
        bundle = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FhirFileError(f"{file_name}: not JSON ({exc})") from None
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise FhirFileError(f"{file_name}: not a FHIR Bundle (resourceType must be 'Bundle')")
    entries = bundle.get("entry", [])
    if not isinstance(entries, list):
        raise FhirFileError(f"{file_name}: Bundle.entry must be a list")
    return [e for e in entries if isinstance(e, dict)]


def _validate(resource: Mapping[str, Any]) -> str:
    """Validates against the R4 model; '' when valid, else the first error as ``element: message``."""
    try:
        get_fhir_model_class(str(resource["resourceType"])).model_validate(resource)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"] if not str(p).startswith("function-")) or "resource"
        return f"{where}: {first['msg']} ({exc.error_count()} errors)"
    except (KeyError, ValueError) as exc:
        return f"resourceType: {exc}"
    return ""


def _read_bundle(entries: list[Mapping[str, Any]], parsed: ParsedFile) -> None:
    patients: dict[str, str] = {}  # reference ("Patient/x", fullUrl, identifier value) → personal ID
    others: list[tuple[int, Mapping[str, Any], str]] = []
    skipped: dict[str, int] = {}
    for n, entry in enumerate(entries, start=1):
        resource = entry.get("resource")
        if not isinstance(resource, dict):
            parsed.rejections.append(Rejection(parsed.name, "Bundle.entry", n, "resource", "entry has no resource"))
            continue
        kind = str(resource.get("resourceType", ""))
        if kind not in _IMPORTED and kind != "Immunization":
            skipped[kind] = skipped.get(kind, 0) + 1
            continue
        problem = _validate(resource)
        if problem:
            field, _, reason = problem.partition(": ")
            parsed.rejections.append(Rejection(parsed.name, kind, n, field, reason))
            continue
        key = f"fhir:{kind}/{resource['id']}" if resource.get("id") else f"fhir:{entry.get('fullUrl') or n}"
        if kind == "Patient":
            personal_id = _read_patient(resource, parsed, n)
            if personal_id:
                for ref in (f"Patient/{resource.get('id', '')}", str(entry.get("fullUrl", "")), personal_id):
                    patients[ref] = personal_id
        else:
            others.append((n, resource, key))
    for n, resource, key in others:
        kind = str(resource["resourceType"])
        # AllergyIntolerance and Immunization name their patient "patient"; the others "subject".
        field = "patient" if kind in ("AllergyIntolerance", "Immunization") else "subject"
        owner = _subject(resource.get(field), patients)
        if owner is None:
            parsed.rejections.append(
                Rejection(parsed.name, kind, n, field, "does not reference a Patient with a personal ID in this bundle")
            )
            continue
        _read_resource(kind, resource, Provenance(parsed.name, kind, n, key), parsed.patient(owner), parsed)
    if skipped:
        parsed.warnings.append(
            f"{parsed.name}: resources not read: " + ", ".join(f"{k} ×{v}" for k, v in sorted(skipped.items()))
        )


def _subject(reference: Any, patients: Mapping[str, str]) -> str | None:
    if not isinstance(reference, dict):
        return None
    ref = reference.get("reference")
    if isinstance(ref, str) and ref in patients:
        return patients[ref]
    identifier = reference.get("identifier")
    if isinstance(identifier, dict):
        value = str(identifier.get("value", ""))
        if value in patients or is_personal_id(value):
            return value
    return None


def _read_patient(resource: Mapping[str, Any], parsed: ParsedFile, n: int) -> str:
    identifiers = [i for i in resource.get("identifier", []) if isinstance(i, dict)]
    personal_id = next(
        (str(i.get("value", "")) for i in identifiers if i.get("system") == CCCD_SYSTEM or _is_cccd_type(i)), ""
    )
    if not is_personal_id(personal_id):
        reason = "no personal ID identifier (system " + CCCD_SYSTEM + ")" if not personal_id else "not 12 digits"
        parsed.rejections.append(Rejection(parsed.name, "Patient", n, "identifier", reason))
        return ""
    card = next((str(i.get("value", "")) for i in identifiers if i.get("system") == BHYT_SYSTEM), "")
    if card and not is_insurance_card(card):
        parsed.warnings.append(f"{parsed.name} Patient entry {n}: insurance card format not recognised")
        card = ""
    sex = _SEX.get(str(resource.get("gender", "")), Sex.UNSPECIFIED)
    birth = _date(resource.get("birthDate"))
    for warning in personal_id_warnings(personal_id, sex=sex, birth_date=birth):
        parsed.warnings.append(f"{parsed.name} Patient entry {n}: {warning}")
    patient = parsed.patient(personal_id)
    patient.demographics = Demographics(
        name=_human_name(resource.get("name")),
        birth_date=birth,
        sex=sex,
        insurance_card=card,
        address=_address(resource.get("address")),
    )
    return personal_id


def _is_cccd_type(identifier: Mapping[str, Any]) -> bool:
    codings = (identifier.get("type") or {}).get("coding", [])
    return any(isinstance(c, dict) and str(c.get("code", "")).upper() == "CCCD" for c in codings)


def _read_resource(
    kind: str, r: Mapping[str, Any], prov: Provenance, patient: PatientImport, parsed: ParsedFile
) -> None:
    if kind == "AllergyIntolerance":
        _read_allergy(r, prov, patient, parsed)
    elif kind in ("MedicationRequest", "MedicationStatement"):
        _read_medication(kind, r, prov, patient, parsed)
    elif kind == "Condition":
        if _code(r.get("verificationStatus")) in _SKIPPED_STATUSES:
            return
        coding = _coding(r.get("code"), "icd")
        code = normalize_icd10(coding[0]) if coding else None
        condition = Condition(
            id="",
            code=code or "",
            text=_text(r.get("code")),
            onset_date=_date(r.get("onsetDateTime")) or _date(r.get("recordedDate")),
            clinical_status=_code(r.get("clinicalStatus")),
        )
        patient.conditions.append((condition, prov))
    elif kind == "Observation":
        _read_observation(r, prov, patient)
    else:
        dose = next((p.get("doseNumberPositiveInt") for p in r.get("protocolApplied", []) if isinstance(p, dict)), None)
        targets = [t for p in r.get("protocolApplied", []) for t in p.get("targetDisease", [])]
        vaccination = Vaccination(
            id="",
            vaccine=_text(r.get("vaccineCode")),
            antigen="; ".join(_text(t) for t in targets),
            dose_number=dose if isinstance(dose, int) else None,
            given_date=_date(r.get("occurrenceDateTime")),
        )
        if r.get("status") != "entered-in-error":
            patient.vaccinations.append((vaccination, prov))


def _read_allergy(r: Mapping[str, Any], prov: Provenance, patient: PatientImport, parsed: ParsedFile) -> None:
    verification = _code(r.get("verificationStatus"))
    codes = {c for c, _ in _codings(r.get("code"))}
    if codes & NO_KNOWN_ALLERGY:
        # "No known allergy" is a statement about the history, not an allergen.
        if patient.allergy_status is None:
            patient.allergy_status = AllergyStatus.NO_KNOWN_ALLERGIES
        return
    if verification in _SKIPPED_STATUSES:
        parsed.warnings.append(f"{prov.file} {prov.table} entry {prov.row}: {verification}, not imported")
        return
    allergen = _text(r.get("code"))
    if not allergen:
        parsed.rejections.append(Rejection(prov.file, prov.table, prov.row, "code", "no allergen text or display"))
        return
    reactions = [x for x in r.get("reaction", []) if isinstance(x, dict)]
    manifestation = "; ".join(_text(m) for x in reactions for m in x.get("manifestation", []))
    severity = next((str(x["severity"]) for x in reactions if x.get("severity")), "") or str(r.get("criticality", ""))
    allergy = Allergy(
        id="",
        allergen=allergen,
        reaction=manifestation,
        severity=severity,
        recorded_date=_date(r.get("recordedDate")) or _date(r.get("onsetDateTime")),
        allergy_type=", ".join(str(c) for c in r.get("category", [])) or str(r.get("type", "")),
        verification_status=verification,
    )
    patient.allergies.append((allergy, prov))
    patient.allergy_status = AllergyStatus.LISTED


def _read_medication(
    kind: str, r: Mapping[str, Any], prov: Provenance, patient: PatientImport, parsed: ParsedFile
) -> None:
    if r.get("status") in _SKIPPED_STATUSES:
        return
    concept = r.get("medicationCodeableConcept")
    text = _text(concept)
    if not text:
        parsed.rejections.append(
            Rejection(prov.file, kind, prov.row, "medicationCodeableConcept", "no medication text or display")
        )
        return
    dosage = [d for d in r.get("dosageInstruction" if kind == "MedicationRequest" else "dosage", []) if d]
    dispense = r.get("dispenseRequest") or {}
    period = r.get("effectivePeriod") or {}
    supply = (dispense.get("expectedSupplyDuration") or {}) if isinstance(dispense, dict) else {}
    days = supply.get("value") if supply.get("code", supply.get("unit", "d")) in ("d", "day", "days", "ngày") else None
    quantity = (dispense.get("quantity") or {}) if isinstance(dispense, dict) else {}
    authored = _datetime(r.get("authoredOn")) or _datetime(r.get("effectiveDateTime"))
    start = _date(period.get("start")) or (authored.date() if authored else None)
    route = next((c for d in dosage for c, _ in _codings(d.get("route"))), "")
    medication = Medication(
        id="",
        text=text,
        start_date=start,
        days=int(days) if isinstance(days, int | float) and days > 0 else None,
        end_date=_date(period.get("end")),
        dose_text="; ".join(str(d.get("text", "")) for d in dosage if d.get("text")),
        national_drug_code=next((c for c, s in _codings(concept) if "dmdc" in s.lower()), ""),
        registration_number=_registration(r, concept),
        quantity=float(quantity["value"]) if isinstance(quantity.get("value"), int | float) else None,
        unit=str(quantity.get("unit", "")),
        route=route,
        prescriber=_display(r.get("requester") or r.get("informationSource")),
        order_time=authored,
    )
    patient.medications.append((medication, prov))


def _registration(r: Mapping[str, Any], concept: Any) -> str:
    for ext in [*r.get("extension", []), *((concept or {}).get("extension", []))]:
        if isinstance(ext, dict) and "registration-number" in str(ext.get("url", "")):
            return str(ext.get("valueString", ""))
    return ""


def _read_observation(r: Mapping[str, Any], prov: Provenance, patient: PatientImport) -> None:
    if r.get("status") in ("entered-in-error", "cancelled"):
        return
    codings = _codings(r.get("code"))
    loinc = next((c for c, s in codings if s == LOINC), "")
    quantity = r.get("valueQuantity") or {}
    value = quantity.get("value") if isinstance(quantity, dict) else None
    value_text = str(r.get("valueString", "")) or ("" if value is None else f"{value:g}")
    observation = Observation(
        id="",
        code=loinc or (codings[0][0] if codings else ""),
        name=_text(r.get("code")),
        value_text=value_text,
        value=float(value) if isinstance(value, int | float) else None,
        unit=str(quantity.get("unit", quantity.get("code", ""))) if isinstance(quantity, dict) else "",
        effective=_datetime(r.get("effectiveDateTime")) or _datetime(r.get("issued")),
        conclusion=_text((r.get("interpretation") or [None])[0]),
    )
    patient.observations.append((observation, prov))


# --- single resources, for callers outside a file import (the CDS Hooks facade, rxsafe.http) -------------------


def validation_problem(resource: Mapping[str, Any]) -> str:
    """Validates one resource against its R4 model: '' when valid, else ``element: message (n errors)``."""
    return _validate(resource)


def medication_from_resource(resource: Mapping[str, Any], source: str = "request") -> Medication | Rejection | None:
    """A validated MedicationRequest or MedicationStatement as the domain reads it (the import's own reading).

    Returns a ``Rejection`` naming the element when the resource cannot be read, None when its status says it is
    not a medication at all (entered in error, cancelled, not taken).
    """
    kind = str(resource.get("resourceType", ""))
    parsed = ParsedFile(name=source, sha256="", format=FORMAT)
    holder = PatientImport(patient_id="")
    _read_medication(kind, resource, Provenance(source, kind, 1, ""), holder, parsed)
    if parsed.rejections:
        return parsed.rejections[0]
    return holder.medications[0][0] if holder.medications else None


# --- small readers over validated JSON ---------------------------------------------------------------------------


def _codings(concept: Any) -> list[tuple[str, str]]:
    if not isinstance(concept, dict):
        return []
    return [
        (str(c.get("code", "")), str(c.get("system", "")))
        for c in concept.get("coding", [])
        if isinstance(c, dict) and c.get("code")
    ]


def _coding(concept: Any, system_part: str) -> list[str]:
    return [c for c, s in _codings(concept) if system_part in s.lower()]


def _code(concept: Any) -> str:
    codings = _codings(concept)
    return codings[0][0] if codings else ""


def _text(concept: Any) -> str:
    if not isinstance(concept, dict):
        return ""
    if concept.get("text"):
        return str(concept["text"])
    return next((str(c["display"]) for c in concept.get("coding", []) if isinstance(c, dict) and c.get("display")), "")


def _display(reference: Any) -> str:
    if not isinstance(reference, dict):
        return ""
    identifier = reference.get("identifier") or {}
    return str(reference.get("display") or identifier.get("value") or "")


def _human_name(names: Any) -> str:
    for name in names or []:
        if isinstance(name, dict):
            if name.get("text"):
                return str(name["text"])
            # Vietnamese order: family name first, then the given names.
            return " ".join([str(name.get("family", "")), *map(str, name.get("given", []))]).strip()
    return ""


def _address(addresses: Any) -> str:
    for address in addresses or []:
        if isinstance(address, dict):
            return str(address.get("text") or ", ".join([*address.get("line", []), address.get("city", "")]))
    return ""


def _datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=None)  # clinical local time, as the other importers keep it


def _date(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    if len(value) == 4:
        return date(int(value), 1, 1)
    stamp = _datetime(value if len(value) > 7 else value + "-01")
    return stamp.date() if stamp else None


# --- export -----------------------------------------------------------------------------------------------------

_ISSUE_CODE = {
    ConflictKind.ALLERGY: ("ALGY", "Allergy Alert"),
    ConflictKind.INTERACTION: ("DRUG", "Drug Interaction Alert"),
    ConflictKind.DUPLICATE_THERAPY: ("DUPTHPY", "Duplicate Therapy Alert"),
    ConflictKind.DOSE: ("DOSE", "Dosage problem"),
    ConflictKind.DURATION: ("DOSEDURH", "High Dose Duration Alert"),
    ConflictKind.AGE: ("AGE", "Age Alert"),
    ConflictKind.PREGNANCY: ("PREG", "Pregnancy Alert"),
    ConflictKind.LACTATION: ("LACT", "Lactation Alert"),
    ConflictKind.DRUG_DISEASE: ("COND", "Condition Alert"),
}
# RENAL (an eGFR-based STOPP rule) and OMISSION (START) have no v3 ActCode of their own: their DetectedIssue.code
# carries the kind as text only, rather than a code that would say something else.
# DetectedIssue.severity is high | moderate | low.
_ISSUE_SEVERITY = {
    Severity.CONTRAINDICATED: "high",
    Severity.MAJOR: "high",
    Severity.MODERATE: "moderate",
    Severity.MINOR: "low",
}


# The display tier (act | review | info, knowledge/SEVERITY.md §Display tiers) and the evidence strength ride as
# extensions: DetectedIssue.severity keeps its meaning (how dangerous), the tier says what was shown first.
TIER_EXTENSION = "urn:rxsafe:fhir:extension:display-tier"
STRENGTH_EXTENSION = "urn:rxsafe:fhir:extension:evidence-strength"


def _tier_extensions(conflict: Conflict) -> list[dict[str, Any]]:
    extensions: list[dict[str, Any]] = [{"url": TIER_EXTENSION, "valueCode": conflict.tier.value}]
    if conflict.strength is not None:
        extensions.append({"url": STRENGTH_EXTENSION, "valueCode": conflict.strength.label})
    return extensions


def _patient_reference(patient_id: str) -> dict[str, Any]:
    if not patient_id:
        return {"display": "inline patient (not stored)"}
    return {"identifier": {"system": CCCD_SYSTEM, "value": patient_id}}


def detected_issue(conflict: Conflict, report: ConflictReport, implicated: Sequence[str] = ()) -> dict[str, Any]:
    """One conflict as a DetectedIssue (JSON), validated; ``implicated`` are references to MedicationRequests."""
    coded = _ISSUE_CODE.get(conflict.kind)
    code_concept: dict[str, Any] = {"text": conflict.kind.value}
    if coded is not None:
        code_concept["coding"] = [{"system": ACT_CODE, "code": coded[0], "display": coded[1]}]
    issue: dict[str, Any] = {
        "resourceType": "DetectedIssue",
        "id": f"{report.check_id}-{conflict.id}".replace("_", "-")[:64],
        "extension": _tier_extensions(conflict),
        "identifier": [{"system": CHECK_SYSTEM, "value": f"{report.check_id}/{conflict.id}"}],
        "status": "final",
        "code": code_concept,
        "severity": _ISSUE_SEVERITY[conflict.severity],
        "patient": _patient_reference(report.patient_id),
        "identifiedDateTime": report.checked_at or report.as_of.isoformat(),
        "detail": " ".join(t for t in (conflict.title.en, conflict.detail.en) if t) or conflict.title.vi,
        "implicated": [{"reference": ref} for ref in implicated]
        + [{"display": f"{e.kind.value.lower()} {e.id}: {e.text}"} for e in conflict.record_entries],
        "reference": next((e.reference for e in conflict.evidence if e.reference.startswith("http")), None),
    }
    if conflict.override is not None:
        o = conflict.override
        issue["mitigation"] = [
            {
                "action": {"text": f"override: {o.reason.value}" + (f" — {o.comment}" if o.comment else "")},
                **({"author": {"display": o.overridden_by}} if o.overridden_by else {}),
            }
        ]
    issue = {k: v for k, v in issue.items() if v not in (None, [], "")}
    get_fhir_model_class("DetectedIssue").model_validate(issue)
    return issue


def report_bundle(report: ConflictReport) -> dict[str, Any]:
    """A check's conflicts as a collection Bundle of DetectedIssue resources."""
    issues = [detected_issue(c, report) for c in report.conflicts]
    return _bundle([("DetectedIssue", i) for i in issues])


def prescription_bundle(stored: StoredCheck, result: CommitResult | None = None) -> dict[str, Any]:
    """A committed prescription: one MedicationRequest per line, each linked to the DetectedIssues about it."""
    report = stored.report
    prescription_id = result.prescription_id if result else report.prescription_id
    committed = result.committed_at if result else report.checked_at
    requests: list[tuple[str, dict[str, Any]]] = []
    issue_refs: dict[int, list[str]] = {}
    issues = []
    for conflict in report.conflicts:
        lines = conflict.line_indexes
        implicated = [f"MedicationRequest/{_request_id(prescription_id, i)}" for i in lines]
        issue = detected_issue(conflict, report, implicated)
        issues.append(("DetectedIssue", issue))
        for i in lines:
            issue_refs.setdefault(i, []).append(f"DetectedIssue/{issue['id']}")
    for i, line in enumerate(stored.prescription.lines):
        request: dict[str, Any] = {
            "resourceType": "MedicationRequest",
            "id": _request_id(prescription_id, i),
            "identifier": [{"system": PRESCRIPTION_SYSTEM, "value": f"{prescription_id}/{i}"}],
            "status": "active" if prescription_id else "draft",
            "intent": "order",
            "medicationCodeableConcept": {"text": line.text},
            "subject": _patient_reference(report.patient_id),
            "authoredOn": committed or None,
            "requester": {"identifier": {"value": stored.prescription.prescriber_id}}
            if stored.prescription.prescriber_id
            else None,
            "dosageInstruction": [{"text": line.dose_text}] if line.dose_text else None,
            "dispenseRequest": _dispense(line.quantity, line.days),
            "detectedIssue": [{"reference": ref} for ref in issue_refs.get(i, [])] or None,
        }
        request = {k: v for k, v in request.items() if v is not None}
        get_fhir_model_class("MedicationRequest").model_validate(request)
        requests.append(("MedicationRequest", request))
    return _bundle([*requests, *issues])


def _request_id(prescription_id: str, index: int) -> str:
    return f"{prescription_id or 'draft'}-{index}"[:64]


def _dispense(quantity: float | None, days: int | None) -> dict[str, Any] | None:
    dispense: dict[str, Any] = {}
    if quantity is not None:
        dispense["quantity"] = {"value": quantity}
    if days:
        dispense["expectedSupplyDuration"] = {
            "value": days,
            "unit": "days",
            "system": "http://unitsofmeasure.org",
            "code": "d",
        }
    return dispense or None


def _bundle(resources: Sequence[tuple[str, dict[str, Any]]]) -> dict[str, Any]:
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": f"urn:rxsafe:{kind}/{r['id']}", "resource": r} for kind, r in resources],
    }
    get_fhir_model_class("Bundle").model_validate(bundle)
    return bundle
