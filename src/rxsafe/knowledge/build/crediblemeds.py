"""CredibleMeds (AZCERT) snapshots: the 2014 "known TdP risk" list and the 2017 DDI listing.

Licence: AZCERT gives its lists free of charge for personal, professional and **noncommercial** use;
redistribution or commercial use needs AZCERT's permission. These old snapshots are reference/test data; a
production deployment must take the current list from CredibleMeds under its terms.

- The 2014 list → class ``crediblemeds:known_tdp_risk`` (via ``crediblemeds_2014``). The list says only that each
  drug carries a known risk of torsades de pointes; it grades no combination, so no class × class rule is made.
- The 2017 listing → one ingredient rule per object–precipitant pair. Severity, from the listing's own advice:

| CredibleMeds "options" | rxsafe |
|---|---|
| Usually Avoid | major |
| Take Precautions | moderate |
| (no advice given) | no rule; reported as unmapped |

Three warfarin rows carry their advice in the ``related_drugs`` column (a column shift in the source); the
advice is read from there. Statin × azole rows whose text is about another statin are flagged ``needs_review``.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from rxsafe.knowledge.build.class_support import one_line, stable_id
from rxsafe.knowledge.build.rows import ClassRow, Contribution, MemberRow, NameIndex, RuleRow, SourceCite

SOURCE_LIST = "CredibleMeds known TdP risk list 2014"
SOURCE_DDI = "CredibleMeds DDI listing 2017-02-26"
FOLDER = Path("crediblemeds-qt-snapshot")
CLASS_ID = "crediblemeds:known_tdp_risk"
SEVERITY_BY_ADVICE = {"usually avoid": "major", "take precautions": "moderate"}
# Salt words in the listing's names ("ATORVASTATIN CALCIUM") that the index may not know with the salt.
_SALT = re.compile(r" (calcium|sodium|potassium|hydrochloride)$")


def _clean(text: str) -> str:
    # The cp1252 → UTF-8 conversion left "ï¿½" where bullets and ® stood.
    return one_line(text.replace("ï¿½", " "))


def _inn(name: str, names: NameIndex) -> str | None:
    lowered = name.strip().lower()
    return names.to_inn(lowered) or names.to_inn(_SALT.sub("", lowered))


def _advice(row: dict[str, str]) -> tuple[str, str, str] | None:
    """(severity, the advice phrase as written, the whole advice text), or None when the row gives no advice."""
    for column in ("options", "related_drugs"):
        text = _clean(row[column])
        for advice, severity in SEVERITY_BY_ADVICE.items():
            if text.lower().startswith(advice):
                return severity, text[: len(advice)], text
    return None


def _damaged(row: dict[str, str]) -> bool:
    # The atorvastatin/fluvastatin/lovastatin/pravastatin/rosuvastatin × azole rows repeat the simvastatin/
    # lovastatin text (a spreadsheet fill-down, like their auto-incremented DrugBank ids); their related_drugs
    # text even says fluvastatin, rosuvastatin and pravastatin are not CYP3A4 substrates. Flag for review.
    effect = row["effect"].lower()
    base = row["object"].strip().lower().split(" ")[0]
    return "statin" in effect and base not in effect


def contribute(sources_dir: Path, names: NameIndex) -> Contribution:
    """The known-TdP-risk class with its members, and the graded pairs of the 2017 listing."""
    out = Contribution()
    out.classes.append(
        ClassRow(CLASS_ID, "crediblemeds", "Drugs with known TdP risk (CredibleMeds, 2014)", "", SOURCE_LIST)
    )
    members: set[MemberRow] = set()
    unmapped: set[tuple[str, str]] = set()
    with (sources_dir / FOLDER / "crediblemeds_known_tdp_risk_2014.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            inn = _inn(row["Generic Name"], names)
            if inn:
                members.add(MemberRow(CLASS_ID, inn, SOURCE_LIST, "crediblemeds_2014"))
            else:
                unmapped.add((SOURCE_LIST, row["Generic Name"].strip()))
    out.members.extend(sorted(members))

    rules: dict[tuple[str, str], RuleRow] = {}
    with (sources_dir / FOLDER / "crediblemeds_ddi_listing_2017-02-26.csv").open(
        encoding="utf-8", newline=""
    ) as handle:
        for row in csv.DictReader(handle):
            pair_name = f"{row['object'].strip()} + {row['precipitant'].strip()}"
            obj, precipitant = _inn(row["object"], names), _inn(row["precipitant"], names)
            graded = _advice(row)
            if obj is None or precipitant is None or graded is None:
                reason = "no advice grade in the source" if graded is None else "name not bridged"
                unmapped.add((SOURCE_DDI, f"{pair_name} ({reason})"))
                continue
            severity, phrase, advice = graded
            a, b = sorted((obj, precipitant))
            rule = RuleRow(
                rule_id=stable_id("crediblemeds", a, b),
                a_kind="ingredient",
                a=a,
                b_kind="ingredient",
                b=b,
                severity=severity,
                mechanism_en=_clean(row["mechanism"]),
                consequence_en=_clean(row["effect"]),
                management_en=advice,
                sources=(SourceCite(SOURCE_DDI, pair_name, phrase),),
                needs_review=_damaged(row),
            )
            # A pair listed twice (e.g. under two statin rows) keeps the first by sort order: deterministic.
            if (a, b) not in rules or rule < rules[(a, b)]:
                rules[(a, b)] = rule
    out.rules.extend(rules[key] for key in sorted(rules))
    out.unmapped.extend(sorted(unmapped))
    return out
