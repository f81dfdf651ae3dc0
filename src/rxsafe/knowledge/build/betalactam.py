"""Hutten et al. 2025 beta-lactam cross-reactivity matrix: one row per ordered pair of mapped drugs.

Codes: 1 cross-reaction → 1; 0 no cross-reaction → 0; 2 discrepancy between studies → 1 (fail safe: an
allergy check must not pass a drug the studies disagree on); 3 no data → no row (the matrix does not cover it).
"""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING

from rxsafe.knowledge.build.rows import Contribution, CrossReactivityRow

if TYPE_CHECKING:
    from rxsafe.knowledge.build.context import BuildContext

SOURCE = "Hutten 2025 (Allergy 80(11):3108) via liamlah/PenicillinX-Project"
CORRECTIONS_SOURCE = "betalactam"
FOLDER = "betalactam-crossreactivity"
FILE = "hutten2025_betalactam_crossreactivity_pairs.csv"
BASIS = {
    "0": (False, "no cross-reaction in the pooled studies (code 0)"),
    "1": (True, "cross-reaction observed in the pooled studies (code 1)"),
    "2": (True, "studies disagree (code 2); treated as cross-reactive"),
}


def contribute(ctx: BuildContext) -> Contribution:
    """Both orders of every covered pair whose two names map to ingredients."""
    out = Contribution()
    unmapped: set[str] = set()

    def inn_of(name: str) -> str | None:
        fixed, _ = ctx.corrections.apply(CORRECTIONS_SOURCE, name, "drug name", name)
        inn = ctx.names.to_inn(fixed)
        if inn is None and name not in unmapped:
            unmapped.add(name)
            out.unmapped.append((SOURCE, name))
        return inn

    with (ctx.sources_dir / FOLDER / FILE).open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            basis = BASIS.get(row["code"].strip())
            if basis is None:
                continue
            a, b = inn_of(row["drug_a"].strip()), inn_of(row["drug_b"].strip())
            if a is None or b is None or a == b:
                continue
            cross, text = basis
            severity = "major" if cross else ""
            out.cross_reactivity.append(CrossReactivityRow(a, b, cross, text, SOURCE, severity))
            out.cross_reactivity.append(CrossReactivityRow(b, a, cross, text, SOURCE, severity))
    return out
