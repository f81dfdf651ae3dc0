"""The outermost interceptor: a request id for every call, and every unexpected error answered INTERNAL.

An exception nobody planned for (a bug, a library failing on odd input) would otherwise reach the client as
UNKNOWN with Python's message, which may quote the request. Here it becomes INTERNAL with the request id, and the
log gets the same id, the error's type and where it happened (no message, no patient data).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import grpc

from rxsafe.service.errors import internal_error_details
from rxsafe.service.request_ids import new_request_id
from rxsafe.service.wrapping import Handler, wrap_handler

log = logging.getLogger("rxsafe.service")

REQUEST_ID_HEADER = "x-request-id"


class CallGuardInterceptor(grpc.aio.ServerInterceptor):
    """Sets the call's request id and turns unexpected exceptions into INTERNAL naming it."""

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
        async def guarded(context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[None]:
            request_id = new_request_id()
            try:
                yield
            except (grpc.aio.AbortError, asyncio.CancelledError):
                raise  # an answer already decided (context.abort), or the client went away
            except Exception:
                log.exception("unexpected error", extra={"method": method})
                code, message = internal_error_details(request_id)
                await context.abort(code, message, trailing_metadata=((REQUEST_ID_HEADER, request_id),))

        return wrap_handler(handler, guarded)
