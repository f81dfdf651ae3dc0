"""Server subprocesses for the benchmark: start, wait for the "serving" log line, read RSS, and always clean up.

Every child is started in a session of its own (``start_new_session``), so one ``killpg`` ends it with anything it
forked, and a Ctrl-C in the terminal reaches only the harness, whose ``finally`` then stops the children in order.
Server logs go to files, not pipes: the rxsafe server logs one JSON line per check, and a pipe nobody reads would
fill up and stall the server in the middle of a measurement.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

# Generous: a cold start on a busy shared box (knowledge load, first import of grpc) can take several seconds.
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 5.0
_POLL_SECONDS = 0.005


class ServerFailed(RuntimeError):
    """A server exited or never logged "serving"; the message carries the tail of its log."""


@dataclass(frozen=True)
class Server:
    """A started server: its process, the address from its "serving" line, and how long it took to get there."""

    name: str
    process: subprocess.Popen[bytes]
    address: str
    startup_seconds: float
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def rss_mb(self) -> float:
        """Resident set size now, from /proc/<pid>/status (VmRSS, in kB), in MB (10^6 bytes)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024 / 1e6
        raise ServerFailed(f"{self.name}: no VmRSS in /proc/{self.pid}/status (process gone?)")

    def cpu_seconds(self) -> float:
        """CPU time (utime + stime) of the process so far, from /proc/<pid>/stat."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        # After the command name: state is fields[0], so utime (14th) and stime (15th) are fields[11] and [12].
        ticks = int(fields[11]) + int(fields[12])
        return ticks / os.sysconf("SC_CLK_TCK")


class ProcessGroup:
    """Owns every child the benchmark starts; leaving the ``with`` block stops them all, however it is left."""

    def __init__(self) -> None:
        self._children: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> ProcessGroup:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # Newest first: a load generator stops before the server it drives.
        for child in reversed(self._children):
            stop(child)
        self._children.clear()

    def popen(self, argv: Sequence[str], *, cwd: Path, log_path: Path | None = None) -> subprocess.Popen[bytes]:
        """Starts ``argv`` in its own session; stderr (and stdout) to ``log_path`` if given, else discarded."""
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if log_path is None:
            child = subprocess.Popen(
                argv,
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        else:
            with log_path.open("wb") as log:
                child = subprocess.Popen(
                    argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
                )
        self._children.append(child)
        return child

    def start_server(self, name: str, argv: Sequence[str], *, cwd: Path, log_path: Path) -> Server:
        """Starts a server and waits for its JSON "serving" line; the start-up time is spawn → that line."""
        started = time.perf_counter()
        child = self.popen(argv, cwd=cwd, log_path=log_path)
        address = _wait_for_serving(name, child, log_path)
        return Server(name, child, address, time.perf_counter() - started, log_path)

    def stop(self, child: subprocess.Popen[bytes]) -> None:
        """Stops one child now (it is then forgotten)."""
        stop(child)
        if child in self._children:
            self._children.remove(child)


def stop(child: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the child's process group, then SIGKILL if it has not exited within ``STOP_TIMEOUT_SECONDS``."""
    if child.poll() is not None:
        return
    try:
        os.killpg(child.pid, signal.SIGTERM)
        child.wait(STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
    except ProcessLookupError:
        child.wait()


def _wait_for_serving(name: str, child: subprocess.Popen[bytes], log_path: Path) -> str:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    pending = b""
    with log_path.open("rb") as log:
        while time.monotonic() < deadline:
            chunk = log.read()
            if chunk:
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    address = _serving_address(line)
                    if address:
                        return address
                continue
            if child.poll() is not None:
                raise ServerFailed(f"{name} exited with {child.returncode} before serving:\n{_tail(log_path)}")
            time.sleep(_POLL_SECONDS)
    raise ServerFailed(f"{name} did not log 'serving' within {START_TIMEOUT_SECONDS:.0f} s:\n{_tail(log_path)}")


def _serving_address(line: bytes) -> str:
    if not line.startswith(b"{"):
        return ""
    try:
        entry = json.loads(line)
    except json.JSONDecodeError:
        return ""
    if isinstance(entry, dict) and entry.get("event") == "serving":
        return str(entry.get("address", ""))
    return ""


def _tail(path: Path, chars: int = 3000) -> str:
    return path.read_text(errors="replace")[-chars:]
