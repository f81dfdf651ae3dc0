"""The record store on PostgreSQL, for several writer processes: implements ``rxsafe.ehr.store.RecordStore``.

Same tables, same statements. ``PostgresRecordStore`` runs ``DuckDBRecordStore``'s transaction logic (upsert,
checks, commits, imports: one implementation of the rules) on psycopg 3 connections from a pool, through
``PgCursor``, which speaks the small part of DuckDB's cursor API that logic uses and translates the shared SQL
(``postgres_sql``). What differs is what several processes writing at once require:

- **No process-local caches of shared state.** The DuckDB store caches patients because it is its file's only
  writer; here another process may change a patient at any time, so every read goes to the database.
- **Stale-check refusal across processes.** A commit locks the patient's row (``SELECT … FOR UPDATE``) before it
  compares record versions. Two processes committing for one patient at once: the second waits for the first,
  then reads the version the first wrote (READ COMMITTED re-reads a locked row) and is refused as stale, saying
  what changed. Nothing else is locked: commits for different patients never wait for each other.
- **Idempotency across processes.** Two commits with one key at once: the loser's insert hits the key's unique
  index, its transaction rolls back, and it runs again, now finding the winner's answer (``replayed``).
- **Reads see one snapshot**: a read transaction is REPEATABLE READ, READ ONLY (the several statements of
  ``get_patient`` see one committed state even while a commit runs).
- **Audit trail: one hash chain per writer process** (``rxsafe.ehr.postgres_audit`` says why); ``verify_audit``
  checks every chain. Within a process, writes still take one lock (the chain's head is in memory, as on DuckDB).
- **Migrations** under an advisory lock (``rxsafe.ehr.postgres_schema``): safe when several processes start at
  once.
- **Patient key everywhere.** Every patient table carries ``patient_id`` and no foreign keys join patients;
  ``report_bodies`` (content-addressed, shared), ``store_meta``, the schema tables and the audit tables (keyed by
  writer) are the non-patient tables. Record entry ids come from per-table sequences, as on DuckDB: ``nextval``
  never waits and is outside transactions, so it is no serialisation point (Citus gives each node its own range).

Durability: ``synchronous_commit`` is left on, so COMMIT returns after the WAL is flushed; an acknowledged commit
survives a crash of the rxsafe process or of PostgreSQL.

Failure: a database that cannot be reached (connect, pool wait, a connection lost mid-call) raises
``Unavailable``: the service answers UNAVAILABLE, never a clean pass. A transaction cut off midway is rolled back
by PostgreSQL, so nothing half-written remains. Messages name the operation and the error class only (PostgreSQL's
messages can quote key values, i.e. personal ID numbers).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

import psycopg
import psycopg.errors
from psycopg import sql
from psycopg_pool import ConnectionPool

from rxsafe.core.errors import IdempotencyKeyReused, StaleCheck, Unavailable
from rxsafe.core.models import CommitResult, Override, PatientRecord
from rxsafe.ehr import postgres_audit
from rxsafe.ehr.audit import AuditEvent, AuditRow, ChainReport, multi_row_insert
from rxsafe.ehr.duckdb_store import (
    _INSERT_BODY,
    _INSERT_CHECK,
    _REPORT_BODIES_MAX,
    CheckWriter,
    DuckDBRecordStore,
    PendingCheck,
    _body_of,
)
from rxsafe.ehr.postgres_schema import migrate
from rxsafe.ehr.postgres_sql import PgCursor
from rxsafe.ehr.schema import SchemaTooNew
from rxsafe.memo import IdentityMemo

if TYPE_CHECKING:
    import duckdb

    from rxsafe.ehr.store import RecordStore

DEFAULT_POOL_SIZE = 8
# How long a call waits for a pooled connection before it is answered UNAVAILABLE (the database is down, or every
# connection is busy for that long).
DEFAULT_CONNECT_TIMEOUT = 3.0
_READ = "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"


def is_postgres_url(target: str) -> bool:
    """Whether a ``--store`` value names a PostgreSQL database (a libpq URL) rather than a DuckDB file."""
    return target.startswith(("postgresql://", "postgres://"))


class PostgresRecordStore(DuckDBRecordStore):
    """``RecordStore`` over one PostgreSQL database (or one schema of it), for one process of several.

    ``dsn`` is a libpq connection string or URL; ``schema``, when given, is created if missing and used for every
    table (tests use a schema each); ``pool_size`` is the most connections this process opens.
    """

    def __init__(
        self,
        dsn: str,
        *,
        schema: str | None = None,
        pool_size: int = DEFAULT_POOL_SIZE,
        timeout: float = DEFAULT_CONNECT_TIMEOUT,
    ) -> None:
        # Deliberately not DuckDBRecordStore.__init__ (it opens a DuckDB file): the attributes its methods use.
        self._dsn = dsn
        self._schema = schema
        self._timeout = timeout
        self._write_lock = threading.Lock()
        self._closed = False
        self._patients: dict[str, PatientRecord | None] = {}
        self._generation = 0
        self._cache_lock = threading.Lock()
        self._writer_cursor = None
        self._template_body = IdentityMemo(_body_of, _REPORT_BODIES_MAX)
        self._stored_bodies: set[str] = set()
        self._audit = postgres_audit.WriterChain(postgres_audit.new_chain_id())
        try:
            with psycopg.connect(dsn, autocommit=True, connect_timeout=max(1, int(timeout))) as conn:
                if schema is not None:
                    conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
                    self._set_search_path(conn)
                migrate(conn)
        except psycopg.Error as exc:
            raise Unavailable(f"record store (PostgreSQL) cannot be prepared: {type(exc).__name__}") from exc
        except SchemaTooNew as exc:
            raise Unavailable(f"record store (PostgreSQL) cannot be prepared: {exc}") from exc
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            dsn,
            min_size=1,
            max_size=pool_size,
            kwargs={
                "autocommit": True,
                "cursor_factory": psycopg.RawCursor,
                "connect_timeout": max(1, int(timeout)),
            },
            configure=self._set_search_path if schema is not None else None,
            # A connection the database dropped (restart, failover) is found before it is lent out, not by a call.
            check=ConnectionPool.check_connection,
            timeout=timeout,
            open=False,
            name="rxsafe-records",
        )
        try:
            self._pool.open(wait=True, timeout=timeout)
            with self._write("register audit chain") as cur:
                self._audit.register(cur, datetime.now(UTC).isoformat())
        except (psycopg.Error, Unavailable) as exc:
            self._pool.close()
            raise Unavailable(f"record store (PostgreSQL) cannot be opened: {type(exc).__name__}") from exc
        self._checks = CheckWriter(self._save_checks)

    def _set_search_path(self, conn: psycopg.Connection[Any]) -> None:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(cast("str", self._schema))))

    # --- plumbing ---------------------------------------------------------------------------------------------

    @contextmanager
    def _connection(self, operation: str) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection; any database error (or none to be had in time) becomes ``Unavailable``."""
        if self._closed:
            raise Unavailable("record store is closed")
        try:
            with self._pool.connection() as conn:
                yield conn
        except psycopg.Error as exc:
            raise Unavailable(f"record store: {operation} failed ({type(exc).__name__})") from exc

    @contextmanager
    def _transaction(self, conn: psycopg.Connection[Any], begin: str) -> Iterator[duckdb.DuckDBPyConnection]:
        cur = conn.cursor()
        cur.execute(begin)
        try:
            # The shared logic is typed against DuckDB's cursor; PgCursor implements the calls it makes.
            yield cast("duckdb.DuckDBPyConnection", PgCursor(cast("psycopg.RawCursor[tuple[Any, ...]]", cur)))
            cur.execute("COMMIT")
        except BaseException:
            # Keep the original error; a lost connection cannot roll back, and the server already has.
            with suppress(psycopg.Error):
                cur.execute("ROLLBACK")
            raise

    @contextmanager
    def _read(self, operation: str) -> Iterator[duckdb.DuckDBPyConnection]:
        with self._connection(operation) as conn, self._transaction(conn, _READ) as cur:
            yield cur

    @contextmanager
    def _write(
        self, operation: str, cursor: duckdb.DuckDBPyConnection | None = None
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """One write transaction of this process at a time (the audit chain's head is in memory)."""
        with self._write_lock:
            try:
                with self._connection(operation) as conn, self._transaction(conn, "BEGIN") as cur:
                    yield cur
            except BaseException:
                # Rolled back, or COMMIT's outcome unknown (connection lost): read the head again next time.
                self._audit.forget()
                raise

    # --- what several writers need ----------------------------------------------------------------------------

    def get_patient(self, patient_id: str) -> PatientRecord | None:
        """The patient's record as committed now (no cache: other processes write too)."""
        with self._read("get_patient") as cur:
            return self._load_patient(cur, patient_id)

    def _current_version(self, cur: duckdb.DuckDBPyConnection, patient_id: str) -> int | None:
        # Locks the patient's row until COMMIT: a concurrent commit for this patient waits, then sees this one's
        # new version and is refused as stale.
        row = cur.execute(
            "SELECT record_version FROM patients WHERE patient_id = ? FOR UPDATE", [patient_id]
        ).fetchone()
        return int(row[0]) if row is not None else None

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
        """``DuckDBRecordStore.commit_prescription``; a same-key race across processes replays the winner."""
        arguments: dict[str, Any] = {
            "check_id": check_id,
            "overrides": overrides,
            "idempotency_key": idempotency_key,
            "prescriber_id": prescriber_id,
            "committed_at": committed_at,
            "audit": audit,
        }
        try:
            return super().commit_prescription(**arguments)
        except StaleCheck:
            # Lost the patient's row lock to a commit under this very key (a retry racing its first attempt,
            # from another process): that commit is this one's answer.
            replay = self._replay(check_id, idempotency_key, audit)
            if replay is None:
                raise
            return replay
        except Unavailable as error:
            if not isinstance(error.__cause__, psycopg.errors.UniqueViolation):
                raise
            # Another process committed under this key (or this check) between our look-up and our insert; our
            # transaction rolled back. Run again: the look-up now finds its answer, or the refusal says why.
            return super().commit_prescription(**arguments)

    def _replay(self, check_id: str, idempotency_key: str, audit: AuditEvent | None) -> CommitResult | None:
        prior = self.find_commit(idempotency_key)
        if prior is None:
            return None
        if prior.check_id != check_id:
            raise IdempotencyKeyReused("the idempotency key was already used to commit another check")
        if audit is not None:
            self.record_audit(audit)  # the attempt's own event was rolled back with it
        return prior

    def _insert_overrides(
        self, cur: duckdb.DuckDBPyConnection, overrides: tuple[Override, ...], prescription_id: str
    ) -> None:
        # As on DuckDB, plus the patient key (from the prescription row written just before).
        rows = [
            [o.conflict_id, o.reason.value, o.comment, o.overridden_by, f"commit {prescription_id}", prescription_id]
            for o in overrides
        ]
        if rows:
            cur.executemany(
                """
                INSERT INTO overrides (patient_id, prescription_id, conflict_id, reason, comment, overridden_by,
                                       source)
                SELECT patient_id, prescription_id, ?, ?, ?, ?, ? FROM prescriptions WHERE prescription_id = ?
                """,
                rows,
            )
        self._insert_override_clients(cur, overrides, prescription_id)

    def _save_checks(self, batch: list[PendingCheck]) -> list[BaseException | None]:
        """A batch of checks in one transaction (as on DuckDB); a retried save falls back to one at a time."""
        new_bodies = {i.body.body_hash: i.body for i in batch if i.body and i.body.body_hash not in self._stored_bodies}
        try:
            with self._write("save_check") as cur:
                now = _now()
                if new_bodies:
                    cur.execute(
                        multi_row_insert(_INSERT_BODY, len(new_bodies)),
                        [v for b in new_bodies.values() for v in (b.body_hash, b.body)],
                    )
                cur.execute(multi_row_insert(_INSERT_CHECK, len(batch)), [v for i in batch for v in (*i.row, now)])
                self._audit.append(cur, [item.audit for item in batch if item.audit is not None])
            self._remember_bodies(new_bodies.keys())
        except Unavailable as error:
            if not isinstance(error.__cause__, psycopg.errors.UniqueViolation):
                raise
            return [self._save_one(item) for item in batch]
        return [None] * len(batch)

    # --- audit trail ------------------------------------------------------------------------------------------

    def verify_audit(self) -> ChainReport:
        """Checks every writer's chain (``postgres_audit.verify``)."""
        with self._read("verify_audit") as cur:
            return postgres_audit.verify(cast("PgCursor", cur))

    def audit_events(self, patient_id: str | None = None) -> list[AuditRow]:
        """The trail in time order, or its rows about one patient (by the patient's pseudonym)."""
        with self._read("audit_events") as cur:
            ref = self._audit.pseudonym(cur, patient_id) if patient_id is not None else None
            return postgres_audit.rows(cast("PgCursor", cur), ref)

    def explain_patient_lookup(self, patient_id: str) -> dict[str, str]:
        """Not offered on PostgreSQL (use ``EXPLAIN`` in psql); the DuckDB plan reader does not apply."""
        raise NotImplementedError("explain_patient_lookup reads DuckDB plans")

    # --- lifecycle --------------------------------------------------------------------------------------------

    def close(self) -> None:
        """Stops the check writer (checks queued are written first), then closes the pool. Idempotent."""
        self._checks.stop()
        with self._write_lock:
            if self._closed:
                return
            self._closed = True
        self._pool.close()

    def __enter__(self) -> PostgresRecordStore:
        return self


def _now() -> str:
    return datetime.now(UTC).isoformat()


if TYPE_CHECKING:
    _implements_protocol: type[RecordStore] = PostgresRecordStore
