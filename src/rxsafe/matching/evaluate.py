"""Precision, recall and the wrong-match rate of name resolution on the labelled set (``rxsafe names eval``).

The labelled set (``tests/matching/labelled/vn_products_cases.tsv``, made by
``scripts/make_matching_labelled.py``) holds real Vietnamese products written the ways prescribers write
them. Products marked ``held_out`` are removed from the vocabulary before resolving, so they stand for
products the knowledge base does not list; that is what the two headline figures measure:

- **held-out INN with brand**: ``Amoxicilin 500mg (Hagimox)`` where Hagimox is unknown; the ingredients
  must still resolve (target >= 98%);
- **held-out brand alone**: ``Hagimox`` where Hagimox is unknown; the answer must be UNRESOLVED (or right),
  and a resolved wrong ingredient set counts against us (target <= 0.5%).

An answer is *right* only if the resolved ingredient set equals the expected set exactly: a combination
resolved to one of its ingredients misses the other, which is a wrong match, not a partial success.
An answer that names the same active moieties as another salt ("zinc" for a product labelled "zinc
citrate", "potassium chloride" for one labelled "potassium") is counted apart as *other salt*: not a
wrong drug, and not an exact answer either. Both figures are printed; the headline counts it as right.

>>> text = evaluate_command(Path("knowledge"), Path("tests/matching/labelled/vn_products_cases.tsv"))  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from rxsafe.core.enums import ResolutionStatus
from rxsafe.core.models import Resolution
from rxsafe.matching.resolver import NameResolver
from rxsafe.matching.vocabulary import brand_key, load_vocabulary

__all__ = [
    "BRAND_ALONE_KINDS",
    "INN_WITH_BRAND_KINDS",
    "KINDS",
    "EvalReport",
    "LabelledCase",
    "Outcome",
    "evaluate",
    "evaluate_command",
    "outcome",
    "read_cases",
]

# The ingredients written out, the brand in brackets (as Circular 26/2025 asks), in three renderings.
INN_WITH_BRAND_KINDS = ("inn_brand", "inn_brand_raw", "inn_brand_dose")
# The brand with no ingredient name next to it.
BRAND_ALONE_KINDS = ("brand", "brand_strength", "brand_typo", "brand_fold")
# Issue 15: lines as hospital systems print them (scripts/make_his_format_cases.py), in their own file beside
# the labelled set: an ingredient with a manufacturer word, "%"/"&" for "+", a brand with form and pack words.
HIS_INGREDIENT_KINDS = ("his_inn_maker", "his_combo_sep")
HIS_BRAND_KINDS = ("his_brand_form", "his_brand")
HIS_FILE = "his_format_cases.tsv"
KINDS = (*INN_WITH_BRAND_KINDS, "inn_typo", *BRAND_ALONE_KINDS, *HIS_INGREDIENT_KINDS, *HIS_BRAND_KINDS)
SPLITS = ("known", "held_out")


class Outcome(StrEnum):
    RIGHT = "right"
    OTHER_SALT = "other salt"
    WRONG = "wrong"
    AMBIGUOUS = "ambiguous"
    # Some ingredients identified (all of them expected), the rest said to be unidentified: not a wrong drug.
    PARTIAL = "partial"
    UNRESOLVED = "unresolved"


@dataclass(frozen=True, slots=True)
class LabelledCase:
    case_id: str
    kind: str
    split: str
    product_id: str
    text: str
    expected: frozenset[str]


@dataclass
class EvalReport:
    """Outcome counts per (split, kind), and the wrong answers for inspection."""

    counts: dict[tuple[str, str], Counter[Outcome]] = field(default_factory=dict)
    # Wrong and other-salt answers: the case, the ingredients answered, and which of the two it was.
    wrong: list[tuple[LabelledCase, tuple[str, ...], Outcome]] = field(default_factory=list)

    def total(self, split: str, kinds: Iterable[str]) -> Counter[Outcome]:
        out: Counter[Outcome] = Counter()
        for kind in kinds:
            out.update(self.counts.get((split, kind), Counter()))
        return out

    @property
    def held_out_inn_with_brand_rate(self) -> float:
        """Share of held-out ``INN strength (Brand)`` cases resolved to the right ingredients (or their salts)."""
        return _rate(self.total("held_out", INN_WITH_BRAND_KINDS), Outcome.RIGHT, Outcome.OTHER_SALT)

    @property
    def held_out_brand_alone_wrong_rate(self) -> float:
        """Share of held-out brand-alone cases resolved to a wrong drug (another active moiety)."""
        return _rate(self.total("held_out", BRAND_ALONE_KINDS), Outcome.WRONG)


def _rate(counts: Mapping[Outcome, int], *which: Outcome) -> float:
    n = sum(counts.values())
    return sum(counts.get(w, 0) for w in which) / n if n else 0.0


def read_cases(path: Path) -> list[LabelledCase]:
    """The labelled set's rows (TSV: case_id, kind, split, product_id, text, expected)."""
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            LabelledCase(
                case_id=r["case_id"],
                kind=r["kind"],
                split=r["split"],
                product_id=r["product_id"],
                text=r["text"],
                expected=frozenset(i.strip() for i in r["expected"].split(" | ") if i.strip()),
            )
            for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        ]


def outcome(
    resolution: Resolution, expected: frozenset[str], moiety: Callable[[str], str] = lambda inn: inn
) -> Outcome:
    """Right only for exactly the expected ingredient set; *other salt* when only the salts differ.

    >>> from rxsafe.core.models import ResolvedIngredient
    >>> r = Resolution(status=ResolutionStatus.RESOLVED, ingredients=(ResolvedIngredient(inn="zinc"),))
    >>> outcome(r, frozenset({"zinc"})), outcome(r, frozenset({"zinc", "ascorbic acid"}))
    (<Outcome.RIGHT: 'right'>, <Outcome.WRONG: 'wrong'>)
    >>> outcome(r, frozenset({"zinc citrate"}), {"zinc citrate": "zinc"}.get)  # doctest: +SKIP
    <Outcome.OTHER_SALT: 'other salt'>
    """
    if resolution.status is ResolutionStatus.AMBIGUOUS:
        return Outcome.AMBIGUOUS
    if resolution.status is ResolutionStatus.UNRESOLVED:
        return Outcome.UNRESOLVED
    got = {i.inn for i in resolution.ingredients}
    if resolution.partial:
        moieties = {moiety(i) for i in expected}
        return Outcome.PARTIAL if {moiety(i) for i in got} <= moieties else Outcome.WRONG
    if got == expected:
        return Outcome.RIGHT
    same_moieties = {moiety(i) for i in got} == {moiety(i) for i in expected}
    return Outcome.OTHER_SALT if same_moieties else Outcome.WRONG


def evaluate(knowledge: Path, cases: list[LabelledCase]) -> EvalReport:
    """Resolve every case against the vocabulary without the held-out products."""
    held_out = {c.product_id for c in cases if c.split == "held_out"}
    # Held-out brands leave the vocabulary by name too, whichever registration lists them: the project's
    # independent evaluation removed its products from the register and tender sources by product name.
    # A name that a known product also carries stays (the known product is in the table by that name).
    known_brands = {brand_key(c.text) for c in cases if c.split == "known" and c.kind == "brand"}
    held_brands = {c.text for c in cases if c.split == "held_out" and c.kind in ("brand", *HIS_BRAND_KINDS)}
    held_brands = {b for b in held_brands if brand_key(b) not in known_brands}
    vocabulary = load_vocabulary(knowledge, exclude_products=held_out, exclude_brands=held_brands)
    resolver = NameResolver(vocabulary)
    report = EvalReport()
    for case in cases:
        res = resolver.resolve_text(case.text)
        got = outcome(res, case.expected, vocabulary.moiety)
        report.counts.setdefault((case.split, case.kind), Counter())[got] += 1
        if got in (Outcome.WRONG, Outcome.OTHER_SALT):
            report.wrong.append((case, tuple(sorted(i.inn for i in res.ingredients)), got))
    return report


def _row(label: str, counts: Mapping[Outcome, int]) -> str:
    """Precision and recall count an other-salt answer as right (same drug); its share is shown apart."""
    n = sum(counts.values())
    right = counts.get(Outcome.RIGHT, 0) + counts.get(Outcome.OTHER_SALT, 0)
    wrong = counts.get(Outcome.WRONG, 0)
    precision = right / (right + wrong) if right + wrong else 1.0
    return (
        f"{label:<26} {n:>6} {precision:>9.2%} {_rate(counts, Outcome.RIGHT, Outcome.OTHER_SALT):>7.2%}"
        f" {_rate(counts, Outcome.OTHER_SALT):>6.2%} {_rate(counts, Outcome.WRONG):>7.2%}"
        f" {_rate(counts, Outcome.AMBIGUOUS):>9.2%} {_rate(counts, Outcome.PARTIAL):>7.2%}"
        f" {_rate(counts, Outcome.UNRESOLVED):>10.2%}"
    )


def format_report(report: EvalReport, show_wrong: int = 0) -> str:
    """The figures as text: per split and kind, then the two headline figures."""
    lines = [f"{'split/kind':<26} {'cases':>6} {'precision':>9} {'recall':>7} {'salt':>6} {'wrong':>7}"
             f" {'ambiguous':>9} {'partial':>7} {'unresolved':>10}"]  # fmt: skip
    for split in SPLITS:
        for kind in KINDS:
            counts = report.counts.get((split, kind))
            if counts:
                lines.append(_row(f"{split}/{kind}", counts))
        lines.append(_row(f"{split}/ALL", report.total(split, KINDS)))
    lines.append("")
    inn = report.total("held_out", INN_WITH_BRAND_KINDS)
    brand = report.total("held_out", BRAND_ALONE_KINDS)
    lines.append(f"HEADLINE held-out INN strength (Brand) resolved right: {report.held_out_inn_with_brand_rate:.2%}"
                 f" of {sum(inn.values())} (target >= 98%)")  # fmt: skip
    lines.append(f"HEADLINE held-out brand alone resolved wrong:          {report.held_out_brand_alone_wrong_rate:.2%}"
                 f" of {sum(brand.values())} (target <= 0.5%)")  # fmt: skip
    strict = _rate(brand, Outcome.WRONG, Outcome.OTHER_SALT)
    lines.append(f"         held-out brand alone, another salt also wrong: {strict:.2%} (strict reading)")
    his = report.total("held_out", HIS_INGREDIENT_KINDS)
    if his:
        his_brand = report.total("held_out", HIS_BRAND_KINDS)
        his_right = _rate(his, Outcome.RIGHT, Outcome.OTHER_SALT)
        lines.append(f"HEADLINE held-out HIS ingredient lines resolved right:  {his_right:.2%}"
                     f" of {sum(his.values())}, wrong {_rate(his, Outcome.WRONG):.2%}")  # fmt: skip
        his_wrong = _rate(his_brand, Outcome.WRONG)
        lines.append(f"         held-out brands of every source (alone, TAB. 30'S) wrong: {his_wrong:.2%}"
                     f" of {sum(his_brand.values())}")  # fmt: skip
    for case, got, kind in report.wrong[:show_wrong]:
        label = "OTHER SALT" if kind is Outcome.OTHER_SALT else "WRONG"
        lines.append(f"  {label} {case.split}/{case.kind}: {case.text!r} -> {' + '.join(got)}"
                     f" (expected {' + '.join(sorted(case.expected))})")  # fmt: skip
    return "\n".join(lines)


def evaluate_command(knowledge: Path, labelled: Path, show_wrong: int = 0) -> str:
    """What ``rxsafe names eval`` prints: the per-kind figures and the two headline figures."""
    cases = read_cases(labelled)
    his = labelled.parent / HIS_FILE
    if his.exists() and his != labelled:
        cases += read_cases(his)
    return format_report(evaluate(knowledge, cases), show_wrong)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--knowledge", type=Path, default=Path("knowledge"))
    parser.add_argument("--labelled", type=Path, default=Path("tests/matching/labelled/vn_products_cases.tsv"))
    parser.add_argument("--show-wrong", type=int, default=0, help="list up to N wrong answers")
    args = parser.parse_args()
    sys.stdout.write(evaluate_command(args.knowledge, args.labelled, args.show_wrong) + "\n")


if __name__ == "__main__":
    main()
