"""The gRPC server: the servicer plus health, reflection, a message-size limit and bounded concurrency."""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias, cast

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from rxsafe.app.actor import Actor
from rxsafe.app.service import SafetyService
from rxsafe.core.errors import RxsafeError, Unavailable
from rxsafe.gen import medication_safety_pb2 as pb
from rxsafe.gen import medication_safety_pb2_grpc as pb_grpc
from rxsafe.service import convert
from rxsafe.service.access import AccessFile, Role
from rxsafe.service.budgets import BudgetInterceptor, CallBudgets
from rxsafe.service.guard import CallGuardInterceptor
from rxsafe.service.interceptors import AccessInterceptor
from rxsafe.service.memory import trim_when_idle
from rxsafe.service.prom import GrpcMetricsInterceptor, expose_service_metrics, start_metrics_server
from rxsafe.service.servicer import CHECK_ANSWER_METHODS, MedicationSafetyServicer
from rxsafe.service.workers import WorkerLink

if TYPE_CHECKING:
    from rxsafe.http.server import HttpOptions

log = logging.getLogger("rxsafe.service")

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["MedicationSafety"].full_name
MAX_MESSAGE_BYTES = 4 * 1024 * 1024
# Past this many authenticated calls in flight, new calls are refused with RESOURCE_EXHAUSTED instead of queueing
# without bound (service.budgets: health streams and single callers have budgets of their own).
MAX_CONCURRENT_RPCS = CallBudgets().work_total
# On SIGTERM, calls in flight get this long to finish; open health Watch streams are ended after it. Orchestrators
# allow ~10 s between SIGTERM and SIGKILL; a check takes well under a second.
GRACE_SECONDS = 4.0


@dataclass(frozen=True)
class TlsFiles:
    """PEM files for TLS; with ``client_ca`` the server requires client certificates (mutual TLS)."""

    cert: Path
    key: Path
    client_ca: Path | None = None

    def credentials(self) -> grpc.ServerCredentials:
        ca = self.client_ca.read_bytes() if self.client_ca else None
        return grpc.ssl_server_credentials(
            [(self.key.read_bytes(), self.cert.read_bytes())],
            root_certificates=ca,
            require_client_auth=ca is not None,
        )


@dataclass
class Reloader:
    """ReloadConfiguration: the knowledge build and the access file, read again from disk."""

    service: SafetyService
    interceptor: AccessInterceptor
    access_path: Path | None
    knowledge_path: Path | None
    # The facility policy file the server started with (tier rules, suppressions): read again and audited.
    policy_path: Path | None = None
    # Called after a successful reload (one worker of several tells the supervisor, which tells the others).
    after: Callable[[], None] | None = None

    def __call__(self, actor: Actor | None) -> ReloadResult:
        from rxsafe.bootstrap import knowledge_dir, load_matching  # noqa: PLC0415 -- the composition root, on demand
        from rxsafe.knowledge.loader import load_knowledge  # noqa: PLC0415

        folder = knowledge_dir(self.knowledge_path)
        knowledge = load_knowledge(folder)
        previous = self.service.replace_knowledge(knowledge, load_matching(folder), actor)
        if self.access_path is not None:
            self.interceptor.access = AccessFile.load(self.access_path)
        access = self.interceptor.access
        if self.policy_path is not None:
            from rxsafe.app.policy_file import load_policy  # noqa: PLC0415 -- the composition root, on demand

            self.service.replace_policy(load_policy(self.policy_path), actor)
        if self.after is not None:
            self.after()
        return ReloadResult(previous, knowledge.version, len(access.keys), len(access.tls_clients))


@dataclass(frozen=True)
class ReloadResult:
    previous_knowledge_version: str
    knowledge_version: str
    api_keys: int
    tls_clients: int


Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"  # generic in the stubs only


class _HandlerCapture:
    """Stands in for the server while the generated code registers its handlers, to keep the handler table."""

    def __init__(self) -> None:
        self.handlers: dict[str, Handler] = {}

    def add_generic_rpc_handlers(self, handlers: object) -> None:
        pass

    def add_registered_method_handlers(self, service: str, handlers: dict[str, Handler]) -> None:
        self.handlers = dict(handlers)


def _add_servicer(servicer: MedicationSafetyServicer, server: grpc.aio.Server) -> None:
    """Registers the generated handlers, with a serializer for check answers that also sends pre-encoded ones.

    Check answers are mostly a memoised result's lines and conflicts, encoded once (``convert.report_to_wire``).
    """
    capture = _HandlerCapture()
    pb_grpc.add_MedicationSafetyServicer_to_server(servicer, cast("grpc.aio.Server", capture))
    handlers = capture.handlers
    for method in CHECK_ANSWER_METHODS:
        # grpc's RpcMethodHandler is a namedtuple at run time; its stub does not say so.
        handler = handlers[method]._replace(response_serializer=convert.serialize_check_response)  # type: ignore[attr-defined]
        handlers[method] = handler
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE_NAME, handlers),))
    server.add_registered_method_handlers(SERVICE_NAME, handlers)


def build_server(
    service: SafetyService,
    address: str,
    *,
    access: AccessFile,
    tls: TlsFiles | None = None,
    reuse_port: bool = False,
    access_path: Path | None = None,
    knowledge_path: Path | None = None,
    policy_path: Path | None = None,
) -> tuple[grpc.aio.Server, int, health.aio.HealthServicer, Reloader]:
    """A configured, not yet started server bound to ``address`` ("127.0.0.1:0" picks a free port), and its reloader."""
    interceptor = AccessInterceptor(access)
    budgets = CallBudgets()
    server = grpc.aio.server(
        # Outermost first: metrics (final codes), request id and unexpected errors, credentials, call budgets.
        interceptors=[GrpcMetricsInterceptor(), CallGuardInterceptor(), interceptor, BudgetInterceptor(budgets)],
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ("grpc.so_reuseport", 1 if reuse_port else 0),
        ],
        maximum_concurrent_rpcs=budgets.backstop,
    )
    reloader = Reloader(service, interceptor, access_path, knowledge_path, policy_path)
    _add_servicer(MedicationSafetyServicer(service, reloader), server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection((SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), server)
    port = bind_port(server, address, tls)
    return server, port, health_servicer, reloader


def bind_port(server: grpc.aio.Server, address: str, tls: TlsFiles | None) -> int:
    """Binds ``address``; a port in use (or an address not on this host) is a clean error, not a traceback."""
    try:
        return server.add_secure_port(address, tls.credentials()) if tls else server.add_insecure_port(address)
    except RuntimeError:
        raise PortUnavailable(
            f"cannot listen on {address}: the port is in use (another rxsafe?) or the address is not on this host"
        ) from None


async def serve(
    service: SafetyService,
    host: str,
    port: int,
    *,
    access: AccessFile,
    tls: TlsFiles | None = None,
    reuse_port: bool = False,
    metrics_port: int | None = None,
    access_path: Path | None = None,
    knowledge_path: Path | None = None,
    http: HttpOptions | None = None,
    policy_path: Path | None = None,
    worker: WorkerLink | None = None,
) -> None:
    """Serves until SIGTERM or SIGINT, then drains calls in flight (up to ``GRACE_SECONDS``).

    With ``metrics_port``, ``/metrics`` (Prometheus text) is served on that port of the same host; with ``http``,
    the CDS Hooks facade (``rxsafe.http``) on its own port, over the same service, access file and audit trail.
    ``worker`` is set in a worker process of ``--workers N`` (``rxsafe.service.workers``): the process also answers
    on a loopback port of its own (health probes of this very process), reloads on SIGHUP, and reports to its
    supervisor.
    """
    server, bound, health_servicer, reloader = build_server(
        service,
        f"{host}:{port}",
        access=access,
        tls=tls,
        reuse_port=reuse_port,
        access_path=access_path,
        knowledge_path=knowledge_path,
        policy_path=policy_path,
    )
    service.record_policy_in_force()
    own_port = server.add_insecure_port("127.0.0.1:0") if worker is not None else None
    if worker is not None:
        reloader.after = worker.reloaded
    metrics_server = None
    if metrics_port is not None:
        expose_service_metrics(service.metrics)
        metrics_server, _ = start_metrics_server(host, metrics_port)
        log.info("metrics", extra={"address": f"{host}:{metrics_server.server_port}"})
    await server.start()
    http_server = None
    if http is not None:
        from rxsafe.http.server import start_http  # noqa: PLC0415 -- Starlette and uvicorn only when asked for

        http_server = await start_http(service, host, http, access, access_path, reuse_port=reuse_port)
    serving = health_pb2.HealthCheckResponse.SERVING
    await health_servicer.set("", serving)
    await health_servicer.set(SERVICE_NAME, serving)
    idle_trim = asyncio.create_task(trim_when_idle())  # RSS falls back after a load peak
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    if worker is None:
        log.info("serving", extra={"address": f"{host}:{bound}", "knowledge_version": service.knowledge.version})
    else:
        # SIGHUP from the supervisor: another worker reloaded (or the operator asked all of them). Reloading takes
        # a fraction of a second of CPU, off the event loop; this worker does not report it back.
        quiet = dataclasses.replace(reloader, after=None)

        def reload_now() -> None:
            result = quiet(None)
            log.info("reloaded", extra={"worker": worker.index, "knowledge_version": result.knowledge_version})

        loop.add_signal_handler(signal.SIGHUP, lambda: loop.run_in_executor(None, reload_now))
        own = f"127.0.0.1:{own_port}"
        worker.ready(own)
        log.info(
            "worker serving",
            extra={
                "address": f"{host}:{bound}",
                "worker": worker.index,
                "own_address": own,
                "knowledge_version": service.knowledge.version,
            },
        )
    await stop.wait()
    log.info("draining", extra={"grace_seconds": GRACE_SECONDS})
    await health_servicer.enter_graceful_shutdown()
    if http_server is not None:
        await http_server.stop()
    await server.stop(GRACE_SECONDS)
    idle_trim.cancel()
    if metrics_server is not None:
        metrics_server.shutdown()
        metrics_server.server_close()
    log.info("stopped")


class PortUnavailable(Unavailable):
    """Refused at start-up: the address cannot be bound (the port is in use)."""


class UnsafeBinding(RxsafeError):
    """Refused at start-up: the service would expose patient data without TLS or credentials."""


DEV_ROLES = (Role.PRESCRIBER, Role.PHARMACIST, Role.REVIEWER)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def prepare_access(
    host: str, access_path: Path, tls: TlsFiles | None, *, behind_tls_proxy: bool = False
) -> tuple[AccessFile, str | None]:
    """The access configuration to serve with, and a new development key when one was created.

    On loopback with no keys configured, a development key is created (and written beside the access file as
    ``dev.key``) so that one command starts a usable service. Beyond loopback, the service refuses to start
    without TLS, and refuses to start with no way to authenticate anyone.

    ``behind_tls_proxy`` is the explicit mode for a container behind a TLS-terminating proxy (a sidecar, an
    ingress, a service mesh): plaintext beyond loopback is accepted, because TLS ends at the proxy, and a first
    key is created into ``dev.key`` (owner-only) when there is none; it is never printed or logged.
    """
    access = AccessFile.load(access_path)
    loopback = is_loopback(host) or behind_tls_proxy
    if behind_tls_proxy and tls is None:
        log.warning(
            "plaintext gRPC behind a TLS-terminating proxy",
            extra={"host": host, "note": "only the proxy may reach this port; clients must connect through it"},
        )
    if not loopback and tls is None:
        raise UnsafeBinding(
            f"refusing to serve on {host} without TLS: patient data would cross the network in clear "
            "(give --tls-cert and --tls-key, or bind 127.0.0.1)"
        )
    if access.keys or access.tls_clients:
        return access, None
    if not loopback:
        raise UnsafeBinding(f"refusing to serve on {host} with no API keys or TLS clients in {access_path}")
    dev_key = access.create_key(DEV_ROLES, "development key (make run)")
    access.save(access_path)
    key_file = access_path.with_name("dev.key")
    key_file.write_text(dev_key + "\n", encoding="utf-8")
    key_file.chmod(0o600)
    return access, dev_key
