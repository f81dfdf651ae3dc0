"""Dose: above a sourced maximum single or daily dose, or above mg/kg/day for a child with a known weight.

The daily total adds every new line and active medication of the ingredient (two paracetamol products). A limit
applies to its age band only; a drug no source gives a limit for is "not covered". Exceeding a sourced maximum is
``major`` (rxsafe policy, knowledge/SEVERITY.md): a warning that the prescriber must see, not a block by default.
"""

from __future__ import annotations

from collections.abc import Sequence

from rxsafe.core.checks.occurrence import medication_entry
from rxsafe.core.checks.patient import Outcome, Patient, line_ingredients, patient_conflict
from rxsafe.core.dose import IngredientDose
from rxsafe.core.enums import ConflictKind, Severity
from rxsafe.core.knowledge_port import DoseLimit, Knowledge
from rxsafe.core.models import CheckedLine, Conflict, Evidence, LocalizedText, RecordEntry
from rxsafe.core.policy import Policy

CHECK = "dose"
SEVERITY = Severity.MAJOR


def dose_check(patient: Patient, lines: Sequence[CheckedLine], knowledge: Knowledge, policy: Policy) -> Outcome:
    """Dose conflicts and coverage, line by line."""
    out = Outcome()
    found: dict[str, Conflict] = {}
    facts = patient.facts
    for line, ingredient in line_ingredients(lines):
        inn = ingredient.inn
        held = {i.inn for i in line.resolution.ingredients}
        # A limit written for a combination product (HIRA DUR, per component) binds only a line holding it.
        limits = [lim for lim in knowledge.dose_limits(inn) if set(lim.combination) <= held]
        if not limits:
            out.gap(
                line.index,
                CHECK,
                en=f"no dose source for {inn}",
                vi=f"chưa có nguồn liều tối đa cho {inn}",
                notice=True,
            )
            continue
        if facts.age_years is None:
            out.gap(line.index, CHECK, en="age unknown: dose limits depend on age", vi="chưa rõ tuổi", notice=True)
            continue
        applicable = [lim for lim in limits if _in_band(lim, facts.age_years)]
        if not applicable:
            out.gap(
                line.index,
                CHECK,
                en=f"no sourced dose limit for {inn} at age {facts.age_years:.0f}",
                vi=f"chưa có nguồn liều tối đa cho {inn} ở tuổi {facts.age_years:.0f}",
                notice=True,
            )
            continue
        doses = patient.doses(inn)
        this = next(d for d in doses if d.line_index == line.index)
        missing: list[str] = []
        if this.figures.problem:
            missing.append(f"dose text cannot be read ({this.figures.problem})")
        # Limits exceeded, by what they limit (one dose, or the day): one conflict each, citing every source.
        exceeded_by: dict[bool, list[tuple[DoseLimit, str]]] = {}
        for limit in applicable:
            exceeded, why = _compare(limit, this, _holding(limit, doses, patient), facts.weight_kg)
            if why and not this.figures.problem:
                missing.append(why)
            if exceeded is not None:
                exceeded_by.setdefault(limit.basis != "single", []).append((limit, exceeded))
        for daily, hits in sorted(exceeded_by.items()):
            conflict = _conflict(daily=daily, hits=hits, this=this, doses=doses, patient=patient, policy=policy)
            found.setdefault(conflict.id, conflict)
        if missing:
            out.gap(
                line.index,
                CHECK,
                en="; ".join(dict.fromkeys(missing)),
                vi="không tính được liều: " + "; ".join(dict.fromkeys(missing)),
                notice=True,
            )
        else:
            out.ran.append((line.index, CHECK))
    out.conflicts.extend(found.values())
    return out


def _holding(limit: DoseLimit, doses: list[IngredientDose], patient: Patient) -> list[IngredientDose]:
    """The doses a limit adds up: all of the ingredient, or for a combination product's limit that product's only."""
    if not limit.combination:
        return doses
    wanted = set(limit.combination)
    lines = {line.index: {i.inn for i in line.resolution.ingredients} for line in patient.lines}
    meds = {a.medication.id: {i.inn for i in a.resolution.ingredients} for a in patient.context.active_medications}
    return [
        d
        for d in doses
        if wanted <= (lines.get(d.line_index, set()) if d.line_index is not None else meds.get(d.medication_id, set()))
    ]


def _in_band(limit: DoseLimit, age: float) -> bool:
    return (limit.min_age is None or age >= limit.min_age) and (limit.max_age is None or age < limit.max_age)


def _compare(  # noqa: PLR0911 -- one decision table: each return is one outcome
    limit: DoseLimit, this: IngredientDose, doses: list[IngredientDose], weight: float | None
) -> tuple[str | None, str]:
    """(what was exceeded, or None; why the limit could not be checked, or "")."""
    if limit.basis == "single":
        single = this.figures.single_mg
        if single is None:
            return None, "the single dose is not stated"
        if single > limit.limit_mg:
            return f"single dose {single:g} mg > {limit.limit_mg:g} mg", ""
        return None, ""
    ceiling = limit.limit_mg
    label = f"{limit.limit_mg:g} mg/day"
    if limit.basis == "daily_per_kg":
        if weight is None:
            return None, "no weight on record for a mg/kg limit"
        ceiling = limit.limit_mg * weight
        label = f"{limit.limit_mg:g} mg/kg/day × {weight:g} kg = {ceiling:g} mg/day"
        if limit.cap_mg is not None and limit.cap_mg < ceiling:
            ceiling, label = limit.cap_mg, f"{limit.cap_mg:g} mg/day (cap of {limit.limit_mg:g} mg/kg/day)"
    if this.figures.daily_mg is None:
        return None, "the daily dose is not stated"
    known = [d for d in doses if d.figures.daily_mg is not None]
    total = sum(d.figures.daily_mg or 0.0 for d in known)
    if total > ceiling:
        across = f" across {len(known)} products" if len(known) > 1 else ""
        return f"daily total {total:g} mg{across} > {label}", ""
    unread = [d.text for d in doses if d.figures.daily_mg is None]
    if unread:
        return None, "daily total incomplete: no readable dose for " + ", ".join(f"«{t}»" for t in unread)
    return None, ""


def _conflict(
    *,
    daily: bool,
    hits: list[tuple[DoseLimit, str]],
    this: IngredientDose,
    doses: list[IngredientDose],
    patient: Patient,
    policy: Policy,
) -> Conflict:
    inn = hits[0][0].inn
    involved = doses if daily else [this]
    indexes = tuple(sorted({d.line_index for d in involved if d.line_index is not None}))
    entries: tuple[RecordEntry, ...] = tuple(
        medication_entry(a)
        for a in patient.context.active_medications
        if daily and any(d.medication_id == a.medication.id for d in involved)
    )
    said = "; ".join(
        f"{exceeded} ({limit.population}{'; ' + limit.context if limit.context else ''})" for limit, exceeded in hits
    )
    return patient_conflict(
        ConflictKind.DOSE,
        SEVERITY,
        policy,
        line_indexes=indexes,
        drugs=(inn,),
        rule_id=f"dose:{inn}:{'daily' if daily else 'single'}",
        title=LocalizedText(vi=f"Liều vượt mức tối đa: {inn}", en=f"Dose above the maximum: {inn}"),
        detail=LocalizedText(
            vi=f"{inn}: {said}.",
            en=f"{inn}: {said}. This line's dose read as {this.figures.basis}.",
        ),
        management=LocalizedText(
            vi="Giảm liều hoặc khoảng cách dùng; tính tổng mọi chế phẩm chứa cùng hoạt chất.",
            en="Reduce the dose or frequency; count every product that contains the ingredient.",
        ),
        evidence=tuple(
            Evidence(
                source=limit.source.source,
                reference=limit.source.reference,
                rule_id=limit.limit_id,
                source_level=limit.source.level,
            )
            for limit, _ in hits
        ),
        record_entries=entries,
    )
