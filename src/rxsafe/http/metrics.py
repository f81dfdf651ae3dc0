"""CDS Hooks metrics, on the process's one Prometheus registry (``rxsafe.service.prom.REGISTRY``).

Served with the gRPC and alert metrics on ``rxsafe serve --metrics-port`` (one endpoint per process), not on the
HTTP port: with ``--workers N`` the HTTP port is shared (SO_REUSEPORT) and a scrape there would answer from
whichever worker the kernel picked, so counters would jump between processes. The checks themselves are
counted by ``rxsafe.app.metrics`` (``SafetyService.check``), whichever interface asked.

- ``rxsafe_cds_cards_total{service,indicator}``: cards answered;
- ``rxsafe_cds_feedback_total{outcome,reason,kind,severity}``: feedback, accepted or overridden with its reason;
- ``rxsafe_http_requests_total{route,status}`` and ``rxsafe_http_request_duration_seconds{route}``: every HTTP
  request by route template (``/cds-services/{service_id}``: bounded labels whatever the path) and status.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

from prometheus_client import Counter, Histogram
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rxsafe.service.prom import REGISTRY

UNMATCHED_ROUTE = "unmatched"

CDS_CARDS = Counter(
    "rxsafe_cds_cards",
    "CDS Hooks cards answered, by service and indicator.",
    ["service", "indicator"],
    registry=REGISTRY,
)
CDS_FEEDBACK = Counter(
    "rxsafe_cds_feedback",
    "CDS Hooks feedback, by outcome (accepted, overridden), override reason, conflict kind and severity.",
    ["outcome", "reason", "kind", "severity"],
    registry=REGISTRY,
)
HTTP_REQUESTS = Counter(
    "rxsafe_http_requests", "HTTP requests answered, by route and status code.", ["route", "status"], registry=REGISTRY
)
HTTP_SECONDS = Histogram(
    "rxsafe_http_request_duration_seconds",
    "Time to answer an HTTP request, by route.",
    ["route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)


class CdsMetrics:
    """What the CDS endpoints count (the registry's counters are thread-safe and per process)."""

    def record_cards(self, service_id: str, indicators: Iterable[str]) -> None:
        for indicator in indicators:
            CDS_CARDS.labels(service_id, indicator).inc()

    def record_feedback(self, outcome: str, reason: str, kind: str, severity: str) -> None:
        CDS_FEEDBACK.labels(outcome, reason, kind, severity).inc()


def route_of(scope: Scope, routes: Sequence[BaseRoute]) -> str:
    """The route template a request matched (a wrong method still names its route); else ``unmatched``."""
    for route in routes:
        match, _ = route.matches(scope)
        if match is not Match.NONE:
            return str(getattr(route, "path", UNMATCHED_ROUTE))
    return UNMATCHED_ROUTE


class HttpMetricsMiddleware:
    """ASGI middleware counting every HTTP request by route and final status, and timing it."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception before the response started is answered 500 by Starlette's outer handler

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            route = route_of(scope, self.routes)
            HTTP_REQUESTS.labels(route, str(status)).inc()
            HTTP_SECONDS.labels(route).observe(time.perf_counter() - started)
