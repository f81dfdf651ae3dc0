"""The record store's schema on PostgreSQL: the shared migrations, then PostgreSQL's own, under an advisory lock.

Both stores apply the one list in ``rxsafe.ehr.schema.MIGRATIONS`` (translated by ``postgres_sql``), recorded in
``schema_version`` as on DuckDB: a migration added there later reaches PostgreSQL with no further work. What only
PostgreSQL needs — a store that several processes write at once — is a second list, ``POSTGRES_MIGRATIONS``,
recorded in ``postgres_schema_version``; it is applied after the shared ones and touches only what it adds.

Several processes may start at once (``--workers N``, replicas): each takes a session-level advisory lock (one per
schema) for the whole migration, so exactly one applies it and the others wait, then find nothing left to do.
Each migration is one transaction (PostgreSQL's DDL is transactional): a crash midway leaves the previous version.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg

from rxsafe.ehr.postgres_sql import postgres_sql
from rxsafe.ehr.schema import LATEST_VERSION, MIGRATIONS, SchemaTooNew


@dataclass(frozen=True)
class PostgresMigration:
    version: int
    description: str
    statements: tuple[str, ...]


POSTGRES_MIGRATIONS: tuple[PostgresMigration, ...] = (
    PostgresMigration(
        1,
        "several writers: one audit chain per writer process (chain_id), chains registered; overrides carry the"
        " patient key (every patient table can be distributed by patient_id)",
        (
            "ALTER TABLE audit_log ADD COLUMN chain_id VARCHAR NOT NULL DEFAULT ''",
            "ALTER TABLE audit_log DROP CONSTRAINT audit_log_pkey",
            "ALTER TABLE audit_log ADD PRIMARY KEY (chain_id, seq)",
            "ALTER TABLE audit_heads ADD COLUMN chain_id VARCHAR NOT NULL DEFAULT ''",
            "CREATE INDEX audit_heads_chain_idx ON audit_heads (chain_id, seq)",
            "CREATE TABLE audit_chains (chain_id VARCHAR PRIMARY KEY, started_at VARCHAR NOT NULL)",
            # Chain '' holds rows of a trail written before this migration (none: a new store starts here).
            "INSERT INTO audit_chains (chain_id, started_at) SELECT DISTINCT '', '' FROM audit_log",
            "ALTER TABLE overrides ADD COLUMN patient_id VARCHAR",
            "CREATE INDEX overrides_patient_idx ON overrides (patient_id)",
            "CREATE INDEX checks_created_idx ON checks (created_at)",
        ),
    ),
)

# One advisory lock key space for rxsafe migrations; the schema name makes the key (tests use a schema each).
_LOCK = "SELECT pg_advisory_lock(hashtext('rxsafe.migrate.' || current_schema()))"
_UNLOCK = "SELECT pg_advisory_unlock(hashtext('rxsafe.migrate.' || current_schema()))"
_CREATE_SECRET = "INSERT INTO store_meta (key, value) VALUES ('audit_secret', %s) ON CONFLICT DO NOTHING"  # noqa: S105 -- SQL storing a generated secret


def migrate(conn: psycopg.Connection[Any]) -> tuple[int, int]:
    """Brings the schema up to date; returns (shared version, PostgreSQL version). ``conn`` is in autocommit.

    Raises ``SchemaTooNew`` when the database is ahead of this code. Also creates the installation's audit
    secret (pseudonyms) here, once, rather than racing for it on the first audited call.
    """
    conn.execute(_LOCK)
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version "
            "(version INTEGER PRIMARY KEY, description VARCHAR NOT NULL, applied_at VARCHAR NOT NULL)"
        )
        conn.execute(
            "CREATE TABLE IF NOT EXISTS postgres_schema_version "
            "(version INTEGER PRIMARY KEY, description VARCHAR NOT NULL, applied_at VARCHAR NOT NULL)"
        )
        shared = _apply(conn, "schema_version", MIGRATIONS, LATEST_VERSION)
        own = _apply(conn, "postgres_schema_version", POSTGRES_MIGRATIONS, POSTGRES_MIGRATIONS[-1].version)
        conn.execute(_CREATE_SECRET, [secrets.token_hex(32)])
        return shared, own
    finally:
        conn.execute(_UNLOCK)


def _apply(conn: psycopg.Connection[Any], table: str, migrations: tuple[Any, ...], latest: int) -> int:
    row = conn.execute(f"SELECT coalesce(max(version), 0) FROM {table}").fetchone()  # noqa: S608 -- constant
    version = int(row[0]) if row is not None else 0
    if version > latest:
        raise SchemaTooNew(f"record store {table} {version} is newer than this rxsafe supports ({latest})")
    for migration in migrations:
        if migration.version <= version:
            continue
        with conn.transaction():
            for statement in migration.statements:
                conn.execute(postgres_sql(statement))
            conn.execute(
                f"INSERT INTO {table} (version, description, applied_at) VALUES (%s, %s, %s)",  # noqa: S608
                [migration.version, migration.description, datetime.now(UTC).isoformat()],
            )
        version = migration.version
    return version
