"""Alert metrics count what the checks and commits did, and /metrics serves them in Prometheus format."""

from __future__ import annotations

import asyncio
from datetime import date

from rxsafe.app.metrics import Metrics
from rxsafe.core.enums import AllergyStatus, ConflictKind, OverrideReason, Severity, Verdict
from rxsafe.core.models import Conflict, ConflictReport, Override
from rxsafe.service.metrics import serve_metrics


def report() -> ConflictReport:
    conflicts = (
        Conflict(id="c-1", kind=ConflictKind.INTERACTION, severity=Severity.CONTRAINDICATED, interruptive=True),
        Conflict(id="c-2", kind=ConflictKind.ALLERGY, severity=Severity.MAJOR),
    )
    return ConflictReport(
        verdict=Verdict.BLOCK,
        knowledge_version="k",
        lines=(),
        conflicts=conflicts,
        as_of=date(2026, 11, 26),
        allergy_status=AllergyStatus.LISTED,
    )


def test_counts_checks_alerts_and_overrides() -> None:
    metrics = Metrics()
    metrics.record_check(report(), 3.2)
    metrics.record_check(report(), 700.0)
    metrics.record_commit("committed", report(), [Override(conflict_id="c-1", reason=OverrideReason.WILL_MONITOR)])
    metrics.record_commit("refused:StaleCheck", None, ())
    text = metrics.render()
    assert 'rxsafe_checks_total{verdict="BLOCK"} 2' in text
    assert 'rxsafe_alerts_total{kind="INTERACTION",severity="CONTRAINDICATED",interruptive="true"} 2' in text
    assert 'rxsafe_overrides_total{reason="WILL_MONITOR",kind="INTERACTION",severity="CONTRAINDICATED"} 1' in text
    assert 'rxsafe_commits_total{outcome="refused:StaleCheck"} 1' in text
    assert 'rxsafe_check_duration_ms_bucket{le="5"} 1' in text
    assert 'rxsafe_check_duration_ms_bucket{le="+Inf"} 2' in text


def test_metrics_endpoint_serves_prometheus_text() -> None:
    async def scrape() -> tuple[bytes, bytes]:
        metrics = Metrics()
        metrics.record_check(report(), 1.0)
        server = await serve_metrics(metrics, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        answers = []
        for path in ("/metrics", "/other"):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            answers.append(await reader.read())
            writer.close()
        server.close()
        await server.wait_closed()
        return answers[0], answers[1]

    ok, missing = asyncio.run(scrape())
    assert ok.startswith(b"HTTP/1.1 200 OK")
    assert b'rxsafe_checks_total{verdict="BLOCK"} 1' in ok
    assert missing.startswith(b"HTTP/1.1 404")
