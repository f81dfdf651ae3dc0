"""The ``rxsafe.v1.MedicationSafety`` servicer (grpc.aio): convert, run the use case off the loop, convert back."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import grpc

from rxsafe.app.actor import Actor
from rxsafe.app.requests import CheckRequest
from rxsafe.app.service import SafetyService
from rxsafe.core.errors import Unavailable, WorkTooLarge
from rxsafe.core.models import ConflictReport
from rxsafe.gen import medication_safety_pb2 as pb
from rxsafe.gen import medication_safety_pb2_grpc as pb_grpc
from rxsafe.report.inputs import render_options, render_stored
from rxsafe.service import convert
from rxsafe.service.budgets import MAX_ANSWER_BYTES
from rxsafe.service.errors import mapped_errors
from rxsafe.service.interceptors import current_principal
from rxsafe.service.memory import TRIMMER

log = logging.getLogger("rxsafe.service")

Context = grpc.aio.ServicerContext[object, object]
T = TypeVar("T")
# Workers mostly wait for the check writer's commit, blocked with the GIL released; the checks waiting together
# share one commit, so the pool's size caps the batch. Measured (h2load, 10 s): 4 threads gave 2 checks per
# commit and 144 checks/s at 8 in flight; 16 gave 240/s; at 64 in flight 16 threads gave 479/s and 64 gave 688/s.
WORKER_THREADS = 64
# The methods whose answers are sent pre-encoded (convert.report_to_wire; see server._add_servicer).
CHECK_ANSWER_METHODS = ("CheckPrescription", "CheckEPrescription")


class MedicationSafetyServicer(pb_grpc.MedicationSafetyServicer):
    """Each call runs its synchronous use case in a worker thread: DuckDB and the checks never block the loop."""

    def __init__(self, service: SafetyService, reload: Callable[[Actor | None], Any] | None = None) -> None:
        self.service = service
        self._reload = reload
        self._executor = ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="rxsafe-check")
        self._trimmer = TRIMMER

    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        """Runs blocking work off the event loop, carrying the caller's context (the authenticated principal)."""
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        return await loop.run_in_executor(self._executor, lambda: context.run(fn, *args))

    async def _answer_check(self, check_request: CheckRequest, started: float, source: str) -> convert.EncodedResponse:
        """Runs one check off the loop and logs it (ids and counts only, never record text)."""
        report, response = await self._run(self._check_to_pb, check_request, _actor())
        log.info(
            "check",
            extra={
                "check_id": report.check_id,
                "verdict": report.verdict.value,
                "lines": len(report.lines),
                "conflicts": len(report.conflicts),
                "source": source,
                "ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
        return response

    def _check_to_pb(
        self, request: CheckRequest, actor: Actor | None
    ) -> tuple[ConflictReport, convert.EncodedResponse]:
        # Converting in the worker too keeps the event loop free for the next request.
        report = self.service.check(request, actor)
        encoded = convert.report_to_wire(report)
        self._trimmer.after_answer(len(report.conflicts) + len(report.lines), len(encoded.data))
        if len(encoded.data) > MAX_ANSWER_BYTES:
            raise WorkTooLarge(
                "max_answer_bytes", f"the answer would be {len(encoded.data)} bytes, over {MAX_ANSWER_BYTES}"
            )
        return report, encoded

    # Answers go out pre-encoded (a CheckPrescriptionResponse on the wire; see server._add_servicer), which the
    # generated base class's annotation cannot express.
    async def CheckPrescription(  # type: ignore[override]  # noqa: N802 -- method names are fixed by the proto
        self, request: pb.CheckPrescriptionRequest, context: Context
    ) -> convert.EncodedResponse:
        started = time.perf_counter()
        async with mapped_errors(context):
            await _within_deadline(context)
            return await self._answer_check(convert.check_request_from_pb(request), started, "request")
        raise AssertionError("unreachable: mapped_errors aborts")  # pragma: no cover

    async def CheckEPrescription(  # type: ignore[override]  # noqa: N802 -- as CheckPrescription
        self, request: pb.CheckEPrescriptionRequest, context: Context
    ) -> convert.EncodedResponse:
        started = time.perf_counter()
        async with mapped_errors(context):
            await _within_deadline(context)
            stored = self.service.store is not None
            check_request = convert.eprescription_request_from_pb(request, stored_patient=stored)
            return await self._answer_check(check_request, started, "e-rx")
        raise AssertionError("unreachable: mapped_errors aborts")  # pragma: no cover

    async def CommitPrescription(  # noqa: N802 -- method names are fixed by the proto
        self, request: pb.CommitPrescriptionRequest, context: Context
    ) -> pb.CommitPrescriptionResponse:
        async with mapped_errors(context):
            await _within_deadline(context)
            overrides = convert.overrides_from_pb(request)
            result = await self._run(
                lambda: self.service.commit(
                    check_id=request.check_id,
                    overrides=overrides,
                    idempotency_key=request.idempotency_key,
                    prescriber_id=request.prescriber_id,
                    actor=_actor(),
                )
            )
            log.info(
                "commit",
                extra={
                    "check_id": result.check_id,
                    "prescription_id": result.prescription_id,
                    "replayed": result.replayed,
                },
            )
            return convert.commit_to_pb(result)
        raise AssertionError("unreachable: mapped_errors aborts")  # pragma: no cover

    async def RecheckPrescription(  # noqa: N802 -- method names are fixed by the proto
        self, request: pb.RecheckPrescriptionRequest, context: Context
    ) -> pb.CheckPrescriptionResponse:
        async with mapped_errors(context):
            await _within_deadline(context)
            as_of = convert.recheck_date_from_pb(request)
            report = await self._run(self.service.recheck, request.prescription_id, as_of, _actor())
            log.info("recheck", extra={"check_id": report.check_id, "verdict": report.verdict.value})
            return convert.report_to_pb(report)
        raise AssertionError("unreachable: mapped_errors aborts")  # pragma: no cover

    async def GetCheck(  # noqa: N802 -- method names are fixed by the proto
        self, request: pb.GetCheckRequest, context: Context
    ) -> pb.CheckPrescriptionResponse:
        async with mapped_errors(context):
            render = render_options(request.render_format, request.language)
            report = await self._run(self.service.get_check, request.check_id, _actor())
            log.info("get_check", extra={"check_id": report.check_id, "render": render.fmt if render else ""})
            response = convert.report_to_pb(report)
            if render is not None:
                # Rendering (Jinja2, WeasyPrint) is CPU work: off the loop, like every use case.
                rendered = await self._run(render_stored, self.service, report, render)
                response.rendered_report.CopyFrom(convert.rendered_report_to_pb(rendered))
            return response
        raise AssertionError("unreachable: mapped_errors aborts")  # pragma: no cover

    async def GetAuditTrail(  # noqa: N802 -- method names are fixed by the proto
        self, request: pb.GetAuditTrailRequest, context: Context
    ) -> pb.AuditTrail:
        async with mapped_errors(context):
            rows, chain = await self._run(self.service.audit_trail, request.patient_id or None)
            log.info("audit_trail", extra={"rows": len(rows), "chain_intact": chain.ok})
            return convert.audit_to_pb(rows, chain)
        raise AssertionError("unreachable: mapped_errors aborts")  # pragma: no cover

    async def ReloadConfiguration(  # noqa: N802 -- method names are fixed by the proto
        self, request: pb.ReloadConfigurationRequest, context: Context
    ) -> pb.ReloadConfigurationResponse:
        async with mapped_errors(context):
            if self._reload is None:
                raise Unavailable("this server was built without a reload function")
            result = await self._run(self._reload, _actor())
            log.info("reload", extra={"knowledge_version": result.knowledge_version, "api_keys": result.api_keys})
            return pb.ReloadConfigurationResponse(
                previous_knowledge_version=result.previous_knowledge_version,
                knowledge_version=result.knowledge_version,
                api_keys=result.api_keys,
                tls_clients=result.tls_clients,
            )
        raise AssertionError("unreachable: mapped_errors aborts")  # pragma: no cover


def _actor() -> Actor | None:
    """The authenticated caller as the audit trail records it (None only when access control is off)."""
    principal = current_principal()
    if principal is None:
        return None
    return Actor(
        client=principal.client,
        user=principal.user,
        roles=tuple(sorted(r.value for r in principal.roles)),
        purpose=principal.purpose,
    )


async def _within_deadline(context: Context) -> None:
    """Refuses work whose deadline has already passed, instead of doing it for nobody."""
    remaining = context.time_remaining()
    if remaining is not None and remaining <= 0:
        await context.abort(grpc.StatusCode.DEADLINE_EXCEEDED, "deadline exceeded before the check started")
