"""Issue 15: every brand of the product table, written as registered, resolves to its registered composition.

A resolved answer that contradicts every composition registered under that brand (another active moiety) is
a wrong drug. AMBIGUOUS, UNRESOLVED or PARTIAL are allowed (they are never a clean pass). Exceptions, where a
source itself is contradictory, are listed with their reason in ``brand_walk_exceptions.csv``.
"""

from __future__ import annotations

import csv
from pathlib import Path

from rxsafe.core.enums import ResolutionStatus
from rxsafe.matching.resolver import NameResolver

EXCEPTIONS = Path(__file__).parent / "brand_walk_exceptions.csv"


def _exceptions() -> dict[str, str]:
    with EXCEPTIONS.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert all(r["reason"].strip() for r in rows), "every exception needs its reason"
    return {r["brand"]: r["reason"] for r in rows}


def test_every_brand_resolves_to_its_own_composition(real_resolver: NameResolver) -> None:
    vocab = real_resolver._v
    moiety = vocab.moiety
    allowed = _exceptions()
    wrong: list[str] = []
    seen: set[str] = set()
    by_name: dict[str, list[tuple[str, ...]]] = {}
    for products in vocab.brands.values():
        for product in products:
            for name in (product.brand, *product.other_names):
                by_name.setdefault(name, []).append(product.ingredients)
    for products in vocab.brands.values():
        for product in products:
            for name in (product.brand, *product.other_names):
                if name in seen or name in allowed:
                    continue
                seen.add(name)
                # As registered, and with form words around it ("Transamin Tablets", issue 15).
                for text in (name, f"{name} Tablets"):
                    res = real_resolver.resolve_text(text)
                    if res.status is not ResolutionStatus.RESOLVED or res.partial:
                        continue
                    got = {moiety(i.inn) for i in res.ingredients}
                    registered = by_name[name]
                    if not any({moiety(i) for i in c} == got for c in registered):
                        wrong.append(f"{text!r} -> {sorted(got)}; registered {registered}")
    assert len(seen) > 5_000
    assert not wrong, "\n".join(wrong[:60]) + f"\n… {len(wrong)} in all"
