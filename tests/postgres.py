"""PostgreSQL for the tests: a schema of its own per test in database ``test``, dropped afterwards.

The server is expected at 127.0.0.1:5432 (``$RXSAFE_TEST_POSTGRES`` overrides the URL). When it cannot be reached,
the PostgreSQL variants of the tests are skipped, and the skip says so; any other failure is a failure.
"""

from __future__ import annotations

import functools
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from psycopg import sql

POSTGRES_URL = os.environ.get("RXSAFE_TEST_POSTGRES", "postgresql://127.0.0.1:5432/test")


@functools.cache
def unreachable_reason() -> str | None:
    """Why PostgreSQL cannot be used for the tests, or None when it can (asked once per session)."""
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"PostgreSQL unreachable at {POSTGRES_URL} ({first_line}): PostgreSQL store variant skipped"
    return None


def require_postgres() -> None:
    """Skips the calling test, saying why, when the PostgreSQL server is not there."""
    reason = unreachable_reason()
    if reason is not None:
        pytest.skip(reason)


@contextmanager
def fresh_schema(prefix: str = "rxsafe_test") -> Iterator[str]:
    """A new, empty schema (random name) that is dropped with everything in it afterwards."""
    require_postgres()
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


def url_with_schema(schema: str) -> str:
    """The test database's URL with ``schema`` as the search path (for a server started as a subprocess)."""
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}options=-csearch_path%3D{schema}"
