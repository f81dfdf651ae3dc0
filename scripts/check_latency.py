"""Prints the in-process cost of one check: a new prescription each time, and the same one again (memoised).

Two workloads: the example request (inline patient, few medications) timed without a store, and the benchmark's
polypharmacy patient (20 medications, 3 allergies; `scripts/bench/workload.py`) with a real DuckDB store, as CPU
time of the calling thread per check (by id, new each time; by id again; inline again).

Usage: .venv/bin/python -m scripts.check_latency   (the gRPC figures come from `make bench`)
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from google.protobuf import json_format

from rxsafe.app.service import SafetyService
from rxsafe.bootstrap import build_service
from rxsafe.ehr.duckdb_store import DuckDBRecordStore
from rxsafe.gen import medication_safety_pb2 as pb
from rxsafe.service import convert
from scripts.bench import workload

EXAMPLE = Path(__file__).resolve().parent.parent / "tests" / "data" / "example_request.json"
ROUNDS = 300


def _median_p99(samples: list[float]) -> str:
    ordered = sorted(samples)
    return f"median {statistics.median(ordered) * 1000:.2f} ms, p99 {ordered[int(len(ordered) * 0.99)] * 1000:.2f} ms"


def main() -> None:
    started = time.perf_counter()
    service = build_service(db=None)
    print(f"build_service (knowledge, vocabulary): {time.perf_counter() - started:.2f} s")
    body = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    distinct, repeated = [], []
    for n in range(ROUNDS):
        body["prescription"]["lines"][1]["text"] = f"Aspirin {50 + n}mg"  # a new prescription: no memo hit
        request = convert.check_request_from_pb(json_format.Parse(json.dumps(body), pb.CheckPrescriptionRequest()))
        t0 = time.perf_counter()
        convert.report_to_pb(service.check(request))
        distinct.append(time.perf_counter() - t0)
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        convert.report_to_pb(service.check(request))
        repeated.append(time.perf_counter() - t0)
    print(f"check + conversion, a new prescription each time: {_median_p99(distinct)}")
    print(f"check + conversion, the same prescription again (memoised): {_median_p99(repeated)}")
    _polypharmacy()


def _cpu_ms_per_check(requests: list[pb.CheckPrescriptionRequest], service: SafetyService) -> float:
    started = time.thread_time()
    for request in requests:
        convert.report_to_wire(service.check(convert.check_request_from_pb(request)))
    return (time.thread_time() - started) * 1000 / len(requests)


def _polypharmacy() -> None:
    """The benchmark's patient with a real store: each check is also stored and audited (waiting is not CPU)."""
    today = date.today()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "latency.duckdb"
        with DuckDBRecordStore(db) as store:
            store.upsert_patient(workload.bench_patient(today), source=workload.BENCH_SOURCE)
        service = build_service(db=db, seed=False)
        distinct = workload.distinct_requests(120)
        _cpu_ms_per_check(distinct[:20], service)  # warm the knowledge caches
        new = _cpu_ms_per_check(distinct[20:], service)
        again = _cpu_ms_per_check([workload.request_by_id()] * 100, service)
        inline = _cpu_ms_per_check([workload.request_inline(today)] * 100, service)
        if service.store is not None:
            service.store.close()
    print(f"polypharmacy patient (20 medications), CPU per check: new prescription {new:.2f} ms, the same again by id"
          f" {again:.2f} ms, the same again inline {inline:.2f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
