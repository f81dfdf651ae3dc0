"""Korea's national DUR 병용금기 (contraindicated combinations), HIRA/MFDS, February 2026.

Every row of ``dur_conc_bann.tsv`` (1,628) becomes a ``contraindicated`` rule (``major`` for the
14 rows whose remark limits the prohibition to a dose band, patient group or treatment phase the line does not
show), cited ``HIRA DUR (KR)`` with the level as written (병용금기): a national contraindication list, like
QĐ 5948 (SEVERITY.md says why). Sides are English ingredient names; a side may be a fixed combination
(``a + b``, ``a+b``), carry an alternative name in parentheses (``rifampicin(rifampin)``) or a Korean
qualifier (``midazolam(경구)`` = oral). A combination whose components all map is a ``combination`` side;
a name that does not map is kept as an ``unmapped`` side, so no row is dropped.

The reason (``condi_rsn``) and the remark (``rmrk_cn``, e.g. "48시간 이내 병용금기") are Korean. They are shown in
Korean with the pair's English ingredient names; where the reviewed table ``data/kr_dur_translations.csv``
translates the whole phrase, the English and Vietnamese translation is shown, marked "rxsafe reviewed
translation", with the Korean original beside it. Nothing is machine-translated.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, replace
from pathlib import Path

from rxsafe.knowledge.build.class_support import one_line, read_data_csv
from rxsafe.knowledge.build.rows import Contribution, NameIndex, RuleRow, SourceCite

SOURCE = "HIRA DUR (KR)"
LEVEL = "병용금기"
FILE = Path("korea-dur-hira") / "dur_conc_bann.tsv"
TRANSLATIONS_FILE = "kr_dur_translations.csv"
TRANSLATION_MARK = "rxsafe reviewed translation"
# Remarks that make the prohibition hold only under a condition a prescription line does not show (a weekly
# methotrexate dose band, a patient group, a treatment phase): graded ``major`` with the condition in the text,
# as ANSM's conditional levels are (SEVERITY.md). Timing remarks ("48시간 이내 병용금기") keep the prohibition.
_CONDITIONAL_REMARK = re.compile(
    r"^(methotrexate 1주에 \d+mg 이상 투여시|75세 이상 남성|만성 림프구성 백혈병 환자에서)"
)
CONDITIONAL_SEVERITY = "major"
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
_PAREN = re.compile(r"\(([^()]*)\)")


@dataclass(frozen=True)
class Translation:
    """A reviewed translation of one whole Korean phrase."""

    en: str
    vi: str


def read_translations() -> dict[str, Translation]:
    """Korean phrase (whitespace collapsed) → its reviewed English and Vietnamese translation."""
    return {one_line(r["ko"]): Translation(r["en"], r["vi"]) for r in read_data_csv(TRANSLATIONS_FILE)}


def _name_forms(name: str) -> tuple[list[str], str]:
    """Names to try for one side part (most literal first) and its Korean qualifier ("" when none)."""
    qualifiers = [q.strip() for q in _PAREN.findall(name) if _HANGUL.search(q)]
    alternatives = [q.strip() for q in _PAREN.findall(name) if q.strip() and not _HANGUL.search(q)]
    bare = one_line(_PAREN.sub(" ", name))
    forms = [bare, *alternatives] if bare else alternatives
    return forms, "; ".join(qualifiers)


def _map_part(part: str, names: NameIndex) -> tuple[str | None, str]:
    forms, qualifier = _name_forms(part)
    for form in forms:
        inn = names.to_inn(form)
        if inn is not None:
            return inn, qualifier
    return None, qualifier


def map_side(name: str, names: NameIndex) -> tuple[str, str, str]:
    """(kind, concept, Korean qualifier) of one DUR side: ``ingredient``, ``combination`` or ``unmapped``."""
    parts = [p.strip() for p in name.split("+") if p.strip()]
    inns: list[str] = []
    qualifiers: list[str] = []
    for part in parts:
        inn, qualifier = _map_part(part, names)
        if qualifier:
            qualifiers.append(qualifier)
        if inn is None:
            return "unmapped", name.strip(), "; ".join(qualifiers)
        inns.append(inn)
    unique = sorted(set(inns))
    if not unique:
        return "unmapped", name.strip(), ""
    if len(unique) == 1:
        return "ingredient", unique[0], "; ".join(qualifiers)
    return "combination", " + ".join(unique), "; ".join(qualifiers)


def _texts(korean: str, pair: str, translations: dict[str, Translation]) -> tuple[str, str]:
    """(English, Vietnamese) display of a Korean reason: translated when reviewed, else Korean with the pair."""
    if not korean:
        return "", ""
    found = translations.get(one_line(korean))
    if found is not None:
        return (
            f"{found.en} ({pair}; {TRANSLATION_MARK} of the HIRA DUR text: {korean})",
            f"{found.vi} ({pair}; bản dịch đã duyệt của rxsafe, nguyên văn HIRA DUR: {korean})",
        )
    return f"{pair}: {korean} (HIRA DUR text in Korean; no reviewed translation)", ""


def contribute(sources_dir: Path, names: NameIndex) -> Contribution:
    """One contraindicated rule per DUR row; unmapped names reported and kept as ``unmapped`` sides."""
    out = Contribution()
    translations = read_translations()
    reported: set[str] = set()
    with (sources_dir / FILE).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    for row in rows:
        name_1, name_2 = row["igrd_nm_1"].strip(), row["igrd_nm_2"].strip()
        sides = [map_side(name_1, names), map_side(name_2, names)]
        for (kind, _concept, _), raw in zip(sides, (name_1, name_2), strict=True):
            if kind == "unmapped" and raw not in reported:
                reported.add(raw)
                out.unmapped.append((SOURCE, raw))
        pair = f"{name_1} + {name_2}"
        qualifiers = "; ".join(q for _, _, q in sides if q)
        reason_en, reason_vi = _texts(one_line(row["condi_rsn"]), pair, translations)
        remark = one_line(row["rmrk_cn"])
        condition = "; ".join(t for t in (qualifiers, remark) if t)
        management_en, management_vi = _texts(condition, pair, translations)
        reference = f"cth_condi_sn {row['cth_condi_sn'].strip()} {pair}"
        out.rules.append(
            RuleRow(
                rule_id="",
                a_kind=sides[0][0],
                a=sides[0][1],
                b_kind=sides[1][0],
                b=sides[1][1],
                severity=CONDITIONAL_SEVERITY if _CONDITIONAL_REMARK.match(remark) else "contraindicated",
                consequence_en=reason_en,
                consequence_vi=reason_vi,
                management_en=management_en,
                management_vi=management_vi,
                sources=(SourceCite(SOURCE, reference, LEVEL),),
            )
        )
    out.rules = _to_culprit_components(out.rules)
    return out


def _to_culprit_components(rules: list[RuleRow]) -> list[RuleRow]:
    """A fixed-combination side reduced to the components that the list bans with the other side on their own.

    The DUR bans "simvastatin + amlodipine" (the combination product) with clarithromycin and, in a row of its
    own, simvastatin with clarithromycin. A ``combination`` side reaches a pair through *any* component, so the
    combination row would ban amlodipine with clarithromycin, which no source says (ANSM: association
    déconseillée; DDInter: moderate). Where the list bans a component with the other side in a row of its own, the
    combination row becomes a rule on that component (it merges with the component's row and stays cited); a
    combination none of whose components has such a row keeps the combination side (SEVERITY.md).
    """
    single = {frozenset((r.a, r.b)) for r in rules if r.a_kind == r.b_kind == "ingredient"}
    out: list[RuleRow] = []
    for rule in rules:
        if {rule.a_kind, rule.b_kind} != {"combination", "ingredient"}:
            out.append(rule)
            continue
        combination, other = (rule.a, rule.b) if rule.a_kind == "combination" else (rule.b, rule.a)
        culprits = [c for c in combination.split(" + ") if frozenset((c, other)) in single]
        if not culprits:
            out.append(rule)
            continue
        out.extend(replace(rule, a_kind="ingredient", a=c, b_kind="ingredient", b=other) for c in culprits)
    return out


def mapping_report(rules: list[RuleRow]) -> tuple[int, int]:
    """(rows whose both sides map to ingredients or combinations, all rows) of this source."""
    full = sum(1 for r in rules if r.a_kind != "unmapped" and r.b_kind != "unmapped")
    return full, len(rules)
