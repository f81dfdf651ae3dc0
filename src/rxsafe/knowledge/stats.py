"""``rxsafe knowledge stats``: what a knowledge folder holds, in numbers a reviewer can compare between builds.

Counts ingredients; rules by severity and by source; the ingredient pairs that only class rules reach (a
class or combination side expanded to its members, minus the pairs a direct pair rule already covers); and how
much of the knowledge a Vietnamese reader sees in Vietnamese.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from itertools import product
from pathlib import Path

from rxsafe.knowledge.patient_rules import PatientRuleIndex
from rxsafe.knowledge.tables import SEVERITIES, Rule, read_ingredients, read_members, read_rules, read_tsv, split_list

# Reported separately: the texts a pharmacist reads first are on the rules that interrupt.
_SERIOUS = ("contraindicated", "major")
_EXAMPLES = 5


@dataclass(frozen=True)
class ClassOnlyPairs:
    """Ingredient pairs reached through class (or combination) rules and by no direct pair rule."""

    total: int
    by_severity: dict[str, int]  # the highest severity any class rule gives the pair
    examples: tuple[tuple[str, str, str, str], ...]  # (a, b, severity, the rule's sides as written)


@dataclass(frozen=True)
class KnowledgeStats:
    """The numbers ``stats_command`` prints."""

    version_manifest: str
    ingredients: int
    ingredients_with_vi_name: int
    rules: int
    rules_by_severity: dict[str, int]
    rules_by_kind: dict[str, int]  # "ingredient/ingredient", "class/ingredient", …
    rules_by_source: dict[str, dict[str, int]]  # source → severity → rules citing it
    rules_needing_review: int
    serious_rules: int
    serious_with_vi_text: int
    contraindicated_with_vi_text: int
    class_only: ClassOnlyPairs = field(repr=False)
    salts_taking_parent_rules: int = 0  # moieties.tsv rows


def _side_members(kind: str, concept: str, members: dict[str, set[str]]) -> set[str]:
    """The ingredients a rule side stands for, as the loader reaches them (a combination: each component)."""
    if kind == "ingredient":
        return {concept}
    if kind == "class":
        return members.get(concept, set())
    if kind == "combination":
        return set(concept.split(" + "))
    return set()  # "unmapped": the side names no ingredient and reaches no pair


def class_only_pairs(rules: list[Rule], members: dict[str, set[str]]) -> ClassOnlyPairs:
    """Expand every class/combination rule to ingredient pairs; keep those no direct pair rule has.

    Pairs are encoded as integers (``low * n + high`` over an ingredient numbering) so the sets stay compact
    even when the expansion runs to millions of pairs.
    """
    numbering: dict[str, int] = {}

    def number(inn: str) -> int:
        return numbering.setdefault(inn, len(numbering))

    expanded: list[tuple[Rule, list[int], list[int]]] = []
    direct_raw: list[tuple[int, int]] = []
    for rule in rules:
        if rule.is_pair:
            direct_raw.append((number(rule.a), number(rule.b)))
            continue
        side_a = [number(i) for i in sorted(_side_members(rule.a_kind, rule.a, members))]
        side_b = [number(i) for i in sorted(_side_members(rule.b_kind, rule.b, members))]
        if side_a and side_b:
            expanded.append((rule, side_a, side_b))
    n = len(numbering) + 1
    direct = {min(x, y) * n + max(x, y) for x, y in direct_raw}

    seen: set[int] = set()
    new_by_severity: dict[str, set[int]] = {}
    # Highest severity first: a pair is counted once, under the highest severity any class rule gives it.
    for severity in SEVERITIES:
        found: set[int] = set()
        for rule, side_a, side_b in expanded:
            if rule.severity == severity:
                found.update(min(x, y) * n + max(x, y) for x, y in product(side_a, side_b) if x != y)
        new_by_severity[severity] = found - seen - direct
        seen |= new_by_severity[severity]

    # Examples: one pair from each of the first rules (highest severity first) that reach a class-only pair.
    names = {v: k for k, v in numbering.items()}
    examples: list[tuple[str, str, str, str]] = []
    for rule, side_a, side_b in sorted(expanded, key=lambda item: (SEVERITIES.index(item[0].severity), item[0].key)):
        if len(examples) >= _EXAMPLES:
            break
        wanted = new_by_severity[rule.severity]
        for x, y in product(side_a, side_b):
            if x != y and min(x, y) * n + max(x, y) in wanted:
                via = f"{rule.a_kind} {rule.a} × {rule.b_kind} {rule.b}"
                examples.append((names[x], names[y], rule.severity, via))
                break
    by_severity = {s: len(v) for s, v in new_by_severity.items()}
    return ClassOnlyPairs(total=len(seen), by_severity=by_severity, examples=tuple(examples))


def knowledge_stats(folder: Path) -> KnowledgeStats:
    """The statistics of the compiled tables in ``folder``."""
    ingredients = read_ingredients(folder)
    rules = read_rules(folder)
    members = read_members(folder)
    by_source: dict[str, Counter[str]] = {}
    for rule in rules:
        for source in rule.sources:
            by_source.setdefault(source, Counter())[rule.severity] += 1
    serious = [r for r in rules if r.severity in _SERIOUS]
    contraindicated = [r for r in rules if r.severity == "contraindicated"]
    # The version stamp as the loader computes it.
    manifest = (folder / "MANIFEST.tsv").read_bytes()

    return KnowledgeStats(
        version_manifest=hashlib.sha256(manifest).hexdigest()[:12],
        ingredients=len(ingredients),
        ingredients_with_vi_name=sum(1 for v in ingredients.values() if v),
        rules=len(rules),
        rules_by_severity={s: sum(1 for r in rules if r.severity == s) for s in SEVERITIES},
        rules_by_kind=dict(sorted(Counter("/".join(sorted((r.a_kind, r.b_kind))) for r in rules).items())),
        rules_by_source={s: {lv: c[lv] for lv in SEVERITIES} for s, c in sorted(by_source.items())},
        rules_needing_review=sum(1 for r in rules if r.needs_review),
        serious_rules=len(serious),
        serious_with_vi_text=sum(1 for r in serious if r.has_vi_text),
        contraindicated_with_vi_text=sum(1 for r in contraindicated if r.has_vi_text),
        class_only=class_only_pairs(rules, members),
        salts_taking_parent_rules=_data_rows(folder / "moieties.tsv"),
    )


def _data_rows(path: Path) -> int:
    """Rows of a table below its header; 0 for a table a build before it did not write."""
    if not path.exists():
        return 0
    with path.open(encoding="utf-8") as fh:
        return max(0, sum(1 for _ in fh) - 1)


def _share(part: int, whole: int) -> str:
    return f"{part} of {whole} ({100 * part / whole:.1f} %)" if whole else f"{part} of 0"


def format_stats(stats: KnowledgeStats) -> str:
    """The statistics as a plain-text report (fixed-width tables)."""
    width = max(len(s) for s in stats.rules_by_source) if stats.rules_by_source else 6
    lines = [
        f"knowledge version {stats.version_manifest}",
        f"ingredients: {stats.ingredients}",
        f"rules: {stats.rules} ({stats.rules_needing_review} need review)",
        f"salts or esters taking their parent's rules (moieties.tsv): {stats.salts_taking_parent_rules}",
        "",
        "rules by severity:",
        *(f"  {s:<16}{stats.rules_by_severity[s]:>9}" for s in SEVERITIES),
        "",
        "rules by side kinds:",
        *(f"  {k:<24}{c:>9}" for k, c in stats.rules_by_kind.items()),
        "",
        "rules by source (a rule citing two sources counts under both):",
        f"  {'source':<{width}}" + "".join(f"{s:>17}" for s in SEVERITIES) + f"{'total':>10}",
        *(
            f"  {source:<{width}}" + "".join(f"{counts[s]:>17}" for s in SEVERITIES) + f"{sum(counts.values()):>10}"
            for source, counts in stats.rules_by_source.items()
        ),
        "",
        f"ingredient pairs reached only through class rules: {stats.class_only.total}",
        *(f"  {s:<16}{stats.class_only.by_severity.get(s, 0):>9}" for s in SEVERITIES),
        "  for example:",
        *(f"    {a} + {b}: {sev} ({via})" for a, b, sev, via in stats.class_only.examples),
        "",
        "Vietnamese text:",
        "  contraindicated/major rules with Vietnamese text: "
        + _share(stats.serious_with_vi_text, stats.serious_rules),
        "  contraindicated rules with Vietnamese text: "
        + _share(stats.contraindicated_with_vi_text, stats.rules_by_severity["contraindicated"]),
        f"  ingredients with a Vietnamese name: {_share(stats.ingredients_with_vi_name, stats.ingredients)}",
    ]
    return "\n".join(lines) + "\n"


# --- coverage of the patient-level checks (issue 10) ------------------------------------------------------------


@dataclass(frozen=True)
class CheckCoverage:
    """How many ingredients one patient-level check can say something about, of all and of those on VN products."""

    check: str
    rows: int
    ingredients: int
    of_all: int
    on_products: int
    of_products: int


def patient_coverage(folder: Path) -> list[CheckCoverage]:
    """Per check: rows in its table(s) and the ingredients a rule reaches (STOPP rules through ATC codes)."""
    atc_of = {row["inn"]: split_list(row["atc_codes"]) for row in read_tsv(folder / "ingredients.tsv")}
    index = PatientRuleIndex(folder, atc_of)
    on_products = {inn for row in read_tsv(folder / "products.tsv") for inn in split_list(row["ingredients"])}
    on_products &= set(atc_of)
    by_kind: dict[str, set[str]] = {kind: set() for kind in ("renal", "age", "drug_disease")}
    for inn in atc_of:
        for rule in index.rules_of(inn):
            by_kind[rule.kind].add(inn)
    # Korea's DUR rules (issue 14) by kind: ingredients they reach, and their rows.
    dur: dict[str, tuple[int, set[str]]] = {}
    for inn, dur_rules in index.dur.items():
        for dur_rule in dur_rules:
            rows, inns = dur.get(dur_rule.kind.value, (0, set()))
            dur[dur_rule.kind.value] = (rows + 1, inns | {inn})
    no_dur: tuple[int, set[str]] = (0, set())
    reached = {
        "dose": (sum(len(v) for v in index.dose.values()), set(index.dose)),
        "renal": (sum(1 for r in index.rules if r.kind == "renal"), by_kind["renal"]),
        "pregnancy": (
            sum(len(v) for v in index.pregnancy.values()) + dur.get("pregnancy", no_dur)[0],
            set(index.pregnancy) | dur.get("pregnancy", no_dur)[1],
        ),
        "age": (
            sum(len(v) for v in index.age.values())
            + sum(1 for r in index.rules if r.kind == "age")
            + dur.get("age", no_dur)[0]
            + dur.get("elderly", no_dur)[0],
            by_kind["age"] | set(index.age) | dur.get("age", no_dur)[1] | dur.get("elderly", no_dur)[1],
        ),
        "duration": dur.get("duration", no_dur),
        "breastfeeding": dur.get("lactation", no_dur),
        "drug–disease": (sum(1 for r in index.rules if r.kind == "drug_disease"), by_kind["drug_disease"]),
        "omission (START)": (len(index.start), set()),
    }
    return [
        CheckCoverage(check, rows, len(inns), len(atc_of), len(inns & on_products), len(on_products))
        for check, (rows, inns) in reached.items()
    ]


def format_coverage(coverage: list[CheckCoverage]) -> str:
    """The coverage table ``rxsafe knowledge stats`` appends."""
    lines = [
        "",
        "patient-level checks: ingredients a sourced rule reaches (a drug outside them is reported 'not covered'):",
        f"  {'check':<18}{'rows':>7}  {'of all ingredients':<26}{'of ingredients on VN products'}",
        *(
            f"  {c.check:<18}{c.rows:>7}  {_share(c.ingredients, c.of_all):<26}{_share(c.on_products, c.of_products)}"
            for c in coverage
        ),
    ]
    return "\n".join(lines) + "\n"
