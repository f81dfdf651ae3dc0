"""Measures the DuckDB record store: patient lookup, commit, and lookups from several threads.

    .venv/bin/python scripts/bench_store.py [--patients 100000] [--meds-per-patient 10]

Builds a throw-away store in a temporary directory (synthetic rows, bulk-inserted with SQL), then prints medians
and p99s. The numbers are for this machine; compare ratios, not absolutes (shared/research/perf-and-style.md).
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb

from rxsafe.core.enums import AllergyStatus, ResolutionStatus, Verdict
from rxsafe.core.models import (
    CheckedLine,
    ConflictReport,
    Prescription,
    PrescriptionLine,
    Resolution,
    StoredCheck,
)
from rxsafe.ehr.duckdb_store import DuckDBRecordStore


def _fill(path: Path, patients: int, meds_per_patient: int) -> None:
    DuckDBRecordStore(path).close()  # creates the schema
    conn = duckdb.connect(str(path))
    conn.execute(
        """
        INSERT INTO patients (patient_id, name, sex, allergy_status, record_version, source)
        SELECT lpad(i::VARCHAR, 12, '0'), 'BENCH ' || i, 'UNSPECIFIED', 'LISTED', 1, 'bench (synthetic)'
        FROM range(?) t(i)
        """,
        [patients],
    )
    # Random physical order, as in the research measurement: no help from zone maps.
    conn.execute(
        """
        INSERT INTO medications (patient_id, text, start_date, days, source)
        SELECT lpad((hash(i) % ?)::VARCHAR, 12, '0'), 'Thuốc ' || i, DATE '2026-01-01', 30, 'bench (synthetic)'
        FROM range(?) t(i)
        """,
        [patients, patients * meds_per_patient],
    )
    conn.execute(
        """
        INSERT INTO allergies (patient_id, allergen, source)
        SELECT lpad((hash(i + 7) % ?)::VARCHAR, 12, '0'), 'Dị nguyên ' || i, 'bench (synthetic)'
        FROM range(?) t(i)
        """,
        [patients, patients // 2],
    )
    conn.close()


def _check(check_id: str, patient_id: str, version: int) -> StoredCheck:
    line = PrescriptionLine(text="Amoxicilin 500mg", days=7)
    report = ConflictReport(
        check_id=check_id,
        verdict=Verdict.PASS,
        knowledge_version="bench",
        lines=(CheckedLine(index=0, line=line, resolution=Resolution(status=ResolutionStatus.RESOLVED)),),
        patient_id=patient_id,
        record_version=version,
        as_of=date(2026, 1, 15),
        allergy_status=AllergyStatus.LISTED,
    )
    return StoredCheck(report=report, prescription=Prescription(lines=(line,)))


def _timed(fn: Callable[[], object], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def _report(name: str, ms: list[float]) -> None:
    ms = sorted(ms)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(f"{name:<44} median {statistics.median(ms):7.3f} ms   p99 {p99:7.3f} ms   (n={len(ms)})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--meds-per-patient", type=int, default=10)
    parser.add_argument("--n", type=int, default=500)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        t0 = time.perf_counter()
        _fill(path, args.patients, args.meds_per_patient)
        print(
            f"filled {args.patients} patients, {args.patients * args.meds_per_patient} medications "
            f"in {time.perf_counter() - t0:.1f} s"
        )
        rng = random.Random(1)  # noqa: S311 - sampling for a benchmark, not security
        ids = [f"{rng.randrange(args.patients):012d}" for _ in range(args.n)]

        with DuckDBRecordStore(path) as store:
            it = iter(ids * 2)
            _timed(lambda: store.get_patient(next(it)), 50)  # warm-up
            it = iter(ids)
            _report("get_patient (3 indexed point queries)", _timed(lambda: store.get_patient(next(it)), args.n))

            commit_ids = [f"{i:012d}" for i in range(args.n)]
            for i, pid in enumerate(commit_ids):
                store.save_check(_check(f"bench-{i}", pid, 1))
            it_i = iter(range(args.n))

            def save() -> None:
                i = next(it_i)
                store.save_check(_check(f"bench-save-{i}", commit_ids[i], 1))

            _report("save_check (1 insert + COMMIT)", _timed(save, args.n))
            it_c = iter(range(args.n))

            def commit() -> None:
                i = next(it_c)
                store.commit_prescription(
                    check_id=f"bench-{i}",
                    overrides=(),
                    idempotency_key=f"key-{i}",
                    prescriber_id="bench",
                    committed_at="2026-01-15T09:30:00+07:00",
                )

            _report("commit_prescription (1 line, fsync'd COMMIT)", _timed(commit, args.n))
            it_r = iter(range(args.n))
            _report(
                "commit_prescription replay (same key)",
                _timed(
                    lambda: store.commit_prescription(
                        check_id=f"bench-{(i := next(it_r))}",
                        overrides=(),
                        idempotency_key=f"key-{i}",
                        prescriber_id="bench",
                        committed_at="x",
                    ),
                    args.n,
                ),
            )

            for threads in (1, 2, 4):
                per_thread = args.n * 2 // threads
                done = threading.Barrier(threads + 1)

                def reader(seed: int, per_thread: int = per_thread, done: threading.Barrier = done) -> None:
                    r = random.Random(seed)  # noqa: S311
                    done.wait()
                    for _ in range(per_thread):
                        store.get_patient(f"{r.randrange(args.patients):012d}")
                    done.wait()

                workers = [threading.Thread(target=reader, args=(s,)) for s in range(threads)]
                for w in workers:
                    w.start()
                done.wait()
                t0 = time.perf_counter()
                done.wait()
                elapsed = time.perf_counter() - t0
                for w in workers:
                    w.join()
                print(f"get_patient from {threads} thread(s): {threads * per_thread / elapsed:8.0f} lookups/s")


if __name__ == "__main__":
    main()
