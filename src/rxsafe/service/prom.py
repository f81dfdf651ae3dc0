"""``/metrics`` through the maintained ``prometheus_client``: its registry, exposition and HTTP server.

One registry per process (``REGISTRY``), so every interface of the process (gRPC here; an HTTP facade beside it
can register on the same one) is scraped from one endpoint:

- the alert metrics of ``app.metrics.Metrics`` under their existing names (``rxsafe_checks_total``,
  ``rxsafe_alerts_total``, ``rxsafe_commits_total``, ``rxsafe_overrides_total``, ``rxsafe_check_duration_ms``),
  read from its text exposition, so dashboards keep working and labels added there appear here unchanged;
- gRPC calls by method and status code (``rxsafe_grpc_calls_total``: the error counters) and their latency
  (``rxsafe_grpc_call_duration_seconds``, a histogram by method);
- calls refused by the call budgets (``rxsafe_budget_refusals_total``), by budget;
- the process (``process_resident_memory_bytes``, CPU seconds, open file descriptors), the Python GC and the
  platform, from prometheus_client's own collectors.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any
from wsgiref.simple_server import WSGIServer

import grpc
import prometheus_client
from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Histogram,
)
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

from rxsafe.app.metrics import Metrics
from rxsafe.core.errors import Unavailable
from rxsafe.service.wrapping import Handler, wrap_handler

# Counters without the ``_created`` series: dashboards built on the hand-written exposition never had them.
prometheus_client.disable_created_metrics()  # type: ignore[no-untyped-call]  # untyped in the library

REGISTRY = CollectorRegistry(auto_describe=True)
for _collector in (PROCESS_COLLECTOR, GC_COLLECTOR, PLATFORM_COLLECTOR):
    REGISTRY.register(_collector)

GRPC_CALLS = Counter(
    "rxsafe_grpc_calls", "gRPC calls answered, by method and status code.", ["method", "code"], registry=REGISTRY
)
GRPC_SECONDS = Histogram(
    "rxsafe_grpc_call_duration_seconds",
    "Time to answer a gRPC call, by method (streams: how long they stayed open).",
    ["method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
BUDGET_REFUSALS = Counter(
    "rxsafe_budget_refusals", "Calls refused by a call budget (service.budgets).", ["budget"], registry=REGISTRY
)


class AlertMetricsCollector(Collector):
    """The application's alert metrics, as families of the registry (names and labels as ``Metrics`` has them)."""

    def __init__(self) -> None:
        self.metrics: Metrics | None = None

    def collect(self) -> Iterable[prometheus_client.Metric]:
        if self.metrics is None:
            return []
        return list(text_string_to_metric_families(self.metrics.render()))

    def describe(self) -> Iterable[prometheus_client.Metric]:
        return []  # names vary with the labels seen; nothing to check at registration


_ALERTS = AlertMetricsCollector()
REGISTRY.register(_ALERTS)


def expose_service_metrics(metrics: Metrics) -> None:
    """Makes ``REGISTRY`` serve this service's alert metrics (the one service of the process)."""
    _ALERTS.metrics = metrics


def start_metrics_server(host: str, port: int) -> tuple[WSGIServer, threading.Thread]:
    """prometheus_client's HTTP server for ``REGISTRY`` on ``host:port``; a port in use is a clean error."""
    try:
        return prometheus_client.start_http_server(port, addr=host, registry=REGISTRY)
    except OSError as error:
        raise Unavailable(f"metrics port {host}:{port} cannot be bound: {error.strerror or error}") from None


def metrics_text() -> bytes:
    """The exposition of ``REGISTRY`` (what ``GET /metrics`` answers)."""
    return prometheus_client.generate_latest(REGISTRY)


class GrpcMetricsInterceptor(grpc.aio.ServerInterceptor):
    """Counts every call by method and final status code, and times it. Outermost, so it sees the final code."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method

        @asynccontextmanager
        async def measured(context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[None]:
            started = time.perf_counter()
            code = "OK"
            try:
                yield
            except grpc.aio.AbortError:
                code = _code_name(context)
                raise
            except asyncio.CancelledError:
                code = "CANCELLED"
                raise
            except Exception:
                code = "UNKNOWN"  # the guard inside answers INTERNAL; reaching here would be a bug in it
                raise
            finally:
                GRPC_CALLS.labels(method, code).inc()
                GRPC_SECONDS.labels(method).observe(time.perf_counter() - started)

        return wrap_handler(handler, measured)


def _code_name(context: grpc.aio.ServicerContext[Any, Any]) -> str:
    code = context.code()
    return code.name if isinstance(code, grpc.StatusCode) else "UNKNOWN"
