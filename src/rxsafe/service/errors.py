"""The one place where domain errors become gRPC status codes (with google.rpc details for bad input)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import grpc
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from rxsafe.core.errors import CommitRefused, InvalidRequest, NotFound, RxsafeError, Unavailable, WorkTooLarge

log = logging.getLogger("rxsafe.service")

_CODES: tuple[tuple[type[RxsafeError], grpc.StatusCode, int], ...] = (
    (InvalidRequest, grpc.StatusCode.INVALID_ARGUMENT, code_pb2.INVALID_ARGUMENT),
    (NotFound, grpc.StatusCode.NOT_FOUND, code_pb2.NOT_FOUND),
    (CommitRefused, grpc.StatusCode.FAILED_PRECONDITION, code_pb2.FAILED_PRECONDITION),
    (Unavailable, grpc.StatusCode.UNAVAILABLE, code_pb2.UNAVAILABLE),
    (WorkTooLarge, grpc.StatusCode.RESOURCE_EXHAUSTED, code_pb2.RESOURCE_EXHAUSTED),
)


def status_for(error: RxsafeError) -> status_pb2.Status:
    """The rich status for a domain error; bad input carries a ``BadRequest`` naming the field."""
    code = next((c for kind, _, c in _CODES if isinstance(error, kind)), code_pb2.INTERNAL)
    status = status_pb2.Status(code=code, message=str(error))
    if isinstance(error, InvalidRequest):
        detail = error_details_pb2.BadRequest(
            field_violations=[
                error_details_pb2.BadRequest.FieldViolation(field=error.field, description=error.description)
            ]
        )
        status.details.add().Pack(detail)
    if isinstance(error, WorkTooLarge):
        quota = error_details_pb2.QuotaFailure(
            violations=[error_details_pb2.QuotaFailure.Violation(subject=error.limit, description=error.description)]
        )
        status.details.add().Pack(quota)
    return status


def internal_error_details(request_id: str) -> tuple[grpc.StatusCode, str]:
    """The answer to an unexpected error: INTERNAL, and the request id to quote to the operators."""
    return grpc.StatusCode.INTERNAL, f"internal error (request id {request_id})"


@asynccontextmanager
async def mapped_errors(context: grpc.aio.ServicerContext[object, object]) -> AsyncIterator[None]:
    """Turns a domain error raised inside the block into the matching gRPC status; logs without patient data."""
    try:
        yield
    except RxsafeError as error:
        status = status_for(error)
        log.info("request refused", extra={"code": code_pb2.Code.Name(status.code), "error": type(error).__name__})
        await context.abort_with_status(rpc_status.to_status(status))
