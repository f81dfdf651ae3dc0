"""The embedded record store: one DuckDB file, one process, implementing ``rxsafe.ehr.store.RecordStore``.

Concurrency. DuckDB lets one process write a file. Inside it, the service calls the store from worker threads
(``asyncio.to_thread``). A single DuckDB connection must not be used by two threads at once, so every call takes
its own cursor (``conn.cursor()``: a connection to the same database, ~6 µs to open). Writes are serialised by a
``threading.Lock``: DuckDB's optimistic concurrency would otherwise abort one of two transactions touching the
same patient row, and serialising makes "look up, decide, write" in ``commit_prescription`` race-free without
retries. Reads take no lock; each runs in its own transaction, so the three queries of ``get_patient`` see one
snapshot even while a commit is running.

Durability. ``COMMIT`` returns only after the transaction is in the write-ahead log (``<file>.wal``) and the WAL
has been synced: with DuckDB's default ``fsync_mode = STANDARD`` a commit is an ``fdatasync`` of the WAL
(verified with strace on duckdb 2.0.1: write(wal) → fdatasync(wal) → COMMIT returns). An acknowledged commit
therefore survives a process or machine crash; DuckDB replays the WAL when the file is next opened, and
checkpoints it into the main file when the WAL passes ``checkpoint_threshold`` (16 MiB) or on a clean close.
Do not set ``fsync_mode = NONE`` on this store.

Failure. A file that cannot be opened or read, or a stored document that no longer validates, raises
``rxsafe.core.errors.Unavailable`` (the service answers UNAVAILABLE, never a clean pass). Messages name the
operation and the error class only: DuckDB's own messages can quote key values, i.e. personal ID numbers.
"""

from __future__ import annotations

import hashlib
import queue
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
from pydantic import BaseModel

from rxsafe.core.enums import AllergyStatus, LactationStatus, OverrideReason, PregnancyStatus, Sex
from rxsafe.core.errors import (
    CheckNotFound,
    CommitRefused,
    IdempotencyKeyReused,
    InvalidRequest,
    PatientNotFound,
    StaleCheck,
    Unavailable,
)
from rxsafe.core.models import (
    Allergy,
    CommitResult,
    Condition,
    Conflict,
    ConflictReport,
    Medication,
    Observation,
    Override,
    PatientRecord,
    StoredCheck,
    Vaccination,
    Visit,
)
from rxsafe.ehr import audit as audit_log
from rxsafe.ehr import import_writer, serialize
from rxsafe.ehr.audit import AuditChain, AuditEvent, AuditRow, ChainReport, multi_row_insert
from rxsafe.ehr.identifiers import is_personal_id
from rxsafe.ehr.import_writer import (
    ALLERGIES,
    CONDITIONS,
    MEDICATIONS,
    OBSERVATIONS,
    VACCINATIONS,
    VISITS,
    Counts,
    Table,
    insert_rows,
    load_rep,
)
from rxsafe.ehr.imported import ParsedFile
from rxsafe.ehr.schema import SchemaTooNew, migrate
from rxsafe.memo import IdentityMemo, WeakIdentityMemo

if TYPE_CHECKING:
    from rxsafe.ehr.store import RecordStore

# The personal identification number: 12 digits, no published check digit (research/vietnam-context.md §3.1).

# Record entry ids are the row ids, with the table in front so an id in a report is unambiguous.
_ALLERGY_ID = "allergy-{}"
_MEDICATION_ID = "medication-{}"
_CONDITION_ID = "condition-{}"
_VACCINATION_ID = "vaccination-{}"
_OBSERVATION_ID = "observation-{}"
_ALLERGY_ID_RE = re.compile(r"allergy-([0-9]+)")
_MEDICATION_ID_RE = re.compile(r"medication-([0-9]+)")

DEFAULT_IMPORT_SOURCE = "import"

# The patient lookup, one statement per table; ``explain_patient_lookup`` runs the very same SQL. Entries are
# sorted by row id in Python: an ORDER BY adds a sort operator costing ~0.3 ms per lookup for a dozen rows.
_SELECT_PATIENT = """
    SELECT name, birth_date, sex, allergy_status, weight_kg, record_version,
           insurance_card, address, legal_rep_json, blood_group, height_cm, pregnancy_status, lactation_status
    FROM patients WHERE patient_id = ?
"""
# Column lists are import_writer's constants, shared with the importer so both read and write the same layout.
_SELECT_ALLERGIES = f"SELECT id, {', '.join(ALLERGIES.columns)} FROM allergies WHERE patient_id = ?"  # noqa: S608
_SELECT_MEDICATIONS = (
    f"SELECT id, {', '.join(MEDICATIONS.columns)}, prescription_id FROM medications WHERE patient_id = ?"  # noqa: S608
)
# Conditions, vaccinations, observations and visits in one statement (rows tagged by table), so loading a patient
# costs one more round trip, not four.
_SELECT_GROUPS = """
    SELECT 'c' AS t, id, code AS a, text AS b, onset_date AS d1, place AS c, role AS e, clinical_status AS f,
           NULL::DOUBLE AS n1, NULL::DOUBLE AS n2, NULL::TIMESTAMP AS t1, NULL::TIMESTAMP AS t2,
           '' AS g, '' AS h, '' AS i, '' AS j, NULL::INTEGER AS dose
    FROM conditions WHERE patient_id = $1
    UNION ALL
    SELECT 'v', id, vaccine, antigen, given_date, '', '', '', NULL, NULL, NULL, NULL, '', '', '', '', dose_number
    FROM vaccinations WHERE patient_id = $1
    UNION ALL
    SELECT 'o', id, code, name, NULL, value_text, unit, conclusion, value, NULL, effective, NULL, '', '', '', '', NULL
    FROM observations WHERE patient_id = $1
    UNION ALL
    SELECT 'e', id, visit_key, facility, NULL, visit_type, reason, result, height_cm, weight_kg, admitted, discharged,
           discharge_diagnosis, blood_group, procedures, follow_up, NULL
    FROM visits WHERE patient_id = $1
"""


def _now() -> str:
    return datetime.now(UTC).isoformat()


def new_prescription_id() -> str:
    """``rx-`` + a random UUID: unguessable, and unique without a counter that would need its own lock."""
    return f"rx-{uuid.uuid4().hex}"


class DuckDBRecordStore:
    """``RecordStore`` over one DuckDB file. Thread-safe; usable as a context manager."""

    def __init__(self, path: Path | str) -> None:
        self._path = Path(path)
        self._write_lock = threading.Lock()
        self._closed = False
        try:
            # DuckDB's buffer pool defaults to 80 % of the machine's memory; the service's budget is 400 MB in all.
            self._conn = duckdb.connect(str(self._path), config={"memory_limit": MEMORY_LIMIT})
        except duckdb.Error as exc:
            # Opening errors carry no patient data (a lock held by another process, not a DuckDB file, …).
            raise Unavailable(f"record store {self._path.name} cannot be opened: {exc}") from exc
        try:
            migrate(self._conn)
        except (duckdb.Error, SchemaTooNew) as exc:
            self._conn.close()
            raise Unavailable(f"record store {self._path.name} cannot be prepared: {exc}") from exc
        # Patients as last read. This process is the file's only writer (DuckDB locks it), so every change passes
        # through ``_write``, which bumps the generation and empties the cache: a cached record is never stale.
        self._patients: dict[str, PatientRecord | None] = {}
        self._generation = 0
        self._cache_lock = threading.Lock()
        self._writer_cursor: duckdb.DuckDBPyConnection | None = None  # the check writer thread's own
        # Report bodies of memoised results, made once per result (see ``_report_body``), and the hashes of the
        # bodies known to be committed (the writer thread's own).
        self._template_body = IdentityMemo(_parts_body_of, _REPORT_BODIES_MAX)
        self._stored_bodies: set[str] = set()
        self._checks = CheckWriter(self._save_checks)
        self._audit = AuditChain()

    # --- plumbing ---------------------------------------------------------------------------------------------

    @contextmanager
    def _guard(self, operation: str) -> Iterator[None]:
        """Maps any DuckDB error to ``Unavailable``; domain errors raised inside pass through unchanged."""
        if self._closed:
            raise Unavailable("record store is closed")
        try:
            yield
        except duckdb.Error as exc:
            raise Unavailable(f"record store: {operation} failed ({type(exc).__name__})") from exc

    @contextmanager
    def _read(self, operation: str) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor in a transaction of its own: several statements, one consistent snapshot."""
        with self._guard(operation):
            cur = self._conn.cursor()
            try:
                cur.begin()
                yield cur
                cur.commit()
            finally:
                # Closing a cursor with its transaction still open (after an error) rolls it back.
                cur.close()

    @contextmanager
    def _write(
        self, operation: str, cursor: duckdb.DuckDBPyConnection | None = None
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write transaction at a time: COMMIT on success, ROLLBACK on any error (then re-raised).

        ``cursor`` is a long-lived cursor of the calling thread (the check writer's): opening a cursor costs about
        as much as writing a check.
        """
        with self._write_lock, self._guard(operation):
            cur = cursor or self._conn.cursor()
            try:
                cur.begin()
                try:
                    yield cur
                except BaseException:
                    # Keep the original error: a failing rollback (database invalidated) must not mask it.
                    with suppress(duckdb.Error):
                        cur.rollback()
                    self._audit.forget()  # its cached head may name rows that were just rolled back
                    raise
                cur.commit()
                if operation not in _LEAVES_PATIENTS_ALONE:
                    with self._cache_lock:
                        self._generation += 1
                        self._patients.clear()
            finally:
                if cursor is None:
                    cur.close()

    # --- patients ---------------------------------------------------------------------------------------------

    def get_patient(self, patient_id: str) -> PatientRecord | None:
        """The patient's record with its current ``record_version``, or None.

        Allergies and medications come in row order (the order they were recorded); their ids are the row ids
        (``"allergy-12"``, ``"medication-40"``) and stay the same for as long as the row exists.
        """
        with self._cache_lock:
            if patient_id in self._patients:
                return self._patients[patient_id]
            generation = self._generation
        with self._read("get_patient") as cur:
            record = self._load_patient(cur, patient_id)
        with self._cache_lock:
            # Only if no write committed while we read: otherwise what we read may already be old.
            if generation == self._generation and len(self._patients) < _PATIENT_CACHE_MAX:
                self._patients[patient_id] = record
        return record

    def count_patients(self) -> int:
        """How many patients the store holds (the demo seed runs only on an empty store)."""
        with self._read("count_patients") as cur:
            row = cur.execute("SELECT count(*) FROM patients").fetchone()
        return int(row[0]) if row is not None else 0

    def import_file(self, parsed: ParsedFile) -> Counts | None:
        """Writes one parsed file in one transaction; None when this exact file was imported before.

        All or nothing: any error rolls the whole file back. ``rxsafe.ehr.import_writer`` has the merge rules.
        """
        for patient_id in parsed.patients:
            _require_patient_id(patient_id)
        with self._write("import_file") as cur:
            if import_writer.already_imported(cur, parsed.sha256):
                return None
            return import_writer.write_file(cur, parsed, now=_now())

    def provenance(self, patient_id: str) -> dict[str, tuple[str, str, int | None]]:
        """Where each entry of the patient's record came from: record entry id → (source, table, row).

        ``source`` is the importing file's name for imported rows, else the row's ``source`` (seed, commit).
        """
        found: dict[str, tuple[str, str, int | None]] = {}
        with self._read("provenance") as cur:
            for table, prefix in (
                ("allergies", _ALLERGY_ID),
                ("medications", _MEDICATION_ID),
                ("conditions", _CONDITION_ID),
                ("vaccinations", _VACCINATION_ID),
                ("observations", _OBSERVATION_ID),
            ):
                rows = cur.execute(
                    f"SELECT id, source, source_file, source_table, source_row FROM {table} WHERE patient_id = ?",  # noqa: S608
                    [patient_id],
                ).fetchall()
                for row_id, source, source_file, source_table, source_row in rows:
                    found[prefix.format(row_id)] = (source_file or source, source_table or "", source_row)
        return found

    def upsert_patient(self, record: PatientRecord, *, source: str = DEFAULT_IMPORT_SOURCE) -> PatientRecord:
        """Replaces the patient's record in one transaction; returns it as stored, with its new version.

        ``source`` is written on every row this call creates or changes (``"demo seed (synthetic)"``,
        ``"import XML130 …"``). An allergy or medication whose id is a row id of this patient (as
        ``get_patient`` returned it) keeps its row, id and source when unchanged; other entries become new rows,
        and rows the record no longer lists are deleted. ``record.record_version`` is ignored: the store owns
        the version. It is bumped only when something changed, so re-importing the same record does not make
        every pending check stale.
        """
        _require_patient_id(record.patient_id)
        with self._write("upsert_patient") as cur:
            old = self._load_patient(cur, record.patient_id)
            changes: list[str] = []
            if old is None:
                version = 1
                changes.append("new patient record")
                cur.execute(
                    """
                    INSERT INTO patients (patient_id, name, birth_date, sex, allergy_status, weight_kg,
                                          insurance_card, address, legal_rep_json, blood_group, height_cm,
                                          pregnancy_status, lactation_status, record_version, source)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                    [*_patient_values(record), version, source],
                )
            else:
                version = old.record_version + 1
                if _demographics(old) != _demographics(record):
                    changes.append("demographics changed")
                if old.allergy_status != record.allergy_status:
                    changes.append(f"allergy status {old.allergy_status.value} → {record.allergy_status.value}")
                if old.pregnancy_status != record.pregnancy_status:
                    changes.append("pregnancy status changed")
                if old.lactation_status != record.lactation_status:
                    changes.append("breastfeeding status changed")
            changes += _replace_entries(
                cur,
                table=ALLERGIES,
                ids=_ALLERGY_ID_RE,
                patient_id=record.patient_id,
                new=record.allergies,
                old=old.allergies if old else (),
                source=source,
            )
            changes += _replace_entries(
                cur,
                table=MEDICATIONS,
                ids=_MEDICATION_ID_RE,
                patient_id=record.patient_id,
                new=record.medications,
                old=old.medications if old else (),
                source=source,
            )
            for table, new_rows, old_rows in (
                (CONDITIONS, record.conditions, old.conditions if old else ()),
                (VACCINATIONS, record.vaccinations, old.vaccinations if old else ()),
                (VISITS, record.visits, old.visits if old else ()),
                (OBSERVATIONS, record.observations, old.observations if old else ()),
            ):
                changes += _replace_group(
                    cur, table=table, patient_id=record.patient_id, new=new_rows, old=old_rows, source=source
                )
            if old is not None:
                if not changes:
                    return old
                cur.execute(
                    """
                    UPDATE patients SET name = ?, birth_date = ?, sex = ?, allergy_status = ?, weight_kg = ?,
                                        insurance_card = ?, address = ?, legal_rep_json = ?, blood_group = ?,
                                        height_cm = ?, pregnancy_status = ?, lactation_status = ?,
                                        record_version = ?, source = ?
                    WHERE patient_id = ?
                    """,
                    [*_patient_values(record)[1:], version, source, record.patient_id],
                )
            what = f"record updated ({source}): " + "; ".join(changes)
            self._log_change(cur, record.patient_id, version, what, _now())
            stored = self._load_patient(cur, record.patient_id)
        if stored is None:  # cannot happen: written in this very transaction
            raise Unavailable("record store: upsert_patient could not read back the record it wrote")
        return stored

    def _load_patient(self, cur: duckdb.DuckDBPyConnection, patient_id: str) -> PatientRecord | None:
        row = cur.execute(_SELECT_PATIENT, [patient_id]).fetchone()
        if row is None:
            return None
        name, birth_date, sex, allergy_status, weight_kg, record_version = row[:6]
        insurance_card, address, legal_rep_json, blood_group, height_cm, pregnancy_status, lactation_status = row[6:]
        allergies = tuple(
            Allergy(
                id=_ALLERGY_ID.format(a[0]),
                allergen=a[1],
                reaction=a[2],
                severity=a[3],
                recorded_date=a[4],
                allergy_type=a[5],
                verification_status=a[6],
            )
            for a in sorted(cur.execute(_SELECT_ALLERGIES, [patient_id]).fetchall(), key=_first)
        )
        medications = tuple(
            Medication(
                id=_MEDICATION_ID.format(m[0]),
                text=m[1],
                start_date=m[2],
                days=m[3],
                end_date=m[4],
                dose_text=m[5],
                national_drug_code=m[6],
                registration_number=m[7],
                strength=m[8],
                quantity=m[9],
                unit=m[10],
                route=m[11],
                prescriber=m[12],
                order_time=m[13],
                follow_up_date=m[14],
                prescription_id=m[15] or "",
            )
            for m in sorted(cur.execute(_SELECT_MEDICATIONS, [patient_id]).fetchall(), key=_first)
        )
        groups = _load_groups(cur.execute(_SELECT_GROUPS, [patient_id]).fetchall())
        return PatientRecord(
            patient_id=patient_id,
            name=name,
            birth_date=birth_date,
            sex=Sex(sex),
            allergy_status=AllergyStatus(allergy_status),
            pregnancy_status=PregnancyStatus(pregnancy_status),
            lactation_status=LactationStatus(lactation_status),
            allergies=allergies,
            medications=medications,
            weight_kg=weight_kg,
            record_version=record_version,
            insurance_card=insurance_card,
            address=address,
            legal_representative=load_rep(legal_rep_json),
            blood_group=blood_group,
            height_cm=height_cm,
            conditions=groups.conditions,
            vaccinations=groups.vaccinations,
            visits=groups.visits,
            observations=groups.observations,
        )

    def _log_change(self, cur: duckdb.DuckDBPyConnection, patient_id: str, version: int, what: str, at: str) -> None:
        cur.execute(
            "INSERT INTO record_changes (patient_id, version, what, changed_at) VALUES (?, ?, ?, ?)",
            [patient_id, version, what, at],
        )

    # --- checks -----------------------------------------------------------------------------------------------

    def save_check(
        self, stored: StoredCheck, audit: AuditEvent | None = None, template: ConflictReport | None = None
    ) -> None:
        """Stores a check report (and the prescription it checked) under ``stored.report.check_id``.

        Returns once the check (and its audit event) is committed. Checks saved at the same moment by several
        threads share one transaction (group commit): one log flush for many checks, not one each.

        ``template`` is the same report without its check id and time (the service's memoised result): its stored
        form is made once and kept, and the id and time go in their own columns. Anything else is stored whole.

        Saving the same check twice is a no-op (a retried save); a different check under an id already used is a
        programming error (``ValueError``): checks are an audit trail and are never overwritten.
        """
        report = stored.report
        if not report.check_id:
            raise ValueError("a check needs its check_id before it is stored")
        if self._closed:
            raise Unavailable("record store is closed")
        # Serialised here, in the caller's thread, so the writer thread only writes.
        body = self._report_body(report, template)
        row = (
            report.check_id,
            report.patient_id,
            report.record_version,
            body.reference if body is not None else serialize.dump_report(report),
            serialize.dump_prescription(stored.prescription),
            stored.inline_patient,
            report.checked_at,
        )
        self._checks.submit(PendingCheck(row=row, audit=audit, body=body))

    def _report_body(self, report: ConflictReport, template: ConflictReport | None) -> ReportBody | None:
        """The template's shared body when the report is the template plus its id and time, else None.

        Made once per template and kept; stored once per content hash (``report_bodies``), so a check whose
        result was seen before writes a row of a few hundred bytes instead of its ~20 KB report again.
        """
        if template is None or template.check_id or template.checked_at:
            return None
        if not _same_but_stamp(report, template):
            return None
        return self._template_body(template)

    def _save_checks(self, batch: list[PendingCheck]) -> list[BaseException | None]:
        """Writes a batch of checks in one transaction; returns each one's error (None when stored).

        Check ids are fresh random UUIDs, so the batch is written without looking first; only if the primary key
        refuses it (a retried save) is it written again one check at a time, each compared with what is stored.
        """
        try:
            if self._writer_cursor is None:
                with self._guard("save_check"):
                    self._writer_cursor = self._conn.cursor()
            new_bodies = {
                b.body_hash: b
                for i in batch
                if i.body is not None
                for b in (*i.body.parts, i.body)
                if b.body_hash not in self._stored_bodies
            }
            with self._write("save_check", self._writer_cursor) as cur:
                now = _now()
                if new_bodies:
                    cur.execute(
                        multi_row_insert(_INSERT_BODY, len(new_bodies)),
                        [v for b in new_bodies.values() for v in (b.body_hash, b.body)],
                    )
                # One statement for the whole batch: DuckDB's cost is per statement, not per row.
                cur.execute(multi_row_insert(_INSERT_CHECK, len(batch)), [v for i in batch for v in (*i.row, now)])
                self._audit.append(cur, [item.audit for item in batch if item.audit is not None])
            self._remember_bodies(new_bodies.keys())
        except Unavailable as error:
            if not isinstance(error.__cause__, duckdb.ConstraintException):
                raise
            return [self._save_one(item) for item in batch]
        return [None] * len(batch)

    def _save_one(self, item: PendingCheck) -> BaseException | None:
        check_id = item.row[0]
        with self._write("save_check") as cur:
            row = cur.execute(
                "SELECT report_json, prescription_json, inline_patient, checked_at FROM checks WHERE check_id = ?",
                [check_id],
            ).fetchone()
            if row is not None:
                same = tuple(row) == item.row[3:]
                return None if same else ValueError(f"check {check_id} is already stored with other content")
            if item.body is not None:
                for body in (*item.body.parts, item.body):
                    cur.execute(_INSERT_BODY, [body.body_hash, body.body])
            cur.execute(_INSERT_CHECK, [*item.row, _now()])
            if item.audit is not None:
                self._audit.append(cur, [item.audit])
        if item.body is not None:
            self._remember_bodies([b.body_hash for b in (*item.body.parts, item.body)])
        return None

    def _remember_bodies(self, hashes: Iterable[str]) -> None:
        """Bodies now committed (writer thread only): later checks refer to them without writing them again."""
        if len(self._stored_bodies) > _STORED_BODIES_MAX:
            self._stored_bodies.clear()  # forgetting costs one ignored insert per body, never a missing one
        self._stored_bodies.update(hashes)

    def get_check(self, check_id: str) -> StoredCheck | None:
        """The stored check, with ``prescription_id`` set on its report once committed."""
        with self._read("get_check") as cur:
            return self._load_check(cur, check_id)

    def _load_check(self, cur: duckdb.DuckDBPyConnection, check_id: str) -> StoredCheck | None:
        row = cur.execute(
            """
            SELECT c.report_json, c.prescription_json, c.inline_patient, p.prescription_id, c.checked_at
            FROM checks c LEFT JOIN prescriptions p ON p.check_id = c.check_id
            WHERE c.check_id = ?
            """,
            [check_id],
        ).fetchone()
        if row is None:
            return None
        report_json, prescription_json, inline_patient, prescription_id, checked_at = row
        if report_json.startswith(_BODY_REF):
            # A lookup by key of its own: a join would read every stored body to find one.
            body = cur.execute(
                "SELECT body FROM report_bodies WHERE body_hash = ?", [report_json.removeprefix(_BODY_REF)]
            ).fetchone()
            if body is None:
                raise Unavailable("record store: a stored check's report body is missing")
            report_json = body[0]
            if report_json.startswith(_PARTS):
                report_json = self._joined(cur, report_json)
        stored = serialize.load_stored_check(
            report_json,
            prescription_json,
            inline_patient=inline_patient,
            prescription_id=prescription_id or "",
            check_id=check_id,
            checked_at=checked_at or "",
        )
        if not prescription_id:
            return stored
        # Wherever a committed prescription is read, its overrides (and their reasons) are shown with it.
        overrides = {
            conflict_id: Override(
                conflict_id=conflict_id,
                reason=OverrideReason(reason),
                comment=comment or "",
                overridden_by=by or "",
                asserted_by_client=client or "",
            )
            for conflict_id, reason, comment, by, client in cur.execute(
                "SELECT o.conflict_id, o.reason, o.comment, o.overridden_by, c.asserted_by_client FROM overrides o"
                " LEFT JOIN override_clients c ON c.prescription_id = o.prescription_id"
                " AND c.conflict_id = o.conflict_id WHERE o.prescription_id = ?",
                [prescription_id],
            ).fetchall()
        }
        conflicts = tuple(c.model_copy(update={"override": overrides.get(c.id)}) for c in stored.report.conflicts)
        report = stored.report.model_copy(update={"conflicts": conflicts})
        return stored.model_copy(update={"report": report})

    def _joined(self, cur: duckdb.DuckDBPyConnection, body: str) -> str:
        """The report JSON of a ``_PARTS`` body: its head with its conflicts' bodies read back in."""
        head, _, refs = body.removeprefix(_PARTS).rpartition(_PARTS_SEPARATOR)
        hashes = refs.split(",") if refs else []
        wanted = sorted(set(hashes))
        found: dict[str, str] = {}
        for start in range(0, len(wanted), _PARTS_PER_QUERY):
            chunk = wanted[start : start + _PARTS_PER_QUERY]
            marks = ", ".join("?" * len(chunk))
            rows = cur.execute(f"SELECT body_hash, body FROM report_bodies WHERE body_hash IN ({marks})", chunk)  # noqa: S608 -- placeholders only
            found.update(rows.fetchall())
        if len(found) != len(wanted):
            raise Unavailable("record store: a stored check's conflict bodies are missing")
        return serialize.join_report(head, [found[h] for h in hashes])

    def check_ids_between(self, low: str, high: str, limit: int = 2) -> list[str]:
        """Stored check ids from ``low`` to ``high`` (inclusive), at most ``limit``: a CDS card names its check so."""
        with self._read("check_ids_between") as cur:
            rows = cur.execute(
                "SELECT check_id FROM checks WHERE check_id BETWEEN ? AND ? ORDER BY check_id LIMIT ?",
                [low, high, limit],
            ).fetchall()
            return [str(row[0]) for row in rows]

    # --- commits ----------------------------------------------------------------------------------------------

    def checks_since(self, since: str = "") -> list[StoredCheck]:
        """Every stored check made at or after ``since`` (an ISO date or time; "" for all), oldest first."""
        with self._read("checks_since") as cur:
            ids = cur.execute(
                "SELECT check_id FROM checks WHERE created_at >= ? ORDER BY created_at, check_id", [since]
            ).fetchall()
            found = (self._load_check(cur, str(row[0])) for row in ids)
            return [check for check in found if check is not None]

    def get_check_by_prescription(self, prescription_id: str) -> StoredCheck | None:
        """The check a committed prescription came from (with its overrides), or None."""
        with self._read("get_check_by_prescription") as cur:
            row = cur.execute(
                "SELECT check_id FROM prescriptions WHERE prescription_id = ?", [prescription_id]
            ).fetchone()
            return self._load_check(cur, str(row[0])) if row else None

    def find_commit(self, idempotency_key: str) -> CommitResult | None:
        """The stored answer for an idempotency key, marked ``replayed=True``, or None."""
        with self._read("find_commit") as cur:
            row = cur.execute(
                "SELECT result_json FROM prescriptions WHERE idempotency_key = ?", [idempotency_key]
            ).fetchone()
        return serialize.load_commit_result(row[0]) if row is not None else None

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
        """Writes the checked prescription into the patient's record, atomically (one transaction).

        In order: a key used before returns that answer (``replayed=True``) when it was for this check, else
        raises ``IdempotencyKeyReused``; an unknown check raises ``CheckNotFound``; a check already committed
        under another key raises ``CommitRefused`` naming the prescription (answering with the old result would
        hide a client bug that mints a new key per retry; refusing tells the client where its prescription is);
        a check run on an inline patient raises ``CommitRefused`` (there is no stored record to write into); a
        patient no longer in the store raises ``PatientNotFound``; a record changed since the check raises
        ``StaleCheck`` naming each change. Otherwise it writes the prescription, one medication row per line
        (start date = the check's ``as_of``, source ``"commit <prescription_id>"``), the overrides, bumps the
        record version and logs the change.

        Overrides are written as given: whether they cover every interruptive conflict is the caller's policy
        check (``OverrideMissing``), made before this call against the same stored check.
        """
        if not idempotency_key:
            raise InvalidRequest("idempotency_key", "is required")
        with self._write("commit_prescription") as cur:
            if audit is not None:
                # In the same transaction: the trail records a commit exactly when the commit happened.
                self._audit.append(cur, [audit])
            prior = cur.execute(
                "SELECT check_id, result_json FROM prescriptions WHERE idempotency_key = ?", [idempotency_key]
            ).fetchone()
            if prior is not None:
                if prior[0] != check_id:
                    raise IdempotencyKeyReused("the idempotency key was already used to commit another check")
                return serialize.load_commit_result(prior[1])

            stored = self._load_check(cur, check_id)
            if stored is None:
                raise CheckNotFound(f"check {check_id} not found")
            report = stored.report
            if report.prescription_id:
                raise CommitRefused(f"check {check_id} already committed as {report.prescription_id}")
            if stored.inline_patient:
                raise CommitRefused(
                    "the check was made on an inline patient record, which the store does not hold; "
                    "check the patient by id to commit"
                )
            version = self._current_version(cur, report.patient_id)
            if version is None:
                raise PatientNotFound("the check's patient is not in the record store")
            if version != report.record_version:
                raise StaleCheck(self._describe_changes(cur, report.patient_id, report.record_version, version))

            result = CommitResult(
                prescription_id=new_prescription_id(),
                check_id=check_id,
                patient_id=report.patient_id,
                record_version=version + 1,
                committed_at=committed_at,
            )
            self._insert_prescription(cur, result, idempotency_key, prescriber_id)
            self._insert_medications(cur, stored, result.prescription_id)
            self._insert_overrides(cur, overrides, result.prescription_id)
            self._bump_version(
                cur,
                result,
                f"prescription {result.prescription_id} committed ({len(stored.prescription.lines)} lines)",
            )
        return result

    def _current_version(self, cur: duckdb.DuckDBPyConnection, patient_id: str) -> int | None:
        row = cur.execute("SELECT record_version FROM patients WHERE patient_id = ?", [patient_id]).fetchone()
        return int(row[0]) if row is not None else None

    def _describe_changes(self, cur: duckdb.DuckDBPyConnection, patient_id: str, checked: int, current: int) -> str:
        rows = cur.execute(
            """
            SELECT version, what, changed_at FROM record_changes
            WHERE patient_id = ? AND version > ? ORDER BY version
            """,
            [patient_id, checked],
        ).fetchall()
        what = "; ".join(f"version {v}: {w} at {at}" for v, w, at in rows) or "no change log for these versions"
        return f"the patient's record changed after the check (record version {checked} → {current}): {what}"

    def _insert_prescription(
        self, cur: duckdb.DuckDBPyConnection, result: CommitResult, idempotency_key: str, prescriber_id: str
    ) -> None:
        cur.execute(
            """
            INSERT INTO prescriptions (prescription_id, check_id, patient_id, prescriber_id, committed_at,
                                       idempotency_key, result_json)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """,
            [
                result.prescription_id,
                result.check_id,
                result.patient_id,
                prescriber_id,
                result.committed_at,
                idempotency_key,
                serialize.dump_commit_result(result),
            ],
        )

    def _insert_medications(self, cur: duckdb.DuckDBPyConnection, stored: StoredCheck, prescription_id: str) -> None:
        # end_date stays NULL: the window is start + days, and the checks own that convention in one place.
        rows: Sequence[list[Any]] = [
            [
                stored.report.patient_id,
                line.text,
                stored.report.as_of,
                line.days,
                line.dose_text,
                line.national_drug_code,
                line.registration_number,
                prescription_id,
                f"commit {prescription_id}",
            ]
            for line in stored.prescription.lines
        ]
        if rows:
            cur.executemany(
                """
                INSERT INTO medications (patient_id, text, start_date, days, dose_text, national_drug_code,
                                         registration_number, prescription_id, source)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                rows,
            )

    def _insert_overrides(
        self, cur: duckdb.DuckDBPyConnection, overrides: tuple[Override, ...], prescription_id: str
    ) -> None:
        rows = [
            [prescription_id, o.conflict_id, o.reason.value, o.comment, o.overridden_by, f"commit {prescription_id}"]
            for o in overrides
        ]
        if rows:
            cur.executemany(
                """
                INSERT INTO overrides (prescription_id, conflict_id, reason, comment, overridden_by, source)
                VALUES (?, ?, ?, ?, ?, ?)
                """,
                rows,
            )
        self._insert_override_clients(cur, overrides, prescription_id)

    def _insert_override_clients(
        self, cur: duckdb.DuckDBPyConnection, overrides: tuple[Override, ...], prescription_id: str
    ) -> None:
        """The calling system that asserted each override's user (migration 7; both stores)."""
        clients = [[prescription_id, o.conflict_id, o.asserted_by_client] for o in overrides if o.asserted_by_client]
        if clients:
            cur.executemany(
                "INSERT INTO override_clients (prescription_id, conflict_id, asserted_by_client) VALUES (?, ?, ?)",
                clients,
            )

    def _bump_version(self, cur: duckdb.DuckDBPyConnection, result: CommitResult, what: str) -> None:
        cur.execute(
            "UPDATE patients SET record_version = ? WHERE patient_id = ?",
            [result.record_version, result.patient_id],
        )
        self._log_change(cur, result.patient_id, result.record_version, what, result.committed_at)

    # --- diagnostics and lifecycle ----------------------------------------------------------------------------

    def explain_patient_lookup(self, patient_id: str) -> dict[str, str]:
        """``EXPLAIN ANALYZE`` of each statement of ``get_patient``, by table: shows whether the ART index is used.

        DuckDB's plain ``EXPLAIN`` shows a sequential scan even when the index is used; only the analyzed plan
        says ``Type: Index Scan``. On a small table the optimiser rightly prefers a sequential scan.
        """
        plans: dict[str, str] = {}
        with self._read("explain") as cur:
            for table, sql in (
                ("patients", _SELECT_PATIENT),
                ("allergies", _SELECT_ALLERGIES),
                ("medications", _SELECT_MEDICATIONS),
            ):
                rows = cur.execute("EXPLAIN ANALYZE " + sql, [patient_id]).fetchall()
                plans[table] = "\n".join(str(r[1]) for r in rows)
        return plans

    # --- audit trail ------------------------------------------------------------------------------------------

    def record_audit(self, event: AuditEvent) -> None:
        """Appends one event to the hash-chained audit trail (reads, refusals: anything not already written)."""
        with self._write("audit") as cur:
            self._audit.append(cur, [event])

    def verify_audit(self) -> ChainReport:
        """Checks the whole chain: a changed, removed or cut-off row is named."""
        with self._read("verify_audit") as cur:
            return audit_log.verify_chain(cur)

    def audit_events(self, patient_id: str | None = None) -> list[AuditRow]:
        """The trail, or the part of it about one patient (found by the patient's pseudonym)."""
        with self._write("audit_events") as cur:  # a write: the first pseudonym creates the installation secret
            ref = self._audit.pseudonym(cur, patient_id) if patient_id is not None else None
            return audit_log.rows(cur, ref)

    def close(self) -> None:
        """Closes the file (checkpointing the WAL into it). Waits for a running write; idempotent."""
        self._checks.stop()
        with self._write_lock:
            if self._closed:
                return
            self._closed = True
            with suppress(duckdb.Error):
                if self._writer_cursor is not None:
                    self._writer_cursor.close()
                self._conn.close()

    def __enter__(self) -> DuckDBRecordStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


MEMORY_LIMIT = "64MB"
_INSERT_CHECK = """
    INSERT INTO checks
        (check_id, patient_id, record_version, report_json, prescription_json, inline_patient, checked_at,
         created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
"""

# Write operations that change no patient's record, so the patient cache survives them.
_LEAVES_PATIENTS_ALONE = frozenset({"save_check", "audit", "audit_events"})
_PATIENT_CACHE_MAX = 100_000
_BATCH_MAX = 64
_REPORT_BODIES_MAX = 32  # the most recent results' bodies (app.service.RESULT_MEMO_SIZE)
# Hashes of bodies known to be stored: reports and their conflicts (a patient's history holds hundreds).
_STORED_BODIES_MAX = 65536
_BODY_REF = "body:"  # a check row's report_json that refers to report_bodies instead of holding the report
# A body that is the report without its conflicts, then the hashes of the conflicts' own bodies (``_body_of``).
_PARTS = "parts:"
_PARTS_SEPARATOR = "|"
_PARTS_PER_QUERY = 512
_INSERT_BODY = "INSERT INTO report_bodies (body_hash, body) VALUES (?, ?) ON CONFLICT DO NOTHING"


@dataclass(frozen=True, slots=True)
class ReportBody:
    """A stored report body (see ``_report_body``): its content hash, the reference a check row holds, the body.

    ``parts`` are the bodies of its conflicts, which it refers to by hash (``_PARTS``), each stored once.
    """

    body_hash: str
    body: str
    parts: tuple[ReportBody, ...] = ()

    @property
    def reference(self) -> str:
        return _BODY_REF + self.body_hash


@dataclass
class PendingCheck:
    """A check waiting for the writer thread: its row values, its audit event, and how it ended."""

    row: tuple[object, ...]
    audit: AuditEvent | None
    body: ReportBody | None = None  # the shared report body the row refers to, written if not stored yet
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class CheckWriter:
    """Group commit: one thread writes the checks that arrive together in one transaction; callers wait."""

    def __init__(self, write: Callable[[list[PendingCheck]], list[BaseException | None]]) -> None:
        self._write = write
        self._queue: queue.SimpleQueue[PendingCheck | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="rxsafe-check-writer", daemon=True)
        self._thread.start()

    def submit(self, item: PendingCheck) -> None:
        """Queues the check and waits until it is committed (or raises what went wrong)."""
        if not self._thread.is_alive():
            raise Unavailable("record store is closed")
        self._queue.put(item)
        item.done.wait()
        if item.error is not None:
            raise item.error

    def stop(self) -> None:
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stopping = False
            while len(batch) < _BATCH_MAX:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                batch.append(more)
            try:
                outcomes = self._write(batch)
            except BaseException as error:  # handed to every waiting caller, not swallowed
                outcomes = [error] * len(batch)
            for item, outcome in zip(batch, outcomes, strict=True):
                item.error = outcome
                item.done.set()
            if stopping:
                return


# --- helpers --------------------------------------------------------------------------------------------------


def _body_of(report: ConflictReport) -> ReportBody:
    """The stored body of a report and its content hash (the whole report; the PostgreSQL store's too)."""
    text = serialize.dump_report(report)
    return ReportBody(hashlib.sha256(text.encode("ascii")).hexdigest(), text)


def _parts_body_of(report: ConflictReport) -> ReportBody:
    """The DuckDB body of a report and its content hash: the report without its conflicts, and their hashes.

    Each conflict is a body of its own (``report_bodies`` holds both kinds), stored once: a new prescription's
    conflicts toward the record are mostly those of the patient's earlier checks, so a check stores its few new
    conflicts and a few kilobytes, not every conflict compressed again (~2.5 ms for a 200-medication patient).
    """
    parts = tuple(_conflict_body(c) for c in report.conflicts)
    head = serialize.dump_report(report.model_copy(update={"conflicts": ()}))
    text = _PARTS + head + _PARTS_SEPARATOR + ",".join(p.body_hash for p in parts)
    return ReportBody(hashlib.sha256(text.encode("ascii")).hexdigest(), text, parts)


def _part_body(text: str) -> ReportBody:
    return ReportBody(hashlib.sha256(text.encode("ascii")).hexdigest(), text)


# A conflict's stored body, while the conflict lives (the patient's interaction graph keeps it across checks).
_conflict_body: WeakIdentityMemo[Conflict, ReportBody] = WeakIdentityMemo(
    lambda conflict: _part_body(serialize.dump_conflict(conflict))
)


def _same_but_stamp(report: ConflictReport, template: ConflictReport) -> bool:
    """Whether the report is the template with its check id and time set (the service stamps a memoised result).

    Field by field, by identity first: a stamped copy shares the template's objects, and comparing a report of
    hundreds of conflicts by value cost more than storing it.
    """
    for name in ConflictReport.model_fields:
        if name in ("check_id", "checked_at"):
            continue
        mine, theirs = getattr(report, name), getattr(template, name)
        if mine is not theirs and mine != theirs:
            return False
    return True


def _require_patient_id(patient_id: str) -> None:
    if not is_personal_id(patient_id):
        raise InvalidRequest("patient.patient_id", "must be the 12-digit personal identification number")


def _patient_values(record: PatientRecord) -> list[Any]:
    rep = record.legal_representative
    return [
        record.patient_id,
        record.name,
        record.birth_date,
        record.sex.value,
        record.allergy_status.value,
        record.weight_kg,
        record.insurance_card,
        record.address,
        rep.model_dump_json() if rep is not None else None,
        record.blood_group,
        record.height_cm,
        record.pregnancy_status.value,
        record.lactation_status.value,
    ]


def _demographics(record: PatientRecord) -> tuple[Any, ...]:
    return (
        record.name,
        record.birth_date,
        record.sex,
        record.weight_kg,
        record.insurance_card,
        record.address,
        record.legal_representative,
        record.blood_group,
        record.height_cm,
    )


@dataclass(frozen=True)
class _Groups:
    conditions: tuple[Condition, ...]
    vaccinations: tuple[Vaccination, ...]
    visits: tuple[Visit, ...]
    observations: tuple[Observation, ...]


def _load_groups(rows: Sequence[tuple[Any, ...]]) -> _Groups:
    """Splits the tagged rows of ``_SELECT_GROUPS`` into the record's groups, each in row order."""
    conditions: list[Condition] = []
    vaccinations: list[Vaccination] = []
    visits: list[Visit] = []
    observations: list[Observation] = []
    for t, row_id, a, b, d1, c, e, f, n1, n2, t1, t2, g, h, i, j, dose in sorted(rows, key=lambda r: int(r[1])):
        if t == "c":
            conditions.append(
                Condition(
                    id=_CONDITION_ID.format(row_id), code=a, text=b, onset_date=d1, place=c, role=e, clinical_status=f
                )
            )
        elif t == "v":
            vaccinations.append(
                Vaccination(id=_VACCINATION_ID.format(row_id), vaccine=a, antigen=b, dose_number=dose, given_date=d1)
            )
        elif t == "o":
            observations.append(
                Observation(
                    id=_OBSERVATION_ID.format(row_id),
                    code=a,
                    name=b,
                    value_text=c,
                    unit=e,
                    conclusion=f,
                    value=n1,
                    effective=t1,
                )
            )
        else:
            visits.append(
                Visit(
                    id=a,
                    facility=b,
                    visit_type=c,
                    reason=e,
                    result=f,
                    height_cm=n1,
                    weight_kg=n2,
                    admitted=t1,
                    discharged=t2,
                    discharge_diagnosis=g,
                    blood_group=h,
                    procedures=tuple(p for p in i.split(";") if p),
                    follow_up=j,
                )
            )
    return _Groups(tuple(conditions), tuple(vaccinations), tuple(visits), tuple(observations))


def _replace_entries(
    cur: duckdb.DuckDBPyConnection,
    *,
    table: Table,
    ids: re.Pattern[str],
    patient_id: str,
    new: Sequence[Allergy] | Sequence[Medication],
    old: Sequence[Allergy] | Sequence[Medication],
    source: str,
) -> list[str]:
    """``upsert_patient`` for allergies and medications, whose entries have ids: a changed entry keeps its row.

    Entries are matched by id; a new entry is inserted, a changed one updated in place, and stored entries the
    record no longer lists are deleted.
    """
    existing = {entry.id: entry for entry in old}
    insert = (
        f"INSERT INTO {table.name} (patient_id, {', '.join(table.columns)}, source) "  # noqa: S608 -- constant names
        f"VALUES ({', '.join('?' for _ in range(len(table.columns) + 2))})"
    )
    update = f"UPDATE {table.name} SET {', '.join(f'{c} = ?' for c in table.columns)}, source = ? WHERE id = ?"  # noqa: S608
    added = changed = 0
    kept: set[str] = set()
    for entry in new:
        values = table.values(entry)
        # A repeated id is a second entry, not the same row twice.
        current = existing.get(entry.id) if entry.id not in kept else None
        if current is None:
            cur.execute(insert, [patient_id, *values, source])
            added += 1
            continue
        kept.add(entry.id)
        if current.model_copy(update={"id": ""}) != entry.model_copy(update={"id": ""}):
            cur.execute(update, [*values, source, _row_id(ids, entry.id)])
            changed += 1
    removed = [_row_id(ids, entry_id) for entry_id in existing if entry_id not in kept]
    for row_id in removed:
        cur.execute(f"DELETE FROM {table.name} WHERE id = ?", [row_id])  # noqa: S608 -- constant name
    return _count_changes(table.name, added, len(removed), changed)


def _replace_group(
    cur: duckdb.DuckDBPyConnection,
    *,
    table: Table,
    patient_id: str,
    new: Sequence[BaseModel],
    old: Sequence[BaseModel],
    source: str,
) -> list[str]:
    """``upsert_patient`` for conditions, vaccinations, visits and observations (no per-entry identity there).

    Unchanged content keeps its rows and their provenance; any change replaces the patient's rows of the table.
    """

    def content(rows: Sequence[BaseModel]) -> list[tuple[Any, ...]]:
        return [tuple(table.values(r)) for r in rows]

    if content(new) == content(old):
        return []
    cur.execute(f"DELETE FROM {table.name} WHERE patient_id = ?", [patient_id])  # noqa: S608 -- constant name
    insert_rows(cur, table, [[patient_id, *table.values(r), source] for r in new], ("source",))
    return [f"{table.name}: replaced ({len(old)} → {len(new)})"]


def _first(row: tuple[Any, ...]) -> int:
    return int(row[0])


def _row_id(pattern: re.Pattern[str], entry_id: str) -> int:
    match = pattern.fullmatch(entry_id)
    if match is None:  # cannot happen: only ids of existing rows reach here
        raise ValueError(f"not a record entry id of this store: {entry_id!r}")
    return int(match.group(1))


def _count_changes(what: str, added: int, removed: int, changed: int) -> list[str]:
    if not (added or removed or changed):
        return []
    return [f"{what}: {added} added, {removed} removed, {changed} changed"]


if TYPE_CHECKING:
    # mypy proves the class still implements the Protocol whenever either changes.
    _implements_protocol: type[RecordStore] = DuckDBRecordStore
