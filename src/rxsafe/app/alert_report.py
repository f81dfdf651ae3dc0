"""``rxsafe report alerts``: what the alerts were and what prescribers did with them, from the stored checks.

Alerts per 100 checks by kind and severity, the override rate of interruptive alerts by rule, and the rules most
often overridden: the raw material for tuning what interrupts (published studies find 80–90 % of interaction
alerts overridden; a rule overridden nearly always is a candidate to stop interrupting).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from rxsafe.app.alert_workload import percentile
from rxsafe.core.models import StoredCheck


@dataclass
class AlertSummary:
    checks: int = 0
    committed: int = 0
    alerts: Counter[tuple[str, str]] = field(default_factory=Counter)
    interruptive_by_rule: Counter[str] = field(default_factory=Counter)
    overridden_by_rule: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    # Per check: conflicts in each display tier (act, review, info), for the median and p90 per prescription.
    tiers_per_check: list[tuple[int, int, int]] = field(default_factory=list)
    tiers: Counter[str] = field(default_factory=Counter)


def summarize_alerts(checks: Iterable[StoredCheck]) -> AlertSummary:
    """Counts over stored checks; overrides count only for committed checks (where they were given)."""
    summary = AlertSummary()
    for stored in checks:
        report = stored.report
        summary.checks += 1
        committed = bool(report.prescription_id)
        summary.committed += committed
        tiers = Counter(c.tier.value for c in report.conflicts)
        summary.tiers.update(tiers)
        summary.tiers_per_check.append((tiers["act"], tiers["review"], tiers["info"]))
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
    lines += ["", f"{'alerts per check by display tier':<40}{'count':>8}{'median':>8}{'p90':>6}"]
    for n, tier in enumerate(("act", "review", "info")):
        per_check = [t[n] for t in summary.tiers_per_check]
        lines.append(f"  {tier:<38}{summary.tiers[tier]:>8}{_median(per_check):>8g}{percentile(per_check, 90):>6g}")
    shown_first = [t[0] + t[1] for t in summary.tiers_per_check]
    first_median, first_p90 = _median(shown_first), percentile(shown_first, 90)
    label = "act + review (shown first)"
    lines.append(f"  {label:<38}{sum(shown_first):>8}{first_median:>8g}{first_p90:>6g}")
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


def _median(values: list[int]) -> float:
    return float(statistics.median(values)) if values else math.nan
