"""Wraps a gRPC method handler (any of the four shapes) in an async context manager around the behaviour.

The interceptors that guard every call (request ids and unexpected errors, call budgets) need the same thing for
unary and streaming methods; this is it, once. Streaming behaviours may be async generators or coroutines that
``await context.write(...)`` (grpc's own health ``Watch``); each keeps its shape.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeAlias

import grpc

Handler: TypeAlias = "grpc.RpcMethodHandler[Any, Any]"  # generic in the stubs only
Around: TypeAlias = "Callable[[grpc.aio.ServicerContext[Any, Any]], AbstractAsyncContextManager[None]]"


def wrap_handler(handler: Handler, around: Around) -> Handler:
    """The same handler, with every call of its behaviour run inside ``around(context)``."""
    # The stubs describe the sync API; under grpc.aio the behaviours are coroutine functions or async generators.
    kinds: tuple[tuple[str, Callable[..., Handler]], ...] = (
        ("unary_unary", grpc.unary_unary_rpc_method_handler),
        ("unary_stream", grpc.unary_stream_rpc_method_handler),
        ("stream_unary", grpc.stream_unary_rpc_method_handler),
        ("stream_stream", grpc.stream_stream_rpc_method_handler),
    )
    for attribute, make in kinds:
        behavior: Any = getattr(handler, attribute)
        if behavior is None:
            continue
        guarded = _unary_answer(behavior, around) if attribute.endswith("unary") else _streamed(behavior, around)
        return make(
            guarded,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
    return handler


def _unary_answer(behavior: Any, around: Around) -> Any:
    async def guarded(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        async with around(context):
            return await behavior(request, context)

    return guarded


def _streamed(behavior: Any, around: Around) -> Any:
    # The wrapper keeps the behaviour's shape: an async generator stays one (an outer interceptor may iterate
    # it), a coroutine that writes to the context stays a coroutine.
    if inspect.isasyncgenfunction(behavior):

        async def generated(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
            async with around(context):
                async for response in behavior(request, context):
                    yield response

        return generated

    async def written(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> None:
        async with around(context):
            await behavior(request, context)

    return written
