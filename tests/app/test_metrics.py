"""Alert metrics count what the checks and commits did, and /metrics serves them in Prometheus format."""

from __future__ import annotations

import urllib.request
from datetime import date

import pytest

from rxsafe.app.metrics import Metrics
from rxsafe.core.enums import AllergyStatus, ConflictKind, OverrideReason, Severity, Verdict
from rxsafe.core.errors import Unavailable
from rxsafe.core.models import Conflict, ConflictReport, Override
from rxsafe.service.prom import expose_service_metrics, start_metrics_server


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
    metrics = Metrics()
    metrics.record_check(report(), 1.0)
    expose_service_metrics(metrics)
    server, thread = start_metrics_server("127.0.0.1", 0)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/metrics", timeout=5) as answer:
            status, body = answer.status, answer.read()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert status == 200
    # The names dashboards were built on, through prometheus_client's exposition, beside the process collectors.
    assert b'rxsafe_checks_total{verdict="BLOCK"} 1.0' in body
    assert b'rxsafe_check_duration_ms_bucket{le="1"} 1.0' in body
    assert b"process_resident_memory_bytes" in body
    assert b"python_gc_collections_total" in body


def test_a_busy_metrics_port_is_a_clean_error() -> None:
    server, thread = start_metrics_server("127.0.0.1", 0)
    try:
        with pytest.raises(Unavailable, match="cannot be bound"):
            start_metrics_server("127.0.0.1", server.server_port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
