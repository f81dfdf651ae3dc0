"""``python -m scripts.bench_cds``: the CDS Hooks ``order-sign`` service against gRPC ``CheckPrescription``.

One ``rxsafe serve --http-port 0`` over a fresh DuckDB file with the benchmark's synthetic patient (20 current
medications, 3 allergies); the same 5-line prescription for the stored patient through both doors, at the same
number of calls in flight, gRPC and HTTP measured back to back per concurrency. The HTTP client is a minimal
asyncio one (N keep-alive connections, one call in flight on each), the gRPC client the bench's own python-aio
client (one channel, N in flight). Prints p50/p99 per cell and the target: order-sign p99 <= 1.5 x the gRPC
check's p99 at 8 in flight.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from rxsafe.ehr.duckdb_store import DuckDBRecordStore
from rxsafe.service.access import AccessFile, Purpose, Role
from rxsafe.service.interceptors import PURPOSE_HEADER, USER_HEADER
from scripts.bench import loadgen, workload
from scripts.bench.procs import ProcessGroup, Server

REPO_ROOT = Path(__file__).resolve().parents[1]
CHECK_PATH = "/rxsafe.v1.MedicationSafety/CheckPrescription"
CONCURRENCIES = (1, 8)
TARGET_CONCURRENCY = 8
MAX_P99_RATIO = 1.5
DEFAULT_DURATION = 5.0


def order_sign_body() -> dict[str, Any]:
    """The bench prescription as a CDS Hooks order-sign request for the stored patient (no prefetch)."""
    entries = [
        {
            "resource": {
                "resourceType": "MedicationRequest",
                "id": f"bench-{n}",
                "status": "draft",
                "intent": "order",
                "medicationCodeableConcept": {"text": text},
                "subject": {"reference": f"Patient/{workload.BENCH_PATIENT_ID}"},
                "dosageInstruction": [{"text": "1 viên/lần * 2 lần/ngày"}],
                "dispenseRequest": {
                    "quantity": {"value": 14},
                    "expectedSupplyDuration": {
                        "value": 7,
                        "unit": "days",
                        "system": "http://unitsofmeasure.org",
                        "code": "d",
                    },
                },
            }
        }
        for n, text in enumerate(workload.PRESCRIPTION_TEXTS)
    ]
    return {
        "hook": "order-sign",
        "hookInstance": "7f1c1b1e-0000-4000-8000-00000000b001",
        "context": {
            "userId": "Practitioner/bench",
            "patientId": workload.BENCH_PATIENT_ID,
            "draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": entries},
        },
    }


async def _http_run(
    url: str, body: bytes, headers: dict[str, str], concurrency: int, duration: float
) -> loadgen.Result:
    """``concurrency`` keep-alive connections, one call in flight on each.

    A minimal HTTP/1.1 client (one write per request, the answer read by its Content-Length), the counterpart of
    the gRPC client that sends pre-serialized bytes: on a 2-core box a heavier client (httpx costs ~1-2 ms of CPU
    per call) would take its CPU from the server and measure itself. The answer is checked once, with httpx.
    """
    async with httpx.AsyncClient(timeout=30.0) as client:
        first = await client.post(url, content=body, headers=headers)
        first.raise_for_status()
    parsed = httpx.URL(url)
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    request = (
        f"POST {parsed.raw_path.decode()} HTTP/1.1\r\nhost: {parsed.host}:{parsed.port}\r\n{head}"
        f"content-length: {len(body)}\r\n\r\n"
    ).encode("latin-1") + body
    latencies: list[int] = []
    errors = 0
    first_error = ""
    t_measure = time.perf_counter_ns() + int(loadgen.WARMUP_SECONDS * 1e9)
    t_end = t_measure + int(duration * 1e9)

    async def worker() -> None:
        nonlocal errors, first_error
        reader, writer = await asyncio.open_connection(parsed.host, parsed.port)
        try:
            while True:
                t0 = time.perf_counter_ns()
                writer.write(request)
                status_line = await reader.readline()
                length = 0
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                answer = await reader.readexactly(length)
                t1 = time.perf_counter_ns()
                if t1 >= t_end:
                    return
                if t0 < t_measure:
                    continue
                if b" 200 " not in status_line:
                    errors += 1
                    first_error = first_error or f"{status_line.decode().strip()}: {answer[:200]!r}"
                    continue
                latencies.append(t1 - t0)
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    latencies.sort()
    count = len(latencies)
    return loadgen.Result(
        tool="asyncio-http",
        rps=count / duration,
        ok=count,
        errors=errors,
        p50_ms=_percentile(latencies, 0.50),
        p99_ms=_percentile(latencies, 0.99),
        mean_ms=(sum(latencies) / count / 1e6) if count else float("nan"),
        max_ms=latencies[-1] / 1e6 if count else float("nan"),
        first_error=first_error,
    )


def _percentile(sorted_ns: list[int], q: float) -> float:
    if not sorted_ns:
        return float("nan")
    rank = max(0, min(len(sorted_ns) - 1, round(q * len(sorted_ns) + 0.5) - 1))
    return sorted_ns[rank] / 1e6


def _http_address(server: Server) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for line in server.log_path.read_text(errors="replace").splitlines():
            if line.startswith("{") and '"cds serving"' in line:
                return str(json.loads(line)["address"])
        time.sleep(0.05)
    raise RuntimeError("the server did not log 'cds serving'")


def run(duration: float, concurrencies: Sequence[int], workdir: Path, procs: ProcessGroup, rounds: int = 3) -> int:
    """Both measurements; returns non-zero when a call failed."""
    db = workdir / "bench.duckdb"
    with DuckDBRecordStore(db) as store:
        store.upsert_patient(workload.bench_patient(date.today()), source=workload.BENCH_SOURCE)
    access_path = workdir / "access.json"
    access = AccessFile.load(access_path)
    key = access.create_key((Role.PRESCRIBER,), "rxsafe bench (synthetic load)")
    access.save(access_path)
    metadata = (("authorization", f"Bearer {key}"), (USER_HEADER, "bench"), (PURPOSE_HEADER, Purpose.TREATMENT.value))
    headers = {"authorization": f"Bearer {key}", "content-type": "application/json", USER_HEADER: "bench"}

    console = Path(sys.executable).with_name("rxsafe")
    command = [str(console)] if console.exists() else [sys.executable, "-m", "rxsafe.cli"]
    argv = [*command, "serve", "--host", "127.0.0.1", "--port", "0", "--http-port", "0", "--db", str(db)]
    server = procs.start_server("rxsafe", argv, cwd=REPO_ROOT, log_path=workdir / "rxsafe.log")
    url = f"http://{_http_address(server)}/cds-services/rxsafe-order-sign"
    grpc_body = workload.request_by_id().SerializeToString()
    http_body = json.dumps(order_sign_body()).encode("utf-8")

    rows: list[tuple[int, loadgen.Result, loadgen.Result]] = []
    for concurrency in concurrencies:
        # At the target concurrency the pair is measured several times, alternating, on a noisy shared box.
        for _ in range(rounds if concurrency == TARGET_CONCURRENCY else 1):
            print(f"[bench-cds] gRPC CheckPrescription @ {concurrency} in flight", file=sys.stderr, flush=True)
            grpc_result, _ = loadgen.python_client(
                server.address, CHECK_PATH, grpc_body, metadata=metadata, concurrency=concurrency, duration=duration
            )
            print(f"[bench-cds] HTTP order-sign @ {concurrency} in flight", file=sys.stderr, flush=True)
            http_result = asyncio.run(_http_run(url, http_body, headers, concurrency, duration))
            rows.append((concurrency, grpc_result, http_result))

    print("== CDS Hooks order-sign vs gRPC CheckPrescription (same patient by id, same 5 lines)")
    print(f"{duration:g} s measured after {loadgen.WARMUP_SECONDS:g} s warm-up per cell")
    print(f"{'in flight':>9}  {'target':<34}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for concurrency, grpc_result, http_result in rows:
        for label, r in (
            ("gRPC CheckPrescription (python-aio)", grpc_result),
            ("HTTP order-sign (asyncio-http)", http_result),
        ):
            print(f"{concurrency:>9}  {label:<34}{r.rps:>8.0f}{r.p50_ms:>9.2f}{r.p99_ms:>9.2f}{r.errors:>8}")
    failed = [r.first_error for _, g, h in rows for r in (g, h) if r.errors]
    pairs = [(g, h) for c, g, h in rows if c == TARGET_CONCURRENCY and g.p99_ms > 0]
    if pairs:
        ratios = sorted(h.p99_ms / g.p99_ms for g, h in pairs)
        ratio = ratios[len(ratios) // 2]
        verdict = "MET" if ratio <= MAX_P99_RATIO else "MISSED"
        shown = ", ".join(f"{r:.2f}" for r in ratios)
        print(
            f"target: order-sign p99 <= {MAX_P99_RATIO:g} x gRPC p99 at {TARGET_CONCURRENCY} in flight: "
            f"median of {len(ratios)} alternating pairs {ratio:.2f} x ({shown})  {verdict}"
        )
    for error in failed:
        print(f"FAILED CALLS: {error}")
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; every server started is stopped however the run ends."""
    parser = argparse.ArgumentParser(prog="python -m scripts.bench_cds", description=__doc__)
    parser.add_argument("--duration", type=float, default=DEFAULT_DURATION, help="measured seconds per cell")
    parser.add_argument("--quick", action="store_true", help="1 s per cell, one round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating gRPC/HTTP pairs at 8 in flight (3)")
    args = parser.parse_args(argv)
    duration = 1.0 if args.quick else args.duration
    with tempfile.TemporaryDirectory(prefix="rxsafe-bench-cds-") as tmp, ProcessGroup() as procs:
        return run(duration, CONCURRENCIES, Path(tmp), procs, 1 if args.quick else args.rounds)


if __name__ == "__main__":
    sys.exit(main())
