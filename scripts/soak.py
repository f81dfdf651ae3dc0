"""``make soak``: a bounded hostile-load run against a real server on a loopback port (issue 19).

Starts ``rxsafe serve`` on 127.0.0.1 (a fresh store in a temporary folder), then:

1. hostile phase: malformed and extreme requests (far-future dates, over-nested and lone-surrogate
   e-prescriptions, work over budget, over-long fields, idempotency-key reuse, raw bytes, no credentials) while
   256 unauthenticated ``Health/Watch`` streams are held open;
2. overload phase: ``--in-flight`` (default 300) authenticated checks kept in flight for ``--seconds``, with
   health probes (1 s timeout, as an orchestrator sets) every 100 ms;
3. prints statuses by code, RSS before / after (and after a short idle), p50/p99 latency of the answered checks
   under overload, and the health-probe success rate; stops the server.

Everything is bounded (request counts, a wall-clock cap, loopback only) and stops by itself. Exit status 1 when an
answer was UNKNOWN or INTERNAL, a health probe failed, or RSS went over the 400 MB budget.

    .venv/bin/python -m scripts.soak [--seconds 20] [--in-flight 300]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from rxsafe.gen import medication_safety_pb2 as pb
from rxsafe.gen import medication_safety_pb2_grpc as pb_grpc

ROOT = Path(__file__).resolve().parents[1]
RXSAFE = Path(sys.executable).with_name("rxsafe")
RSS_BUDGET_MB = 400.0
HARD_STOP_SECONDS = 150.0
DEMO_IDS = ("000000000001", "000000000002", "000000000003", "000000000004")
DRUGS = (
    "Clarithromycin 500mg",
    "Aspirin 81mg",
    "Amoxicilin 500mg",
    "Paracetamol 500mg",
    "Omeprazol 20mg",
    "Simvastatin 20mg",
    "Ibuprofen 400mg",
    "Metformin 500mg",
    "Amlodipin 5mg",
    "Fluconazol 150mg",
    "Ciprofloxacin 500mg",
    "Diclofenac 50mg",
    "Digoxin 0,25mg",
    "Kali clorid 600mg",
    "Spironolacton 25mg",
    "Tramadol 50mg",
)


class Server:
    """``rxsafe serve`` on a free loopback port; its log is kept (read on a thread so the pipe never fills)."""

    def __init__(self, folder: Path) -> None:
        self.db = folder / "rxsafe.duckdb"
        self.process = subprocess.Popen(
            [str(RXSAFE), "serve", "--host", "127.0.0.1", "--port", "0", "--db", str(self.db)],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.logs: list[str] = []
        self.address = ""
        assert self.process.stderr is not None
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not self.address:
            line = self.process.stderr.readline()
            if not line:
                raise RuntimeError("the server exited: " + "".join(self.logs)[-2000:])
            self.logs.append(line)
            if line.startswith("{") and json.loads(line).get("event") == "serving":
                self.address = json.loads(line)["address"]
        if not self.address:
            raise RuntimeError("the server did not start")
        threading.Thread(target=self._drain, daemon=True).start()
        self.key = self.db.with_name("dev.key").read_text(encoding="utf-8").strip()

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.logs.append(line)

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> float:
        started = time.monotonic()
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return time.monotonic() - started


def _metadata(key: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {key}"), ("x-rxsafe-user", "soak"), ("x-rxsafe-purpose", "treatment"))


def _check(patient_id: str, *texts: str, as_of: str = "") -> pb.CheckPrescriptionRequest:
    lines = [pb.PrescriptionLine(text=t) for t in texts]
    return pb.CheckPrescriptionRequest(patient_id=patient_id, prescription=pb.Prescription(lines=lines), as_of=as_of)


def hostile_requests(rng: random.Random) -> list[tuple[str, Any]]:
    """(method, request) pairs, each a finding of issue 19 or a neighbour of one; fixed by the seed."""
    erx_nested = '{"thong_tin_don_thuoc": ' + "[" * 50_000 + "]" * 50_000 + "}"
    erx_surrogate = '{"thong_tin_don_thuoc": [{"ten_thuoc": "Para\\udc00cetamol"}]}'
    big_meds = [pb.Medication(text=f"Warfarin {i % 9 + 1}mg", start_date="2026-11-01", days=30) for i in range(500)]
    big = pb.CheckPrescriptionRequest(
        patient=pb.Patient(allergy_status=pb.ALLERGY_STATUS_NO_KNOWN_ALLERGIES, medications=big_meds),
        prescription=pb.Prescription(lines=[pb.PrescriptionLine(text=f"Aspirin {i + 1}mg") for i in range(100)]),
    )
    requests: list[tuple[str, Any]] = []
    for i in range(2000):
        kind = i % 10
        if kind == 0:
            requests.append(("CheckPrescription", _check(rng.choice(DEMO_IDS), "Aspirin 81mg", as_of="9999-12-31")))
        elif kind == 1:
            requests.append(("CheckEPrescription", pb.CheckEPrescriptionRequest(body_json=erx_nested)))
        elif kind == 2:
            requests.append(("CheckEPrescription", pb.CheckEPrescriptionRequest(body_json=erx_surrogate)))
        elif kind == 3 and i < 60:
            requests.append(("CheckPrescription", big))  # the work budget refuses it before any work
        elif kind == 4:
            name = pb.Patient(name="N" * rng.randint(501, 5000), allergy_status=pb.ALLERGY_STATUS_NO_KNOWN_ALLERGIES)
            requests.append(
                ("CheckPrescription", pb.CheckPrescriptionRequest(patient=name, prescription=pb.Prescription()))
            )
        elif kind == 5:
            key = "k" * rng.randint(129, 4000)
            requests.append(("CommitPrescription", pb.CommitPrescriptionRequest(check_id="chk-x", idempotency_key=key)))
        elif kind == 6:
            requests.append(("raw", bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 300)))))
        elif kind == 7:
            requests.append(("unauthenticated", _check(rng.choice(DEMO_IDS), "Aspirin 81mg")))
        elif kind == 8:
            conditions = [pb.Condition(code="I10") for _ in range(rng.randint(201, 400))]
            patient = pb.Patient(conditions=conditions)
            requests.append(
                (
                    "CheckPrescription",
                    pb.CheckPrescriptionRequest(
                        patient=patient, prescription=pb.Prescription(lines=[pb.PrescriptionLine(text="Aspirin")])
                    ),
                )
            )
        else:
            texts = rng.sample(DRUGS, rng.randint(1, 4))
            requests.append(("CheckPrescription", _check(rng.choice(DEMO_IDS), *texts)))
    return requests


async def _status(call: Awaitable[Any]) -> str:
    try:
        await call
    except grpc.aio.AioRpcError as error:
        return error.code().name
    return "OK"


async def hostile_phase(server: Server, codes: Counter[str]) -> None:
    """The hostile requests, 16 at a time, while 256 unauthenticated Watch streams are held open."""
    rng = random.Random(19)  # noqa: S311 -- a fixed, reproducible workload, not a secret
    async with (
        grpc.aio.insecure_channel(server.address) as channel,
        grpc.aio.insecure_channel(server.address) as open_channel,
    ):
        stub = pb_grpc.MedicationSafetyStub(channel)
        meta = _metadata(server.key)
        watch = health_pb2_grpc.HealthStub(open_channel)
        streams = [watch.Watch(health_pb2.HealthCheckRequest()) for _ in range(256)]
        watch_codes: Counter[str] = Counter()

        async def first(stream: Any) -> None:
            try:
                await asyncio.wait_for(stream.read(), timeout=10)
                watch_codes["OK (held open)"] += 1
            except grpc.aio.AioRpcError as error:
                watch_codes[error.code().name] += 1
            except TimeoutError:
                watch_codes["no answer"] += 1

        await asyncio.gather(*(first(s) for s in streams))
        raw = channel.unary_unary(
            "/rxsafe.v1.MedicationSafety/CheckPrescription",
            request_serializer=lambda b: b,
            response_deserializer=lambda b: b,
        )
        semaphore = asyncio.Semaphore(16)

        async def one(method: str, request: Any) -> None:
            async with semaphore:
                if method == "raw":
                    call = raw(request, metadata=meta, timeout=30)
                elif method == "unauthenticated":
                    call = stub.CheckPrescription(request, timeout=30)
                else:
                    call = getattr(stub, method)(request, metadata=meta, timeout=30)
                codes[await _status(call)] += 1

        requests = hostile_requests(rng)
        # An idempotency key reused with another body, and a check while every stream is open.
        check = await stub.CheckPrescription(_check("000000000003", "Paracetamol 500mg"), metadata=meta, timeout=30)
        first_commit = pb.CommitPrescriptionRequest(check_id=check.check_id, idempotency_key="soak-idem")
        codes[await _status(stub.CommitPrescription(first_commit, metadata=meta, timeout=30))] += 1
        other = pb.CommitPrescriptionRequest(
            check_id=check.check_id,
            idempotency_key="soak-idem",
            overrides=[pb.Override(conflict_id="c-x", reason=pb.OVERRIDE_REASON_WILL_MONITOR)],
        )
        codes[await _status(stub.CommitPrescription(other, metadata=meta, timeout=30))] += 1
        await asyncio.gather(*(one(m, r) for m, r in requests))
        for stream in streams:
            stream.cancel()
        print(f"  256 unauthenticated Health/Watch streams: {dict(watch_codes)}")


async def overload_phase(server: Server, seconds: float, in_flight: int) -> tuple[list[float], Counter[str], int, int]:
    """``in_flight`` checks kept in flight for ``seconds``; health probes every 100 ms.

    Returns the latencies of the answered checks, the statuses, and the probes passed and sent.
    """
    rng = random.Random(300)  # noqa: S311 -- a fixed, reproducible workload, not a secret
    latencies: list[float] = []
    codes: Counter[str] = Counter()
    probes = [0, 0]
    stop_at = time.monotonic() + seconds
    meta = _metadata(server.key)
    async with (
        grpc.aio.insecure_channel(server.address) as channel,
        grpc.aio.insecure_channel(server.address) as probe_channel,
    ):
        stub = pb_grpc.MedicationSafetyStub(channel)
        health = health_pb2_grpc.HealthStub(probe_channel)

        async def worker() -> None:
            while time.monotonic() < stop_at:
                request = _check(rng.choice(DEMO_IDS), *rng.sample(DRUGS, rng.randint(1, 5)))
                started = time.perf_counter()
                code = await _status(stub.CheckPrescription(request, metadata=meta, timeout=60))
                codes[code] += 1
                if code == "OK":
                    latencies.append(time.perf_counter() - started)

        async def prober() -> None:
            while time.monotonic() < stop_at:
                probes[1] += 1
                try:
                    answer = await health.Check(health_pb2.HealthCheckRequest(), timeout=1.0)
                    probes[0] += answer.status == health_pb2.HealthCheckResponse.SERVING
                except grpc.aio.AioRpcError:
                    pass
                await asyncio.sleep(0.1)

        await asyncio.gather(prober(), *(worker() for _ in range(in_flight)))
    return latencies, codes, probes[0], probes[1]


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _run(label: str, coroutine: Callable[[], Awaitable[Any]]) -> Any:
    started = time.monotonic()
    result = asyncio.run(coroutine())
    print(f"  ({label}: {time.monotonic() - started:.1f} s)")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the overload phase (default 20)")
    parser.add_argument("--in-flight", type=int, default=300, help="checks kept in flight under overload")
    args = parser.parse_args(argv)
    watchdog = threading.Timer(HARD_STOP_SECONDS, lambda: os._exit(3))  # bounded whatever happens
    watchdog.daemon = True
    watchdog.start()
    with tempfile.TemporaryDirectory(prefix="rxsafe-soak-") as folder:
        server = Server(Path(folder))
        try:
            asyncio.run(_warm_up(server))
            rss_before = server.rss_mb()
            print(f"soak: server {server.address} (loopback), RSS after warm-up {rss_before:.0f} MB")
            hostile: Counter[str] = Counter()
            print("hostile phase:")
            _run("hostile", lambda: hostile_phase(server, hostile))
            rss_hostile = server.rss_mb()
            print(f"overload phase: {args.in_flight} checks in flight for {args.seconds:g} s")
            latencies, overload, passed, sent = _run(
                "overload", lambda: overload_phase(server, args.seconds, args.in_flight)
            )
            rss_overload = server.rss_mb()
            time.sleep(7)  # the server trims its heap after 5 s without answers
            rss_idle = server.rss_mb()
            unexpected = [line for line in server.logs if '"unexpected error"' in line]
        finally:
            drain = server.stop()
    total = hostile + overload
    health_rate = 100.0 * passed / sent if sent else float("nan")
    print("\n== soak results")
    print(f"statuses (hostile): {dict(sorted(hostile.items()))}")
    print(f"statuses (overload): {dict(sorted(overload.items()))}")
    print(f"UNKNOWN: {total['UNKNOWN']}  INTERNAL: {total['INTERNAL']}  unexpected-error log lines: {len(unexpected)}")
    print(
        f"RSS MB: before {rss_before:.0f}, after hostile {rss_hostile:.0f}, after overload {rss_overload:.0f}, "
        f"after 7 s idle {rss_idle:.0f} (budget {RSS_BUDGET_MB:.0f})"
    )
    print(
        f"overload latency of answered checks: p50 {_percentile(latencies, 0.5) * 1000:.0f} ms, "
        f"p99 {_percentile(latencies, 0.99) * 1000:.0f} ms ({len(latencies)} answered, "
        f"{len(latencies) / args.seconds:.0f}/s)"
    )
    print(f"health probes under overload: {passed}/{sent} SERVING ({health_rate:.1f} %)")
    print(f"SIGTERM to exit: {drain:.2f} s")
    peak = max(rss_before, rss_hostile, rss_overload, rss_idle)
    failed = total["UNKNOWN"] or total["INTERNAL"] or unexpected or passed != sent or peak > RSS_BUDGET_MB
    print("soak: FAILED" if failed else "soak: passed")
    return 1 if failed else 0


async def _warm_up(server: Server) -> None:
    async with grpc.aio.insecure_channel(server.address) as channel:
        stub = pb_grpc.MedicationSafetyStub(channel)
        for patient in DEMO_IDS:
            await stub.CheckPrescription(_check(patient, *DRUGS[:3]), metadata=_metadata(server.key), timeout=60)


if __name__ == "__main__":
    sys.exit(main())
