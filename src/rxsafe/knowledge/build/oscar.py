"""OSCAR EMR drugref2 interaction table (ATC-coded, around 2010–2015).

Each side is an ATC code: a level-5 (7-character) code is an ingredient, named by WHO ATC and bridged by the name
index (OSCAR's own drug name is the fallback for codes WHO has since retired); a shorter code is the class
``atc:<code>`` whose class row the WHO ATC module writes.

Severity mapping. The source documents none of its codes; the meanings below are those inferred in its
PROVENANCE.md, so every rule cites the raw codes in ``SourceCite.level``:

| OSCAR significance | inferred meaning | rxsafe |
|---|---|---|
| 3 | major | major |
| 2 | moderate | moderate |
| 1 | minor | minor |
| blank (all rows with effect ``N``, "no/negligible effect") | none | no rule |

OSCAR never grades a pair as contraindicated, so no rule from it is ``contraindicated``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from rxsafe.knowledge.build.class_support import SUBSTANCE_CODE_LENGTH, AtcTable, one_line, read_atc, stable_id
from rxsafe.knowledge.build.rows import Contribution, NameIndex, RuleRow, SourceCite

SOURCE = "OSCAR drugref2 DDI table"
DDI_FILE = Path("oscar-drugref2-ddi") / "drugref2_ddis_from_oscar.tsv"

SEVERITY_BY_SIGNIFICANCE = {"3": "major", "2": "moderate", "1": "minor"}
SEVERITY_RANK = {"major": 3, "moderate": 2, "minor": 1}
# Inferred, not documented (PROVENANCE.md): how the affecting drug changes the affected drug's effect.
EFFECT_WORDS = {"A": "increases", "I": "decreases"}

Concept = tuple[str, str]


@dataclass
class _Pair:
    severity: str = "minor"
    cites: set[SourceCite] = field(default_factory=set)
    statements: set[str] = field(default_factory=set)


def _concept(code: str, drug: str, atc: AtcTable, names: NameIndex) -> Concept | None:
    if len(code) == SUBSTANCE_CODE_LENGTH:
        inn = atc.substance_inn.get(code) or names.to_inn(drug)
        return ("ingredient", inn) if inn else None
    # Class rows come from the WHO ATC module; a group WHO no longer has would point at nothing.
    return ("class", f"atc:{code}") if code in atc.names else None


def contribute(sources_dir: Path, names: NameIndex) -> Contribution:
    """Ingredient and ATC-class rules from the OSCAR table; rows without a significance make no rule."""
    atc = read_atc(sources_dir, names)
    pairs: dict[tuple[Concept, Concept], _Pair] = {}
    unmapped: set[str] = set()
    ungraded = 0
    with (sources_dir / DDI_FILE).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            significance = row["significance"].strip()
            if significance not in SEVERITY_BY_SIGNIFICANCE:
                ungraded += 1
                continue
            affecting, affected = row["affectingdrug"].strip(), row["affecteddrug"].strip()
            a = _concept(row["affectingatc"].strip(), affecting, atc, names)
            b = _concept(row["affectedatc"].strip(), affected, atc, names)
            if a is None or b is None:
                unmapped.update(
                    f"{name} ({code})"
                    for name, code, concept in (
                        (affecting, row["affectingatc"].strip(), a),
                        (affected, row["affectedatc"].strip(), b),
                    )
                    if concept is None
                )
                continue
            if a == b:
                continue  # two codes of one ingredient (e.g. oral and eye forms): not an interaction pair
            key = (a, b) if a <= b else (b, a)
            pair = pairs.setdefault(key, _Pair())
            severity = SEVERITY_BY_SIGNIFICANCE[significance]
            if SEVERITY_RANK[severity] > SEVERITY_RANK[pair.severity]:
                pair.severity = severity
            effect, evidence = row["effect"].strip(), row["evidence"].strip()
            level = f"significance {significance}; effect {effect or '-'}; evidence {evidence or '-'}"
            pair.cites.add(SourceCite(SOURCE, f"id {row['id'].strip()}", level))
            verb = EFFECT_WORDS.get(effect)
            statement = (
                f"{affecting.lower()} {verb} the effect of {affected.lower()} (OSCAR code {effect}; meaning inferred)"
                if verb
                else ""
            )
            comment = one_line(row["comment"])
            pair.statements.add("; ".join(part for part in (statement, comment) if part))
    out = Contribution()
    for (a_concept, b_concept), pair in sorted(pairs.items()):
        out.rules.append(
            RuleRow(
                rule_id=stable_id("oscar", *a_concept, *b_concept),
                a_kind=a_concept[0],
                a=a_concept[1],
                b_kind=b_concept[0],
                b=b_concept[1],
                severity=pair.severity,
                consequence_en=" / ".join(s for s in sorted(pair.statements) if s),
                sources=tuple(sorted(pair.cites)),
            )
        )
    out.unmapped.extend((SOURCE, name) for name in sorted(unmapped))
    out.unmapped.append((SOURCE, f"{ungraded} rows without a significance (effect N): no rule"))
    return out
