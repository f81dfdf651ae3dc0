"""The record store's DuckDB schema, as an ordered list of additive migrations.

``schema_version`` holds one row per applied migration. A later change appends a ``Migration`` with the next
number (``ALTER TABLE … ADD COLUMN``, a new table or index); migrations already shipped are never edited, so a
database file written by any earlier rxsafe opens and upgrades in place.

Conventions of the schema:

- ``patient_id`` is the 12-digit personal identification number (số định danh cá nhân), the national health ID.
- Every clinical row carries ``source``: where it came from (``"demo seed (synthetic)"``,
  ``"commit rx-…"``, ``"import …"``). Checks and prescriptions are themselves the audit trail of rxsafe's own
  writes, so they need no separate ``source``.
- Timestamps are ISO 8601 text, stored exactly as given: a replayed commit must return the very string the first
  answer carried, and no query filters or sorts by them.
- Reports and prescriptions are stored as the pydantic JSON of the domain models (``rxsafe.ehr.serialize``):
  they are written once and read back whole, never queried field by field.
- Every ``patient_id`` column has an ART index: a patient lookup is a point query, 14 to 17 times faster with the index
  than a full scan on a million rows (shared/research/perf-and-style.md, 1b).
- No foreign keys: every write goes through ``DuckDBRecordStore``, which keeps the references consistent inside
  one transaction, and DuckDB's foreign keys add restrictions (no cascades) without adding safety here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "initial schema: patients, allergies, medications, checks, prescriptions, overrides, record_changes",
        (
            """
            CREATE TABLE patients (
                patient_id      VARCHAR PRIMARY KEY,
                name            VARCHAR NOT NULL DEFAULT '',
                birth_date      DATE,
                sex             VARCHAR NOT NULL,
                allergy_status  VARCHAR NOT NULL,
                weight_kg       DOUBLE,
                record_version  BIGINT NOT NULL,
                source          VARCHAR NOT NULL
            )
            """,
            "CREATE SEQUENCE allergies_id_seq START 1",
            """
            CREATE TABLE allergies (
                id              BIGINT PRIMARY KEY DEFAULT nextval('allergies_id_seq'),
                patient_id      VARCHAR NOT NULL,
                allergen        VARCHAR NOT NULL,
                reaction        VARCHAR NOT NULL DEFAULT '',
                severity        VARCHAR NOT NULL DEFAULT '',
                recorded_date   DATE,
                source          VARCHAR NOT NULL
            )
            """,
            "CREATE INDEX allergies_patient_idx ON allergies (patient_id)",
            "CREATE SEQUENCE medications_id_seq START 1",
            """
            CREATE TABLE medications (
                id                   BIGINT PRIMARY KEY DEFAULT nextval('medications_id_seq'),
                patient_id           VARCHAR NOT NULL,
                text                 VARCHAR NOT NULL,
                start_date           DATE,
                days                 INTEGER,
                end_date             DATE,
                dose_text            VARCHAR NOT NULL DEFAULT '',
                national_drug_code   VARCHAR NOT NULL DEFAULT '',
                registration_number  VARCHAR NOT NULL DEFAULT '',
                prescription_id      VARCHAR,
                source               VARCHAR NOT NULL
            )
            """,
            "CREATE INDEX medications_patient_idx ON medications (patient_id)",
            """
            CREATE TABLE checks (
                check_id           VARCHAR PRIMARY KEY,
                patient_id         VARCHAR NOT NULL,
                record_version     BIGINT NOT NULL,
                report_json        VARCHAR NOT NULL,
                prescription_json  VARCHAR NOT NULL,
                inline_patient     BOOLEAN NOT NULL,
                created_at         VARCHAR NOT NULL
            )
            """,
            "CREATE INDEX checks_patient_idx ON checks (patient_id)",
            """
            CREATE TABLE prescriptions (
                prescription_id  VARCHAR PRIMARY KEY,
                check_id         VARCHAR NOT NULL UNIQUE,
                patient_id       VARCHAR NOT NULL,
                prescriber_id    VARCHAR NOT NULL,
                committed_at     VARCHAR NOT NULL,
                idempotency_key  VARCHAR NOT NULL UNIQUE,
                result_json      VARCHAR NOT NULL
            )
            """,
            "CREATE INDEX prescriptions_patient_idx ON prescriptions (patient_id)",
            "CREATE SEQUENCE overrides_id_seq START 1",
            """
            CREATE TABLE overrides (
                id               BIGINT PRIMARY KEY DEFAULT nextval('overrides_id_seq'),
                prescription_id  VARCHAR NOT NULL,
                conflict_id      VARCHAR NOT NULL,
                reason           VARCHAR NOT NULL,
                comment          VARCHAR NOT NULL DEFAULT '',
                overridden_by    VARCHAR NOT NULL DEFAULT '',
                source           VARCHAR NOT NULL
            )
            """,
            "CREATE INDEX overrides_prescription_idx ON overrides (prescription_id)",
            # One row per record_version a patient ever had: what changed and when. It lets a stale commit say
            # what happened since the check, without keeping whole copies of the record. "what" names kinds of
            # change (counts, statuses, prescription ids), never free text from the record.
            """
            CREATE TABLE record_changes (
                patient_id  VARCHAR NOT NULL,
                version     BIGINT NOT NULL,
                what        VARCHAR NOT NULL,
                changed_at  VARCHAR NOT NULL,
                PRIMARY KEY (patient_id, version)
            )
            """,
            "CREATE INDEX record_changes_patient_idx ON record_changes (patient_id)",
        ),
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version


class SchemaTooNew(Exception):
    """The database file was written by a newer rxsafe: its schema cannot be trusted by this one."""


def current_version(conn: duckdb.DuckDBPyConnection) -> int:
    """The highest applied migration, 0 for an empty database."""
    conn.execute(
        """
        CREATE TABLE IF NOT EXISTS schema_version (
            version      INTEGER PRIMARY KEY,
            description  VARCHAR NOT NULL,
            applied_at   VARCHAR NOT NULL
        )
        """
    )
    row = conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()
    return int(row[0]) if row is not None else 0


def migrate(conn: duckdb.DuckDBPyConnection) -> int:
    """Applies the migrations this database lacks, each in its own transaction; returns the schema version.

    Raises ``SchemaTooNew`` when the file is ahead of this code, rather than guess at a schema it does not know.
    The caller must hold the store's write lock (or be the only user of ``conn``).
    """
    version = current_version(conn)
    if version > LATEST_VERSION:
        raise SchemaTooNew(
            f"record store schema version {version} is newer than this rxsafe supports ({LATEST_VERSION})"
        )
    for migration in MIGRATIONS:
        if migration.version <= version:
            continue
        conn.begin()
        try:
            for statement in migration.statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
                [migration.version, migration.description, datetime.now(UTC).isoformat()],
            )
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        version = migration.version
    return version
