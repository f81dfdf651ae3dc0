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
    Migration(
        2,
        "audit trail: append-only, hash-chained; installation secret for patient pseudonyms",
        (
            "CREATE TABLE store_meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)",
            # Who read or changed which patient's data, why, when, and what happened. Patients appear only as a
            # keyed pseudonym (HMAC of the personal ID), so the trail itself does not disclose identities.
            """
            CREATE TABLE audit_log (
                seq          BIGINT PRIMARY KEY,
                occurred_at  VARCHAR NOT NULL,
                client       VARCHAR NOT NULL,
                user_id      VARCHAR NOT NULL,
                roles        VARCHAR NOT NULL,
                purpose      VARCHAR NOT NULL,
                action       VARCHAR NOT NULL,
                patient_ref  VARCHAR NOT NULL,
                subject      VARCHAR NOT NULL,
                outcome      VARCHAR NOT NULL,
                prev_hash    VARCHAR NOT NULL,
                hash         VARCHAR NOT NULL
            )
            """,
            "CREATE INDEX audit_patient_idx ON audit_log (patient_ref)",
        ),
    ),
    Migration(
        3,
        "Decision 31 record groups; imports: provenance (file, table, row) and natural keys on every imported row",
        (
            # Administrative group: insurance card, address, legal representative; clinical indicators.
            # (DuckDB cannot add a NOT NULL column to a table that has an index; the DEFAULT fills old rows.)
            "ALTER TABLE patients ADD COLUMN insurance_card VARCHAR DEFAULT ''",
            "ALTER TABLE patients ADD COLUMN address VARCHAR DEFAULT ''",
            "ALTER TABLE patients ADD COLUMN legal_rep_json VARCHAR",
            "ALTER TABLE patients ADD COLUMN blood_group VARCHAR DEFAULT ''",
            "ALTER TABLE patients ADD COLUMN height_cm DOUBLE",
            # Allergy: Decision 31's type, and the verification status.
            "ALTER TABLE allergies ADD COLUMN allergy_type VARCHAR DEFAULT ''",
            "ALTER TABLE allergies ADD COLUMN verification_status VARCHAR DEFAULT ''",
            # Medication: strength, quantity and unit, route, prescriber, order time, follow-up.
            "ALTER TABLE medications ADD COLUMN strength VARCHAR DEFAULT ''",
            "ALTER TABLE medications ADD COLUMN quantity DOUBLE",
            "ALTER TABLE medications ADD COLUMN unit VARCHAR DEFAULT ''",
            "ALTER TABLE medications ADD COLUMN route VARCHAR DEFAULT ''",
            "ALTER TABLE medications ADD COLUMN prescriber VARCHAR DEFAULT ''",
            "ALTER TABLE medications ADD COLUMN order_time TIMESTAMP",
            "ALTER TABLE medications ADD COLUMN follow_up_date DATE",
            *(
                statement
                for table in ("allergies", "medications")
                for statement in (
                    # Provenance of an imported row: the file's name, the table in it, the row number there.
                    f"ALTER TABLE {table} ADD COLUMN source_file VARCHAR",
                    f"ALTER TABLE {table} ADD COLUMN source_table VARCHAR",
                    f"ALTER TABLE {table} ADD COLUMN source_row INTEGER",
                    # The row's natural key (e.g. "xml130:<MA_LK>:XML2:<STT>") and a hash of its content:
                    # re-importing a row with the same key updates it when changed, and does nothing otherwise.
                    f"ALTER TABLE {table} ADD COLUMN import_key VARCHAR",
                    f"ALTER TABLE {table} ADD COLUMN content_hash VARCHAR",
                )
            ),
            "CREATE SEQUENCE conditions_id_seq START 1",
            """
            CREATE TABLE conditions (
                id               BIGINT PRIMARY KEY DEFAULT nextval('conditions_id_seq'),
                patient_id       VARCHAR NOT NULL,
                code             VARCHAR NOT NULL DEFAULT '',
                text             VARCHAR NOT NULL DEFAULT '',
                onset_date       DATE,
                place            VARCHAR NOT NULL DEFAULT '',
                role             VARCHAR NOT NULL DEFAULT '',
                clinical_status  VARCHAR NOT NULL DEFAULT '',
                source           VARCHAR NOT NULL,
                source_file      VARCHAR,
                source_table     VARCHAR,
                source_row       INTEGER,
                import_key       VARCHAR,
                content_hash     VARCHAR
            )
            """,
            "CREATE INDEX conditions_patient_idx ON conditions (patient_id)",
            "CREATE SEQUENCE vaccinations_id_seq START 1",
            """
            CREATE TABLE vaccinations (
                id            BIGINT PRIMARY KEY DEFAULT nextval('vaccinations_id_seq'),
                patient_id    VARCHAR NOT NULL,
                vaccine       VARCHAR NOT NULL,
                antigen       VARCHAR NOT NULL DEFAULT '',
                dose_number   INTEGER,
                given_date    DATE,
                source        VARCHAR NOT NULL,
                source_file   VARCHAR,
                source_table  VARCHAR,
                source_row    INTEGER,
                import_key    VARCHAR,
                content_hash  VARCHAR
            )
            """,
            "CREATE INDEX vaccinations_patient_idx ON vaccinations (patient_id)",
            "CREATE SEQUENCE visits_id_seq START 1",
            # One row per visit (XML 130 MA_LK): procedures are a ';'-joined list of ICD-9-CM codes, as in XML1.
            """
            CREATE TABLE visits (
                id                   BIGINT PRIMARY KEY DEFAULT nextval('visits_id_seq'),
                patient_id           VARCHAR NOT NULL,
                visit_key            VARCHAR NOT NULL,
                facility             VARCHAR NOT NULL DEFAULT '',
                admitted             TIMESTAMP,
                discharged           TIMESTAMP,
                visit_type           VARCHAR NOT NULL DEFAULT '',
                reason               VARCHAR NOT NULL DEFAULT '',
                result               VARCHAR NOT NULL DEFAULT '',
                discharge_diagnosis  VARCHAR NOT NULL DEFAULT '',
                blood_group          VARCHAR NOT NULL DEFAULT '',
                height_cm            DOUBLE,
                weight_kg            DOUBLE,
                procedures           VARCHAR NOT NULL DEFAULT '',
                follow_up            VARCHAR NOT NULL DEFAULT '',
                source               VARCHAR NOT NULL,
                source_file          VARCHAR,
                source_table         VARCHAR,
                source_row           INTEGER,
                import_key           VARCHAR,
                content_hash         VARCHAR
            )
            """,
            "CREATE INDEX visits_patient_idx ON visits (patient_id)",
            "CREATE SEQUENCE observations_id_seq START 1",
            """
            CREATE TABLE observations (
                id            BIGINT PRIMARY KEY DEFAULT nextval('observations_id_seq'),
                patient_id    VARCHAR NOT NULL,
                code          VARCHAR NOT NULL DEFAULT '',
                name          VARCHAR NOT NULL DEFAULT '',
                value_text    VARCHAR NOT NULL DEFAULT '',
                value         DOUBLE,
                unit          VARCHAR NOT NULL DEFAULT '',
                effective     TIMESTAMP,
                conclusion    VARCHAR NOT NULL DEFAULT '',
                source        VARCHAR NOT NULL,
                source_file   VARCHAR,
                source_table  VARCHAR,
                source_row    INTEGER,
                import_key    VARCHAR,
                content_hash  VARCHAR
            )
            """,
            "CREATE INDEX observations_patient_idx ON observations (patient_id)",
            # One row per file imported (by content hash): the summary of what it changed, for the audit trail.
            """
            CREATE TABLE import_files (
                sha256       VARCHAR PRIMARY KEY,
                file_name    VARCHAR NOT NULL,
                format       VARCHAR NOT NULL,
                imported_at  VARCHAR NOT NULL,
                summary      VARCHAR NOT NULL
            )
            """,
        ),
    ),
    Migration(
        4,
        "pregnancy status as recorded (the pregnancy check also reads ICD-10 O codes and Z33)",
        ("ALTER TABLE patients ADD COLUMN pregnancy_status VARCHAR NOT NULL DEFAULT 'UNKNOWN'",),
    ),
    Migration(
        5,
        "audit trail head as an append-only table (updating one row per transaction slows DuckDB down steadily)",
        (
            "CREATE TABLE audit_heads (seq BIGINT NOT NULL, hash VARCHAR NOT NULL)",
            """
            INSERT INTO audit_heads
            SELECT CAST(split_part(value, ':', 1) AS BIGINT), split_part(value, ':', 2)
            FROM store_meta WHERE key = 'audit_head'
            """,
            "DELETE FROM store_meta WHERE key = 'audit_head'",
        ),
    ),
    Migration(
        6,
        "report bodies stored once by content hash, a check's time in a column of its own: every check with the"
        " same result refers to one body (a polypharmacy report is ~20 KB compressed; its id and time are not)",
        (
            "ALTER TABLE checks ADD COLUMN checked_at VARCHAR",
            "CREATE TABLE report_bodies (body_hash VARCHAR PRIMARY KEY, body VARCHAR NOT NULL)",
        ),
    ),
    Migration(
        7,
        "the calling system that asserted each override's user (the authenticated client); a table of its own, as"
        " DuckDB cannot add a column to a table with an index",
        (
            """
            CREATE TABLE override_clients (
                prescription_id     VARCHAR NOT NULL,
                conflict_id         VARCHAR NOT NULL,
                asserted_by_client  VARCHAR NOT NULL
            )
            """,
            "CREATE INDEX override_clients_prescription_idx ON override_clients (prescription_id)",
        ),
    ),
    Migration(
        8,
        "breastfeeding status as recorded (issue 14: Korea's DUR breastfeeding cautions; unknown is a stated gap)",
        ("ALTER TABLE patients ADD COLUMN lactation_status VARCHAR NOT NULL DEFAULT 'UNKNOWN'",),
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
