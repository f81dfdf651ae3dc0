"""The audit trail on PostgreSQL: one hash chain per writer process, verified whole.

Decision: a chain per writer, not one global chain. Every check appends to the trail, so a single global chain
would need its head locked (``SELECT … FOR UPDATE``) from the first appended row until COMMIT in every write
transaction of every process: all writes of all replicas would queue behind one row, including the commit's WAL
flush. With one chain per writer process, a process is the only writer of its chain, exactly as a DuckDB store is
the only writer of its file, so the head is kept in memory (``AuditChain``) and no lock is shared between
processes. Tampering is still detected:

- each chain is hash-chained from the genesis hash, numbered 1, 2, 3 … without gaps, and its head (last row and
  hash) is appended to ``audit_heads`` in every transaction that appends, so a changed, removed or cut-off row is
  named, as on DuckDB;
- every chain is registered in ``audit_chains`` when its writer opens the store, so a chain whose rows are all
  deleted is named too (a registered chain without rows is only fine when its head records none), and rows of an
  unregistered chain are flagged;
- ``verify`` checks every chain, and ``rxsafe audit verify`` reports the whole trail intact only if all are.

A chain id names the writer (host, process id, a random suffix): a restarted worker starts a new chain rather
than continue one another process might still be writing. The trail's order across chains is the rows' time.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Sequence
from dataclasses import astuple
from typing import TYPE_CHECKING

from rxsafe.ehr.audit import GENESIS, AuditChain, AuditEvent, AuditRow, ChainReport, _hash, multi_row_insert
from rxsafe.ehr.postgres_sql import PgCursor

if TYPE_CHECKING:
    import duckdb

_INSERT_ROW = "INSERT INTO audit_log (seq, occurred_at, client, user_id, roles, purpose, action, patient_ref, subject, outcome, prev_hash, hash, chain_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"  # noqa: E501
_COLUMNS = "seq, occurred_at, client, user_id, roles, purpose, action, patient_ref, subject, outcome, prev_hash, hash"


def new_chain_id() -> str:
    """A new writer chain id: host, process id and a random suffix (unique even when a pid is reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class WriterChain(AuditChain):
    """``AuditChain`` for one writer's chain: rows and heads carry ``chain_id``."""

    def __init__(self, chain_id: str) -> None:
        super().__init__()
        self.chain_id = chain_id
        self._head = (0, GENESIS)  # a new chain: nothing written yet

    def register(self, cur: duckdb.DuckDBPyConnection, started_at: str) -> None:
        """Records the chain before its first row, so that losing all of its rows is detected."""
        cur.execute(
            "INSERT INTO audit_chains (chain_id, started_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [self.chain_id, started_at],
        )

    def append(self, cur: duckdb.DuckDBPyConnection, events: Sequence[AuditEvent]) -> list[AuditRow]:
        """Appends events to this writer's chain inside the caller's transaction.

        ``cur`` is the store's ``PgCursor``, typed as the DuckDB cursor whose calls it implements.
        """
        if not events:
            return []
        if self._head is None:  # forgotten after a rollback: read it back
            found = cur.execute(
                "SELECT seq, hash FROM audit_heads WHERE chain_id = ? ORDER BY seq DESC LIMIT 1", [self.chain_id]
            ).fetchone()
            self._head = (int(found[0]), str(found[1])) if found else (0, GENESIS)
        rows = self._chained(cur, events, self._head)
        seq, prev_hash = rows[-1].seq, rows[-1].hash
        cur.execute(multi_row_insert(_INSERT_ROW, len(rows)), [v for r in rows for v in (*astuple(r), self.chain_id)])
        cur.execute("INSERT INTO audit_heads (seq, hash, chain_id) VALUES (?, ?, ?)", [seq, prev_hash, self.chain_id])
        self._head = (seq, prev_hash)
        return rows


def verify(cur: PgCursor) -> ChainReport:
    """Verifies every writer's chain; names the first changed, removed or cut-off row and its chain."""
    heads = {
        str(chain): (int(seq), str(digest))
        for chain, seq, digest in cur.execute(
            "SELECT DISTINCT ON (chain_id) chain_id, seq, hash FROM audit_heads ORDER BY chain_id, seq DESC"
        ).fetchall()
    }
    registered = {str(r[0]) for r in cur.execute("SELECT chain_id FROM audit_chains").fetchall()}
    rows = cur.execute(f"SELECT chain_id, {_COLUMNS} FROM audit_log ORDER BY chain_id, seq").fetchall()  # noqa: S608
    count = 0
    chain = None
    prev = GENESIS
    expected = 1
    ends: dict[str, tuple[int, str]] = {}
    for chain_id, *values in rows:
        if chain_id != chain:
            chain, prev, expected = chain_id, GENESIS, 1
            if chain_id not in registered:
                return ChainReport(count, False, f"chain {chain_id} is not registered: rows from an unknown writer")
        row = AuditRow(*values)
        if row.seq != expected:
            return ChainReport(count, False, f"chain {chain_id}: row {expected} is missing (next row is {row.seq})")
        fields = astuple(row)[:10]
        if row.prev_hash != prev or row.hash != _hash(prev, fields):
            return ChainReport(
                count, False, f"chain {chain_id}: row {row.seq} was changed (its hash no longer matches)"
            )
        prev = row.hash
        expected += 1
        count += 1
        ends[chain_id] = (row.seq, row.hash)
    for chain_id in sorted(registered | heads.keys()):
        end = ends.get(chain_id, (0, GENESIS))
        head = heads.get(chain_id, (0, GENESIS))
        if head != end:
            return ChainReport(
                count,
                False,
                f"chain {chain_id} ends at row {end[0]} but its head records row {head[0]}: rows were cut off",
            )
    return ChainReport(count, True)


def rows(cur: PgCursor, patient_ref: str | None = None) -> list[AuditRow]:
    """The trail in time order (chains interleaved), or its rows about one patient pseudonym."""
    where, params = ("WHERE patient_ref = ?", [patient_ref]) if patient_ref is not None else ("", [])
    found = cur.execute(
        f"SELECT {_COLUMNS} FROM audit_log {where} ORDER BY occurred_at, chain_id, seq",  # noqa: S608 -- constants
        params,
    ).fetchall()
    return [AuditRow(*r) for r in found]
