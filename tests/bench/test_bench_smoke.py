"""`python -m scripts.bench --quick` runs end to end and prints every figure (values are not judged here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

LABELS = (
    "== Throughput and latency",
    "echo (framework ceiling)",
    "CheckPrescription by patientId",
    "CheckPrescription inline patient",
    "python-aio",
    "vs echo",
    "p50 ms",
    "p99 ms",
    "req/s",
    "== Start-up and memory",
    "start-up time (spawn -> serving log line)",
    "RSS after start",
    "RSS after load",
    "== Name resolution per line",
    "resolve exact, median",
    "resolve fuzzy, median",
    "== Record import",
    "record import (upsert_patient",
    "rows/s",
    "XML2 import (",
    "== Targets",
    "of echo req/s at 8 in flight",
    "p99 <= 15 ms at 8 in flight",
    "start-up <= 2 s",
    "RSS <= 400 MB",
    "resolve exact median <= 0.2 ms",
    "resolve fuzzy median <= 2 ms",
)


@pytest.mark.slow
def test_quick_bench_prints_every_figure() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "scripts.bench", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    missing = [label for label in LABELS if label not in completed.stdout]
    assert not missing, f"labels missing from the report: {missing}\n{completed.stdout}"
    # Either tool may have produced the throughput figures, but the report must say which.
    assert "h2load" in completed.stdout or "python-aio client" in completed.stdout
    assert completed.stdout.count("PASS") + completed.stdout.count("MISS") >= 8
