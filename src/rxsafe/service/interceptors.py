"""The access interceptor: authenticates every call except health, checks the role, and records who acts, why.

The principal is put in a context variable for the handler (``current_principal()``); asyncio tasks and
``asyncio.to_thread`` carry it along.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import grpc

from rxsafe.service.access import METHOD_ROLES, OPEN_METHODS, AccessFile, Principal, Purpose

log = logging.getLogger("rxsafe.access")

USER_HEADER = "x-rxsafe-user"
PURPOSE_HEADER = "x-rxsafe-purpose"
MAX_HEADER_LENGTH = 128

_principal: contextvars.ContextVar[Principal | None] = contextvars.ContextVar("rxsafe_principal", default=None)


def current_principal() -> Principal | None:
    """The authenticated caller of the call being handled (None when access control is off)."""
    return _principal.get()


class AccessInterceptor(grpc.aio.ServerInterceptor):
    """Refuses calls without valid credentials (UNAUTHENTICATED) or without the role (PERMISSION_DENIED)."""

    def __init__(self, access: AccessFile) -> None:
        self.access = access

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method in OPEN_METHODS:
            return handler
        if handler.unary_unary is not None:
            return _unary(handler, self._authorize, method)
        if handler.stream_stream is not None:
            return _stream(handler, self._authorize, method)
        return handler

    async def _authorize(self, method: str, context: grpc.aio.ServicerContext[Any, Any]) -> Principal:
        metadata = {k: v for k, v in context.invocation_metadata() or () if isinstance(v, str)}
        principal = self._authenticate(context, metadata)
        if principal is None:
            log.info("unauthenticated", extra={"method": method})
            await context.abort(
                grpc.StatusCode.UNAUTHENTICATED, "credentials required: a client certificate or an API key"
            )
            raise AssertionError("unreachable")  # pragma: no cover
        allowed = METHOD_ROLES.get(method)
        if allowed is not None and not principal.roles & allowed:
            log.info("permission denied", extra={"method": method, "client": principal.client})
            needed = ", ".join(sorted(r.value for r in allowed))
            await context.abort(
                grpc.StatusCode.PERMISSION_DENIED, f"{method.rsplit('/', 1)[-1]} needs the role: {needed}"
            )
        user = metadata.get(USER_HEADER, "").strip()
        purpose = metadata.get(PURPOSE_HEADER, "").strip().lower()
        if allowed is not None:
            await _require_header(context, USER_HEADER, user, "the acting user (staff id), for the audit trail")
            valid = ", ".join(p.value for p in Purpose)
            if purpose not in {p.value for p in Purpose}:
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"metadata {PURPOSE_HEADER}: one of {valid}")
        return Principal(
            client=principal.client,
            roles=principal.roles,
            authenticated_by=principal.authenticated_by,
            user=user[:MAX_HEADER_LENGTH],
            purpose=purpose,
        )

    def _authenticate(self, context: grpc.aio.ServicerContext[Any, Any], metadata: dict[str, str]) -> Principal | None:
        auth = context.auth_context() or {}
        common_names = auth.get("x509_common_name") or []
        for name in common_names:
            principal = self.access.verify_certificate(name.decode("utf-8", "replace"))
            if principal is not None:
                return principal
        header = metadata.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and token:
            return self.access.verify_key(token.strip())
        return None


async def _require_header(context: grpc.aio.ServicerContext[Any, Any], name: str, value: str, what: str) -> None:
    if not value:
        await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"metadata {name} is required: {what}")
    if len(value) > MAX_HEADER_LENGTH:
        await context.abort(
            grpc.StatusCode.INVALID_ARGUMENT, f"metadata {name}: at most {MAX_HEADER_LENGTH} characters"
        )


Authorize = Callable[[str, grpc.aio.ServicerContext[Any, Any]], Awaitable[Principal]]


class _Undecodable:
    """Stands for a request body that is not the method's message, so the handler can say INVALID_ARGUMENT."""


UNDECODABLE = _Undecodable()


def _lenient(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    # gRPC answers INTERNAL when a deserializer raises; a malformed body is the caller's error, not ours.
    if deserializer is None:
        return None

    def parse(data: bytes) -> Any:
        try:
            return deserializer(data)
        except Exception:  # protobuf raises DecodeError (or others) on hostile bytes
            return UNDECODABLE

    return parse


def _unary(
    handler: grpc.RpcMethodHandler[Any, Any], authorize: Authorize, method: str
) -> grpc.RpcMethodHandler[Any, Any]:
    # The stubs describe the sync API; under grpc.aio the behaviours are coroutine functions.
    behavior: Any = handler.unary_unary

    async def guarded(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        if request is UNDECODABLE:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, "the request body is not a valid message for this method"
            )
        token = _principal.set(await authorize(method, context))
        try:
            return await behavior(request, context)
        finally:
            _principal.reset(token)

    return grpc.unary_unary_rpc_method_handler(
        guarded,
        request_deserializer=_lenient(handler.request_deserializer),
        response_serializer=handler.response_serializer,
    )


def _stream(
    handler: grpc.RpcMethodHandler[Any, Any], authorize: Authorize, method: str
) -> grpc.RpcMethodHandler[Any, Any]:
    behavior: Any = handler.stream_stream

    async def guarded(requests: AsyncIterator[Any], context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
        token = _principal.set(await authorize(method, context))
        try:
            async for response in behavior(requests, context):
                yield response
        finally:
            _principal.reset(token)

    return grpc.stream_stream_rpc_method_handler(
        guarded, request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer
    )
