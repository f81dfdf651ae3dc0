"""Prints EXPLAIN ANALYZE of the patient lookup, to confirm the ART indexes are used.

    .venv/bin/python scripts/explain_store.py [--patients 20000]

Builds a throw-away store with enough synthetic rows that the optimiser has a choice (on a few rows it rightly
scans). Look for ``Type: Index Scan`` and ``Row Groups Scanned: 0 / N`` under each Table Scan. A plain EXPLAIN
would show a sequential scan even when the index is used.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import duckdb

from rxsafe.ehr.duckdb_store import DuckDBRecordStore


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "explain.duckdb"
        DuckDBRecordStore(path).close()
        conn = duckdb.connect(str(path))
        conn.execute(
            """
            INSERT INTO patients (patient_id, sex, allergy_status, record_version, source)
            SELECT lpad(i::VARCHAR, 12, '0'), 'UNSPECIFIED', 'NOT_RECORDED', 1, 'explain (synthetic)' FROM range(?) t(i)
            """,
            [args.patients],
        )
        for table, column in (("medications", "text"), ("allergies", "allergen")):
            conn.execute(
                f"""
                INSERT INTO {table} (patient_id, {column}, source)
                SELECT lpad((hash(i) % ?)::VARCHAR, 12, '0'), 'x' || i, 'explain (synthetic)' FROM range(?) t(i)
                """,  # noqa: S608 - table and column names are the constants above
                [args.patients, args.patients * 10],
            )
        conn.close()
        with DuckDBRecordStore(path) as store:
            for table, plan in store.explain_patient_lookup("000000000042").items():
                verdict = "index scan" if "Index Scan" in plan else "NO INDEX SCAN"
                print(f"=== {table}: {verdict}\n{plan}")


if __name__ == "__main__":
    main()
