"""``SafetyService``: check, commit and read back, over the knowledge base, the resolver and the record store."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Hashable, Sequence
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from rxsafe.app.actor import Actor, local_actor
from rxsafe.app.caching import BoundedCache, CachingResolver
from rxsafe.app.context import build_context
from rxsafe.app.identity import identity_notice, with_notice
from rxsafe.app.metrics import Metrics
from rxsafe.app.recheck import what_changed
from rxsafe.app.requests import (
    CheckRequest,
    Limits,
    check_answer_budget,
    check_identifier,
    check_work_budget,
    validate_check_request,
    validate_commit_fields,
)
from rxsafe.core.engine import check
from rxsafe.core.enums import AllergyStatus
from rxsafe.core.errors import (
    CheckNotFound,
    CommitRefused,
    IdempotencyKeyReused,
    InvalidRequest,
    NotFound,
    PatientNotFound,
    Unavailable,
)
from rxsafe.core.knowledge_port import Knowledge
from rxsafe.core.models import (
    CheckedLine,
    CommitResult,
    ConflictReport,
    Override,
    PatientContext,
    PatientRecord,
    PrescriptionLine,
    StoredCheck,
)
from rxsafe.core.overrides import verify_overrides
from rxsafe.core.policy import Policy
from rxsafe.ehr.audit import AuditAction, AuditEvent, AuditRow, ChainReport
from rxsafe.ehr.identifiers import is_personal_id, mask_personal_id
from rxsafe.ehr.store import RecordStore
from rxsafe.matching.dosage_form import form_families
from rxsafe.matching.dose import parse_dose
from rxsafe.matching.port import Resolver
from rxsafe.memo import ContentKey, IdentityMemo

Clock = Callable[[], datetime]
# Dose texts recur ("1 viên/lần * 2 lần/ngày"); a parsed instruction is immutable, so one serves every line.
_parse_dose = lru_cache(maxsize=4096)(parse_dose)


# Check dates are Vietnamese calendar dates: a prescription written at 06:30 in Hà Nội is "today" there.
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def vietnam_now() -> datetime:
    return datetime.now(VIETNAM)


# Memory, measured with tracemalloc: a result holds ~10 KB of Python objects per conflict (a polypharmacy
# report of 85 conflicts ~0.75 MB), so the result memo is bounded by conflicts held, ~20 MB at most: 20
# polypharmacy results, or hundreds of small ones (`make bench`: RSS 408 MB after 600 distinct prescriptions with
# 4,000; the budget is 400 MB). What it serves is the same prescription checked again soon
# (the pharmacy's pre-dispense check after the prescriber's). The edge's caches of wire and stored forms follow
# the RESULT_MEMO_SIZE most recent results.
RESULT_MEMO_CONFLICTS = 2000
RESULT_MEMO_SIZE = 32
# Patient contexts (a record version resolved and its windows judged on one date), bounded by the medications they
# hold: the record of a patient being prescribed for is read again on every edit and at dispensing, and each
# context carries the patient's interaction graph (core.patient_index), so a new line costs lookups, not a scan.
CONTEXT_MEMO_MEDICATIONS = 4000


class SafetyService:
    """The use cases of rxsafe, free of gRPC: the servicer and the CLI both call these.

    ``store`` may be None for in-process checks of inline patients (nothing is stored then).
    """

    def __init__(
        self,
        *,
        knowledge: Knowledge,
        resolver: Resolver,
        store: RecordStore | None,
        policy: Policy | None = None,
        limits: Limits | None = None,
        clock: Clock = vietnam_now,
        metrics: Metrics | None = None,
    ) -> None:
        self.knowledge = knowledge
        self.resolver: Resolver = CachingResolver(resolver)
        self.store = store
        self.policy = policy or Policy()
        self.limits = limits or Limits()
        self.clock = clock
        self.metrics = metrics or Metrics()
        # Whole check results by what determines them (see ``_evaluate``); the knowledge is fixed per process.
        self._results: BoundedCache[Hashable, ConflictReport] = BoundedCache(
            RESULT_MEMO_CONFLICTS, weigh=lambda report: len(report.conflicts) + len(report.lines)
        )
        # An inline patient sent again arrives as the same object (the conversion layer memoises it): its
        # allergy-status inference and its content key are worked out once.
        self._contexts: BoundedCache[Hashable, PatientContext] = BoundedCache(
            CONTEXT_MEMO_MEDICATIONS, weigh=lambda context: len(context.active_medications) + 1
        )
        self._inline_record = IdentityMemo(_with_inferred_allergy_status)
        self._content_key = IdentityMemo(ContentKey)

    def check(self, request: CheckRequest, actor: Actor | None = None) -> ConflictReport:
        """Validates, loads the patient, resolves every line, runs the checks and stores the report (audited)."""
        started = time.perf_counter()
        validate_check_request(request, self.limits)
        now = self.clock()
        as_of = request.as_of or now.date()
        record = self._patient(request)
        result = self._evaluate(record, as_of, request.prescription.lines)
        mismatch = identity_notice(record, request.claimed_identity)
        if mismatch is not None:
            result = with_notice(result, mismatch)
        report = result.model_copy(
            update={"check_id": "chk-" + uuid.uuid4().hex, "checked_at": now.isoformat(timespec="seconds")}
        )
        if self.store is not None:
            stored = StoredCheck(
                report=report, prescription=request.prescription, inline_patient=request.patient is not None
            )
            event = self._event(actor, AuditAction.CHECK, record.patient_id, report.check_id, report.verdict.value)
            self.store.save_check(stored, audit=event, template=result)
        self.metrics.record_check(report, (time.perf_counter() - started) * 1000)
        return report

    def recheck(self, prescription_id: str, as_of: date | None = None, actor: Actor | None = None) -> ConflictReport:
        """Checks a committed prescription again, against the record and the knowledge as they are now.

        For a pharmacy dispensing days later, or a doctor re-using an old prescription: the report says which
        conflicts are new, changed in severity or display tier, or gone since the check it was committed on
        (``rxsafe.app.recheck``). The prescription's own rows in the record (written when it was committed) are
        left out, or it would duplicate itself.
        """
        if not prescription_id:
            raise InvalidRequest("prescription_id", "required")
        check_identifier("prescription_id", prescription_id, self.limits)
        store = self._store()
        original = store.get_check_by_prescription(prescription_id)
        if original is None:
            raise NotFound(f"no committed prescription {prescription_id!r}")
        before = original.report
        record = store.get_patient(before.patient_id)
        if record is None:
            raise PatientNotFound("the prescription's patient is no longer in the record store")
        now = self.clock()
        others = tuple(m for m in record.medications if m.prescription_id != prescription_id)
        current = record.model_copy(update={"medications": others})
        report = self._evaluate(
            current, as_of or now.date(), original.prescription.lines, identity=("recheck", prescription_id)
        )
        info = what_changed(prescription_id, before, report)
        report = report.model_copy(
            update={
                "check_id": "chk-" + uuid.uuid4().hex,
                "checked_at": now.isoformat(timespec="seconds"),
                "recheck": info,
            }
        )
        stored = StoredCheck(report=report, prescription=original.prescription)
        event = self._event(actor, AuditAction.RECHECK, before.patient_id, report.check_id, report.verdict.value)
        store.save_check(stored, audit=event)
        return report

    def _evaluate(
        self,
        record: PatientRecord,
        as_of: date,
        lines: tuple[PrescriptionLine, ...],
        identity: Hashable = None,
    ) -> ConflictReport:
        """The check itself, memoised: same record (version), date, lines and policy give the same report.

        A stored patient is identified by id and record version (the store bumps it on every change), plus
        ``identity`` when the record was narrowed (a re-check); an inline patient by its whole content.
        """
        who: Hashable = (
            (record.patient_id, record.record_version, identity) if record.record_version else self._content_key(record)
        )
        key = (who, as_of, lines, self.policy.fingerprint, self.knowledge.version)
        cached = self._results.get(key)
        if cached is not None:
            return cached
        context_key = (who, as_of, self.policy.label, self.knowledge.version)
        context = self._contexts.get(context_key)
        if context is None:
            context = build_context(record, as_of, self.resolver, self.policy)
            self._contexts.put(context_key, context)
        # The work budget, before the checks: their cost grows with lines x (lines + medications + allergies).
        check_work_budget(len(lines), len(context.active_medications), len(context.allergies), self.limits)
        checked = tuple(
            CheckedLine(
                index=i,
                line=line,
                resolution=self.resolver.resolve_line(line),
                dose=_parse_dose(line.dose_text or line.text),
                routes=tuple(sorted(form_families(f"{line.text} {line.dose_text}"))),
            )
            for i, line in enumerate(lines)
        )
        report = check(context, checked, self.knowledge, self.policy)
        check_answer_budget(len(report.conflicts), self.limits)
        self._results.put(key, report)
        return report

    def commit(
        self,
        *,
        check_id: str,
        overrides: Sequence[Override],
        idempotency_key: str,
        prescriber_id: str = "",
        actor: Actor | None = None,
    ) -> CommitResult:
        """Writes a checked prescription into the record; a retry with the same key returns the first answer.

        Every attempt is audited: the commit in its own transaction, a refusal as a row of its own.
        """
        if not check_id:
            raise InvalidRequest("check_id", "required")
        if not idempotency_key:
            raise InvalidRequest("idempotency_key", "required, so that a retry never writes twice")
        validate_commit_fields(check_id, idempotency_key, prescriber_id, tuple(overrides), self.limits)
        if actor is not None:
            # The user is what the calling system says; the system itself is who authenticated.
            overrides = tuple(o.model_copy(update={"asserted_by_client": actor.client}) for o in overrides)
        store = self._store()
        replay = store.find_commit(idempotency_key)
        if replay is not None and replay.check_id == check_id:
            self._refuse_other_body(replay.check_id, overrides, idempotency_key, actor)
            self.metrics.record_commit("replayed", None, ())
            return replay
        stored = store.get_check(check_id)
        if stored is None:
            raise CheckNotFound(f"no check {check_id!r}")
        patient_id = stored.report.patient_id
        try:
            verify_overrides(stored.report, overrides, self.policy, actor.roles if actor else None)
            result = store.commit_prescription(
                check_id=check_id,
                overrides=tuple(overrides),
                idempotency_key=idempotency_key,
                prescriber_id=prescriber_id,
                committed_at=self.clock().isoformat(timespec="seconds"),
                audit=self._event(actor, AuditAction.COMMIT, patient_id, check_id, f"{len(overrides)} override(s)"),
            )
        except (CommitRefused, InvalidRequest) as refused:
            store.record_audit(
                self._event(actor, AuditAction.COMMIT_REFUSED, patient_id, check_id, type(refused).__name__)
            )
            self.metrics.record_commit(f"refused:{type(refused).__name__}", None, ())
            raise
        self.metrics.record_commit("replayed" if result.replayed else "committed", stored.report, overrides)
        return result

    def _refuse_other_body(
        self, check_id: str, overrides: Sequence[Override], idempotency_key: str, actor: Actor | None
    ) -> None:
        """A retry must repeat the first commit: the same key with other overrides is refused, not replayed.

        Silently answering the first commit would tell the caller its new overrides (or their reasons) were
        recorded when they were not.
        """
        stored = self._store().get_check(check_id)
        if stored is None:
            return
        committed = {_override_terms(c.override) for c in stored.report.conflicts if c.override is not None}
        if committed == {_override_terms(o) for o in overrides}:
            return
        refused = IdempotencyKeyReused(
            f"idempotency key {idempotency_key[:64]!r} was already used for a commit of this check with other "
            "overrides: a retry must repeat the first request, a new commit needs a new key"
        )
        self._store().record_audit(
            self._event(actor, AuditAction.COMMIT_REFUSED, stored.report.patient_id, check_id, type(refused).__name__)
        )
        self.metrics.record_commit(f"refused:{type(refused).__name__}", None, ())
        raise refused

    def get_check(self, check_id: str, actor: Actor | None = None) -> ConflictReport:
        """A stored report, with its overrides once committed (the read is audited)."""
        if not check_id:
            raise InvalidRequest("check_id", "required")
        check_identifier("check_id", check_id, self.limits)
        store = self._store()
        stored = store.get_check(check_id)
        if stored is None:
            raise CheckNotFound(f"no check {check_id!r}")
        store.record_audit(self._event(actor, AuditAction.READ_CHECK, stored.report.patient_id, check_id, "ok"))
        return stored.report

    def replace_knowledge(self, knowledge: Knowledge, resolver: Resolver, actor: Actor | None = None) -> str:
        """Swaps in a new knowledge build (and the vocabulary built from it); returns the previous version.

        Checks already running finish on the build they started with; every later check uses the new one, and
        memoised results never cross builds (the version is part of their key).
        """
        previous = self.knowledge.version
        self.resolver = CachingResolver(resolver)
        self.knowledge = knowledge
        if self.store is not None:
            outcome = f"{previous} -> {knowledge.version}"
            self.store.record_audit(self._event(actor, AuditAction.RELOAD, "", "knowledge", outcome))
        return previous

    def replace_policy(self, policy: Policy, actor: Actor | None = None) -> Policy:
        """Swaps in a facility policy read again (tier rules, suppression list …); returns the previous one.

        A change (any difference, not only a new version) is audited with both descriptions; memoised results
        never cross policies (the fingerprint is part of their key).
        """
        previous = self.policy
        self.policy = policy
        if self.store is not None and previous.fingerprint != policy.fingerprint:
            outcome = f"{previous.describe()} -> {policy.describe()}"
            self.store.record_audit(self._event(actor, AuditAction.RELOAD, "", "policy", outcome))
        return previous

    def record_policy_in_force(self, actor: Actor | None = None) -> None:
        """Audits the policy the service starts with, so the trail shows every policy that shaped a report."""
        if self.store is not None:
            self.store.record_audit(self._event(actor, AuditAction.RELOAD, "", "policy", self.policy.describe()))

    def audit_trail(self, patient_id: str | None) -> tuple[list[AuditRow], ChainReport]:
        """The audit rows (about one patient, or all) and the verification of the whole chain."""
        if patient_id is not None and not is_personal_id(patient_id):
            raise InvalidRequest("patient_id", "must be the 12-digit personal identification number")
        store = self._store()
        return store.audit_events(patient_id), store.verify_audit()

    def _event(
        self, actor: Actor | None, action: AuditAction, patient_id: str, subject: str, outcome: str
    ) -> AuditEvent:
        who = actor or local_actor()
        return AuditEvent(
            at=self.clock().isoformat(timespec="seconds"),
            client=who.client,
            user=who.user,
            roles=",".join(who.roles),
            purpose=who.purpose,
            action=action,
            patient_id=patient_id,
            subject=subject,
            outcome=outcome,
        )

    def _patient(self, request: CheckRequest) -> PatientRecord:
        if request.patient is not None:
            return self._inline_record(request.patient)
        if request.patient_id is None:
            raise InvalidRequest("patient", "give either patientId (stored record) or patient (inline record)")
        record = self._store().get_patient(request.patient_id)
        if record is None:
            raise PatientNotFound(
                f"no patient with personal ID {mask_personal_id(request.patient_id)} in the record store"
            )
        return record

    def _store(self) -> RecordStore:
        if self.store is None:
            raise Unavailable("no record store is configured: start the service with --db, or give the patient inline")
        return self.store


def _override_terms(override: Override) -> tuple[str, str, str, str]:
    """What a commit request said about one override (not who asserted it: the server adds that)."""
    return (override.conflict_id, override.reason.value, override.comment, override.overridden_by)


def _with_inferred_allergy_status(patient: PatientRecord) -> PatientRecord:
    # Inline requests may leave the status unstated; the conversion layer marks that as NOT_RECORDED, and a
    # listed allergy is itself proof that the history was taken.
    if patient.allergies and patient.allergy_status is AllergyStatus.NOT_RECORDED:
        return patient.model_copy(update={"allergy_status": AllergyStatus.LISTED})
    return patient
