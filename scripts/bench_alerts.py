"""Alert counts per prescription, before and after display tiers, on the fixed workload (issue 18).

``python -m scripts.bench_alerts`` prints the figures alone; ``make bench`` prints them as its "Alert tiers"
section (``lines()``). Counts, not timings: they do not depend on the machine or on what else runs.
The workload and how it is counted: ``rxsafe.app.alert_workload``; the same figures come from
``rxsafe report alerts --workload``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from rxsafe.app.alert_workload import format_figures, load_workload, measure
from rxsafe.bootstrap import build_service


def lines(policy: Path | None = None) -> list[str]:
    """The "Alert tiers" section: one in-process service (default policy unless given), every workload case."""
    service = build_service(db=None, policy=policy)
    return [
        "== Alert tiers (conflicts per prescription, fixed workload)",
        *format_figures(measure(service, load_workload())),
    ]


def main(argv: list[str] | None = None) -> int:
    """Prints the section; ``--policy FILE`` measures under a facility policy instead of the default."""
    args = sys.argv[1:] if argv is None else argv
    policy = Path(args[1]) if len(args) == 2 and args[0] == "--policy" else None
    print("\n".join(lines(policy)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
