"""The one module where protobuf meets the domain: pb2 messages to domain models and back.

Bad input found while converting (an unparseable date, an unknown enum) raises ``InvalidRequest`` naming the
field in the request's own terms, e.g. ``patient.medications[0].start_date``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any, TypeVar

from rxsafe.app.caching import BoundedCache
from rxsafe.app.requests import CheckRequest, Limits, check_date_range
from rxsafe.app.service import RESULT_MEMO_SIZE
from rxsafe.core.enums import AllergyStatus, DisplayTier, LactationStatus, OverrideReason, PregnancyStatus, Sex
from rxsafe.core.errors import InvalidRequest
from rxsafe.core.models import (
    Allergy,
    CheckedLine,
    CommitResult,
    Condition,
    Conflict,
    ConflictReport,
    EvidenceStrength,
    LocalizedText,
    Medication,
    Notice,
    Observation,
    Override,
    PatientFacts,
    PatientRecord,
    Prescription,
    PrescriptionLine,
    RecheckInfo,
    RecordEntry,
)
from rxsafe.core.tiers import tier_counts
from rxsafe.ehr.audit import AuditRow, ChainReport
from rxsafe.ehr.eprescription import eprescription_to_check_request
from rxsafe.gen import medication_safety_pb2 as pb
from rxsafe.memo import IdentityMemo, WeakIdentityMemo
from rxsafe.report.render import RenderedReport

E = TypeVar("E", bound=Enum)


# --- enums: the proto value is the domain name with the enum's prefix -----------------------------------------


def _to_pb_enum(value: Enum, pb_enum: Any, prefix: str) -> str:
    name = f"{prefix}_{value.name}"
    pb_enum.Value(name)  # fails loudly if the proto and the domain enum ever drift apart
    return name


def _from_pb_enum(number: int, pb_enum: Any, prefix: str, domain: type[E], field: str) -> E | None:
    """The domain member for a proto enum number; None for ``*_UNSPECIFIED``."""
    try:
        name: str = pb_enum.Name(number)
    except ValueError:
        raise InvalidRequest(field, f"unknown value {number}") from None
    short = name.removeprefix(prefix + "_")
    if short == "UNSPECIFIED":
        return None
    return domain[short]


# --- requests ---------------------------------------------------------------------------------------------------


def check_request_from_pb(msg: pb.CheckPrescriptionRequest) -> CheckRequest:
    """A ``CheckRequest`` from the wire; dates and enums validated, the patient given by id or inline."""
    which = msg.WhichOneof("patient_ref")
    patient_id = msg.patient_id if which == "patient_id" else None
    patient = _inline_patient(msg.patient) if which == "patient" else None
    return CheckRequest(
        patient_id=patient_id,
        patient=patient,
        prescription=_prescription_from_pb(msg.prescription),
        as_of=_date(msg.as_of, "as_of"),
    )


def overrides_from_pb(msg: pb.CommitPrescriptionRequest) -> tuple[Override, ...]:
    result = []
    for i, o in enumerate(msg.overrides):
        field = f"overrides[{i}]"
        reason = _from_pb_enum(o.reason, pb.OverrideReason, "OVERRIDE_REASON", OverrideReason, f"{field}.reason")
        if reason is None:
            raise InvalidRequest(f"{field}.reason", "an override needs a coded reason")
        if not o.conflict_id:
            raise InvalidRequest(f"{field}.conflict_id", "required")
        if reason is OverrideReason.OTHER and not o.comment.strip():
            raise InvalidRequest(f"{field}.comment", "reason OTHER needs a comment saying why")
        result.append(
            Override(
                conflict_id=o.conflict_id,
                reason=reason,
                comment=o.comment,
                overridden_by=o.overridden_by or msg.prescriber_id,
            )
        )
    return tuple(result)


def _inline_patient(msg: pb.Patient) -> PatientRecord:
    """``_patient_from_pb``, remembered by the message's bytes.

    A pharmacy system sends the same record with every prescription it checks; equal bytes are the same record,
    and the record is immutable, so one object serves them all (and the service's memo finds it by identity).
    """
    data = msg.SerializeToString()
    patient = _inline_patients.get(data)
    if patient is None:
        patient = _patient_from_pb(msg)
        _inline_patients.put(data, patient)
    return patient


def _patient_from_pb(msg: pb.Patient) -> PatientRecord:
    status = _from_pb_enum(
        msg.allergy_status, pb.AllergyStatus, "ALLERGY_STATUS", AllergyStatus, "patient.allergy_status"
    )
    sex = _from_pb_enum(msg.sex, pb.Sex, "SEX", Sex, "patient.sex")
    return PatientRecord(
        patient_id=msg.patient_id,
        name=msg.name,
        birth_date=_date(msg.birth_date, "patient.birth_date"),
        sex=sex or Sex.UNSPECIFIED,
        # Unstated is "not recorded": an empty list cannot tell "none" from "never asked".
        allergy_status=status or AllergyStatus.NOT_RECORDED,
        allergies=tuple(
            Allergy(
                id=a.id or f"allergy-{i + 1}",
                allergen=a.allergen,
                reaction=a.reaction,
                severity=a.severity,
                recorded_date=_date(a.recorded_date, f"patient.allergies[{i}].recorded_date"),
            )
            for i, a in enumerate(msg.allergies)
        ),
        medications=tuple(
            Medication(
                id=m.id or f"medication-{i + 1}",
                text=m.text,
                start_date=_date(m.start_date, f"patient.medications[{i}].start_date"),
                days=m.days or None,
                end_date=_date(m.end_date, f"patient.medications[{i}].end_date"),
                dose_text=m.dose_text,
                national_drug_code=m.national_drug_code,
                registration_number=m.registration_number,
            )
            for i, m in enumerate(msg.medications)
        ),
        weight_kg=msg.weight_kg or None,
        conditions=tuple(
            Condition(
                id=c.id or f"condition-{i + 1}",
                code=c.code.strip().upper(),
                text=c.text,
                onset_date=_date(c.onset_date, f"patient.conditions[{i}].onset_date"),
                clinical_status=c.clinical_status,
            )
            for i, c in enumerate(msg.conditions)
        ),
        observations=tuple(
            Observation(
                id=o.id or f"observation-{i + 1}",
                code=o.code,
                name=o.name,
                value_text=o.value_text or (f"{o.value:g}" if o.HasField("value") else ""),
                value=o.value if o.HasField("value") else None,
                unit=o.unit,
                effective=_datetime(o.effective, f"patient.observations[{i}].effective"),
            )
            for i, o in enumerate(msg.observations)
        ),
        pregnancy_status=_from_pb_enum(
            msg.pregnancy_status, pb.PregnancyStatus, "PREGNANCY_STATUS", PregnancyStatus, "patient.pregnancy_status"
        )
        or PregnancyStatus.UNKNOWN,
        lactation_status=_from_pb_enum(
            msg.lactation_status, pb.LactationStatus, "LACTATION_STATUS", LactationStatus, "patient.lactation_status"
        )
        or LactationStatus.UNKNOWN,
    )


def _datetime(text: str, field: str) -> datetime | None:
    """A date-time, or a date (read as its midnight), in ISO form."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(field, f"not a date or date-time (ISO 8601): {text[:40]!r}") from None
    check_date_range(field, value.date())
    return value


def _prescription_from_pb(msg: pb.Prescription) -> Prescription:
    return Prescription(
        lines=tuple(
            PrescriptionLine(
                text=line.text,
                quantity=line.quantity or None,
                dose_text=line.dose_text,
                route_code=line.route_code,
                days=line.days or None,
                national_drug_code=line.national_drug_code,
                registration_number=line.registration_number,
            )
            for line in msg.lines
        ),
        prescriber_id=msg.prescriber_id,
        facility_id=msg.facility_id,
    )


def _date(text: str, field: str) -> date | None:
    if not text:
        return None
    try:
        value = date.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(field, f"not a date (YYYY-MM-DD): {text[:40]!r}") from None
    return check_date_range(field, value)


# --- responses --------------------------------------------------------------------------------------------------


def report_to_pb(report: ConflictReport) -> pb.CheckPrescriptionResponse:
    """The wire form of a conflict report (as a message; the check answers go out as :func:`report_to_wire`)."""
    response = _own_fields_pb(report)
    response.MergeFrom(_shared_parts_pb(report))
    return response


@dataclass(frozen=True, slots=True)
class EncodedResponse:
    """A ``CheckPrescriptionResponse`` already encoded (:func:`report_to_wire`); sent as is."""

    data: bytes


def report_to_wire(report: ConflictReport) -> EncodedResponse:
    """``report_to_pb(report)`` encoded, from a once-made encoding of the parts a memoised result shares.

    A protobuf encoding is the concatenation of its fields' encodings, and a parser merges concatenated encodings:
    the lines, conflicts and notices (most of a report's bytes) are encoded once per result, and each check adds
    only its own fields (id, time, verdict, …). Copying those messages into every response cost ~0.5 ms a call.
    """
    key = (id(report.lines), id(report.coverage), id(report.conflicts), id(report.notices))
    shared = (report.lines, report.coverage, report.conflicts, report.notices)
    with _encoded_lock:
        hit = _encoded_cache.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], shared, strict=True)):
        encoded = hit[1]
    else:
        encoded = _shared_parts_wire(report)
        with _encoded_lock:
            if len(_encoded_cache) >= RESULT_MEMO_SIZE:
                _encoded_cache.clear()
            # The tuples are kept with their encoding, so their id()s cannot be reused while the entry exists.
            _encoded_cache[key] = (shared, encoded)
    if report.facts is None:
        return EncodedResponse(encoded + _own_fields_pb(report).SerializeToString())
    # The facts are derived once per patient context (core.patient_index): encoded once too.
    own = _own_fields_pb(report.model_copy(update={"facts": None})).SerializeToString()
    return EncodedResponse(encoded + own + _encoded_facts(report.facts))


def serialize_check_response(response: pb.CheckPrescriptionResponse | EncodedResponse) -> bytes:
    """The server's serializer for check answers: a message, or one :func:`report_to_wire` already encoded."""
    if isinstance(response, EncodedResponse):
        return response.data
    return response.SerializeToString()


def _own_fields_pb(report: ConflictReport) -> pb.CheckPrescriptionResponse:
    """Everything but the lines, conflicts and notices: small, and different for every check."""
    return pb.CheckPrescriptionResponse(
        check_id=report.check_id,
        verdict=_to_pb_enum(report.verdict, pb.Verdict, "VERDICT"),
        knowledge_version=report.knowledge_version,
        patient_id=report.patient_id,
        record_version=report.record_version,
        checked_at=report.checked_at,
        as_of=report.as_of.isoformat(),
        allergy_status=_to_pb_enum(report.allergy_status, pb.AllergyStatus, "ALLERGY_STATUS"),
        summary=_text(report.summary),
        policy=report.policy,
        prescription_id=report.prescription_id,
        recheck=_recheck_to_pb(report.recheck) if report.recheck else None,
        facts=_facts_to_pb(report.facts) if report.facts is not None else None,
        tier_policy=report.tier_policy,
    )


def _shared_parts_pb(report: ConflictReport) -> pb.CheckPrescriptionResponse:
    """The lines (with their coverage), conflicts and notices; the same for every copy of a memoised result."""
    response = pb.CheckPrescriptionResponse(
        lines=_lines_to_pb(report.lines),
        conflicts=[_conflict_to_pb(c) for c in report.conflicts],
        notices=[_notice_to_pb(n) for n in report.notices],
        tier_counts=_tier_counts_pb(report.conflicts),
    )
    for line_pb, coverage in zip(response.lines, report.coverage, strict=False):
        line_pb.checks_run.extend(coverage.checks_run)
        line_pb.checks_not_run.extend(
            pb.CheckNotRun(check=g.check, reason=_text(g.reason)) for g in coverage.checks_not_run
        )
    return response


def _shared_parts_wire(report: ConflictReport) -> bytes:
    """``_shared_parts_pb(report)`` encoded, each conflict's encoding made once per conflict object.

    A new prescription's conflicts toward the record are mostly ones earlier checks of the patient already had
    (the same objects: core.patient_index), so only the few new ones are converted; a repeated field's encoding
    is its elements' encodings one after another, in order.
    """
    rest = _shared_parts_pb(report.model_copy(update={"conflicts": ()})).SerializeToString()
    # The tier counts of the real conflicts: a parser merges this into the (empty) counts encoded in ``rest``.
    counts = pb.CheckPrescriptionResponse(tier_counts=_tier_counts_pb(report.conflicts)).SerializeToString()
    return rest + counts + b"".join(_encoded_conflict(c) for c in report.conflicts)


def _encode_conflict(conflict: Conflict) -> bytes:
    return pb.CheckPrescriptionResponse(conflicts=[_conflict_to_pb(conflict)]).SerializeToString()


# Each conflict's encoding (as one element of CheckPrescriptionResponse.conflicts), while the conflict lives.
_encoded_conflict = WeakIdentityMemo(_encode_conflict)
_encoded_facts: WeakIdentityMemo[PatientFacts, bytes] = WeakIdentityMemo(
    lambda facts: pb.CheckPrescriptionResponse(facts=_facts_to_pb(facts)).SerializeToString()
)


def _facts_to_pb(facts: PatientFacts) -> pb.PatientFacts:
    return pb.PatientFacts(
        age_years=facts.age_years,
        pregnancy=_to_pb_enum(facts.pregnancy, pb.PregnancyStatus, "PREGNANCY_STATUS"),
        lactation=_to_pb_enum(facts.lactation, pb.LactationStatus, "LACTATION_STATUS"),
        weight_kg=facts.weight_kg,
        creatinine_mg_dl=facts.creatinine_mg_dl,
        egfr=facts.egfr,
        crcl=facts.crcl,
        diagnoses=list(facts.diagnoses),
        used=[
            pb.PatientFact(
                name=f.name,
                value=f.value,
                unit=f.unit,
                observed=f.observed.isoformat() if f.observed else "",
                age_days=f.age_days,
                basis=f.basis,
                entry_id=f.entry_id,
            )
            for f in facts.used
        ],
    )


def _recheck_to_pb(info: RecheckInfo) -> pb.RecheckInfo:
    return pb.RecheckInfo(
        prescription_id=info.prescription_id,
        original_check_id=info.original_check_id,
        original_knowledge_version=info.original_knowledge_version,
        original_as_of=info.original_as_of.isoformat(),
        new_conflict_ids=list(info.new_conflict_ids),
        changed_conflict_ids=list(info.changed_conflict_ids),
        resolved_conflict_ids=list(info.resolved_conflict_ids),
        summary=_text(info.summary),
        tier_changes=[
            pb.TierChange(
                conflict_id=t.conflict_id,
                old_tier=_to_pb_enum(t.old, pb.DisplayTier, "DISPLAY_TIER"),
                new_tier=_to_pb_enum(t.new, pb.DisplayTier, "DISPLAY_TIER"),
            )
            for t in info.tier_changes
        ],
    )


def recheck_date_from_pb(msg: pb.RecheckPrescriptionRequest) -> date | None:
    return _date(msg.as_of, "as_of")


def _record_weight(patient: PatientRecord) -> int:
    """Entries in an inline record (a typical one has ~30)."""
    return 1 + len(patient.allergies) + len(patient.medications) + len(patient.conditions) + len(patient.observations)


_encoded_lock = threading.Lock()
_encoded_cache: dict[tuple[int, ...], tuple[tuple[object, ...], bytes]] = {}
# The records of inline patients as last converted, by the bytes of their message.
# Bounded by the entries they hold, not by count: hostile records (hundreds of conditions, converted before the
# service refuses them) would otherwise keep ~100 MB (`make soak`).
_inline_patients: BoundedCache[bytes, PatientRecord] = BoundedCache(8192, weigh=_record_weight)


def _lines_to_pb(lines: tuple[CheckedLine, ...]) -> list[pb.LineResult]:
    return [
        pb.LineResult(
            index=line.index,
            text=line.line.text,
            status="RESOLUTION_STATUS_PARTIAL"
            if line.resolution.partial
            else _to_pb_enum(line.resolution.status, pb.ResolutionStatus, "RESOLUTION_STATUS"),
            unidentified=list(line.resolution.unidentified),
            ignored=list(line.resolution.ignored),
            ingredients=[
                pb.Ingredient(
                    inn=ing.inn,
                    vi_name=ing.vi_name,
                    strength=pb.Strength(
                        value=ing.strength.value or 0.0, unit=ing.strength.unit, text=ing.strength.text
                    )
                    if ing.strength
                    else None,
                    atc_codes=list(ing.atc_codes),
                )
                for ing in line.resolution.ingredients
            ],
            match_method=line.resolution.method.value,
            match_score=line.resolution.score,
            candidates=list(line.resolution.candidates),
            product=line.resolution.product,
        )
        for line in lines
    ]


def commit_to_pb(result: CommitResult) -> pb.CommitPrescriptionResponse:
    return pb.CommitPrescriptionResponse(
        prescription_id=result.prescription_id,
        check_id=result.check_id,
        patient_id=result.patient_id,
        record_version=result.record_version,
        committed_at=result.committed_at,
        replayed=result.replayed,
    )


def _conflict_to_pb(c: Conflict) -> pb.Conflict:
    return pb.Conflict(
        id=c.id,
        kind=_to_pb_enum(c.kind, pb.ConflictKind, "CONFLICT_KIND"),
        severity=_to_pb_enum(c.severity, pb.Severity, "SEVERITY"),
        formulary_level=c.formulary_level,
        interruptive=c.interruptive,
        line_indexes=list(c.line_indexes),
        record_entries=[_entry_to_pb(e) for e in c.record_entries],
        drugs=list(c.drugs),
        title=_text(c.title),
        detail=_text(c.detail),
        mechanism=_text(c.mechanism),
        consequence=_text(c.consequence),
        management=_text(c.management),
        evidence=[
            pb.Evidence(
                source=e.source, reference=e.reference, rule_id=e.rule_id, source_level=e.source_level, via=e.via
            )
            for e in c.evidence
        ],
        tier=_to_pb_enum(c.tier, pb.DisplayTier, "DISPLAY_TIER"),
        tier_reason=_text(c.tier_reason),
        evidence_strength=_strength_pb(c.strength) if c.strength is not None else None,
        suppressed_by=c.suppressed_by,
        override=pb.Override(
            conflict_id=c.override.conflict_id,
            reason=_to_pb_enum(c.override.reason, pb.OverrideReason, "OVERRIDE_REASON"),
            comment=c.override.comment,
            overridden_by=c.override.overridden_by,
            asserted_by_client=c.override.asserted_by_client,
        )
        if c.override
        else None,
    )


def _strength_to_pb(strength: EvidenceStrength) -> pb.EvidenceStrength:
    graded = strength.graded_severity
    return pb.EvidenceStrength(
        independent_sources=strength.independent_sources,
        graded_severity=_to_pb_enum(graded, pb.Severity, "SEVERITY") if graded is not None else None,
        official=strength.official,
        has_mechanism=strength.has_mechanism,
        has_management=strength.has_management,
        ungraded_only=strength.ungraded_only,
        derived_only=strength.derived_only,
        class_only=strength.class_only,
        label=strength.label,
        support=[
            pb.EvidenceSupport(
                source=s.source,
                family=s.family,
                kind=s.kind.value,
                level=s.level,
                severity=_to_pb_enum(s.severity, pb.Severity, "SEVERITY") if s.severity is not None else None,
                has_text=s.has_text,
            )
            for s in strength.support
        ],
    )


# Most conflicts share their rule's strength object (core.evidence): converted once per object.
_strength_pb = IdentityMemo(_strength_to_pb, 4096)


def _tier_counts_pb(conflicts: Sequence[Conflict]) -> pb.TierCounts:
    counts = tier_counts(conflicts)
    return pb.TierCounts(act=counts[DisplayTier.ACT], review=counts[DisplayTier.REVIEW], info=counts[DisplayTier.INFO])


def _entry_to_pb(e: RecordEntry) -> pb.RecordEntry:
    return pb.RecordEntry(
        kind=_to_pb_enum(e.kind, pb.RecordEntryKind, "RECORD_ENTRY_KIND"),
        id=e.id,
        text=e.text,
        start_date=e.start_date.isoformat() if e.start_date else "",
        end_date=e.end_date.isoformat() if e.end_date else "",
        status=e.status,
        window_basis=e.window_basis.value if e.window_basis else "",
        window_text=e.window_text,
    )


def _notice_to_pb(n: Notice) -> pb.Notice:
    return pb.Notice(
        kind=_to_pb_enum(n.kind, pb.NoticeKind, "NOTICE_KIND"),
        line_index=n.line_index,
        record_entry_id=n.record_entry_id,
        message=_text(n.message),
    )


def _text(t: LocalizedText) -> pb.LocalizedText:
    return pb.LocalizedText(vi=t.vi, en=t.en)


def audit_to_pb(rows: Sequence[AuditRow], chain: ChainReport) -> pb.AuditTrail:
    return pb.AuditTrail(
        events=[
            pb.AuditEvent(
                seq=r.seq,
                at=r.at,
                client=r.client,
                user=r.user,
                roles=r.roles,
                purpose=r.purpose,
                action=r.action,
                subject=r.subject,
                outcome=r.outcome,
            )
            for r in rows
        ],
        chain_intact=chain.ok,
        chain_problem=chain.problem,
        rows_verified=chain.rows,
    )


def rendered_report_to_pb(rendered: RenderedReport) -> pb.RenderedReport:
    return pb.RenderedReport(content_type=rendered.content_type, language=rendered.language, content=rendered.content)


def eprescription_request_from_pb(msg: pb.CheckEPrescriptionRequest, *, stored_patient: bool) -> CheckRequest:
    """The national e-prescription body as a ``CheckRequest``; bad JSON names ``body_json``."""
    limit = Limits().max_body_bytes
    if len(msg.body_json) > limit:
        raise InvalidRequest("body_json", f"longer than {limit} characters")
    try:
        body = json.loads(msg.body_json)
    except json.JSONDecodeError as error:
        raise InvalidRequest("body_json", f"not JSON: {error.msg} at line {error.lineno}") from None
    except RecursionError:
        # The decoder recurses per nesting level; the body has at most two levels (lines, diagnoses).
        raise InvalidRequest("body_json", "nested too deeply for an e-prescription") from None
    request = eprescription_to_check_request(body, stored_patient=stored_patient)
    as_of = _date(msg.as_of, "as_of")
    return request.model_copy(update={"as_of": as_of}) if as_of else request
