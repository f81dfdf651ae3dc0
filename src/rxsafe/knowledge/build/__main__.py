"""``python -m rxsafe.knowledge.build [--sources DIR] [--out DIR]``: the sources to the compiled tables.

Each source module contributes rows; the build merges, sorts and writes them, then prints what it could not
map. Adding a source is one line in ``CONTRIBUTORS`` (or ``OPTIONAL_MODULES`` for modules with the plain
``contribute(sources_dir, names)`` signature).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from rxsafe.knowledge.build import (
    allergy_cross,
    allergy_groups,
    atc,
    betalactam,
    ddinter,
    dosing,
    drugbank,
    evidence,
    hira_dur,
    kr_dur,
    pregnancy,
    qd5948,
    stopp,
    vn_products,
    vn_registry,
)
from rxsafe.knowledge.build.context import BuildContext, Corrections
from rxsafe.knowledge.build.merge import Tables, merge
from rxsafe.knowledge.build.names import (
    SOURCE_EXCEPTIONS,
    VocabularyIndex,
    build_vocabulary,
    exception_aliases,
    fold,
    read_exceptions,
    read_merges,
)
from rxsafe.knowledge.build.rows import AliasRow, Contribution, PatientRules
from rxsafe.knowledge.build.write import write_tables

REPO_ROOT = Path(__file__).resolve().parents[4]
DEFAULT_SOURCES = REPO_ROOT.parent / "shared" / "knowledge-sources"
DEFAULT_OUT = REPO_ROOT / "knowledge"
DEFAULT_CORRECTIONS = REPO_ROOT / "knowledge" / "corrections.csv"

Contributor = Callable[[BuildContext], Contribution]


def _reviewed_names(ctx: BuildContext) -> Contribution:
    """The reviewed name exceptions as aliases (kind ``reviewed_exception``), so the matcher knows them too."""
    aliases = [AliasRow(n, inn, "reviewed_exception", SOURCE_EXCEPTIONS) for n, inn in exception_aliases(ctx.names)]
    return Contribution(aliases=aliases)


CONTRIBUTORS: tuple[tuple[str, Contributor], ...] = (
    ("who-atc-ddd", atc.contribute),
    ("drugbank", drugbank.contribute),
    ("qd5948", qd5948.contribute),
    ("ddinter", ddinter.contribute),
    ("betalactam", betalactam.contribute),
    ("allergy-groups", allergy_groups.contribute),
    ("allergy-cross-reactivity", allergy_cross.contribute),
    ("reviewed-names", _reviewed_names),
)

# Patient-level rules (issue 10): dose limits, age restrictions, pregnancy letters, STOPP/START.
PATIENT_CONTRIBUTORS: tuple[tuple[str, Callable[[BuildContext], PatientRules]], ...] = (
    ("dentrx", dosing.contribute),
    ("pregnancy", pregnancy.contribute),
    ("stopp-start", stopp.contribute),
    ("hira-dur", hira_dur.contribute),
)

# Source modules written against the plain signature ``contribute(sources_dir, names) -> Contribution``.
OPTIONAL_MODULES = ("ansm", "fda", "oscar", "crediblemeds", "kr_dur", "va_ndfrt", "derived_rules")


# Sources whose name coverage the build log reports (issue 14): label → what to call it.
MAPPING_REPORTS = {"kr_dur": "HIRA DUR 병용금기", "va_ndfrt": "VA NDF-RT"}


def _mapped(contribution: Contribution) -> tuple[int, int]:
    """(rules with no unmapped side, all rules) of one contribution."""
    rules = contribution.rules
    return sum(1 for r in rules if "unmapped" not in (r.a_kind, r.b_kind)), max(len(rules), 1)


def _optional(module_name: str) -> Contributor | None:
    try:
        module = importlib.import_module(f"rxsafe.knowledge.build.{module_name}")
    except ImportError as error:
        print(f"warning: source module {module_name} not available ({error}); skipped", file=sys.stderr)
        return None
    plain: Callable[[Path, VocabularyIndex], Contribution] = module.contribute
    return lambda ctx: plain(ctx.sources_dir, ctx.names)


def build_context(sources_dir: Path, corrections: Path) -> BuildContext:
    """The vocabulary (ATC + DrugBank + reviewed exceptions) and the corrections every module uses."""
    concepts, problems = build_vocabulary(
        atc.substances(atc.read_codes(sources_dir)), drugbank.read_entries(sources_dir), read_merges()
    )
    names = VocabularyIndex(concepts, read_exceptions())
    names.problems[:0] = problems
    return BuildContext(sources_dir, names, Corrections.load(corrections))


def build(sources_dir: Path, out_dir: Path, corrections: Path = DEFAULT_CORRECTIONS, verbose: bool = True) -> Tables:
    """Run every contributor, merge, write the tables; print the report when ``verbose``."""
    started = time.perf_counter()
    ctx = build_context(sources_dir, corrections)
    contributors: list[tuple[str, Contributor]] = list(CONTRIBUTORS)
    product_report = vn_products.ProductReport()
    registry_report = vn_registry.RegistryReport()
    contributors.append(("vn-products", lambda c: vn_products.contribute(c, product_report, registry_report)))
    for module_name in OPTIONAL_MODULES:
        optional = _optional(module_name)
        if optional is not None:
            contributors.append((module_name, optional))
    contributions: list[Contribution] = []
    log: list[str] = []
    for label, contribute in contributors:
        t0 = time.perf_counter()
        contribution = contribute(ctx)
        contributions.append(contribution)
        log.append(
            f"  {label}: {len(contribution.rules)} rules, {len(contribution.unmapped)} unmapped names "
            f"({time.perf_counter() - t0:.1f} s)"
        )
        if label == "qd5948":
            full, total = qd5948.mapping_report(contribution.rules)
            log.append(f"    QĐ 5948: {full} of {total} pairs map fully (ingredient or combination on both sides)")
        if label in MAPPING_REPORTS:
            full, total = _mapped(contribution)
            log.append(f"    {MAPPING_REPORTS[label]}: {full} of {total} rules map on both sides ({full / total:.1%})")
        if label == "kr_dur":
            translated = sum(1 for r in contribution.rules if kr_dur.TRANSLATION_MARK in r.consequence_en)
            log.append(f"    HIRA DUR reasons with a reviewed translation: {translated} of {len(contribution.rules)}")
    tables = merge(contributions)
    unclassified: set[str] = set()
    rules = (r for c in contributions for r in c.rules)
    tables.evidence_strength = evidence.strength_rows(rules, evidence.read_source_classes(), unclassified)
    log.extend(
        f"  evidence: source {s!r} not in data/evidence_sources.csv; counted as curated" for s in sorted(unclassified)
    )
    tables.manufacturer_words = vn_registry.manufacturer_words(tables.products, _drug_words(tables))
    tables.products = vn_registry.with_brand_keys(tables.products)
    log.append(
        f"  VN product sources: {dict(registry_report.mapped)} of {dict(registry_report.rows)} rows mapped fully; "
        f"registrations in several sources: {registry_report.agree} agree, {registry_report.disagree} disagree"
    )
    _add_patient_rules(ctx, tables, log)
    manifest = write_tables(tables, out_dir)
    if verbose:
        _report(ctx, contributions, tables, manifest, product_report, log, time.perf_counter() - started)
    return tables


def _drug_words(tables: Tables) -> set[str]:
    """Every word of every ingredient name and alias (folded): never taken for a manufacturer's word.

    DrugBank's synonyms are left out: they are long lists of trade and chemical names whose words collide with
    manufacturers' names (DrugBank's "Dong Quai" would stop "Đông", as in "Omeprazol Đông 20mg", being read as a
    manufacturer), and a prescription line does not write an ingredient by a DrugBank synonym after its INN.
    """
    words = {w for row in tables.ingredients for w in fold(f"{row.inn} {row.vi_name}").split()}
    words.update(w for row in tables.aliases if row.kind != "drugbank_synonym" for w in fold(row.alias).split())
    return words


def _add_patient_rules(ctx: BuildContext, tables: Tables, log: list[str]) -> None:
    """The patient-level tables: each row from one source, so nothing to merge; what was left out is logged."""
    for label, contribute in PATIENT_CONTRIBUTORS:
        rules = contribute(ctx)
        tables.dose_limits.extend(rules.dose_limits)
        tables.age_restrictions.extend(rules.age_restrictions)
        tables.pregnancy.extend(r for r in rules.pregnancy if r.source.source == pregnancy.SOURCE_FDA)
        tables.pregnancy_gnuhealth.extend(r for r in rules.pregnancy if r.source.source == pregnancy.SOURCE_GNU)
        tables.stopp_rules.extend(rules.stopp_rules)
        tables.dur_rules.extend(rules.dur_rules)
        log.append(
            f"  {label}: {len(rules.dose_limits)} dose limits, {len(rules.age_restrictions)} age restrictions, "
            f"{len(rules.pregnancy)} pregnancy letters, {len(rules.stopp_rules)} STOPP/START iterations"
            + (f", {len(rules.dur_rules)} DUR rule rows" if rules.dur_rules else "")
        )
        log.extend(f"    left out ({source}): {what}" for source, what in rules.skipped[:40])
        if len(rules.skipped) > 40:
            log.append(f"    … {len(rules.skipped) - 40} more left out")


def _report(  # noqa: PLR0917 -- one private call site; the report needs every part of the build
    ctx: BuildContext,
    contributions: list[Contribution],
    tables: Tables,
    manifest: list[tuple[str, int, str]],
    products: vn_products.ProductReport,
    log: list[str],
    seconds: float,
) -> None:
    print("knowledge build")
    print("\n".join(log))
    for file_name, rows, digest in manifest:
        print(f"  {file_name}: {rows} rows  {digest[:12]}")
    print(
        f"  VN products: {products.mapped} of {products.total} mapped fully; {products.partial} partly "
        f"(left out), {products.none} not at all"
    )
    unmapped = Counter(source for c in contributions for source, _ in c.unmapped)
    for source in sorted(unmapped):
        names = sorted({n for c in contributions for s, n in c.unmapped if s == source})
        shown = ", ".join(names[:15]) + (" …" if len(names) > 15 else "")
        print(f"  unmapped in {source}: {len(names)} distinct names: {shown}")
    for problem in [*ctx.names.problems[:10], *tables.problems[:20]]:
        print(f"  note: {problem}")
    if len(ctx.names.problems) > 10:
        print(f"  note: … {len(ctx.names.problems) - 10} more vocabulary notes")
    for stale in ctx.corrections.stale:
        print(f"  STALE correction: {stale}")
    for unused in ctx.corrections.unused():
        print(f"  unused correction: {unused}")
    print(f"  build time {seconds:.1f} s")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry."""
    parser = argparse.ArgumentParser(prog="python -m rxsafe.knowledge.build", description=__doc__)
    parser.add_argument("--sources", type=Path, default=DEFAULT_SOURCES, help="knowledge-sources directory")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory for the tables")
    parser.add_argument("--corrections", type=Path, default=DEFAULT_CORRECTIONS, help="corrections.csv")
    parser.add_argument("--quiet", action="store_true", help="print nothing")
    args = parser.parse_args(argv)
    build(args.sources, args.out, args.corrections, verbose=not args.quiet)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
