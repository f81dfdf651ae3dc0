"""DentRx (MIT): sourced maximum doses and paediatric age restrictions → dose_limits.tsv, age_restrictions.tsv.

Only the explicit ``max_single`` / ``max_daily`` fields of the analgesic rules are read: they are label maxima
(ADA 2024/2023, AAPD, BNF/BNFC). Recommended doses are not maxima and are never used as limits; the antibiotic and
endocarditis-prophylaxis caps are specific to a dental indication (``max 500 mg`` per dose of amoxicillin for a
dental infection) and are left out, as is naproxen sodium (a salt-specific figure; Vietnamese lines state the
strength of naproxen or of its salt). Age bands: ``age_min_years`` is inclusive, ``age_max_years`` exclusive.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from rxsafe.knowledge.build.context import BuildContext
from rxsafe.knowledge.build.rows import AgeRestrictionRow, DoseLimitRow, PatientRules, SourceCite

FOLDER = "dentrx-dental-dosing"
SOURCE = "DentRx 0.1.0"
_MASS = re.compile(r"^(?:up to\s+)?(\d+(?:\.\d+)?)\s*(mg|g)$")
_PER_KG = re.compile(r"(\d+(?:\.\d+)?)\s*mg/kg/day")
_CAP = re.compile(r"(?:not to exceed|max)\s+(\d+(?:\.\d+)?)\s*(mg|g)\b")
_AGE_LIMIT = re.compile(r"^(\w+) in children < (\d+) years$")
# The salt-specific or combined names the module leaves out, and why (printed by the build).
_LEFT_OUT = {"naproxen sodium": "salt-specific maximum (naproxen sodium); lines may state naproxen base"}


def contribute(ctx: BuildContext) -> PatientRules:
    """Dose limits and age restrictions from the analgesic rules."""
    folder = ctx.sources_dir / FOLDER
    sources = _sources(folder)
    out = PatientRules()
    data = json.loads((folder / "analgesics.json").read_text(encoding="utf-8"))
    for rule in data["rules"]:
        cite_primary = "; ".join(sources.get(key, key) for key in rule.get("sources", []))
        population = rule.get("population", {})
        for option in rule.get("recommendation", {}).get("options", []):
            for component in option.get("components", []):
                _limits(ctx, out, rule, population, component, cite_primary)
        for text in rule.get("contraindications", []) or []:
            _restriction(ctx, out, rule, text, cite_primary)
    for name in ("therapeutic_infection.json", "prophylaxis_ie.json"):
        out.skipped.append((SOURCE, f"{name}: dose caps specific to a dental indication, not general maxima"))
    return out


def _sources(folder: Path) -> dict[str, str]:
    data = json.loads((folder / "sources.json").read_text(encoding="utf-8"))
    return {key: str(value.get("citation") or value.get("title") or key) for key, value in data["sources"].items()}


def _limits(  # noqa: PLR0917 -- private, one call site
    ctx: BuildContext,
    out: PatientRules,
    rule: dict[str, Any],
    population: dict[str, Any],
    component: dict[str, Any],
    primary: str,
) -> None:
    drug = str(component.get("drug", ""))
    fields = [
        (basis, component[key]) for basis, key in (("single", "max_single"), ("daily", "max_daily")) if key in component
    ]
    if not fields:
        return
    if drug in _LEFT_OUT:
        out.skipped.append((SOURCE, f"{rule['id']} {drug}: {_LEFT_OUT[drug]}"))
        return
    inn = ctx.names.to_inn(drug)
    if inn is None:
        out.skipped.append((SOURCE, f"{rule['id']} {drug}: name not bridged to an INN"))
        return
    for basis, text in fields:
        parsed = _parse_limit(basis, str(text))
        if parsed is None:
            out.skipped.append((SOURCE, f"{rule['id']} {drug} {basis}: cannot read {text!r}"))
            continue
        row_basis, limit, cap = parsed
        out.dose_limits.append(
            DoseLimitRow(
                limit_id=f"dentrx:{rule['id']}:{inn}:{row_basis}",
                inn=inn,
                basis=row_basis,
                limit_mg=f"{limit:g}",
                cap_mg=f"{cap:g}" if cap is not None else "",
                min_age=_age(population.get("age_min_years")),
                max_age=_age(population.get("age_max_years")),
                population=f"{rule['jurisdiction']} {population.get('group', '')}".strip(),
                context=str(rule.get("scenario", {}).get("indication", "")).replace("_", " "),
                source=SourceCite(SOURCE, f"analgesics.json {rule['id']} ({primary})", f"max_{basis} {text}"),
            )
        )


def _parse_limit(basis: str, text: str) -> tuple[str, float, float | None] | None:
    """("single" | "daily" | "daily_per_kg", limit in mg (or mg/kg), absolute cap in mg or None)."""
    mass = _MASS.match(text.strip())
    if mass is not None:
        return basis, _mg(mass.group(1), mass.group(2)), None
    per_kg = _PER_KG.search(text)
    if per_kg is not None and basis == "daily":
        cap = _CAP.search(text)
        return "daily_per_kg", float(per_kg.group(1)), _mg(cap.group(1), cap.group(2)) if cap else None
    return None


def _mg(number: str, unit: str) -> float:
    return float(number) * (1000.0 if unit == "g" else 1.0)


def _age(value: object) -> str:
    return f"{float(value):g}" if isinstance(value, int | float) else ""


def _restriction(ctx: BuildContext, out: PatientRules, rule: dict[str, Any], text: str, primary: str) -> None:
    match = _AGE_LIMIT.match(text.strip())
    if match is None:
        return
    inn = ctx.names.to_inn(match.group(1))
    if inn is None:
        out.skipped.append((SOURCE, f"{rule['id']}: {text!r} names no known ingredient"))
        return
    out.age_restrictions.append(
        AgeRestrictionRow(
            rule_id=f"dentrx:{rule['id']}:{inn}",
            inn=inn,
            below_age=match.group(2),
            # The source lists it under contraindications (FDA Drug Safety Communication, 20 April 2017).
            severity="contraindicated",
            text_en=f"Contraindicated: {text}. {rule.get('rationale', '')}".strip(),
            text_vi=f"Chống chỉ định {inn} ở trẻ dưới {match.group(2)} tuổi.",
            source=SourceCite(SOURCE, f"analgesics.json {rule['id']} ({primary})", "contraindication"),
        )
    )
