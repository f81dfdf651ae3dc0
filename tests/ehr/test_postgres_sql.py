"""The shared SQL in PostgreSQL's spelling (no database needed)."""

from __future__ import annotations

from rxsafe.ehr.postgres_sql import postgres_sql
from rxsafe.ehr.schema import MIGRATIONS


def test_placeholders_are_numbered_in_order_and_numbered_ones_kept() -> None:
    assert postgres_sql("UPDATE t SET a = ?, b = ? WHERE id = ?") == "UPDATE t SET a = $1, b = $2 WHERE id = $3"
    assert postgres_sql("SELECT unnest($1::VARCHAR[]) WHERE x = $2") == "SELECT unnest($1::VARCHAR[]) WHERE x = $2"


def test_double_becomes_double_precision_once() -> None:
    assert postgres_sql("ALTER TABLE p ADD COLUMN h DOUBLE") == "ALTER TABLE p ADD COLUMN h DOUBLE PRECISION"
    assert postgres_sql("SELECT NULL::DOUBLE[], 1::DOUBLE PRECISION") == (
        "SELECT NULL::DOUBLE PRECISION[], 1::DOUBLE PRECISION"
    )


def test_no_shared_migration_has_a_placeholder_a_translation_could_break() -> None:
    # Migrations are run without parameters: a '?' in one would be renumbered, so none may contain one.
    assert not [s for m in MIGRATIONS for s in m.statements if "?" in s]
