"""Errors over HTTP: a FHIR OperationOutcome naming the element, with the status code, mapped in one place."""

from __future__ import annotations

from typing import Any

from rxsafe.core.errors import CommitRefused, InvalidRequest, NotFound, PatientNotFound, RxsafeError, Unavailable


class HttpProblem(Exception):
    """A refusal at the HTTP edge (authentication, routing, body) that is not a domain error."""

    def __init__(self, status: int, code: str, element: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.element = element
        self.message = message


def operation_outcome(code: str, element: str, message: str, severity: str = "error") -> dict[str, Any]:
    """An R4 OperationOutcome with one issue; ``code`` is from the FHIR issue-type value set."""
    issue: dict[str, Any] = {"severity": severity, "code": code, "diagnostics": message}
    if element:
        issue["expression"] = [element]
    return {"resourceType": "OperationOutcome", "issue": [issue]}


# Domain error → (HTTP status, FHIR issue type). A patient the store does not hold is 412: CDS Hooks asks a
# service that lacks the data it needs to say so with 412, so the client can send prefetch and retry.
_STATUS: tuple[tuple[type[RxsafeError], int, str], ...] = (
    (InvalidRequest, 400, "invalid"),
    (PatientNotFound, 412, "not-found"),
    (NotFound, 404, "not-found"),
    (CommitRefused, 409, "conflict"),
    (Unavailable, 503, "transient"),
)


def problem_for(error: RxsafeError) -> HttpProblem:
    """The HTTP answer for a domain error; bad input names the element it was about."""
    for kind, status, code in _STATUS:
        if isinstance(error, kind):
            element = error.field if isinstance(error, InvalidRequest) else ""
            message = error.description if isinstance(error, InvalidRequest) else str(error)
            return HttpProblem(status, code, element, message)
    return HttpProblem(500, "exception", "", "internal error")
