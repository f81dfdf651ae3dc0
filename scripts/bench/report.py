"""Formatting of the benchmark's figures and the targets they are judged against.

Labels are stable text: the smoke test looks for them, so renaming one means updating ``tests/bench``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scripts.bench.loadgen import Result

# Targets (the brief of `make bench`); each one prints PASS or MISS.
MIN_RATIO_TO_ECHO_AT_8 = 0.60
MAX_P99_MS_AT_8 = 15.0
MAX_STARTUP_SECONDS = 2.0
MAX_RSS_MB = 400.0
MAX_EXACT_RESOLVE_MS = 0.2
MAX_FUZZY_RESOLVE_MS = 2.0
TARGET_CONCURRENCY = 8
# New prescriptions, no memo hits (issue 16): against echo with the same Python client, in one run.
MIN_DISTINCT_RATIO_AT_8 = 0.30
MAX_DISTINCT_P99_MS_AT_8 = 25.0
MAX_NEW_CHECK_CPU_MS = 1.5
MAX_LIST_RATIO = 3.0

ECHO = "echo (framework ceiling)"
# The same request again and again: answered from the result memo after the first call.
BY_ID = "CheckPrescription by patientId"
INLINE = "CheckPrescription inline patient"
DISTINCT_ECHO = "echo, distinct bodies"
DISTINCT = "CheckPrescription, new each call"
TARGET_LABELS = (ECHO, BY_ID, INLINE)


def fmt(value: float, digits: int = 2) -> str:
    """A figure, or ``-`` where the tool does not give it."""
    return "-" if math.isnan(value) else f"{value:,.{digits}f}"


@dataclass(frozen=True)
class Cell:
    """One row of the load table."""

    target: str
    concurrency: int
    result: Result


def load_table(cells: Sequence[Cell], baseline: str = ECHO) -> list[str]:
    """The load table, with each checker row's requests/s as a fraction of echo's, same tool, same concurrency."""
    echo = {(c.concurrency, c.result.tool): c.result.rps for c in cells if c.target == baseline}
    header = (
        f"{'target':34} {'in flight':>9}  {'tool':10} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} "
        f"{'mean ms':>7} {'max ms':>7} {'vs echo':>7} {'errors':>6}"
    )
    rows = [header, "-" * len(header)]
    for cell in cells:
        r = cell.result
        base = echo.get((cell.concurrency, r.tool), float("nan"))
        ratio = "" if cell.target == baseline else percent(r.rps / base) if base and not math.isnan(base) else "-"
        rows.append(
            f"{cell.target:34} {cell.concurrency:>9}  {r.tool:10} {r.rps:>8,.0f} {fmt(r.p50_ms):>7} "
            f"{fmt(r.p99_ms):>7} {fmt(r.mean_ms):>7} {fmt(r.max_ms):>7} {ratio:>7} {r.errors:>6}"
        )
    return rows


def percent(ratio: float) -> str:
    """A ratio as a percentage; one decimal below 10 %, where a whole number would round small ratios to 0 %."""
    return f"{ratio:.0%}" if ratio >= 0.1 else f"{ratio:.1%}"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def target_line(label: str, measured: str, ok: bool) -> str:
    """``PASS  label: measured``, aligned."""
    return f"  {verdict(ok)}  {label:74} {measured}"
