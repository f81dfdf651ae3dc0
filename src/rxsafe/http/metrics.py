"""CDS Hooks counters: cards answered by indicator, feedback by outcome, reason, conflict kind and severity.

Kept apart from ``rxsafe.app.metrics`` (the checks themselves are counted there, by ``SafetyService.check``) and
served as Prometheus text on the HTTP port's ``/metrics``.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable


class CdsMetrics:
    """Thread-safe counters; ``render()`` gives the Prometheus text exposition."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.cards: Counter[tuple[str, str]] = Counter()
        self.feedback: Counter[tuple[str, str, str, str]] = Counter()

    def record_cards(self, service_id: str, indicators: Iterable[str]) -> None:
        with self._lock:
            self.cards.update((service_id, i) for i in indicators)

    def record_feedback(self, outcome: str, reason: str, kind: str, severity: str) -> None:
        with self._lock:
            self.feedback[(outcome, reason, kind, severity)] += 1

    def render(self) -> str:
        """The Prometheus text format (version 0.0.4)."""
        with self._lock:
            lines = [
                "# HELP rxsafe_cds_cards_total CDS Hooks cards answered, by service and indicator.",
                "# TYPE rxsafe_cds_cards_total counter",
                *(
                    f'rxsafe_cds_cards_total{{service="{s}",indicator="{i}"}} {n}'
                    for (s, i), n in sorted(self.cards.items())
                ),
                "# HELP rxsafe_cds_feedback_total CDS Hooks feedback, by outcome, override reason, kind and severity.",
                "# TYPE rxsafe_cds_feedback_total counter",
                *(
                    f'rxsafe_cds_feedback_total{{outcome="{o}",reason="{r}",kind="{k}",severity="{s}"}} {n}'
                    for (o, r, k, s), n in sorted(self.feedback.items())
                ),
            ]
        return "\n".join(lines) + "\n"
