"""Print recall at >= major on high-priority pair lists and the contraindicated share of low-priority pairs.

``.venv/bin/python -m scripts.ddi_priority_eval [--knowledge DIR] [--sources DIR] [--misses N]``
(see ``rxsafe.knowledge.priority_eval``). Run it on an older build's folder for the "before" figures.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rxsafe.knowledge.build.__main__ import DEFAULT_SOURCES
from rxsafe.knowledge.loader import load_knowledge
from rxsafe.knowledge.priority_eval import measure, read_pairs, source_pairs

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    """Command-line entry."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--knowledge", type=Path, default=REPO / "knowledge")
    parser.add_argument("--sources", type=Path, default=DEFAULT_SOURCES)
    parser.add_argument("--misses", type=int, default=10, help="misses to list per set")
    args = parser.parse_args()
    kb = load_knowledge(args.knowledge)
    sets = {**read_pairs(), **(source_pairs(args.sources) if args.sources.exists() else {})}
    print(f"knowledge {kb.version} ({args.knowledge})")
    for name, pairs in sets.items():
        result = measure(kb, name, pairs)
        print(
            f"  {name}: {result.pairs} pairs; >= major {result.at_least_major} ({result.recall:.1%}); "
            f"contraindicated {result.contraindicated} ({result.contraindicated_share:.1%})"
        )
        for a, b, found in result.misses[: args.misses]:
            print(f"    below major: {a} + {b} ({found})")


if __name__ == "__main__":
    main()
