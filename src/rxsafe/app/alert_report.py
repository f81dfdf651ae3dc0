"""``rxsafe report alerts``: what the alerts were and what prescribers did with them, from the stored checks.

Alerts per 100 checks by kind and severity, the override rate of interruptive alerts by rule, and the rules most
often overridden: the raw material for tuning what interrupts (published studies find 80–90 % of interaction
alerts overridden; a rule overridden nearly always is a candidate to stop interrupting).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from rxsafe.core.models import StoredCheck


@dataclass
class AlertSummary:
    checks: int = 0
    committed: int = 0
    alerts: Counter[tuple[str, str]] = field(default_factory=Counter)
    interruptive_by_rule: Counter[str] = field(default_factory=Counter)
    overridden_by_rule: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)


def summarize_alerts(checks: Iterable[StoredCheck]) -> AlertSummary:
    """Counts over stored checks; overrides count only for committed checks (where they were given)."""
    summary = AlertSummary()
    for stored in checks:
        report = stored.report
        summary.checks += 1
        committed = bool(report.prescription_id)
        summary.committed += committed
        for conflict in report.conflicts:
            summary.alerts[(conflict.kind.value, conflict.severity.name)] += 1
            if conflict.interruptive and committed:
                rule = f"{conflict.kind.value}: {' + '.join(conflict.drugs)}"
                summary.interruptive_by_rule[rule] += 1
                if conflict.override is not None:
                    summary.overridden_by_rule[rule] += 1
                    summary.reasons[conflict.override.reason.value] += 1
    return summary


def format_alerts(summary: AlertSummary, since: str, top: int = 10) -> str:
    """The summary as a readable text table."""
    lines = [f"checks since {since or 'the start'}: {summary.checks} ({summary.committed} committed)"]
    per100 = 100 / summary.checks if summary.checks else 0.0
    lines.append("")
    lines.append(f"{'alerts per 100 checks':<40}{'count':>8}{'per 100':>10}")
    for (kind, severity), n in sorted(summary.alerts.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"  {kind + ' / ' + severity:<38}{n:>8}{n * per100:>10.1f}")
    shown = sum(summary.interruptive_by_rule.values())
    overridden = sum(summary.overridden_by_rule.values())
    rate = f"{100 * overridden / shown:.0f} %" if shown else "n/a"
    lines += ["", f"interruptive alerts on committed prescriptions: {shown}, overridden {overridden} ({rate})"]
    lines.append(f"{'most often overridden rules':<60}{'overridden':>11}{'shown':>7}{'rate':>7}")
    ranked = sorted(summary.overridden_by_rule.items(), key=lambda kv: (-kv[1], kv[0]))[:top]
    for rule, n in ranked:
        total = summary.interruptive_by_rule[rule]
        lines.append(f"  {rule[:58]:<58}{n:>11}{total:>7}{100 * n / total:>6.0f}%")
    if summary.reasons:
        lines += ["", "override reasons: " + ", ".join(f"{r} {n}" for r, n in summary.reasons.most_common())]
    return "\n".join(lines)
