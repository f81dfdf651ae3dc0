"""Domain errors. ``rxsafe.service.errors`` maps each to one gRPC status code, in one place.

RxsafeError
├── InvalidRequest            bad input; names the offending field            → INVALID_ARGUMENT
├── NotFound
│   ├── PatientNotFound                                                        → NOT_FOUND
│   └── CheckNotFound                                                          → NOT_FOUND
├── CommitRefused             the commit cannot go ahead, and why             → FAILED_PRECONDITION
│   ├── StaleCheck            the record changed after the check
│   ├── OverrideMissing       an interruptive conflict has no override reason
│   ├── OverrideNotAllowed    the facility policy does not let this role override that severity
│   └── IdempotencyKeyReused  the key was used for another check
├── Unavailable               the knowledge base or the record store cannot be read → UNAVAILABLE
└── WorkTooLarge              over a work budget (pairs to check, answer size); names the limit → RESOURCE_EXHAUSTED
"""

from __future__ import annotations


class RxsafeError(Exception):
    """Base of every error rxsafe raises on purpose."""


class InvalidRequest(RxsafeError):
    """Bad input. ``field`` is the request path of the offending field, e.g. ``prescription.lines[2].text``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.description = message


class NotFound(RxsafeError):
    pass


class PatientNotFound(NotFound):
    pass


class CheckNotFound(NotFound):
    pass


class CommitRefused(RxsafeError):
    pass


class StaleCheck(CommitRefused):
    pass


class OverrideMissing(CommitRefused):
    pass


class OverrideNotAllowed(CommitRefused):
    pass


class IdempotencyKeyReused(CommitRefused):
    pass


class Unavailable(RxsafeError):
    pass


class WorkTooLarge(RxsafeError):
    """The request is within every field limit but would need more work than one call may take.

    ``limit`` names the budget (e.g. ``max_pairs``), so the caller knows what to split.
    """

    def __init__(self, limit: str, message: str) -> None:
        super().__init__(f"{limit}: {message}")
        self.limit = limit
        self.description = message
