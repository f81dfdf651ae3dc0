"""The audit trail: who read or changed which patient's data, for what purpose, when, and what happened.

Append-only and hash-chained: each row's hash covers its fields and the previous row's hash, and the head
(last sequence number and hash) of every transaction is appended to ``audit_heads``, so a changed, removed or
truncated row is detected
by ``verify_chain``. Patients are recorded as a keyed pseudonym (HMAC-SHA256 of the personal ID with a secret
of this installation), so the trail answers "who accessed this record" without itself listing identities.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import astuple, dataclass
from enum import StrEnum

import duckdb
from pydantic import BaseModel, ConfigDict

GENESIS = "0" * 64
_SECRET_KEY = "audit_secret"  # noqa: S105 -- the name of a store_meta row, not a secret


class AuditAction(StrEnum):
    CHECK = "check"
    COMMIT = "commit"
    COMMIT_REFUSED = "commit_refused"
    READ_CHECK = "read_check"
    READ_PATIENT = "read_patient"
    RECHECK = "recheck"
    IMPORT = "import"
    EXPORT = "export"
    RELOAD = "reload"
    # A CDS Hooks client reporting what the user did with a card (accepted, overridden with a reason).
    CDS_FEEDBACK = "cds_feedback"


class AuditEvent(BaseModel):
    """One thing that happened to patient data. ``patient_id`` is pseudonymised when it is written."""

    model_config = ConfigDict(frozen=True)

    at: str
    client: str
    user: str
    roles: str = ""
    purpose: str
    action: AuditAction
    patient_id: str = ""
    subject: str = ""
    outcome: str = "ok"


@dataclass(frozen=True)
class AuditRow:
    seq: int
    at: str
    client: str
    user: str
    roles: str
    purpose: str
    action: str
    patient_ref: str
    subject: str
    outcome: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ChainReport:
    rows: int
    ok: bool
    problem: str = ""


class AuditChain:
    """Appends to the trail of one store, keeping the chain's head and the installation secret in memory.

    The store is the file's only writer, so both can be kept after the first read (each DuckDB statement costs
    ~0.3 ms); ``forget()`` drops the head when a transaction that appended is rolled back.
    """

    def __init__(self) -> None:
        self._head: tuple[int, str] | None = None
        self._secret: bytes | None = None

    def forget(self) -> None:
        self._head = None

    def pseudonym(self, cur: duckdb.DuckDBPyConnection, patient_id: str) -> str:
        """The patient's keyed pseudonym in this installation's trail ("" for no patient)."""
        if not patient_id:
            return ""
        if self._secret is None:
            stored = _meta(cur, _SECRET_KEY)
            if stored is None:
                stored = secrets.token_hex(32)
                cur.execute("INSERT INTO store_meta (key, value) VALUES (?, ?)", [_SECRET_KEY, stored])
            self._secret = bytes.fromhex(stored)
        return hmac.new(self._secret, patient_id.encode("utf-8"), hashlib.sha256).hexdigest()[:32]

    def _chained(
        self, cur: duckdb.DuckDBPyConnection, events: Sequence[AuditEvent], head: tuple[int, str]
    ) -> list[AuditRow]:
        """The events as rows chained on from ``head`` (seq, hash): each row's hash covers the one before it."""
        seq, prev_hash = head
        rows: list[AuditRow] = []
        for event in events:
            seq += 1
            fields = (
                seq,
                event.at,
                event.client,
                event.user,
                event.roles,
                event.purpose,
                event.action.value,
                self.pseudonym(cur, event.patient_id),
                event.subject,
                event.outcome,
            )
            row = AuditRow(*fields, prev_hash=prev_hash, hash=_hash(prev_hash, fields))
            rows.append(row)
            prev_hash = row.hash
        return rows

    def append(self, cur: duckdb.DuckDBPyConnection, events: Sequence[AuditEvent]) -> list[AuditRow]:
        """Appends events inside the caller's write transaction (so they commit, or not, with the change)."""
        if not events:
            return []
        if self._head is None:
            self._head = _head(cur)
        rows = self._chained(cur, events, self._head)
        seq, prev_hash = rows[-1].seq, rows[-1].hash
        insert = multi_row_insert("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", len(rows))
        cur.execute(insert, [v for r in rows for v in astuple(r)])
        # Appended, never updated: DuckDB slows down steadily when one row is updated on every transaction.
        cur.execute("INSERT INTO audit_heads (seq, hash) VALUES (?, ?)", [seq, prev_hash])
        self._head = (seq, prev_hash)
        return rows


@functools.cache
def multi_row_insert(insert: str, rows: int) -> str:
    """An ``INSERT … VALUES (?, …)`` statement with its row of values repeated ``rows`` times.

    One statement costs less than many; a clause after the values (``ON CONFLICT …``) is kept once.

    >>> multi_row_insert("INSERT INTO t VALUES (?, ?) ON CONFLICT DO NOTHING", 2)
    'INSERT INTO t VALUES (?, ?), (?, ?) ON CONFLICT DO NOTHING'
    """
    head, _, rest = insert.partition("VALUES")
    end = rest.index(")") + 1
    return f"{head}VALUES " + ", ".join([rest[:end].strip()] * rows) + rest[end:]


def verify_chain(cur: duckdb.DuckDBPyConnection) -> ChainReport:
    """Recomputes every hash in order; names the first row that was changed, removed or cut off."""
    prev = GENESIS
    expected_seq = 1
    count = 0
    for row in rows(cur):
        if row.seq != expected_seq:
            return ChainReport(count, False, f"row {expected_seq} is missing (next row is {row.seq})")
        fields = (
            row.seq,
            row.at,
            row.client,
            row.user,
            row.roles,
            row.purpose,
            row.action,
            row.patient_ref,
            row.subject,
            row.outcome,
        )
        if row.prev_hash != prev or row.hash != _hash(prev, fields):
            return ChainReport(count, False, f"row {row.seq} was changed (its hash no longer matches)")
        prev = row.hash
        expected_seq += 1
        count += 1
    head = _head(cur)
    if head != (count, prev):
        return ChainReport(
            count, False, f"the trail ends at row {count} but its head records row {head[0]}: rows were cut off"
        )
    return ChainReport(count, True)


def rows(cur: duckdb.DuckDBPyConnection, patient_ref: str | None = None) -> list[AuditRow]:
    if patient_ref is None:
        found = cur.execute("SELECT * FROM audit_log ORDER BY seq").fetchall()
    else:
        found = cur.execute("SELECT * FROM audit_log WHERE patient_ref = ? ORDER BY seq", [patient_ref]).fetchall()
    return [AuditRow(*r) for r in found]


def _hash(prev_hash: str, fields: tuple[object, ...]) -> str:
    body = "\x1f".join(str(f) for f in (prev_hash, *fields))
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _head(cur: duckdb.DuckDBPyConnection) -> tuple[int, str]:
    """The last row the trail recorded as written: (sequence number, hash)."""
    found = cur.execute("SELECT seq, hash FROM audit_heads ORDER BY seq DESC LIMIT 1").fetchone()
    return (int(found[0]), str(found[1])) if found else (0, GENESIS)


def _meta(cur: duckdb.DuckDBPyConnection, key: str) -> str | None:
    found = cur.execute("SELECT value FROM store_meta WHERE key = ?", [key]).fetchone()
    return str(found[0]) if found else None
