"""The Starlette application: discovery, the two hook services, feedback; every error an OperationOutcome.

Each call's work (FHIR validation, the check, the cards) runs in a worker thread, as the gRPC servicer's does, so
the event loop both servers share is never blocked by DuckDB or the checks.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from rxsafe.app.actor import Actor
from rxsafe.app.requests import CheckRequest
from rxsafe.app.service import SafetyService
from rxsafe.core.errors import RxsafeError
from rxsafe.core.models import Prescription
from rxsafe.http.auth import AccessReader, JwtVerifier, authenticate, require_role
from rxsafe.http.cards import EXTENSION, CardsEncoder
from rxsafe.http.discovery import HOOKS, discovery
from rxsafe.http.feedback import parse_feedback, record_feedback
from rxsafe.http.fhir_input import HookRequest, parse_hook_request
from rxsafe.http.metrics import CdsMetrics, HttpMetricsMiddleware
from rxsafe.http.outcome import HttpProblem, operation_outcome, problem_for
from rxsafe.report.i18n import Lang
from rxsafe.service.access import Principal, Purpose, Role

log = logging.getLogger("rxsafe.http")

MAX_BODY_BYTES = 4 * 1024 * 1024  # as the gRPC message limit
WORKER_THREADS = 64  # as the gRPC servicer (rxsafe.service.servicer.WORKER_THREADS)
USER_HEADER = "x-rxsafe-user"
PURPOSE_HEADER = "x-rxsafe-purpose"
MAX_USER_LENGTH = 128
# The same roles as CheckPrescription; feedback is part of the same prescribing or dispensing work.
CHECK_ROLES = frozenset({Role.PRESCRIBER, Role.PHARMACIST})
FHIR_JSON = "application/fhir+json"
T = TypeVar("T")


@dataclass(frozen=True)
class Encoded:
    """An answer's JSON body and the indicators of its cards (for the metrics)."""

    body: bytes
    indicators: tuple[str, ...]


@dataclass(frozen=True)
class HttpSettings:
    """What the HTTP facade needs besides the service: the access file (and its path) and the JWT issuers."""

    access: AccessReader
    jwt: JwtVerifier | None = None


class CdsHooksApp:
    """The CDS Hooks endpoints over one ``SafetyService``."""

    def __init__(self, service: SafetyService, settings: HttpSettings, metrics: CdsMetrics | None = None) -> None:
        self.service = service
        self.settings = settings
        self.metrics = metrics or CdsMetrics()
        self._cards = CardsEncoder()
        self._executor = ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="rxsafe-cds")
        routes = [
            Route("/cds-services", self._discovery, methods=["GET"]),
            Route("/cds-services/{service_id}", self._hook, methods=["POST"]),
            Route("/cds-services/{service_id}/feedback", self._feedback, methods=["POST"]),
        ]
        # No /metrics here: the CDS metrics are on the process registry, served on --metrics-port (http.metrics).
        self.asgi = Starlette(
            routes=routes,
            middleware=[Middleware(HttpMetricsMiddleware, routes=routes)],
            exception_handlers={HTTPException: self._http_exception},  # type: ignore[dict-item]
        )

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    # --- endpoints --------------------------------------------------------------------------------------------

    async def _discovery(self, request: Request) -> Response:
        # Open, as health is on gRPC: it lists services and the data they ask for, nothing about any patient.
        return JSONResponse(discovery())

    async def _hook(self, request: Request) -> Response:
        started = time.perf_counter()

        async def answer() -> Response:
            service_id = request.path_params["service_id"]
            hook = HOOKS.get(service_id)
            if hook is None:
                raise HttpProblem(404, "not-found", "", f"no CDS service {service_id!r}: see GET /cds-services")
            principal = self._principal(request, "a CDS service")
            body = await _json_body(request)
            lang = _language(request.headers.get("accept-language", ""))
            answered, check_id, verdict = await self._run(
                lambda: self._answer(body, hook, service_id, principal, request=request, lang=lang)
            )
            log.info(
                "cds",
                extra={
                    "service": service_id,
                    "check_id": check_id,
                    "verdict": verdict,
                    "cards": len(answered.indicators),
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            return Response(answered.body, media_type="application/json")

        return await _guarded(answer)

    async def _feedback(self, request: Request) -> Response:
        async def answer() -> Response:
            if request.path_params["service_id"] not in HOOKS:
                raise HttpProblem(404, "not-found", "", "no such CDS service: see GET /cds-services")
            principal = self._principal(request, "feedback")
            body = await _json_body(request)
            actor = _actor(principal, request, "")
            written = await self._run(lambda: record_feedback(self.service, parse_feedback(body), actor, self.metrics))
            log.info("cds feedback", extra={"entries": written})
            return JSONResponse({})

        return await _guarded(answer)

    # --- the work ---------------------------------------------------------------------------------------------

    def _answer(
        self, body: Any, hook: str, service_id: str, principal: Principal, *, request: Request, lang: Lang
    ) -> tuple[Encoded, str, str]:
        """Reads the request, checks it and writes the cards (in a worker thread)."""
        hook_request = parse_hook_request(body, hook)
        if not hook_request.lines:
            # Nothing for a medication checker in this basket (a lab order alone): said so, not a silent pass.
            empty = {"cards": [], "extension": {EXTENSION: {"checked": False, "notChecked": hook_request.not_checked}}}
            return Encoded(json.dumps(empty).encode("utf-8"), ()), "", ""
        check = _check_request(hook_request)
        report = self.service.check(check, _actor(principal, request, hook_request.user_id))
        extra = {"notChecked": list(hook_request.not_checked)} if hook_request.not_checked else None
        body, indicators = self._cards.encode(report, hook_request.order_refs, lang, extra)
        self.metrics.record_cards(service_id, indicators)
        return Encoded(body, indicators), report.check_id, report.verdict.value

    def _principal(self, request: Request, what: str) -> Principal:
        url = str(request.url.replace(query=""))
        principal = authenticate(
            request.headers.get("authorization", ""), self.settings.access.current(), self.settings.jwt, url
        )
        require_role(principal, CHECK_ROLES, what)
        return principal

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        return await loop.run_in_executor(self._executor, lambda: context.run(fn, *args))

    async def _http_exception(self, request: Request, exc: HTTPException) -> Response:
        code = "not-found" if exc.status_code == 404 else "not-supported"
        return _outcome(HttpProblem(exc.status_code, code, "", str(exc.detail)))


def _check_request(hook_request: HookRequest) -> CheckRequest:
    prescription = Prescription(lines=hook_request.lines)
    if hook_request.patient is not None:
        return CheckRequest(patient=hook_request.patient, prescription=prescription)
    return CheckRequest(patient_id=hook_request.personal_id, prescription=prescription)


def _actor(principal: Principal, request: Request, context_user: str) -> Actor:
    """Who acts, for the audit trail: the header's user, else the hook's ``userId``, else the JWT's ``sub``."""
    user = request.headers.get(USER_HEADER, "").strip() or context_user or principal.user or "unknown"
    purpose = request.headers.get(PURPOSE_HEADER, "").strip().lower() or Purpose.TREATMENT.value
    if purpose not in {p.value for p in Purpose}:
        valid = ", ".join(p.value for p in Purpose)
        raise HttpProblem(400, "invalid", f"header {PURPOSE_HEADER}", f"one of {valid}")
    return Actor(
        client=principal.client,
        user=user[:MAX_USER_LENGTH],
        roles=tuple(sorted(r.value for r in principal.roles)),
        purpose=purpose,
    )


def _language(accept: str) -> Lang:
    # The first language the client names wins; Vietnamese unless it names English first.
    first = accept.split(",", maxsplit=1)[0].strip().lower()
    return "en" if first.startswith("en") else "vi"


async def _json_body(request: Request) -> Any:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise HttpProblem(413, "too-costly", "", f"the body is larger than {MAX_BODY_BYTES} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise HttpProblem(413, "too-costly", "", f"the body is larger than {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    try:
        return json.loads(b"".join(chunks))
    except (ValueError, UnicodeDecodeError) as error:
        raise HttpProblem(400, "structure", "$", f"the body is not JSON: {error}") from None
    except RecursionError:
        raise HttpProblem(400, "structure", "$", "the body is nested too deeply") from None


async def _guarded(answer: Callable[[], Awaitable[Response]]) -> Response:
    """Runs an endpoint; every refusal becomes an OperationOutcome with its status, never a bare 500."""
    try:
        return await answer()
    except HttpProblem as problem:
        return _outcome(problem)
    except RxsafeError as error:
        log.info("cds refused", extra={"error": type(error).__name__})
        return _outcome(problem_for(error))
    except Exception as error:  # a bug: answered as a FHIR error, logged without patient data
        log.exception("cds failed", extra={"error": type(error).__name__})
        return _outcome(HttpProblem(500, "exception", "", "internal error"))


def _outcome(problem: HttpProblem) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if problem.status == 401 else None
    body = operation_outcome(problem.code, problem.element, problem.message)
    return JSONResponse(body, status_code=problem.status, media_type=FHIR_JSON, headers=headers)
