"""Median time to resolve one prescription line, exact and fuzzy, against the compiled knowledge base.

Usage: ``python scripts/bench_matching.py [KNOWLEDGE_DIR]``. Budget (design): exact <= 0.2 ms, fuzzy <= 2 ms.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from rxsafe.core.enums import MatchMethod, ResolutionStatus
from rxsafe.matching.resolver import NameResolver
from rxsafe.matching.vocabulary import load_vocabulary

EXACT = [
    "Amoxicilin 500mg (Hagimox)",
    "Paracetamol 500mg x 2 viên/lần",
    "Amoxicilin 875mg + Acid clavulanic 125mg",
    "Amlodipin (dưới dạng Amlodipin besilat) 5mg",
    "Natri clorid 0,9%",
    "Augmentin 625mg",
]
FUZZY = ["Amoxcilin 500mg", "Ciprofloxacn 500mg", "Simvastatn 20mg", "Metronidazl 250mg"]
UNRESOLVED = ["Xyzzyquinol 10mg", "Tramocillin 250mg"]
ROUNDS = 2000


def _median_ms(resolver: NameResolver, texts: list[str]) -> float:
    times = []
    for _ in range(ROUNDS // len(texts)):
        for text in texts:
            start = time.perf_counter_ns()
            resolver.resolve_text(text)
            times.append(time.perf_counter_ns() - start)
    return statistics.median(times) / 1e6


def main() -> None:
    knowledge = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("knowledge")
    start = time.perf_counter()
    resolver = NameResolver(load_vocabulary(knowledge))
    print(f"load_vocabulary: {time.perf_counter() - start:.2f} s")
    for text in FUZZY:
        res = resolver.resolve_text(text)
        if res.method is not MatchMethod.FUZZY or res.status is not ResolutionStatus.RESOLVED:
            print(f"note: {text!r} did not resolve fuzzily ({res.status.value}, {res.method.value})")
    for label, texts in (("exact", EXACT), ("fuzzy", FUZZY), ("unresolved (full fuzzy path)", UNRESOLVED)):
        print(f"median resolve_text, {label}: {_median_ms(resolver, texts):.3f} ms")


if __name__ == "__main__":
    main()
