"""Load generators: h2load (native, when installed) and a grpc.aio client, both keeping N calls in flight.

h2load costs the box far less CPU than any Python client, so its requests/s are the better throughput figure
(shared/research/perf-and-style.md, 1a: a Python client at 8+ in flight is itself the bottleneck); but it reports
only mean and max latency, so the Python client always runs too, for p50 and p99.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import time
import zlib
from dataclasses import dataclass
from pathlib import Path

import grpc

from scripts.bench.procs import ProcessGroup
from scripts.bench.workload import grpc_frame

WARMUP_SECONDS = 1.0
# How long h2load may overrun its own -D before it counts as hung.
_H2LOAD_SLACK_SECONDS = 30.0
_CALL_TIMEOUT_SECONDS = 30.0


# gRPC call metadata: (lower-case name, value) pairs, sent on every call by both tools.
Metadata = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Result:
    """One measured cell: a target at a concurrency, by one tool. Latencies in ms; NaN where the tool has none."""

    tool: str
    rps: float
    ok: int
    errors: int
    p50_ms: float = float("nan")
    p99_ms: float = float("nan")
    mean_ms: float = float("nan")
    max_ms: float = float("nan")
    first_error: str = ""


def h2load_path() -> str | None:
    """h2load (Debian ``nghttp2-client``) if it is on PATH; the harness never installs it."""
    return shutil.which("h2load")


def _identity(data: bytes) -> bytes:
    return data


def _percentile(sorted_ns: list[int], q: float) -> float:
    """Nearest-rank percentile of sorted nanosecond latencies, in ms."""
    if not sorted_ns:
        return float("nan")
    rank = max(0, min(len(sorted_ns) - 1, round(q * len(sorted_ns) + 0.5) - 1))
    return sorted_ns[rank] / 1e6


async def _python_run(
    address: str, path: str, body: bytes, *, metadata: Metadata, concurrency: int, duration: float
) -> tuple[list[int], int, str, bytes]:
    # The request is serialized once and the answer left as bytes: serialization in the client would only steal
    # CPU from the server on a 2-core box, and both targets get the same treatment.
    async with grpc.aio.insecure_channel(address) as channel:
        call = channel.unary_unary(path, request_serializer=_identity, response_deserializer=_identity)
        first: bytes = await call(body, timeout=_CALL_TIMEOUT_SECONDS, metadata=metadata)
        latencies: list[int] = []
        errors = 0
        first_error = ""
        t_measure = time.perf_counter_ns() + int(WARMUP_SECONDS * 1e9)
        t_end = t_measure + int(duration * 1e9)

        async def worker() -> None:
            nonlocal errors, first_error
            while True:
                t0 = time.perf_counter_ns()
                try:
                    await call(body, timeout=_CALL_TIMEOUT_SECONDS, metadata=metadata)
                except grpc.aio.AioRpcError as error:
                    if t0 >= t_measure:
                        errors += 1
                        first_error = first_error or f"{error.code().name}: {error.details()}"
                    await asyncio.sleep(0.001)  # do not spin on a server that refuses everything
                    if time.perf_counter_ns() >= t_end:
                        return
                    continue
                t1 = time.perf_counter_ns()
                if t1 >= t_end:
                    return
                if t0 >= t_measure:
                    latencies.append(t1 - t0)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, errors, first_error, first


def send_each(address: str, path: str, bodies: list[bytes], *, metadata: Metadata, concurrency: int) -> tuple[int, int]:
    """Sends every body once, ``concurrency`` at a time; returns (answered, failed)."""
    return asyncio.run(_send_each(address, path, bodies, metadata=metadata, concurrency=concurrency))


async def _send_each(
    address: str, path: str, bodies: list[bytes], *, metadata: Metadata, concurrency: int
) -> tuple[int, int]:
    queue = list(reversed(bodies))
    answered = failed = 0
    async with grpc.aio.insecure_channel(address) as channel:
        call = channel.unary_unary(path, request_serializer=_identity, response_deserializer=_identity)

        async def worker() -> None:
            nonlocal answered, failed
            while queue:
                body = queue.pop()
                try:
                    await call(body, timeout=_CALL_TIMEOUT_SECONDS, metadata=metadata)
                    answered += 1
                except grpc.aio.AioRpcError:
                    failed += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return answered, failed


def python_client(
    address: str, path: str, body: bytes, *, metadata: Metadata, concurrency: int, duration: float
) -> tuple[Result, bytes]:
    """Drives ``path`` with ``concurrency`` calls in flight on one channel; returns the figures and one answer."""
    latencies, errors, first_error, answer = asyncio.run(
        _python_run(address, path, body, metadata=metadata, concurrency=concurrency, duration=duration)
    )
    latencies.sort()
    count = len(latencies)
    result = Result(
        tool="python-aio",
        rps=count / duration,
        ok=count,
        errors=errors,
        p50_ms=_percentile(latencies, 0.50),
        p99_ms=_percentile(latencies, 0.99),
        mean_ms=(sum(latencies) / count / 1e6) if count else float("nan"),
        max_ms=latencies[-1] / 1e6 if count else float("nan"),
        first_error=first_error,
    )
    return result, answer


_FINISHED = re.compile(r"finished in [\d.]+\w+, ([\d.]+) req/s")
_REQUESTS = re.compile(r"requests: \d+ total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored")
_TIME_FOR_REQUEST = re.compile(r"time for request:\s+(\S+)\s+(\S+)\s+(\S+)")


def _ms(value: str) -> float:
    """h2load durations: ``267us``, ``12.36ms``, ``1.02s``."""
    for suffix, scale in (("us", 1e-3), ("ms", 1.0), ("s", 1e3)):
        if value.endswith(suffix):
            return float(value.removesuffix(suffix)) * scale
    raise ValueError(f"unexpected h2load duration {value!r}")


def parse_h2load(output: str) -> Result:
    """Requests/s, successes, failures, and mean and max latency from h2load's summary."""
    finished = _FINISHED.search(output)
    requests = _REQUESTS.search(output)
    timing = _TIME_FOR_REQUEST.search(output)
    if not (finished and requests and timing):
        raise ValueError(f"unrecognised h2load output:\n{output[-2000:]}")
    failed = int(requests.group(2)) + int(requests.group(3))
    return Result(
        tool="h2load",
        rps=float(finished.group(1)),
        ok=int(requests.group(1)),
        errors=failed,
        mean_ms=_ms(timing.group(3)),
        max_ms=_ms(timing.group(2)),
        first_error="see h2load output" if failed else "",
    )


def h2load(
    procs: ProcessGroup,
    binary: str,
    address: str,
    path: str,
    body: bytes,
    *,
    metadata: Metadata,
    concurrency: int,
    duration: float,
    workdir: Path,
) -> Result:
    """One connection, ``concurrency`` streams, ``WARMUP_SECONDS`` of warm-up then ``duration`` measured.

    h2load counts HTTP status only, and gRPC errors travel in trailers with HTTP 200: the caller checks with the
    Python client first that the same request succeeds.
    """
    frame = workdir / f"request-{zlib.crc32(body):08x}.bin"
    if not frame.exists():
        frame.write_bytes(grpc_frame(body))
    headers = [("content-type", "application/grpc"), ("te", "trailers"), *metadata]
    argv = [binary, "-D", f"{duration:g}", f"--warm-up-time={WARMUP_SECONDS:g}", "-c", "1", "-m", str(concurrency)]
    for name, value in headers:
        argv += ["-H", f"{name}: {value}"]
    argv += ["-d", str(frame), f"http://{address}{path}"]
    child = procs.popen(argv, cwd=workdir)
    try:
        output, _ = child.communicate(timeout=duration + WARMUP_SECONDS + _H2LOAD_SLACK_SECONDS)
    finally:
        procs.stop(child)
    if child.returncode != 0:
        raise RuntimeError(f"h2load exited with {child.returncode}:\n{output.decode(errors='replace')[-2000:]}")
    return parse_h2load(output.decode(errors="replace"))


async def _python_run_each(
    address: str, path: str, bodies: list[bytes], *, metadata: Metadata, concurrency: int, duration: float
) -> tuple[list[int], int, str, int]:
    # As _python_run, but every call sends the next body of ``bodies`` (each at most once): no answer can come
    # from a memo. Returns the latencies, errors, first error and how many bodies were sent.
    queue = iter(bodies)
    sent = 0
    async with grpc.aio.insecure_channel(address) as channel:
        call = channel.unary_unary(path, request_serializer=_identity, response_deserializer=_identity)
        latencies: list[int] = []
        errors = 0
        first_error = ""
        t_measure = time.perf_counter_ns() + int(WARMUP_SECONDS * 1e9)
        t_end = t_measure + int(duration * 1e9)

        async def worker() -> None:
            nonlocal errors, first_error, sent
            for body in queue:
                sent += 1
                t0 = time.perf_counter_ns()
                try:
                    await call(body, timeout=_CALL_TIMEOUT_SECONDS, metadata=metadata)
                except grpc.aio.AioRpcError as error:
                    if t0 >= t_measure:
                        errors += 1
                        first_error = first_error or f"{error.code().name}: {error.details()}"
                    await asyncio.sleep(0.001)
                    if time.perf_counter_ns() >= t_end:
                        return
                    continue
                t1 = time.perf_counter_ns()
                if t1 >= t_end:
                    return
                if t0 >= t_measure:
                    latencies.append(t1 - t0)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, errors, first_error, sent


def python_client_each(
    address: str, path: str, bodies: list[bytes], *, metadata: Metadata, concurrency: int, duration: float
) -> tuple[Result, int]:
    """As :func:`python_client`, each call with the next of ``bodies``; returns the figures and the bodies used.

    When the bodies run out before ``duration`` the rate is over the time actually measured.
    """
    started = time.perf_counter()
    latencies, errors, first_error, sent = asyncio.run(
        _python_run_each(address, path, bodies, metadata=metadata, concurrency=concurrency, duration=duration)
    )
    measured = min(duration, max(1e-9, time.perf_counter() - started - WARMUP_SECONDS))
    latencies.sort()
    count = len(latencies)
    result = Result(
        tool="python-aio",
        rps=count / measured,
        ok=count,
        errors=errors,
        p50_ms=_percentile(latencies, 0.50),
        p99_ms=_percentile(latencies, 0.99),
        mean_ms=(sum(latencies) / count / 1e6) if count else float("nan"),
        max_ms=latencies[-1] / 1e6 if count else float("nan"),
        first_error=first_error,
    )
    return result, sent
