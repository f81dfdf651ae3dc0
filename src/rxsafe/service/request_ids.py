"""Request ids: one per call, in every log line of the call and in the answer to an unexpected error.

The id is in a context variable; ``asyncio`` tasks and the servicer's worker threads (``contextvars.copy_context``)
carry it along, and a logging filter adds it to every record. It is random, so it says nothing about the patient.
"""

from __future__ import annotations

import contextvars
import logging
import secrets

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("rxsafe_request_id", default="")


def new_request_id() -> str:
    """A fresh id (``req-`` and 16 hex digits), set for the current context and returned."""
    request_id = "req-" + secrets.token_hex(8)
    _request_id.set(request_id)
    return request_id


def current_request_id() -> str:
    """The id of the call being handled ("" outside a call)."""
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record logged while a call is being handled."""

    def filter(self, record: logging.LogRecord) -> bool:
        request_id = _request_id.get()
        if request_id and not hasattr(record, "request_id"):
            record.request_id = request_id
        return True
