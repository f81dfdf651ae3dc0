"""The US VA's NDF-RT drug–drug interactions (July 2014, public domain): 5,265 pairs, Critical or Significant.

One ingredient rule per VA interaction concept, cited ``VA NDF-RT`` with the VA level as written. The extract
carries no text. Levels (SEVERITY.md says why): Critical → ``major``, Significant → ``moderate``. Names are VA
ingredient names in upper case, US style (RIFAMPIN, ACETAMINOPHEN); where the drug's name is empty (168 rows)
the pair label gives it. A name that does not map keeps its VA name as an ``unmapped`` side.
"""

from __future__ import annotations

import csv
from pathlib import Path

from rxsafe.knowledge.build.rows import Contribution, NameIndex, RuleRow, SourceCite

SOURCE = "VA NDF-RT 2014-07"
FILE = Path("ndfrt-va-interactions") / "ndfrt_va_drug_interactions_2014-07.tsv"
LEVELS = {"Critical": "major", "Significant": "moderate"}
# VA abbreviations of salt words ("RABEPRAZOLE NA", "ATAZANAVIR SO4"), written out so the name index knows them.
_VA_SALTS = {"na": "sodium", "k": "potassium", "so4": "sulfate", "hcl": "hydrochloride", "ca": "calcium"}


def _inn(name: str, names: NameIndex) -> str | None:
    lowered = name.lower()
    found = names.to_inn(lowered)
    if found is None:
        words = lowered.split()
        expanded = " ".join([*words[:1], *(_VA_SALTS.get(w, w) for w in words[1:])])
        if expanded != lowered:
            found = names.to_inn(expanded)
    return found


def _names(row: dict[str, str]) -> tuple[str, str]:
    """The two drug names; an empty name is taken from the label (only when the label splits unambiguously)."""
    first, second = row["drug1_name"].strip(), row["drug2_name"].strip()
    if first and second:
        return first, second
    parts = row["pair_label"].split("/")
    if len(parts) == 2:  # a label "A/B"; more slashes are names that contain one
        label_first, label_second = parts[0].strip(), parts[1].strip()
        if first and first == label_second:
            return first, label_first
        if second and second == label_first:
            return label_second, second
        return first or label_first, second or label_second
    return first or row["pair_label"], second or row["pair_label"]


def contribute(sources_dir: Path, names: NameIndex) -> Contribution:
    """One rule per VA pair; its interaction NUI and label are the reference."""
    out = Contribution()
    reported: set[str] = set()
    with (sources_dir / FILE).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    for row in rows:
        level = row["severity"].strip()
        if level not in LEVELS:
            raise ValueError(f"VA NDF-RT {row['pair_label']}: unknown severity {level!r}")
        sides: list[tuple[str, str]] = []
        for name in _names(row):
            inn = _inn(name, names)
            if inn is None:
                if name not in reported:
                    reported.add(name)
                    out.unmapped.append((SOURCE, name))
                sides.append(("unmapped", name))
            else:
                sides.append(("ingredient", inn))
        if sides[0] == sides[1]:
            # Two VA names of one ingredient (a salt and its base): not an interaction between two drugs.
            out.unmapped.append((SOURCE, f"{row['pair_label']} (both names are {sides[0][1]})"))
            continue
        out.rules.append(
            RuleRow(
                rule_id="",
                a_kind=sides[0][0],
                a=sides[0][1],
                b_kind=sides[1][0],
                b=sides[1][1],
                severity=LEVELS[level],
                sources=(SourceCite(SOURCE, f"{row['interaction_nui'].strip()} {row['pair_label'].strip()}", level),),
            )
        )
    return out


def mapping_report(rules: list[RuleRow]) -> tuple[int, int]:
    """(rules whose both sides map to ingredients, all rules) of this source."""
    full = sum(1 for r in rules if r.a_kind != "unmapped" and r.b_kind != "unmapped")
    return full, len(rules)
