"""Scale-out figures for ``make bench``: 1 worker on DuckDB, 1 and 2 workers on PostgreSQL, same load, one run.

Each configuration gets a fresh store (a DuckDB file; a fresh schema in PostgreSQL's ``test`` database, dropped
afterwards) holding the benchmark's patient, a fresh server (``rxsafe serve``, with ``--workers 2`` for the last),
and the same load: distinct prescriptions (no memo hits) by stored patient, ``IN_FLIGHT`` calls in flight, each
slot on a channel (TCP connection) of its own so that the kernel spreads connections across ``SO_REUSEPORT``
workers. Throughput is answered checks per second of wall time over the measured calls, after a warm-up.

The CPU split (seconds of CPU during the measured calls) is read from /proc: the load client (this process), the
rxsafe processes (supervisor and workers), and PostgreSQL (every ``postgres`` process on the machine: on a shared
machine this includes other users' queries, so it is an upper bound).

Run alone: ``python -m scripts.bench_workers``; ``make bench`` prints it as its last section.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import grpc
import psycopg
from psycopg import sql

from rxsafe.ehr.duckdb_store import DuckDBRecordStore
from rxsafe.ehr.postgres_store import PostgresRecordStore
from rxsafe.service.access import AccessFile, Purpose, Role
from rxsafe.service.interceptors import PURPOSE_HEADER, USER_HEADER
from scripts.bench import workload
from scripts.bench.procs import ProcessGroup

REPO_ROOT = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get("RXSAFE_BENCH_POSTGRES", "postgresql://127.0.0.1:5432/test")
CHECK_PATH = "/rxsafe.v1.MedicationSafety/CheckPrescription"
IN_FLIGHT = 16
WARMUP = 48
TARGET_SCALE = 1.5  # 2 workers on PostgreSQL against 1
TARGET_PG_VS_DUCKDB = 0.8  # 1 worker on PostgreSQL within 20 % of 1 on DuckDB
Metadata = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Config:
    label: str
    postgres: bool
    workers: int


CONFIGS = (
    Config("1 worker, DuckDB", postgres=False, workers=1),
    Config("1 worker, PostgreSQL", postgres=True, workers=1),
    Config("2 workers, PostgreSQL", postgres=True, workers=2),
)


@dataclass(frozen=True)
class Run:
    config: Config
    answered: int
    failed: int
    seconds: float
    cpu_client: float
    cpu_rxsafe: float
    cpu_postgres: float
    cpu_per_worker: tuple[float, ...] = ()

    @property
    def rate(self) -> float:
        return self.answered / self.seconds if self.seconds else 0.0


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _postgres_cpu() -> float:
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    total += _cpu_of(int(entry.name))
            except OSError:
                continue
    return total


def _client_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _credentials(access_path: Path) -> Metadata:
    access = AccessFile.load(access_path)
    key = access.create_key((Role.PRESCRIBER,), "rxsafe bench workers (synthetic load)")
    access.save(access_path)
    return (("authorization", f"Bearer {key}"), (USER_HEADER, "bench"), (PURPOSE_HEADER, Purpose.TREATMENT.value))


@contextmanager
def _store(config: Config, workdir: Path) -> Iterator[list[str]]:
    """A fresh store holding the benchmark patient; yields the ``rxsafe serve`` options that open it."""
    name = f"rxsafe_bench_{uuid.uuid4().hex[:10]}"
    if not config.postgres:
        db = workdir / f"{name}.duckdb"
        with DuckDBRecordStore(db) as store:
            store.upsert_patient(workload.bench_patient(date.today()), source=workload.BENCH_SOURCE)
        yield ["--db", str(db)]
        return
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    try:
        with PostgresRecordStore(POSTGRES_URL, schema=name, pool_size=1) as store:
            store.upsert_patient(workload.bench_patient(date.today()), source=workload.BENCH_SOURCE)
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{name}"
        yield ["--store", url, "--workers", str(config.workers), "--db", str(workdir / f"{name}.duckdb")]
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


async def _send(address: str, bodies: list[bytes], metadata: Metadata) -> tuple[int, int]:
    """Every body once, ``IN_FLIGHT`` at a time, each slot on its own channel; returns (answered, failed)."""
    queue = list(reversed(bodies))
    answered = failed = 0

    async def slot() -> None:
        nonlocal answered, failed
        # A subchannel pool of its own: otherwise gRPC shares one TCP connection among channels to one address,
        # and the kernel would hand every call to the one worker that accepted it.
        async with grpc.aio.insecure_channel(address, options=[("grpc.use_local_subchannel_pool", 1)]) as channel:
            call = channel.unary_unary(CHECK_PATH, request_serializer=bytes, response_deserializer=bytes)
            while queue:
                body = queue.pop()
                try:
                    await call(body, timeout=60, metadata=metadata)
                    answered += 1
                except grpc.aio.AioRpcError:
                    failed += 1

    await asyncio.gather(*(slot() for _ in range(IN_FLIGHT)))
    return answered, failed


def _rxsafe_pids(log_path: Path, supervisor: int) -> list[int]:
    pids = [supervisor]
    for line in log_path.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("{") and '"worker ready"' in line:
            pids.append(int(json.loads(line)["pid"]))
    return pids


def measure(config: Config, workdir: Path, procs: ProcessGroup, bodies: list[bytes]) -> Run:
    """One configuration: fresh store and server, warm-up, then the measured distinct prescriptions."""
    with _store(config, workdir) as options:
        tag = config.label.replace(" ", "").replace(",", "-")
        access_path = workdir / f"access-{tag}.json"
        metadata = _credentials(access_path)
        argv = [sys.executable, "-m", "rxsafe.cli", "serve", "--host", "127.0.0.1", "--port", "0"]
        argv += [*options, "--access", str(access_path), "--no-seed"]
        log_path = workdir / f"workers-{tag}.log"
        server = procs.start_server(config.label, argv, cwd=REPO_ROOT, log_path=log_path)
        try:
            asyncio.run(_send(server.address, bodies[:WARMUP], metadata))
            pids = _rxsafe_pids(log_path, server.pid)
            each = [_cpu_of(p) for p in pids]
            before = (_client_cpu(), sum(each), _postgres_cpu())
            started = time.perf_counter()
            answered, failed = asyncio.run(_send(server.address, bodies[WARMUP:], metadata))
            seconds = time.perf_counter() - started
            each = [_cpu_of(p) - cpu for p, cpu in zip(pids, each, strict=True)]
            after = (_client_cpu(), before[1] + sum(each), _postgres_cpu())
        finally:
            procs.stop(server.process)
    # The supervisor of --workers N is pids[0]; its workers follow (the DuckDB server is its own worker).
    per_worker = tuple(each[1:]) if len(pids) > 1 else tuple(each)
    client, rxsafe, postgres = (b - a for a, b in zip(before, after, strict=True))
    return Run(config, answered, failed, seconds, client, rxsafe, postgres, per_worker)


def postgres_reachable() -> str | None:
    """None when PostgreSQL answers, else why the section is skipped."""
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError as exc:
        return f"PostgreSQL unreachable at {POSTGRES_URL} ({type(exc).__name__})"
    return None


def section(workdir: Path, procs: ProcessGroup, count: int, say: Callable[[str], None]) -> list[str]:
    """Measures every configuration and returns the report lines (``make bench``'s last section)."""
    lines = [f"== Scale-out: distinct prescriptions by stored patient, {IN_FLIGHT} in flight ({IN_FLIGHT} channels)"]
    skipped = postgres_reachable()
    if skipped is not None:
        return [*lines, f"skipped: {skipped}"]
    bodies = [r.SerializeToString() for r in workload.distinct_requests(WARMUP + count)]
    runs: dict[str, Run] = {}
    for config in CONFIGS:
        say(f"scale-out: {config.label}, {count} distinct prescriptions")
        runs[config.label] = run = measure(config, workdir, procs, bodies)
        lines.append(
            f"{config.label:<22} {run.rate:7.1f} checks/s  ({run.answered} answered, {run.failed} failed, "
            f"{run.seconds:.1f} s; CPU s: client {run.cpu_client:.1f}, rxsafe {run.cpu_rxsafe:.1f} "
            f"[workers {' + '.join(f'{c:.1f}' for c in run.cpu_per_worker)}], "
            f"postgres {run.cpu_postgres:.1f} of {os.cpu_count()} cores x {run.seconds:.1f} s; rxsafe had "
            f"{run.cpu_rxsafe / run.seconds if run.seconds else 0:.2f} cores; load average {os.getloadavg()[0]:.1f})"
        )
    duck, pg1, pg2 = (runs[c.label] for c in CONFIGS)
    scale = pg2.rate / pg1.rate if pg1.rate else 0.0
    versus = pg1.rate / duck.rate if duck.rate else 0.0
    lines.append(
        f"TARGET 2 workers / 1 worker on PostgreSQL >= {TARGET_SCALE:g}: {scale:.2f}  "
        f"{'PASS' if scale >= TARGET_SCALE else 'FAIL'}"
    )
    lines.append(
        f"TARGET 1 worker PostgreSQL / DuckDB >= {TARGET_PG_VS_DUCKDB:g}: {versus:.2f}  "
        f"{'PASS' if versus >= TARGET_PG_VS_DUCKDB else 'FAIL'}"
    )
    lines.append("  note: postgres CPU counts every postgres process on the machine (shared: an upper bound)")
    lines.append(
        "  note: 2 workers can only beat 1 when the machine has a second core free for them (rxsafe's cores above)"
    )
    return lines


def main() -> int:
    import tempfile  # noqa: PLC0415 -- only when run alone

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    with tempfile.TemporaryDirectory(prefix="rxsafe-bench-workers-") as tmp, ProcessGroup() as procs:
        for line in section(Path(tmp), procs, count, lambda text: print(f"[bench] {text}", file=sys.stderr)):
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
