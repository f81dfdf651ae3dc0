"""Alert figures: alerts per 100 checks, and how often each interruptive rule was overridden at commit."""

from __future__ import annotations

from datetime import date

from rxsafe.app.alert_report import format_alerts, summarize_alerts
from rxsafe.core.enums import AllergyStatus, ConflictKind, OverrideReason, Severity, Verdict
from rxsafe.core.models import Conflict, ConflictReport, Override, Prescription, PrescriptionLine, StoredCheck


def stored(conflicts: tuple[Conflict, ...], prescription_id: str = "") -> StoredCheck:
    report = ConflictReport(
        verdict=Verdict.BLOCK,
        knowledge_version="k",
        lines=(),
        conflicts=conflicts,
        as_of=date(2026, 11, 26),
        allergy_status=AllergyStatus.LISTED,
        prescription_id=prescription_id,
    )
    return StoredCheck(report=report, prescription=Prescription(lines=(PrescriptionLine(text="x"),)))


def interaction(conflict_id: str, *, overridden: bool) -> Conflict:
    return Conflict(
        id=conflict_id,
        kind=ConflictKind.INTERACTION,
        severity=Severity.CONTRAINDICATED,
        interruptive=True,
        drugs=("clarithromycin", "simvastatin"),
        override=Override(conflict_id=conflict_id, reason=OverrideReason.WILL_MONITOR) if overridden else None,
    )


def test_alerts_per_100_checks_and_override_rate_by_rule() -> None:
    minor = Conflict(id="m", kind=ConflictKind.DUPLICATE_THERAPY, severity=Severity.MINOR)
    checks = [
        stored((interaction("a", overridden=True),), prescription_id="rx-1"),
        stored((interaction("b", overridden=True), minor), prescription_id="rx-2"),
        stored((interaction("c", overridden=False),)),  # never committed: no override to count
        stored(()),
    ]
    summary = summarize_alerts(checks)
    assert summary.checks == 4
    assert summary.committed == 2
    assert summary.alerts[("INTERACTION", "CONTRAINDICATED")] == 3
    assert summary.interruptive_by_rule["INTERACTION: clarithromycin + simvastatin"] == 2
    assert summary.overridden_by_rule["INTERACTION: clarithromycin + simvastatin"] == 2
    text = format_alerts(summary, "2026-11-01")
    assert "INTERACTION / CONTRAINDICATED" in text
    assert "75.0" in text  # 3 alerts in 4 checks
    assert "overridden 2 (100 %)" in text
    assert "WILL_MONITOR 2" in text
