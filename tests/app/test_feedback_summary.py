"""CDS Hooks feedback in the alert report: outcomes, reasons, and the rules overridden, from audit rows."""

from __future__ import annotations

from rxsafe.app.feedback_summary import format_feedback, summarize_feedback
from rxsafe.ehr.audit import AuditRow
from tests.app.test_alert_report import interaction, stored


def row(subject: str, outcome: str, at: str = "2026-12-06T09:00:00", action: str = "cds_feedback") -> AuditRow:
    return AuditRow(1, at, "emr", "u", "prescriber", "treatment", action, "p", subject, outcome, "", "")


def test_feedback_counts_outcomes_reasons_and_rules() -> None:
    check = stored((interaction("c-1", overridden=False),))
    check = check.model_copy(update={"report": check.report.model_copy(update={"check_id": "chk-1"})})
    rows = [
        row("chk-1/c-1", "overridden:WILL_MONITOR"),
        row("chk-1/c-1", "overridden:WILL_MONITOR:role-not-allowed"),
        row("chk-1/c-1", "accepted"),
        row("chk-1/c-1", "accepted", at="2026-01-01T00:00:00"),  # before --since
        row("chk-1", "ok", action="check"),
    ]
    summary = summarize_feedback(rows, [check], since="2026-12-01")
    assert summary.outcomes == {"overridden": 2, "accepted": 1}
    assert summary.reasons == {"WILL_MONITOR": 2}
    assert summary.overridden_by_rule == {"INTERACTION: clarithromycin + simvastatin": 2}
    text = format_feedback(summary)
    assert "CDS Hooks feedback: 3 (accepted 1, overridden 2)" in text
    assert format_feedback(summarize_feedback([], [])) == "CDS Hooks feedback: none"
