"""ANSM "Thesaurus des interactions médicamenteuses" (edition 2020-10): classes, members and rules.

Severity mapping (ANSM level → rxsafe), the ANSM level is kept in ``SourceCite.level``:

| ANSM level | rxsafe |
|---|---|
| CONTRE-INDICATION | contraindicated |
| Association DECONSEILLEE | major |
| Précaution d'emploi | moderate |
| A prendre en compte / Il convient de prendre en compte | minor |

An entry can carry more than one level, each with its condition (``CONTRE-INDICATION: entre l'oxybate de sodium et
les opiacés`` / ``A prendre en compte: pour tous les médicaments sédatifs entre eux``). The higher levels apply only
under conditions the checker cannot see in a prescription (a named co-drug, a dose band, an ulcer history), so the
rule takes the entry's lowest level — the one that holds for the pair in general — and cites every level, each
with its condition in the management text, so a reader sees when it becomes more serious. Taking the highest made
every pair of sedatives "contraindicated" (diazepam + chlorphenamine), which is neither what ANSM says nor an
alert a prescriber can act on; other sources grading the pair higher still win (severity = max across sources).

Text: ANSM's French ``interaction_mechanism`` states the risk (consequence, often with its mechanism) and the
level's ``info`` the conduct (management). The English of the 2016 WorldVistA translation is used where the
same pair is found there at the same level; otherwise the French is kept, prefixed "[FR] ".
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rxsafe.knowledge.build.ansm_bridge import ANSM_DIR, FrenchBridge
from rxsafe.knowledge.build.class_support import (
    fold,
    one_line,
    read_atc,
    read_data_csv,
    split_list,
    stable_id,
)
from rxsafe.knowledge.build.rows import (
    AliasRow,
    ClassRow,
    Contribution,
    MemberRow,
    NameIndex,
    RuleRow,
    SourceCite,
)

SOURCE = "ANSM thesaurus 2020-10"
THESAURUS_FILE = "ansm_thesaurus_interactions_2020-10.json"
INDEX_FILE = "ansm_index_substances_2020-10.json"
ENGLISH_FILE = "worldvista_ansm2016_english_interactions.tsv"
CLASS_MAP_FILE = "ansm_class_atc_map.csv"
CLASS_NAMES_FILE = "ansm_class_names_en.csv"

SEVERITY_BY_LEVEL = {
    "contre-indication": "contraindicated",
    "association deconseillee": "major",
    "precaution d'emploi": "moderate",
    "a prendre en compte": "minor",
    "il convient de prendre en compte": "minor",
}
SEVERITY_RANK = {"contraindicated": 4, "major": 3, "moderate": 2, "minor": 1}


def class_key(name: str) -> str:
    """Spelling-insensitive key of an ANSM class name (PDF extraction varies accents and "bêta- bloquants")."""
    return re.sub(r"-\s+", "-", fold(name))


def severity_of(level: str) -> str:
    """The rxsafe severity of an ANSM level; an unknown level is a source change the build must not guess."""
    try:
        return SEVERITY_BY_LEVEL[fold(level)]
    except KeyError as exc:
        raise ValueError(f"ANSM level not in the severity mapping: {level!r}") from exc


def _english_severity(text: str) -> str | None:
    # The 2016 translation spells its four levels many ways ("CONTRAINDICATON", "Nor recommended" …).
    lowered = fold(text).replace("0", "o")
    if lowered.startswith(("contraind", "contra-ind", "contrand")):
        return "contraindicated"
    if lowered.startswith(("not rec", "nor rec", "not reo")):
        return "major"
    if lowered.startswith("precaution"):
        return "moderate"
    if lowered.startswith(("take into", "tale into")):
        return "minor"
    return None


Concept = tuple[str, str]  # ("class", "ansm:…") or ("ingredient", inn)


@dataclass
class _Pair:
    """Everything the thesaurus says about one unordered pair of concepts."""

    headings: set[tuple[str, str]] = field(default_factory=set)
    levels: set[tuple[str, str]] = field(default_factory=set)  # (level as written, condition)
    risks: set[str] = field(default_factory=set)


class _Classes:
    """The ANSM classes: id spelling, English label and the keys that name them."""

    def __init__(self, index: list[dict[str, object]], headings: list[str]) -> None:
        spellings: dict[str, set[str]] = defaultdict(set)
        for entry in index:
            for name in _class_names(entry):
                spellings[class_key(name)].add(re.sub(r"-\s+", "-", one_line(name)).upper())
        for heading in headings:
            if class_key(heading) in spellings:
                spellings[class_key(heading)].add(re.sub(r"-\s+", "-", one_line(heading)))
        # Prefer the spelling with the most accents (the extraction sometimes drops them), then sort order.
        self.ids = {
            key: "ansm:" + min(names, key=lambda s: (-sum(not c.isascii() for c in s), s))
            for key, names in spellings.items()
        }
        self.english: dict[str, str] = {}
        self.by_english: dict[str, str] = {}
        for row in read_data_csv(CLASS_NAMES_FILE):
            key = class_key(row["ansm_class"])
            if key not in self.ids:
                raise ValueError(f"{CLASS_NAMES_FILE}: no ANSM class {row['ansm_class']!r}")
            self.english[key] = row["name_en"]
            for label in [row["name_en"], *split_list(row["en_aliases"])]:
                self.by_english[fold(label)] = self.ids[key]

    def id_of(self, name: str) -> str | None:
        return self.ids.get(class_key(name))


def _class_names(entry: dict[str, object]) -> list[str]:
    classes = entry.get("drug_classes", [])
    return [str(name) for name in classes] if isinstance(classes, list) else []


def _load_json(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as handle:
        data = json.load(handle)
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a JSON list")
    return data


def contribute(sources_dir: Path, names: NameIndex) -> Contribution:
    """Classes, members (index, ATC map) and rules of the ANSM thesaurus."""
    folder = sources_dir / ANSM_DIR
    entries = _load_json(folder / THESAURUS_FILE)
    index = _load_json(folder / INDEX_FILE)
    headings = sorted({str(e["main_drug"]) for e in entries} | {str(e["plus_drug"]) for e in entries})
    classes = _Classes(index, headings)
    bridge = FrenchBridge(sources_dir, names)
    out = Contribution()
    out.unmapped.extend((SOURCE, f"exception row not known to the index: {n}") for n in bridge.unresolved_exceptions)

    for key in sorted(classes.ids):
        out.classes.append(ClassRow(classes.ids[key], "ansm", classes.english.get(key, ""), "", SOURCE))
    _index_members(index, classes, bridge, out)
    _atc_members(sources_dir, names, classes, out)
    rules, unbridged_headings = _rules(entries, classes, bridge, names, folder)
    out.rules.extend(rules)
    out.unmapped.extend((SOURCE, f"heading: {h}") for h in unbridged_headings)
    out.members.sort()
    out.aliases.sort()
    out.rules.sort()
    out.unmapped.sort()
    return out


def _index_members(index: list[dict[str, object]], classes: _Classes, bridge: FrenchBridge, out: Contribution) -> None:
    members: set[MemberRow] = set()
    aliases: set[AliasRow] = set()
    unmapped: set[str] = set()
    for entry in index:
        substance = one_line(str(entry["substance"]))
        bridged = bridge.bridge(substance)
        if bridged is None:
            unmapped.add(substance)
            continue
        kind = "reviewed_exception" if bridged.via == "reviewed_exception" else "french"
        aliases.add(AliasRow(substance, bridged.inn, kind, SOURCE))
        for name in _class_names(entry):
            class_id = classes.id_of(name)
            if class_id:
                members.add(MemberRow(class_id, bridged.inn, SOURCE, "ansm_index"))
    out.members.extend(members)
    out.aliases.extend(aliases)
    out.unmapped.extend((SOURCE, f"substance: {name}") for name in sorted(unmapped))


def _atc_members(sources_dir: Path, names: NameIndex, classes: _Classes, out: Contribution) -> None:
    atc = read_atc(sources_dir, names)
    members: set[MemberRow] = set()
    for row in read_data_csv(CLASS_MAP_FILE):
        if row["kind"] != "atc":
            continue
        class_id = classes.id_of(row["ansm_class"])
        if class_id is None or row["code"] not in atc.names:
            raise ValueError(f"{CLASS_MAP_FILE}: unknown class or ATC code in {row}")
        for inn in atc.members(row["code"], split_list(row["exclude"])):
            members.add(MemberRow(class_id, inn, f"{SOURCE}; WHO ATC 2026-04-25", f"ansm_atc_map: {row['code']}"))
    out.members.extend(members)


def _concept(heading: str, classes: _Classes, bridge: FrenchBridge) -> Concept | None:
    # A heading that is also a class ("INSULINE") is a class rule: the class holds the substance and its kin.
    class_id = classes.id_of(heading)
    if class_id:
        return ("class", class_id)
    bridged = bridge.bridge(heading.lower())
    return ("ingredient", bridged.inn) if bridged else None


def _rules(
    entries: list[dict[str, object]],
    classes: _Classes,
    bridge: FrenchBridge,
    names: NameIndex,
    folder: Path,
) -> tuple[list[RuleRow], list[str]]:
    pairs: dict[tuple[Concept, Concept], _Pair] = defaultdict(_Pair)
    unmapped: set[str] = set()
    for entry in entries:
        main, plus = one_line(str(entry["main_drug"])), one_line(str(entry["plus_drug"]))
        a, b = _concept(main, classes, bridge), _concept(plus, classes, bridge)
        if a is None or b is None:
            unmapped.update(h for h, c in ((main, a), (plus, b)) if c is None)
            continue
        # The thesaurus lists each pair under both of its drugs; one rule per unordered pair.
        ordered = (a, b) if a <= b else (b, a)
        pair = pairs[ordered]
        pair.headings.add((main, plus) if a <= b else (plus, main))
        pair.risks.add(one_line(str(entry.get("interaction_mechanism", ""))))
        levels = entry.get("severity_levels", [])
        for level in levels if isinstance(levels, list) else []:
            pair.levels.add((one_line(str(level["level"])), one_line(str(level.get("info", "")))))
    english = _english_entries(folder, classes, names)
    rules = [_rule(concepts, pair, english.get(concepts, set())) for concepts, pair in sorted(pairs.items())]
    return rules, sorted(unmapped)


def _rule(concepts: tuple[Concept, Concept], pair: _Pair, english: set[tuple[str, str, str]]) -> RuleRow:
    (a_kind, a), (b_kind, b) = concepts
    levels = sorted(pair.levels, key=lambda lv: (-SEVERITY_RANK[severity_of(lv[0])], lv))
    # Several levels: conditional gradings of one interaction; the lowest is the unconditional one (docstring).
    severity = severity_of(levels[-1][0])
    reference = sorted(pair.headings)[0]
    sources = tuple(sorted({SourceCite(SOURCE, f"{reference[0]} + {reference[1]}", lv) for lv, _ in levels}))
    risk = " / ".join(r for r in sorted(pair.risks) if r)
    conduct = " ".join(f"{lv}: {info}" if len(levels) > 1 else info for lv, info in levels if info)
    consequence = f"[FR] {risk}" if risk else ""
    management = f"[FR] {conduct}" if conduct else ""
    # The 2016 English is used only for a single-level pair it states at the same level (its text may be stale
    # where the 2020 edition changed the grade). The translator rendered both directions of a pair separately;
    # the fuller rendering is kept.
    same_level = {(desc, comment) for sev, desc, comment in english if sev == severity}
    if len({lv for lv, _ in levels}) == 1 and same_level:
        desc, comment = max(same_level, key=lambda text: (len(text[0]) + len(text[1]), text))
        consequence = desc or consequence
        management = comment or management
    return RuleRow(
        rule_id=stable_id("ansm", a_kind, a, b_kind, b),
        a_kind=a_kind,
        a=a,
        b_kind=b_kind,
        b=b,
        severity=severity,
        consequence_en=consequence,
        management_en=management,
        sources=sources,
    )


def _english_entries(
    folder: Path, classes: _Classes, names: NameIndex
) -> dict[tuple[Concept, Concept], set[tuple[str, str, str]]]:
    """The 2016 English entries keyed like the French pairs: (severity, description, management)."""
    found: dict[tuple[Concept, Concept], set[tuple[str, str, str]]] = defaultdict(set)
    with (folder / ENGLISH_FILE).open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            sides: list[Concept] = []
            for side in ("1", "2"):
                class_name, drug = row[f"Drug {side} Class Name"].strip(), row[f"Drug {side} Name"].strip()
                class_id = classes.by_english.get(fold(class_name)) if class_name else None
                inn = names.to_inn(drug) if drug and not class_name else None
                if class_id:
                    sides.append(("class", class_id))
                elif inn:
                    sides.append(("ingredient", inn))
            severity = _english_severity(row["Severity"])
            if len(sides) == 2 and severity:
                key = (sides[0], sides[1]) if sides[0] <= sides[1] else (sides[1], sides[0])
                found[key].add((severity, one_line(row["Description"]), one_line(row["Comment"])))
    return found
