"""``rxsafe serve --workers N``: N server processes on one port, under one supervisor process.

Each worker is a full ``rxsafe serve`` process (its own knowledge copy, its own pool of PostgreSQL connections)
bound to the same port with ``SO_REUSEPORT``, so the kernel spreads incoming connections across them; a Python
process is one core at most, so this is how one host uses its cores. The supervisor loads nothing itself:

- **start**: it runs the migrations and the demo seed once (before any worker, so they do not race for them),
  reserves the port (a bound, never listening ``SO_REUSEPORT`` socket: port 0 picks one that stays free), starts
  the workers, and logs ``serving`` once every worker serves, with each worker's pid and own address;
- **health per process**: each worker also answers on a loopback port of its own (``own_address`` in the log),
  so ``grpc.health.v1`` can be asked of one particular process; on the shared port, whichever worker the kernel
  picked answers;
- **metrics per process**: with ``--metrics-port BASE``, worker *i* (0-based) serves ``/metrics`` on
  ``BASE + i`` (``--metrics-port 0``: each a free port, named in its ``metrics`` log line); scrape them all;
- **a worker that dies** (crash, SIGKILL, out of memory) is started again; the others keep serving meanwhile;
- **SIGTERM / SIGINT**: passed to every worker, each drains its calls in flight (``GRACE_SECONDS``), the
  supervisor waits for all and exits 0 when all drained cleanly;
- **reload**: SIGHUP to the supervisor reloads every worker (knowledge build and access file);
  ``ReloadConfiguration`` answered by one worker is passed on: the worker tells the supervisor over its control
  pipe, the supervisor sends SIGHUP to every other worker.

The control pipe: a worker writes one JSON line when it serves (``{"ready": own_address}``) and one after each
reload it made for an RPC (``{"reloaded": true}``).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import FrameType

log = logging.getLogger("rxsafe.service")

# How long the supervisor waits for a worker to say it serves (knowledge load included) before giving up.
START_TIMEOUT = 120.0
# A worker that keeps dying is restarted at most this often.
RESTART_PAUSE = 1.0
# After SIGTERM, workers get their own grace period; past this the supervisor kills what is left.
STOP_TIMEOUT = 30.0


@dataclass(frozen=True)
class WorkerLink:
    """A worker's end of its supervisor's control pipe."""

    index: int
    fd: int

    def ready(self, own_address: str) -> None:
        self._send({"ready": own_address, "pid": os.getpid()})

    def reloaded(self) -> None:
        self._send({"reloaded": True})

    def _send(self, message: dict[str, object]) -> None:
        try:
            os.write(self.fd, (json.dumps(message) + "\n").encode("ascii"))
        except OSError:
            log.warning("supervisor pipe closed", extra={"worker": self.index})


@dataclass
class _Worker:
    index: int
    process: subprocess.Popen[bytes]
    pipe: int
    started: float
    own_address: str = ""
    buffer: bytes = b""


@dataclass
class Supervisor:
    """Starts, watches, restarts and stops the worker processes. ``command(index, port, fd)`` is a worker's argv."""

    count: int
    host: str
    port: int
    command: Callable[[int, int, int], Sequence[str]]
    workers: dict[int, _Worker] = field(default_factory=dict)
    _stopping: bool = False
    _reload_all: bool = False

    def run(self) -> int:
        """Serves until SIGTERM or SIGINT; returns the exit status (0 when every worker drained cleanly)."""
        reservation = _reserve(self.host, self.port)
        self.port = reservation.getsockname()[1]
        signal.signal(signal.SIGTERM, self._on_stop)
        signal.signal(signal.SIGINT, self._on_stop)
        signal.signal(signal.SIGHUP, self._on_hup)
        try:
            for index in range(self.count):
                self._start(index)
            if not self._wait_ready():
                self._stop_all()
                return 1
            log.info(
                "serving",
                extra={
                    "address": f"{self.host}:{self.port}",
                    "workers": [
                        {"worker": w.index, "pid": w.process.pid, "own_address": w.own_address}
                        for w in self.workers.values()
                    ],
                },
            )
            while not self._stopping:
                self._poll(0.2)
            log.info("draining", extra={"workers": len(self.workers)})
            return self._stop_all()
        finally:
            reservation.close()

    # --- signals (set flags only; the loop acts on them) ------------------------------------------------------

    def _on_stop(self, signum: int, frame: FrameType | None) -> None:
        self._stopping = True

    def _on_hup(self, signum: int, frame: FrameType | None) -> None:
        self._reload_all = True

    # --- the loop ---------------------------------------------------------------------------------------------

    def _start(self, index: int) -> None:
        read_end, write_end = os.pipe()
        os.set_blocking(read_end, False)
        process = subprocess.Popen(  # noqa: S603 -- our own interpreter and arguments
            list(self.command(index, self.port, write_end)),
            pass_fds=(write_end,),
            # A group of its own: a Ctrl-C or group-wide signal reaches the supervisor only, which passes SIGTERM
            # on once (a second signal could cut a drained worker's exit short). It dies with the supervisor.
            process_group=0,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 -- the supervisor starts workers from one thread only
        )
        os.close(write_end)
        self.workers[index] = _Worker(index, process, read_end, time.monotonic())

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline and not self._stopping:
            if all(w.own_address for w in self.workers.values()):
                return True
            if any(w.process.poll() is not None for w in self.workers.values()):
                log.error("worker failed to start", extra={"workers": self.count})
                return False
            self._read(0.2)
        return all(w.own_address for w in self.workers.values())

    def _poll(self, timeout: float) -> None:
        self._read(timeout)
        if self._reload_all:
            self._reload_all = False
            self._signal_all(signal.SIGHUP)
        for index, worker in list(self.workers.items()):
            code = worker.process.poll()
            if code is None or self._stopping:
                continue
            os.close(worker.pipe)
            log.warning("worker exited", extra={"worker": index, "pid": worker.process.pid, "exit_code": code})
            time.sleep(max(0.0, RESTART_PAUSE - (time.monotonic() - worker.started)))
            self._start(index)

    def _read(self, timeout: float) -> None:
        pipes = {w.pipe: w for w in self.workers.values()}
        try:
            readable, _, _ = select.select(list(pipes), [], [], timeout)
        except InterruptedError:
            return
        for fd in readable:
            worker = pipes[fd]
            try:
                chunk = os.read(fd, 4096)
            except BlockingIOError:
                continue
            worker.buffer += chunk
            while b"\n" in worker.buffer:
                line, worker.buffer = worker.buffer.split(b"\n", 1)
                self._message(worker, json.loads(line))
            if not chunk:  # the worker closed its end (it exited): stop selecting on it until restarted
                worker.buffer = b""

    def _message(self, worker: _Worker, message: dict[str, object]) -> None:
        if "ready" in message:
            worker.own_address = str(message["ready"])
            extra = {"worker": worker.index, "pid": worker.process.pid, "own_address": worker.own_address}
            log.info("worker ready", extra=extra)
        elif message.get("reloaded"):
            # One worker reloaded for an RPC: the others follow.
            for other in self.workers.values():
                if other is not worker and other.process.poll() is None:
                    other.process.send_signal(signal.SIGHUP)

    def _signal_all(self, signum: int) -> None:
        for worker in self.workers.values():
            if worker.process.poll() is None:
                worker.process.send_signal(signum)

    def _stop_all(self) -> int:
        self._signal_all(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        codes: list[int] = []
        for worker in self.workers.values():
            try:
                codes.append(worker.process.wait(timeout=max(0.1, deadline - time.monotonic())))
            except subprocess.TimeoutExpired:
                worker.process.kill()
                codes.append(worker.process.wait())
            os.close(worker.pipe)
        log.info("stopped", extra={"exit_codes": codes})
        return 0 if all(code == 0 for code in codes) else 1


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM it when the supervisor dies (even by SIGKILL), so no worker is orphaned."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _reserve(host: str, port: int) -> socket.socket:
    """Binds (never listens) ``host:port`` with ``SO_REUSEPORT``: the workers share it; nobody else can take it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    reservation = socket.socket(family, socket.SOCK_STREAM)
    reservation.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    reservation.bind((host, port))
    return reservation


def reserve_port(host: str, port: int) -> socket.socket:
    """Reserves a port every worker binds too (the CDS HTTP port); port 0 picks one, the same for all of them.

    Without it ``--http-port 0`` would give each worker a free port of its own instead of one shared port.
    """
    return _reserve(host, port)


def worker_command(arguments: Sequence[str], metrics_base: int | None) -> Callable[[int, int, int], list[str]]:
    """A worker's argv: ``rxsafe serve`` with the supervisor's options and the port it reserved.

    Plus its metrics port (``metrics_base + index``), and its index and pipe (hidden options).
    """

    def command(index: int, port: int, fd: int) -> list[str]:
        # Port 0 stays 0 for every worker (each picks a free port and logs it), never 0 + index.
        port_of_worker = metrics_base + index if metrics_base else 0
        metrics = ["--metrics-port", str(port_of_worker)] if metrics_base is not None else []
        return [
            sys.executable,
            "-m",
            "rxsafe.cli",
            "serve",
            *arguments,
            *metrics,
            "--port",
            str(port),
            "--worker-index",
            str(index),
            "--control-fd",
            str(fd),
        ]

    return command
