"""The record store's SQL on PostgreSQL: the shared statements in PostgreSQL's dialect, and a cursor that runs them.

The record store's statements (``duckdb_store``, ``import_writer``, ``audit``, the migrations in ``schema``) are
written once, in the subset of SQL both engines read. Two spellings differ and are translated here, so a statement
or migration added later for DuckDB runs on PostgreSQL unchanged:

- placeholders: DuckDB's ``?`` become PostgreSQL's numbered ``$1, $2 …`` (``$n`` already numbered stay as they
  are). None of the store's statements has a ``?`` inside a string literal;
- ``DOUBLE`` (DuckDB's name for an 8-byte float) becomes ``DOUBLE PRECISION``.

``PgCursor`` gives a psycopg cursor the small part of DuckDB's cursor API the shared code uses (``execute``
returning the cursor, ``executemany``, ``fetchone``, ``fetchall``), with statements translated on the way.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

import psycopg

_PLACEHOLDER = re.compile(r"\?")
_DOUBLE = re.compile(r"\bDOUBLE\b(?!\s+PRECISION)", re.IGNORECASE)


@functools.lru_cache(maxsize=2048)
def postgres_sql(statement: str) -> str:
    """A shared statement in PostgreSQL's spelling.

    >>> postgres_sql("SELECT NULL::DOUBLE AS n FROM t WHERE a = ? AND b = ?")
    'SELECT NULL::DOUBLE PRECISION AS n FROM t WHERE a = $1 AND b = $2'
    """
    counter = iter(range(1, 65536))
    numbered = _PLACEHOLDER.sub(lambda _: f"${next(counter)}", statement)
    return _DOUBLE.sub("DOUBLE PRECISION", numbered)


class PgCursor:
    """A psycopg (raw, server-side binding) cursor behind DuckDB's cursor calls."""

    def __init__(self, cursor: psycopg.RawCursor[tuple[Any, ...]]) -> None:
        self.raw = cursor

    def execute(self, statement: str, parameters: Sequence[Any] | None = None) -> PgCursor:
        self.raw.execute(postgres_sql(statement), parameters)
        return self

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        self.raw.executemany(postgres_sql(statement), rows)

    def fetchone(self) -> tuple[Any, ...] | None:
        return self.raw.fetchone()

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.raw.fetchall()
