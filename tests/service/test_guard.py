"""An unexpected exception is answered INTERNAL with a request id, and logged with where it happened but not its
message (which may quote patient data); call budgets refuse calls over them (issue 19)."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import grpc
import pytest

from rxsafe.service.budgets import BudgetInterceptor, CallBudgets, peer_address
from rxsafe.service.guard import REQUEST_ID_HEADER, CallGuardInterceptor
from rxsafe.service.logs import JsonFormatter
from rxsafe.service.request_ids import RequestIdFilter

SECRET = "Nguyễn Văn Bí Mật 079123456789"


async def _boom(request: bytes, context: Any) -> bytes:
    logging.getLogger("rxsafe.test").info("inside the call")
    raise ValueError(f"could not handle {SECRET}")


async def _slow(request: bytes, context: Any) -> bytes:
    await asyncio.sleep(0.5)
    return b"done"


def _identity(data: bytes) -> bytes:
    return data


async def _serve_and_call(interceptors: list[grpc.aio.ServerInterceptor], method: str, calls: int) -> list[Any]:
    handlers = {
        "Boom": grpc.unary_unary_rpc_method_handler(_boom, _identity, _identity),
        "Slow": grpc.unary_unary_rpc_method_handler(_slow, _identity, _identity),
    }
    server = grpc.aio.server(interceptors=interceptors)
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("t.T", handlers),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            call = channel.unary_unary(f"/t.T/{method}", request_serializer=_identity, response_deserializer=_identity)

            async def one() -> Any:
                try:
                    return await call(b"x", timeout=10)
                except grpc.aio.AioRpcError as error:
                    return error

            return list(await asyncio.gather(*(one() for _ in range(calls))))
    finally:
        await server.stop(0)


def test_an_unexpected_exception_is_internal_with_a_request_id(caplog: pytest.LogCaptureFixture) -> None:
    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level(logging.INFO):
        (error,) = asyncio.run(_serve_and_call([CallGuardInterceptor()], "Boom", 1))
    assert isinstance(error, grpc.aio.AioRpcError)
    assert error.code() == grpc.StatusCode.INTERNAL
    request_id = dict(error.trailing_metadata() or ())[REQUEST_ID_HEADER]
    assert request_id.startswith("req-") and request_id in (error.details() or "")
    assert SECRET not in (error.details() or "")
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records]
    (logged,) = [line for line in lines if line["event"] == "unexpected error"]
    assert logged["request_id"] == request_id and logged["exc_type"] == "ValueError"
    assert any("test_guard.py" in frame and "_boom" in frame for frame in logged["traceback"])
    assert SECRET not in json.dumps(lines, ensure_ascii=False)
    # Every line of the call carries its id, and the time with its UTC offset.
    (inside,) = [line for line in lines if line["event"] == "inside the call"]
    assert inside["request_id"] == request_id and inside["ts"][-6] in "+-"


def test_calls_over_a_budget_are_refused_naming_it() -> None:
    budgets = CallBudgets(work_total=3, work_per_client=2)
    answers = asyncio.run(_serve_and_call([CallGuardInterceptor(), BudgetInterceptor(budgets)], "Slow", 5))
    refused = [a for a in answers if isinstance(a, grpc.aio.AioRpcError)]
    assert [a for a in answers if a == b"done"] and len(refused) == 3  # one peer: at most 2 of its calls at once
    assert all(e.code() == grpc.StatusCode.RESOURCE_EXHAUSTED for e in refused)
    assert all("work_per_client" in (e.details() or "") for e in refused)


def test_peer_address_drops_the_port() -> None:
    assert peer_address("ipv4:10.0.0.7:40123") == "ipv4:10.0.0.7"
    assert peer_address("ipv6:[fe80::1]:5") == "ipv6:[fe80::1]"
