"""Alert metrics: counters of checks, alerts, commits and overrides, rendered in Prometheus text format.

Counted per process since start: checks by verdict, alerts by kind and severity (and whether they interrupted),
commits by outcome, overrides by reason and by conflict kind, and check latency. These are the raw material for
tuning alerts: published studies find 80–90 % of interaction alerts overridden.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable

from rxsafe.core.models import Conflict, ConflictReport, Override
from rxsafe.memo import IdentityMemo

_COUNTED_MAX = 32  # the most recent results (app.service.RESULT_MEMO_SIZE)
LATENCY_BUCKETS_MS = (1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0)


class Metrics:
    """Thread-safe counters; ``render()`` gives the Prometheus text exposition."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.checks: Counter[str] = Counter()
        self.alerts: Counter[tuple[str, str, str]] = Counter()
        self.commits: Counter[str] = Counter()
        self.overrides: Counter[tuple[str, str, str]] = Counter()
        self._latency = [0] * (len(LATENCY_BUCKETS_MS) + 1)
        self._latency_sum_ms = 0.0
        # Counted once per conflicts tuple, which every copy of a memoised check result shares.
        self._alert_counts = IdentityMemo(_count_alerts, _COUNTED_MAX)
        # By display tier (issue 18): what prescribers were shown first, and how much was collapsed.
        self.tiers: Counter[tuple[str, str]] = Counter()
        self._tier_counts = IdentityMemo(_count_tiers, _COUNTED_MAX)

    def record_check(self, report: ConflictReport, elapsed_ms: float) -> None:
        alerts = self._alert_counts(report.conflicts)
        tiers = self._tier_counts(report.conflicts)
        with self._lock:
            self.checks[report.verdict.value] += 1
            self.alerts.update(alerts)
            self.tiers.update(tiers)
            self._latency[bisect_left(LATENCY_BUCKETS_MS, elapsed_ms)] += 1
            self._latency_sum_ms += elapsed_ms

    def record_commit(self, outcome: str, report: ConflictReport | None, overrides: Iterable[Override]) -> None:
        with self._lock:
            self.commits[outcome] += 1
            if report is None or outcome != "committed":
                return
            kinds = {c.id: c for c in report.conflicts}
            for o in overrides:
                conflict = kinds.get(o.conflict_id)
                if conflict is not None:
                    self.overrides[(o.reason.value, conflict.kind.value, conflict.severity.name)] += 1

    def render(self) -> str:
        """The Prometheus text format (version 0.0.4)."""
        with self._lock:
            lines = [
                "# HELP rxsafe_checks_total Checks answered, by verdict.",
                "# TYPE rxsafe_checks_total counter",
                *(f'rxsafe_checks_total{{verdict="{v}"}} {n}' for v, n in sorted(self.checks.items())),
                "# HELP rxsafe_alerts_total Conflicts reported, by kind, severity and whether they interrupted.",
                "# TYPE rxsafe_alerts_total counter",
                *(
                    f'rxsafe_alerts_total{{kind="{k}",severity="{s}",interruptive="{i}"}} {n}'
                    for (k, s, i), n in sorted(self.alerts.items())
                ),
                "# HELP rxsafe_alerts_by_tier_total Conflicts reported, by display tier (act, review, info) and kind.",
                "# TYPE rxsafe_alerts_by_tier_total counter",
                *(
                    f'rxsafe_alerts_by_tier_total{{tier="{t}",kind="{k}"}} {n}'
                    for (t, k), n in sorted(self.tiers.items())
                ),
                "# HELP rxsafe_commits_total Commit attempts, by outcome.",
                "# TYPE rxsafe_commits_total counter",
                *(f'rxsafe_commits_total{{outcome="{o}"}} {n}' for o, n in sorted(self.commits.items())),
                "# HELP rxsafe_overrides_total Alerts overridden at commit, by reason, conflict kind and severity.",
                "# TYPE rxsafe_overrides_total counter",
                *(
                    f'rxsafe_overrides_total{{reason="{r}",kind="{k}",severity="{s}"}} {n}'
                    for (r, k, s), n in sorted(self.overrides.items())
                ),
                "# HELP rxsafe_check_duration_ms Time to answer a check, in milliseconds.",
                "# TYPE rxsafe_check_duration_ms histogram",
            ]
            cumulative = 0
            for bound, count in zip((*LATENCY_BUCKETS_MS, float("inf")), self._latency, strict=True):
                cumulative += count
                label = "+Inf" if bound == float("inf") else f"{bound:g}"
                lines.append(f'rxsafe_check_duration_ms_bucket{{le="{label}"}} {cumulative}')
            lines.append(f"rxsafe_check_duration_ms_sum {self._latency_sum_ms:.3f}")
            lines.append(f"rxsafe_check_duration_ms_count {cumulative}")
        return "\n".join(lines) + "\n"


def _count_alerts(conflicts: tuple[Conflict, ...]) -> Counter[tuple[str, str, str]]:
    """The conflicts counted by label (kind, severity, interruptive)."""
    return Counter((c.kind.value, c.severity.name, "true" if c.interruptive else "false") for c in conflicts)


def _count_tiers(conflicts: tuple[Conflict, ...]) -> Counter[tuple[str, str]]:
    """The conflicts counted by display tier and kind."""
    return Counter((c.tier.value, c.kind.value) for c in conflicts)
