"""A real rxsafe server, started as a subprocess on a free port over a fresh DuckDB file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest

from rxsafe.gen import medication_safety_pb2_grpc as pb_grpc

ROOT = Path(__file__).resolve().parents[2]
RXSAFE = Path(sys.executable).with_name("rxsafe")


# An inline patient whose allergy history is known to be empty: the pair checks below see interactions only.
NO_KNOWN_ALLERGIES = {"allergyStatus": "ALLERGY_STATUS_NO_KNOWN_ALLERGIES"}


def check_pairs_in_process(batch: Path, pairs: dict[str, tuple[str, str]]) -> dict[str, dict[str, Any]]:
    """Each two-line prescription of ``pairs`` through ``rxsafe check --batch`` in-process, answers by name."""
    lines = [
        json.dumps(
            {"patient": NO_KNOWN_ALLERGIES, "prescription": {"lines": [{"text": a}, {"text": b}]}}, ensure_ascii=False
        )
        for a, b in pairs.values()
    ]
    batch.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = subprocess.run(
        [str(RXSAFE), "check", "--batch", str(batch)], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    return dict(zip(pairs, (json.loads(line) for line in done.stdout.splitlines()), strict=True))


START_TIMEOUT = 60.0


class _Headers(grpc.UnaryUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):  # type: ignore[misc]
    """Adds credentials, user and purpose to every call, as an integrating system would."""

    def __init__(self, metadata: tuple[tuple[str, str], ...]) -> None:
        self.metadata = metadata

    def _details(self, details: Any) -> Any:
        return details._replace(metadata=(*(details.metadata or ()), *self.metadata))

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._details(details), request)

    def intercept_stream_stream(self, continuation: Any, details: Any, requests: Any) -> Any:
        return continuation(self._details(details), requests)


@dataclass
class RunningServer:
    process: subprocess.Popen[str]
    address: str
    db: Path
    logs: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        """The development key the server created beside its store."""
        return self.db.with_name("dev.key").read_text(encoding="utf-8").strip()

    def channel(self, *, key: str | None = None, user: str = "dr-test", purpose: str = "treatment") -> grpc.Channel:
        headers = [("x-rxsafe-user", user), ("x-rxsafe-purpose", purpose)]
        credential = self.key if key is None else key
        if credential:
            headers.append(("authorization", f"Bearer {credential}"))
        return grpc.intercept_channel(grpc.insecure_channel(self.address), _Headers(tuple(headers)))

    def stub(self, **kwargs: Any) -> pb_grpc.MedicationSafetyStub:
        return pb_grpc.MedicationSafetyStub(self.channel(**kwargs))


def start_server(db: Path, *extra: str) -> RunningServer:
    """Starts ``rxsafe serve --port 0`` and waits for its "serving" log line, which names the port."""
    process = subprocess.Popen(
        [str(RXSAFE), "serve", "--host", "127.0.0.1", "--port", "0", "--db", str(db), *extra],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stderr is not None
    logs: list[str] = []
    deadline = time.monotonic() + START_TIMEOUT
    address = ""
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            raise RuntimeError(f"server exited ({process.wait()}): {''.join(logs)[-2000:]}")
        logs.append(line)
        entry = json.loads(line) if line.startswith("{") else {}
        if entry.get("event") == "serving":
            address = entry["address"]
            break
    if not address:
        process.kill()
        raise RuntimeError("server did not start in time")
    server = RunningServer(process=process, address=address, db=db, logs=logs)
    # Keep reading the log so the pipe never fills; tests may inspect every line.
    threading.Thread(target=_drain, args=(process, logs), daemon=True).start()
    return server


def _drain(process: subprocess.Popen[str], logs: list[str]) -> None:
    assert process.stderr is not None
    for line in process.stderr:
        logs.append(line)


def stop_server(server: RunningServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    if server.process.stderr is not None:
        server.process.stderr.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("store") / "rxsafe.duckdb")
    yield running
    stop_server(running)
