"""The record store's contract. DuckDB is the embedded default (``rxsafe.ehr.duckdb_store``)."""

from __future__ import annotations

from typing import Protocol

from rxsafe.core.models import CommitResult, ConflictReport, Override, PatientRecord, StoredCheck
from rxsafe.ehr.audit import AuditEvent, AuditRow, ChainReport


class RecordStore(Protocol):
    """Patients, their allergies and medications, checks and committed prescriptions, one version per patient.

    Every method is synchronous and may block: the service calls them off the event loop.
    Errors: ``rxsafe.core.errors`` (``StaleCheck``, ``IdempotencyKeyReused``, ``CheckNotFound``, ``Unavailable``).
    """

    def get_patient(self, patient_id: str) -> PatientRecord | None:
        """The patient's record with its current ``record_version``, or None."""
        ...

    def upsert_patient(self, record: PatientRecord, *, source: str = "import") -> PatientRecord:
        """Replaces the patient's record (seed, import) in one transaction and returns it with its version.

        The version is bumped only when something changed, so re-importing the same record does not make
        every pending check stale. Every row written keeps ``source`` (where it came from).
        """
        ...

    def count_patients(self) -> int:
        """How many patients the store holds (the demo seed only fills an empty store)."""
        ...

    def save_check(
        self, stored: StoredCheck, audit: AuditEvent | None = None, template: ConflictReport | None = None
    ) -> None:
        """Stores a check report (and the prescription it checked) under ``stored.report.check_id``.

        ``audit`` is appended to the audit trail in the same transaction. ``template``, when given, is the same
        report without its check id and time; a store may keep one stored form of it for every such check.
        """
        ...

    def get_check(self, check_id: str) -> StoredCheck | None:
        """The stored check, with ``prescription_id`` set on its report once committed."""
        ...

    def get_check_by_prescription(self, prescription_id: str) -> StoredCheck | None:
        """The check a committed prescription came from (with its overrides), or None."""
        ...

    def find_commit(self, idempotency_key: str) -> CommitResult | None:
        """The stored answer for an idempotency key, marked ``replayed=True``, or None."""
        ...

    def commit_prescription(
        self,
        *,
        check_id: str,
        overrides: tuple[Override, ...],
        idempotency_key: str,
        prescriber_id: str,
        committed_at: str,
        audit: AuditEvent | None = None,
    ) -> CommitResult:
        """Writes the checked prescription into the patient's record, atomically.

        In one transaction: if the key was used before, returns that answer (``replayed=True``) when it was for
        the same check, else raises ``IdempotencyKeyReused``; raises ``StaleCheck`` (saying what changed) when the
        patient's ``record_version`` differs from the check's; else writes the prescription, one medication row
        per line (start date = the check's ``as_of``), the overrides, bumps the version and returns the answer.
        """
        ...

    def record_audit(self, event: AuditEvent) -> None:
        """Appends one event to the hash-chained audit trail."""
        ...

    def verify_audit(self) -> ChainReport:
        """Checks the audit chain; names the first changed, removed or cut-off row."""
        ...

    def audit_events(self, patient_id: str | None = None) -> list[AuditRow]:
        """The audit trail, or its rows about one patient."""
        ...

    def close(self) -> None: ...
