"""The HTTP server (uvicorn) for the CDS Hooks app, on the event loop the gRPC server runs, on a port of its own.

uvicorn is started on a socket bound here (so port 0 gives a known free port before it serves) and without its
own signal handling: ``rxsafe.service.server.serve`` owns SIGTERM/SIGINT and stops both servers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from rxsafe.app.service import SafetyService
from rxsafe.http.app import CdsHooksApp, HttpSettings
from rxsafe.http.auth import AccessReader, JwtVerifier
from rxsafe.service.access import AccessFile

log = logging.getLogger("rxsafe.http")

STOP_SECONDS = 5.0
MAX_CONCURRENT_CALLS = 256  # rxsafe.service.server.MAX_CONCURRENT_RPCS


@dataclass(frozen=True)
class HttpOptions:
    """``rxsafe serve --http-port N [--cds-jwt FILE]``; TLS files are the gRPC server's (cert, key)."""

    port: int
    jwt_config: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The gRPC server's loop already handles SIGTERM/SIGINT and stops this server itself.
        yield


@dataclass
class RunningHttp:
    server: uvicorn.Server
    task: asyncio.Task[None]
    app: CdsHooksApp
    port: int

    async def stop(self) -> None:
        """Stops taking connections, lets calls in flight finish (up to ``STOP_SECONDS``)."""
        self.server.should_exit = True
        try:
            await asyncio.wait_for(self.task, STOP_SECONDS)
        except TimeoutError:
            self.task.cancel()
        self.app.close()


async def start_http(
    service: SafetyService,
    host: str,
    options: HttpOptions,
    access: AccessFile,
    access_path: Path | None,
    *,
    reuse_port: bool = False,
) -> RunningHttp:
    """Binds ``host:options.port`` and starts serving the CDS Hooks app; returns once it listens.

    ``reuse_port`` as for the gRPC port: several worker processes may then share the one HTTP port.
    """
    verifier = JwtVerifier.load(options.jwt_config) if options.jwt_config else None
    app = CdsHooksApp(service, HttpSettings(access=AccessReader(access, access_path), jwt=verifier))
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Inherited by every accepted connection: without it a keep-alive answer written in two parts (head, body)
    # waits for the client's delayed ACK, ~40 ms (measured with scripts/bench_cds.py).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, options.port))
    sock.set_inheritable(True)
    config = uvicorn.Config(
        app.asgi,
        log_config=None,  # the process's JSON logging (rxsafe.service.logs), not uvicorn's own
        access_log=False,  # the app logs each call itself, with ids and counts only
        lifespan="off",
        ssl_certfile=str(options.tls_cert) if options.tls_cert else None,
        ssl_keyfile=str(options.tls_key) if options.tls_key else None,
        timeout_graceful_shutdown=int(STOP_SECONDS),
        # As the gRPC port: past this many connections and calls, new ones get 503 instead of queueing unbounded.
        limit_concurrency=MAX_CONCURRENT_CALLS,
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()  # re-raises why it could not start
            raise RuntimeError("the HTTP server stopped before it started")
        await asyncio.sleep(0.01)
    port = int(sock.getsockname()[1])
    log.info("cds serving", extra={"address": f"{host}:{port}", "tls": options.tls_cert is not None})
    return RunningHttp(server, task, app, port)
