"""Fixtures for the record store tests: a real DuckDB file under tmp_path, and hand-built checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from rxsafe.core.enums import AllergyStatus, ResolutionStatus, Verdict
from rxsafe.core.models import (
    CheckedLine,
    ConflictReport,
    Prescription,
    PrescriptionLine,
    Resolution,
    ResolvedIngredient,
    StoredCheck,
)
from rxsafe.ehr.duckdb_store import DuckDBRecordStore
from rxsafe.ehr.postgres_sql import PgCursor
from rxsafe.ehr.postgres_store import PostgresRecordStore
from tests.postgres import POSTGRES_URL, fresh_schema

AS_OF = date(2026, 1, 15)

MakeCheck = Callable[..., StoredCheck]


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "records.duckdb"


@pytest.fixture(params=["duckdb", "postgres"])
def store(request: pytest.FixtureRequest, db_path: Path) -> Iterator[DuckDBRecordStore]:
    """The store contract runs on both stores: a DuckDB file, and a fresh PostgreSQL schema (dropped after)."""
    if request.param == "duckdb":
        s = DuckDBRecordStore(db_path)
        yield s
        s.close()
        return
    with fresh_schema() as schema:
        pg = PostgresRecordStore(POSTGRES_URL, schema=schema)
        yield pg
        pg.close()


CountRows = Callable[[DuckDBRecordStore, str], int]
RawQuery = Callable[..., list[tuple[Any, ...]]]


def _raw(store: DuckDBRecordStore, sql: str, *params: object) -> list[tuple[Any, ...]]:
    # Tests look at the raw tables on purpose, on a cursor of the store's own connection.
    if isinstance(store, PostgresRecordStore):
        with store._connection("test") as conn:
            found = PgCursor(conn.cursor()).execute(sql, list(params))  # type: ignore[arg-type]  # a RawCursor
            return found.fetchall() if found.raw.description is not None else []
    cur = store._conn.cursor()
    try:
        return cur.execute(sql, list(params)).fetchall()
    finally:
        cur.close()


@pytest.fixture
def raw() -> RawQuery:
    """``raw(store, sql, *params)``: the rows of a query on the store's tables."""
    return _raw


@pytest.fixture
def count_rows() -> CountRows:
    """``count_rows(store, table)``: how many rows ``table`` holds."""

    def count(store: DuckDBRecordStore, table: str) -> int:
        assert table.isidentifier()  # a fixed table name from the test, never data
        return int(_raw(store, f"SELECT count(*) FROM {table}")[0][0])

    return count


@pytest.fixture
def make_check() -> MakeCheck:
    """Builds a minimal stored check: ``make_check(check_id, patient_id, record_version, lines=..., inline=...)``."""

    def build(
        check_id: str,
        patient_id: str,
        record_version: int,
        *,
        lines: tuple[PrescriptionLine, ...] = (
            PrescriptionLine(text="Amoxicilin 500mg", days=7, dose_text="1 viên/lần * 3 lần/ngày"),
            PrescriptionLine(text="Paracetamol 500mg", days=3, national_drug_code="40.0000-test"),
        ),
        inline: bool = False,
    ) -> StoredCheck:
        report = ConflictReport(
            check_id=check_id,
            verdict=Verdict.PASS,
            knowledge_version="test-kb-1",
            lines=tuple(
                CheckedLine(
                    index=i,
                    line=line,
                    resolution=Resolution(
                        status=ResolutionStatus.RESOLVED,
                        ingredients=(ResolvedIngredient(inn=line.text.split()[0].lower()),),
                    ),
                )
                for i, line in enumerate(lines)
            ),
            patient_id="" if inline else patient_id,
            record_version=0 if inline else record_version,
            as_of=AS_OF,
            checked_at="2026-01-15T09:30:00+07:00",
            allergy_status=AllergyStatus.LISTED,
        )
        return StoredCheck(
            report=report,
            prescription=Prescription(lines=lines, prescriber_id="000123/HCM-CCHN"),
            inline_patient=inline,
        )

    return build
