"""Allergy cross-reactivity beyond beta-lactams, from the literature → rows of cross_reactivity.tsv.

Two reviewed data files under ``data/``: ``allergy_cross_groups.csv`` (each group's members by role: an INN, or
``atc:CODE`` for every ingredient under an ATC group) and ``allergy_cross_rules.csv`` (for an allergy to a member
of one role, what a member of another role implies: cross-reactive or not, the rxsafe severity, the basis as the
paper words it, the paper). Each rule expands into one row per ordered pair of distinct members. Groups covered:
NSAID hypersensitivity (Kowalski 2013, EAACI/ENDA), quinolones, sulfonamide antibiotics (and, explicitly, not
the non-antibiotic sulfonamides: Strom 2003), aromatic anticonvulsants (Hirsch 2008), iodinated contrast media.
Opioids by structural group are not covered: no primary source was reviewed for it.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from rxsafe.knowledge.build.rows import Contribution, CrossReactivityRow

if TYPE_CHECKING:
    from rxsafe.knowledge.build.context import BuildContext

DATA = Path(__file__).parent / "data"
SEVERITIES = ("contraindicated", "major", "moderate", "minor")


def contribute(ctx: BuildContext) -> Contribution:
    """Every ordered pair of distinct members the rules reach, each with its rule's basis, severity and paper."""
    out = Contribution()
    members: dict[tuple[str, str], set[str]] = defaultdict(set)
    with (DATA / "allergy_cross_groups.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            key, member = (row["group"], row["role"]), row["member"].strip()
            if member.startswith("atc:"):
                prefix = member.removeprefix("atc:")
                members[key] |= {
                    c.inn for c in ctx.names.concepts.values() if any(a.startswith(prefix) for a in c.atc_codes)
                }
            elif ctx.names.knows(member):
                members[key].add(member)
            else:
                raise ValueError(f"allergy_cross_groups.csv: {member!r} is not an ingredient of the vocabulary")
    with (DATA / "allergy_cross_rules.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            cross = row["cross_reactive"] == "1"
            severity = row["severity"]
            if cross and severity not in SEVERITIES:
                raise ValueError(f"allergy_cross_rules.csv: severity {severity!r} for {row['group']}")
            allergens = members[(row["group"], row["allergen_role"])]
            drugs = members[(row["group"], row["drug_role"])]
            if not allergens or not drugs:
                raise ValueError(f"allergy_cross_rules.csv: {row['group']} names a role with no members")
            for allergen in sorted(allergens):
                for drug in sorted(drugs - {allergen}):
                    out.cross_reactivity.append(
                        CrossReactivityRow(
                            allergen, drug, cross, row["basis"], row["source"], severity if cross else ""
                        )
                    )
    return out
