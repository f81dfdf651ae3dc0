"""Call budgets: how many calls of each kind may be in flight, so no caller can take everyone's slots.

gRPC's own ``maximum_concurrent_rpcs`` counts every call alike: 256 open ``Health/Watch`` streams from a caller
without credentials took every slot, and authenticated checks were refused. Here the budgets are per kind:

- authenticated work (every ``MedicationSafety`` call): ``work_total`` in flight, of which one calling system
  (the authenticated client) may hold ``work_per_client``, and some methods have their own cap (``per_method``);
- ``Health/Watch`` streams (open to anyone): ``watch_total``, and ``watch_per_peer`` per network address;
- ``Health/Check`` has no budget here: it is answered on the event loop from memory, so overload cannot block it,
  and an orchestrator never kills a server for being busy.

gRPC's own limit stays as a backstop well above the sum (``BACKSTOP_RPCS``). A refusal is RESOURCE_EXHAUSTED
naming the budget, so the caller knows whether to back off (overload) or to stop opening streams.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import grpc

from rxsafe.service.interceptors import current_principal
from rxsafe.service.prom import BUDGET_REFUSALS
from rxsafe.service.wrapping import Handler, wrap_handler

log = logging.getLogger("rxsafe.service")

HEALTH_CHECK = "/grpc.health.v1.Health/Check"
HEALTH_WATCH = "/grpc.health.v1.Health/Watch"
_SERVICE = "/rxsafe.v1.MedicationSafety/"
# A check answer over this many bytes is refused before it is sent (the message limit the server sets).
MAX_ANSWER_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class CallBudgets:
    """The limits; the defaults keep the documented 256 calls in flight for authenticated work."""

    work_total: int = 256
    work_per_client: int = 192
    watch_total: int = 32
    watch_per_peer: int = 4
    # Expensive or administrative calls: rendering a PDF report, reading the whole audit trail, reloading.
    per_method: Mapping[str, int] = field(
        default_factory=lambda: {
            _SERVICE + "GetCheck": 32,
            _SERVICE + "GetAuditTrail": 4,
            _SERVICE + "ReloadConfiguration": 1,
        }
    )

    @property
    def backstop(self) -> int:
        """GRPC's own cap: far above the budgets, so only a flood of calls refused here could reach it."""
        return 4 * (self.work_total + self.watch_total) + 1024


def peer_address(peer: str) -> str:
    """The network address of a gRPC peer string, without its port.

    >>> peer_address("ipv4:127.0.0.1:51234"), peer_address("ipv6:[::1]:5555")
    ('ipv4:127.0.0.1', 'ipv6:[::1]')
    """
    if peer.startswith(("ipv4:", "ipv6:")):
        return peer.rsplit(":", 1)[0]
    return peer


class BudgetInterceptor(grpc.aio.ServerInterceptor):
    """Counts calls in flight per budget and refuses those over it with RESOURCE_EXHAUSTED.

    It runs inside the access interceptor, so the authenticated client is known. Everything runs on the event
    loop, so plain counters need no lock.
    """

    def __init__(self, budgets: CallBudgets | None = None) -> None:
        self.budgets = budgets or CallBudgets()
        self.in_flight: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Handler | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Handler | None:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method == HEALTH_CHECK:
            return handler

        @asynccontextmanager
        async def budgeted(context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[None]:
            keys = self._keys(method, context)
            for key, limit in keys:
                if self.in_flight[key] >= limit:
                    budget = key.split(":", 1)[0]
                    self.refused[budget] += 1
                    BUDGET_REFUSALS.labels(budget).inc()
                    if _worth_logging(self.refused[budget]):  # a flood must not flood the log too
                        log.info(
                            "over budget", extra={"budget": budget, "method": method, "refused": self.refused[budget]}
                        )
                    await context.abort(
                        grpc.StatusCode.RESOURCE_EXHAUSTED,
                        f"call budget {key.split(':', 1)[0]} ({limit} in flight) is used up: retry with backoff",
                    )
            for key, _ in keys:
                self.in_flight[key] += 1
            try:
                yield
            finally:
                for key, _ in keys:
                    self.in_flight[key] -= 1
                    if self.in_flight[key] <= 0:
                        del self.in_flight[key]

        return wrap_handler(handler, budgeted)

    def _keys(self, method: str, context: grpc.aio.ServicerContext[Any, Any]) -> list[tuple[str, int]]:
        """The budgets this call counts against, as (key, limit); the key's prefix names the budget."""
        b = self.budgets
        if method == HEALTH_WATCH:
            peer = peer_address(context.peer() or "")
            return [("watch_total:", b.watch_total), (f"watch_per_peer:{peer}", b.watch_per_peer)]
        principal = current_principal()
        client = principal.client if principal is not None else peer_address(context.peer() or "")
        keys = [("work_total:", b.work_total), (f"work_per_client:{client}", b.work_per_client)]
        if method in b.per_method:
            keys.append((f"per_method:{method}", b.per_method[method]))
        return keys


def _worth_logging(refusals: int) -> bool:
    """The 1st, 10th, 100th … refusal of a budget, then every 1,000th (the metric counts them all)."""
    return refusals % 1000 == 0 or refusals in (1, 10, 100)
