"""``python -m scripts.bench``: one run of the whole benchmark; see the package docstring.

Order of work, and why:

1. The synthetic patient is written into a fresh DuckDB file first: the server opens the file and DuckDB lets only
   one process hold it.
2. In-process figures (name resolution, record import) run next, while no server competes for the 2 cores.
3. The rxsafe server starts (timed to its "serving" line), then the echo server.
4. Load runs concurrency by concurrency, and within one concurrency echo and both checker variants back to back,
   so each "vs echo" ratio compares measurements taken minutes, not a whole run, apart on a noisy shared box.
5. Every child process is stopped on the way out, also on Ctrl-C, SIGTERM or an error.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from types import FrameType

import grpc

from rxsafe.app.caching import CachingResolver
from rxsafe.bootstrap import build_service
from rxsafe.ehr.duckdb_store import DuckDBRecordStore
from rxsafe.gen import medication_safety_pb2 as pb
from rxsafe.service.access import AccessFile, Purpose, Role
from rxsafe.service.interceptors import PURPOSE_HEADER, USER_HEADER
from scripts import bench_alerts, bench_workers
from scripts.bench import echo_server, loadgen, micro, newcheck, report, workload
from scripts.bench.procs import ProcessGroup, Server
from scripts.bench.report import BY_ID, ECHO, INLINE, Cell, fmt, target_line

REPO_ROOT = Path(__file__).resolve().parents[2]
CHECK_PATH = "/rxsafe.v1.MedicationSafety/CheckPrescription"
DEFAULT_DURATION = 5.0
DEFAULT_PATIENTS = 2_000
QUICK_PATIENTS = 200
# The import stops here even if fewer patients were written, to keep a default run under about 3 minutes.
IMPORT_TIME_CAP_SECONDS = 30.0
DEFAULT_RESOLVE_ROUNDS = 200
QUICK_RESOLVE_ROUNDS = 20
CONCURRENCIES = (1, 8, 64)
QUICK_CONCURRENCIES = (1, 8)
# New prescriptions (issue 16): every concurrency, also in the quick run; then memory after this many distinct checks.
DISTINCT_CONCURRENCIES = (1, 8, 64)
DISTINCT_CHECKS = 10_000
QUICK_DISTINCT_CHECKS = 2_000
# Bodies made for the distinct cells and the memory run; each is sent at most once.
DISTINCT_BODIES = 24_000
QUICK_DISTINCT_BODIES = 6_000
# New checks timed in process per list length (20, 50, 200 medications).
CPU_CHECKS = {20: 200, 50: 100, 200: 50}
QUICK_CPU_CHECKS = {20: 60, 50: 30, 200: 15}
# Checks of the patient before timing: the first builds the record's side of its graph, later ones meet lines
# at positions not yet seen (32 lines x 5 positions); the first check's own cost is printed too.
CPU_WARMUP = 100
QUICK_CPU_WARMUP = 40
EXIT_OK, EXIT_CALLS_FAILED = 0, 1


@dataclass(frozen=True)
class Options:
    duration: float
    concurrencies: tuple[int, ...]
    patients: int
    resolve_rounds: int
    use_h2load: bool
    xml_rows: int
    distinct: int
    distinct_checks: int
    distinct_bodies: int
    cpu_checks: dict[int, int]
    cpu_warmup: int


def _options(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench", description="rxsafe against a bare grpc.aio echo server, and more."
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=None,
        help=f"measured seconds per cell after 1 s of warm-up ({DEFAULT_DURATION:g})",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke test: 1 s per cell, 1 and 8 in flight, a small import"
    )
    parser.add_argument(
        "--patients", type=int, default=None, help=f"patients to import ({DEFAULT_PATIENTS}; quick {QUICK_PATIENTS})"
    )
    parser.add_argument("--no-h2load", action="store_true", help="use only the Python client even if h2load exists")
    args = parser.parse_args(argv)
    return Options(
        duration=args.duration or (1.0 if args.quick else DEFAULT_DURATION),
        concurrencies=QUICK_CONCURRENCIES if args.quick else CONCURRENCIES,
        patients=args.patients or (QUICK_PATIENTS if args.quick else DEFAULT_PATIENTS),
        resolve_rounds=QUICK_RESOLVE_ROUNDS if args.quick else DEFAULT_RESOLVE_ROUNDS,
        use_h2load=not args.no_h2load,
        # 100,000 XML2 rows is the figure the records issue asks for; the smoke test takes a fifth of it.
        xml_rows=20_000 if args.quick else 100_000,
        # More distinct results than every memo on the request path holds (128), so memory shows its ceiling.
        distinct=100 if args.quick else 600,
        distinct_checks=QUICK_DISTINCT_CHECKS if args.quick else DISTINCT_CHECKS,
        distinct_bodies=QUICK_DISTINCT_BODIES if args.quick else DISTINCT_BODIES,
        cpu_checks=QUICK_CPU_CHECKS if args.quick else CPU_CHECKS,
        cpu_warmup=QUICK_CPU_WARMUP if args.quick else CPU_WARMUP,
    )


def _say(text: str) -> None:
    # Progress goes to stderr so that stdout is the report alone.
    print(f"[bench] {text}", file=sys.stderr, flush=True)


def _out(text: str = "") -> None:
    print(text, flush=True)


def _rxsafe_argv(db: Path) -> list[str]:
    console_script = Path(sys.executable).with_name("rxsafe")
    command = [str(console_script)] if console_script.exists() else [sys.executable, "-m", "rxsafe.cli"]
    return [*command, "serve", "--host", "127.0.0.1", "--port", "0", "--db", str(db)]


def _bench_credentials(db: Path) -> loadgen.Metadata:
    """A prescriber API key in the access file ``rxsafe serve`` reads by default (beside the db), as call metadata.

    The key is created through the library, as ``rxsafe keys create`` does, before the server starts; the echo
    server gets the same headers so both sides parse the same metadata.
    """
    access_path = db.parent / "access.json"
    access = AccessFile.load(access_path)
    key = access.create_key((Role.PRESCRIBER,), "rxsafe bench (synthetic load)")
    access.save(access_path)
    return (("authorization", f"Bearer {key}"), (USER_HEADER, "bench"), (PURPOSE_HEADER, Purpose.TREATMENT.value))


def _h2load_version(binary: str) -> str:
    try:
        completed = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "h2load"
    return completed.stdout.strip().splitlines()[0] if completed.stdout.strip() else "h2load"


def _describe(answer: bytes) -> str:
    response = pb.CheckPrescriptionResponse.FromString(answer)
    return (
        f"{len(answer):,} B, verdict {pb.Verdict.Name(response.verdict).removeprefix('VERDICT_')}, "
        f"{len(response.lines)} lines, {len(response.conflicts)} conflicts, {len(response.notices)} notices"
    )


@dataclass(frozen=True)
class DistinctRun:
    answered: int
    failed: int
    rate: float
    rss_mb: float


def _distinct_prescriptions(options: Options, rxsafe: Server, metadata: loadgen.Metadata) -> DistinctRun:
    """Checks that never repeat (no memo hits): their rate, and the memory once every memo is full."""
    _say(f"{options.distinct:,} distinct prescriptions (no memo hits)")
    started = time.perf_counter()
    bodies = [r.SerializeToString() for r in workload.distinct_requests(options.distinct)]
    answered, failed = loadgen.send_each(rxsafe.address, CHECK_PATH, bodies, metadata=metadata, concurrency=8)
    seconds = time.perf_counter() - started
    return DistinctRun(answered, failed, answered / seconds if seconds else 0.0, rxsafe.rss_mb())


@dataclass(frozen=True)
class NewChecks:
    """Issue 16: distinct prescriptions against echo with the same client, and memory after many of them."""

    cells: list[Cell]
    sent: int
    failed: int
    rss_mb: float


def _cpu_per_new_check(options: Options, workdir: Path, today: date) -> list[newcheck.CpuFigures]:
    """In-process CPU per new check for 20, 50 and 200 medications, on a DuckDB file of its own."""
    db = workdir / "newcheck.duckdb"
    with DuckDBRecordStore(db) as store:
        for record in newcheck.stored_patients(today):
            store.upsert_patient(record, source=newcheck.BENCH_SOURCE)
    service = build_service(db=db, seed=False)
    try:
        figures = []
        for medications, checks in options.cpu_checks.items():
            _say(f"new checks in process: 5 lines x {medications} medications, {checks} checks")
            figures.append(newcheck.cpu_per_new_check(service, medications, checks, options.cpu_warmup))
        return figures
    finally:
        if service.store is not None:
            service.store.close()


def _new_checks(options: Options, *, echo: Server, rxsafe: Server, metadata: loadgen.Metadata) -> NewChecks:
    """Distinct prescriptions (each body sent once) at 1, 8 and 64 in flight; then memory after many.

    Each cell comes right after echo's, with the same client and bodies; then more, up to ``distinct_checks`` in
    all, and the server's RSS.
    """
    requests = newcheck.distinct_requests(newcheck.LOAD_PATIENT_ID, options.distinct_bodies)
    bodies = list(newcheck.bodies(requests))
    cells: list[Cell] = []
    used = failed = 0
    for concurrency in DISTINCT_CONCURRENCIES:
        _say(f"python-aio {report.DISTINCT_ECHO} @ {concurrency} in flight")
        result, _ = loadgen.python_client_each(
            echo.address,
            echo_server.PATH,
            bodies,
            metadata=metadata,
            concurrency=concurrency,
            duration=options.duration,
        )
        cells.append(Cell(report.DISTINCT_ECHO, concurrency, result))
        _say(f"python-aio {report.DISTINCT} @ {concurrency} in flight")
        result, sent = loadgen.python_client_each(
            rxsafe.address, CHECK_PATH, bodies[used:], metadata=metadata, concurrency=concurrency,
            duration=options.duration,
        )  # fmt: skip
        used += sent
        failed += result.errors
        cells.append(Cell(report.DISTINCT, concurrency, result))
    rest = bodies[used : max(used, options.distinct_checks)]
    if rest:
        _say(f"{len(rest):,} more distinct prescriptions, for memory after {options.distinct_checks:,}")
        _, more_failed = loadgen.send_each(rxsafe.address, CHECK_PATH, rest, metadata=metadata, concurrency=64)
        failed += more_failed
    return NewChecks(cells, used + len(rest), failed, rxsafe.rss_mb())


def _print_new_checks(new: NewChecks, cpu: Sequence[newcheck.CpuFigures]) -> None:
    _out("== New prescriptions (distinct, no memo hits; patient by id, 8 medications, 1 allergy)")
    for line in report.load_table(new.cells, baseline=report.DISTINCT_ECHO):
        _out(line)
    _out(f"RSS after {new.sent:,} distinct checks: {new.rss_mb:.0f} MB  ({new.failed} failed)")
    _out("in-process CPU per new check (5 lines, one at a time, from the wire message to the encoded answer, stored):")
    for f in cpu:
        _out(
            f"  {f.medications:>3} medications: {f.cpu_ms:.2f} ms CPU (calling thread), {f.process_cpu_ms:.2f} ms "
            f"process CPU (with the check writer), {f.wall_ms:.2f} ms wall  ({f.checks} checks, "
            f"{f.conflicts:.0f} conflicts each; the patient's first check {f.first_cpu_ms:.1f} ms CPU)"
        )
    by_count = {f.medications: f for f in cpu}
    if 20 in by_count and 200 in by_count:
        _out(f"  ratio 200/20 medications: {by_count[200].cpu_ms / by_count[20].cpu_ms:.2f}")


def _print_new_check_targets(new: NewChecks, cpu: Sequence[newcheck.CpuFigures]) -> None:
    c = report.TARGET_CONCURRENCY
    checker, echo = (
        _cell(new.cells, report.DISTINCT, c, "python-aio"),
        _cell(new.cells, report.DISTINCT_ECHO, c, "python-aio"),
    )
    if checker and echo and echo.result.rps > 0:
        ratio = checker.result.rps / echo.result.rps
        _out(
            target_line(
                f"distinct: >= {report.MIN_DISTINCT_RATIO_AT_8:.0%} of echo req/s at {c} in flight (same client)",
                f"{report.percent(ratio)} (python-aio)",
                ratio >= report.MIN_DISTINCT_RATIO_AT_8,
            )
        )
        p99 = checker.result.p99_ms
        _out(
            target_line(
                f"distinct: p99 <= {report.MAX_DISTINCT_P99_MS_AT_8:g} ms at {c} in flight",
                f"{fmt(p99)} ms (python-aio)",
                p99 <= report.MAX_DISTINCT_P99_MS_AT_8,
            )
        )
    by_count = {f.medications: f for f in cpu}
    if 20 in by_count:
        ms = by_count[20].cpu_ms
        label = f"CPU per new check (calling thread), 5 lines x 20 medications <= {report.MAX_NEW_CHECK_CPU_MS:g} ms"
        _out(target_line(label, f"{ms:.2f} ms", ms <= report.MAX_NEW_CHECK_CPU_MS))
    if 20 in by_count and 200 in by_count:
        ratio = by_count[200].cpu_ms / by_count[20].cpu_ms
        _out(target_line(f"CPU per new check, 200 medications <= {report.MAX_LIST_RATIO:g} x 20 medications",
                         f"{ratio:.2f} x", ratio <= report.MAX_LIST_RATIO))  # fmt: skip
    _out(
        target_line(
            f"RSS <= {report.MAX_RSS_MB:g} MB after {new.sent:,} distinct checks",
            f"{new.rss_mb:.0f} MB",
            new.rss_mb <= report.MAX_RSS_MB,
        )
    )


def _measure_load(
    options: Options,
    procs: ProcessGroup,
    workdir: Path,
    *,
    echo: Server,
    rxsafe: Server,
    h2load: str | None,
    metadata: loadgen.Metadata,
) -> tuple[list[Cell], dict[str, str]]:
    today = date.today()
    targets = (
        (ECHO, echo.address, echo_server.PATH, workload.request_by_id().SerializeToString()),
        (BY_ID, rxsafe.address, CHECK_PATH, workload.request_by_id().SerializeToString()),
        (INLINE, rxsafe.address, CHECK_PATH, workload.request_inline(today).SerializeToString()),
    )
    cells: list[Cell] = []
    answers: dict[str, str] = {}
    for concurrency in options.concurrencies:
        for label, address, path, body in targets:
            if h2load is not None:
                _say(f"h2load     {label} @ {concurrency} in flight")
                result = loadgen.h2load(
                    procs,
                    h2load,
                    address,
                    path,
                    body,
                    metadata=metadata,
                    concurrency=concurrency,
                    duration=options.duration,
                    workdir=workdir,
                )
                cells.append(Cell(label, concurrency, result))
            _say(f"python-aio {label} @ {concurrency} in flight")
            result, answer = loadgen.python_client(
                address, path, body, metadata=metadata, concurrency=concurrency, duration=options.duration
            )
            cells.append(Cell(label, concurrency, result))
            answers.setdefault(label, _describe(answer))
    return cells, answers


def _cell(cells: Sequence[Cell], target: str, concurrency: int, tool: str) -> Cell | None:
    return next((c for c in cells if (c.target, c.concurrency, c.result.tool) == (target, concurrency, tool)), None)


def _print_targets(
    cells: Sequence[Cell],
    *,
    rxsafe: Server,
    rss_mb: float,
    exact: micro.ResolveFigures,
    fuzzy: micro.ResolveFigures,
    throughput_tool: str,
) -> None:
    _out("== Targets")
    c = report.TARGET_CONCURRENCY
    for target in (BY_ID, INLINE):
        checker, echo = _cell(cells, target, c, throughput_tool), _cell(cells, ECHO, c, throughput_tool)
        if checker and echo and echo.result.rps > 0:
            ratio = checker.result.rps / echo.result.rps
            _out(
                target_line(
                    f"{target}: >= {report.MIN_RATIO_TO_ECHO_AT_8:.0%} of echo req/s at {c} in flight",
                    f"{report.percent(ratio)} ({throughput_tool})",
                    ratio >= report.MIN_RATIO_TO_ECHO_AT_8,
                )
            )
        latency = _cell(cells, target, c, "python-aio")
        if latency:
            p99 = latency.result.p99_ms
            _out(
                target_line(
                    f"{target}: p99 <= {report.MAX_P99_MS_AT_8:g} ms at {c} in flight",
                    f"{fmt(p99)} ms (python-aio)",
                    p99 <= report.MAX_P99_MS_AT_8,
                )
            )
    _out(
        target_line(
            f"start-up <= {report.MAX_STARTUP_SECONDS:g} s",
            f"{rxsafe.startup_seconds:.2f} s",
            rxsafe.startup_seconds <= report.MAX_STARTUP_SECONDS,
        )
    )
    _out(
        target_line(
            f"RSS <= {report.MAX_RSS_MB:g} MB (highest of after start, after load, after distinct)",
            f"{rss_mb:.0f} MB",
            rss_mb <= report.MAX_RSS_MB,
        )
    )
    for name, figures, limit in (
        ("exact", exact, report.MAX_EXACT_RESOLVE_MS),
        ("fuzzy", fuzzy, report.MAX_FUZZY_RESOLVE_MS),
    ):
        median_ms = figures.median_us / 1e3
        ok = not math.isnan(median_ms) and median_ms <= limit
        _out(target_line(f"resolve {name} median <= {limit:g} ms", f"{fmt(median_ms, 3)} ms", ok))


def _print_load_section(options: Options, h2load: str | None, cells: Sequence[Cell], answers: dict[str, str]) -> None:
    """The header (machine, tools) and the load table with the answers' shapes."""
    _out(
        f"rxsafe bench  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  Python {platform.python_version()}  "
        f"grpcio {grpc.__version__}  {os.cpu_count()} CPUs  {options.duration:g} s measured after "
        f"{loadgen.WARMUP_SECONDS:g} s warm-up per cell"
    )
    if h2load:
        _out(
            f"load tools: {_h2load_version(h2load)} -> req/s, mean/max ms (1 connection, -m N); "
            "python-aio client -> req/s, p50/p99 ms (1 channel, N in flight)"
        )
    else:
        _out(
            "load tools: h2load not found (Debian nghttp2-client) -> every figure is from the python-aio client "
            "(1 channel, N in flight), which itself limits req/s at 8+ in flight"
        )
    _out()
    _out("== Throughput and latency (the same request on every call: memoised after the first)")
    for line in report.load_table(cells):
        _out(line)
    _out(f"answers: echo {_describe(workload.echo_response().SerializeToString())}")
    for label in (BY_ID, INLINE):
        _out(f"answers: {label}: {answers.get(label, '-')}")
    _out(
        f"synthetic patient: {len(workload.MEDICATION_TEXTS)} active medications, {len(workload.ALLERGIES)} "
        f"allergies; prescription of {len(workload.PRESCRIPTION_TEXTS)} lines"
    )


def run(options: Options, workdir: Path, procs: ProcessGroup) -> int:  # noqa: PLR0915 -- one run, step by step
    """The whole benchmark; returns the exit status (non-zero when any call failed)."""
    started = time.perf_counter()
    h2load = loadgen.h2load_path() if options.use_h2load else None
    today = date.today()

    db = workdir / "bench.duckdb"
    with DuckDBRecordStore(db) as store:
        store.upsert_patient(workload.bench_patient(today), source=workload.BENCH_SOURCE)
        for record in newcheck.stored_patients(today):
            store.upsert_patient(record, source=newcheck.BENCH_SOURCE)
    metadata = _bench_credentials(db)

    _say("name resolution (in process)")
    # The matcher itself, not the service's memo in front of it: a memo hit says nothing about matching speed.
    service_resolver = build_service(db=None).resolver
    resolver = service_resolver.inner if isinstance(service_resolver, CachingResolver) else service_resolver
    exact, fuzzy, resolve_notes = micro.resolve_timings(resolver, options.resolve_rounds)
    del resolver
    cpu = _cpu_per_new_check(options, workdir, today)
    _say(f"record import: {options.patients:,} patients")
    imported = micro.import_throughput(
        workdir / "import.duckdb", options.patients, today, time_cap=IMPORT_TIME_CAP_SECONDS
    )

    _say("starting rxsafe and echo servers")
    rxsafe = procs.start_server("rxsafe", _rxsafe_argv(db), cwd=REPO_ROOT, log_path=workdir / "rxsafe.log")
    rss_start = rxsafe.rss_mb()
    echo = procs.start_server(
        "echo",
        [sys.executable, "-m", "scripts.bench.echo_server", "--host", "127.0.0.1", "--port", "0"],
        cwd=REPO_ROOT,
        log_path=workdir / "echo.log",
    )

    cells, answers = _measure_load(options, procs, workdir, echo=echo, rxsafe=rxsafe, h2load=h2load, metadata=metadata)
    rss_load = rxsafe.rss_mb()
    echo_rss = echo.rss_mb()
    distinct = _distinct_prescriptions(options, rxsafe, metadata)
    new = _new_checks(options, echo=echo, rxsafe=rxsafe, metadata=metadata)

    # --- the report --------------------------------------------------------------------------------------------
    throughput_tool = "h2load" if h2load else "python-aio"
    _print_load_section(options, h2load, cells, answers)
    _out()
    _print_new_checks(new, cpu)
    _out()
    _out("== Start-up and memory")
    _out(
        f"start-up time (spawn -> serving log line): {rxsafe.startup_seconds:.2f} s  (echo server: "
        f"{echo.startup_seconds:.2f} s)"
    )
    _out(f"RSS after start: {rss_start:.0f} MB")
    _out(f"RSS after load:  {rss_load:.0f} MB  (echo server: {echo_rss:.0f} MB)")
    _out(
        f"RSS after {options.distinct:,} distinct prescriptions: {distinct.rss_mb:.0f} MB  ({distinct.answered:,}"
        f" answered, {distinct.failed} failed, {distinct.rate:.0f} checks/s at 8 in flight, no memo hits)"
    )
    _out()
    _out("== Name resolution per line (in process, resolver.resolve_line)")
    for name, figures in (("exact", exact), ("fuzzy", fuzzy)):
        _out(
            f"resolve {name}, median: {fmt(figures.median_us, 0)} us  (p99 {fmt(figures.p99_us, 0)} us; "
            f"{figures.lines} lines x {options.resolve_rounds} rounds)"
        )
    for note in resolve_notes:
        _out(f"  note: {note}")
    _out()
    _out("== Record import")
    _out(
        f"record import (upsert_patient, fresh DuckDB): {imported.rows_per_second:,.0f} rows/s, "
        f"{imported.patients_per_second:,.0f} patients/s  ({imported.patients:,} patients x "
        f"{micro.MEDICATIONS_PER_IMPORTED_PATIENT} medications, {imported.rows:,} rows, {imported.seconds:.1f} s)"
    )
    if imported.capped:
        _out(f"  note: stopped at the {IMPORT_TIME_CAP_SECONDS:g} s time cap, before {options.patients:,} patients")
    xml_rows = options.xml_rows
    parse_s, write_s = micro.xml2_import(xml_rows)
    _out(
        f"XML2 import ({xml_rows:,} rows, one file): parse+validate {xml_rows / parse_s:,.0f} rows/s, "
        f"write {xml_rows / write_s:,.0f} rows/s, total {xml_rows / (parse_s + write_s):,.0f} rows/s "
        f"({parse_s + write_s:.1f} s)"
    )
    # The alert-tier counts (issue 18), in process: counts, not timings, so the idle servers do not matter.
    _out("\n" + "\n".join(bench_alerts.lines()) + "\n")
    _print_targets(
        cells,
        rxsafe=rxsafe,
        rss_mb=max(rss_start, rss_load, distinct.rss_mb),
        exact=exact,
        fuzzy=fuzzy,
        throughput_tool=throughput_tool,
    )
    _print_new_check_targets(new, cpu)
    _out()
    failed = [
        f"{c.target} @ {c.concurrency} ({c.result.tool}): {c.result.errors} {c.result.first_error}"
        for c in cells
        if c.result.errors
    ] + ([f"{distinct.failed} of the distinct prescriptions"] if distinct.failed else [])
    failed += [f"{new.failed} of the new prescriptions (issue 16 cells)"] if new.failed else []
    for what in failed:
        _out(f"FAILED CALLS: {what}")
    _out("\n" + "\n".join(bench_workers.section(workdir, procs, options.distinct, _say)))  # issue 17: --workers N
    _out(f"total bench time: {time.perf_counter() - started:.0f} s")
    return EXIT_CALLS_FAILED if failed or distinct.failed else EXIT_OK


def _terminate(signum: int, frame: FrameType | None) -> None:
    # SIGTERM (e.g. from `timeout` or CI) unwinds like Ctrl-C, so the finally blocks stop every child.
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: parse options, run in a temporary directory, stop every child however the run ends."""
    options = _options(argv)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        # ProcessGroup is exited first (stopping the servers), then the directory with their DuckDB files goes.
        with tempfile.TemporaryDirectory(prefix="rxsafe-bench-") as tmp, ProcessGroup() as procs:
            return run(options, Path(tmp), procs)
    except KeyboardInterrupt:
        _say("interrupted; every process started was stopped")
        return 130


if __name__ == "__main__":
    sys.exit(main())
