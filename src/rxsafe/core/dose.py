"""Dose arithmetic: from a strength and a dose text to one ingredient's single and daily dose in milligrams.

``2 viên/lần * 2 lần/ngày`` of a 500 mg tablet is 1000 mg a dose and 2000 mg a day; ``Sáng 1 viên, Tối 1 viên``
is two doses; ``500mg x 3 lần/ngày`` is already in milligrams; ``5 ml/lần`` of ``250mg/5ml`` is 250 mg.

The text is read into a ``DoseInstruction`` by ``rxsafe.matching.dose.parse_dose`` before the check (the application
layer puts it on each line and recorded medication); this module only does the arithmetic, and says why when it
cannot (``DoseFigures.problem``): a dose is never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rxsafe.core.enums import ResolutionStatus
from rxsafe.core.models import CheckedLine, DoseInstruction, PatientContext, ResolvedIngredient, Strength

# Mass units to milligrams. IU, mmol and % are not masses: a limit in mg cannot be compared with them.
MG_PER_UNIT = {"mg": 1.0, "g": 1000.0, "mcg": 0.001}
# Units that count dosage forms ("2 viên"): the dose is the count times the strength of one.
COUNT_UNITS = frozenset({"viên", "gói", "ống", "lọ", "chai", "tuýp", "miếng", "liều", "nhát", "xịt"})
_PER_VOLUME = re.compile(r"^(mg|g|mcg)/(\d+(?:[.,]\d+)?)?ml$")


@dataclass(frozen=True, slots=True)
class DoseFigures:
    """One ingredient's dose from one line or medication: per dose and per day in mg (None: not stated).

    ``problem`` says why the figures are missing ("dose text gives no amount", "strength unknown").
    """

    single_mg: float | None = None
    daily_mg: float | None = None
    basis: str = ""
    problem: str = ""


def dose_figures(
    instruction: DoseInstruction | None, ingredient: ResolvedIngredient, n_ingredients: int = 1
) -> DoseFigures:
    """The ingredient's single and daily dose from the parsed dose text and the ingredient's strength.

    >>> ing = ResolvedIngredient(inn="paracetamol", strength=Strength(value=500, unit="mg", text="500mg"))
    >>> twice = DoseInstruction(text="2 viên/lần * 2 lần/ngày", amount=2, unit="viên", doses_per_day=2)
    >>> dose_figures(twice, ing)
    DoseFigures(single_mg=1000.0, daily_mg=2000.0, basis='2 viên × 500 mg, 2 times a day', problem='')
    >>> dose_figures(None, ing).problem
    'the dose text gives no amount or frequency'
    """
    if instruction is None:
        return DoseFigures(problem="the dose text gives no amount or frequency")
    per_unit, how = _mg_per_unit(instruction.unit, ingredient.strength, n_ingredients)
    if per_unit is None:
        return DoseFigures(problem=how)
    single = instruction.amount * per_unit if instruction.amount is not None else None
    if instruction.schedule:
        single = max(v for _, v in instruction.schedule) * per_unit
    daily, times = _daily(instruction, per_unit)
    if single is None and daily is None:
        return DoseFigures(problem="the dose text gives no amount per dose or per day")
    amount = f"{instruction.amount:g} {instruction.unit}" if instruction.amount is not None else instruction.unit
    return DoseFigures(single_mg=single, daily_mg=daily, basis=f"{amount}{how}{times}")


def _mg_per_unit(unit: str, strength: Strength | None, n_ingredients: int) -> tuple[float | None, str]:
    """Milligrams of the ingredient in one unit of the dose, and how that was worked out (or why not)."""
    if unit in MG_PER_UNIT:
        if n_ingredients > 1:
            # "500mg" of a combination product does not say how much of each ingredient.
            return None, f"a dose in {unit} of a combination product does not give each ingredient's amount"
        return MG_PER_UNIT[unit], ""
    if strength is None or strength.value is None:
        return None, "the strength of the product is not known"
    strength_unit = strength.unit.lower()
    if unit in COUNT_UNITS and strength_unit in MG_PER_UNIT:
        per = strength.value * MG_PER_UNIT[strength_unit]
        return per, f" × {per:g} mg"
    volume = _PER_VOLUME.match(strength_unit)
    if unit == "ml" and volume is not None:
        per_ml = strength.value * MG_PER_UNIT[volume.group(1)] / float((volume.group(2) or "1").replace(",", "."))
        return per_ml, f" × {per_ml:g} mg/ml"
    return None, f"a dose in «{unit or '?'}» cannot be converted with the strength «{strength.text}»"


def _daily(instruction: DoseInstruction, per_unit: float) -> tuple[float | None, str]:
    if instruction.schedule:
        return sum(v for _, v in instruction.schedule) * per_unit, f", {len(instruction.schedule)} times a day"
    if instruction.amount is not None and instruction.doses_per_day is not None:
        return instruction.amount * instruction.doses_per_day * per_unit, f", {instruction.doses_per_day} times a day"
    if instruction.stated_daily is not None:
        return instruction.stated_daily * per_unit, " (stated daily total)"
    return None, ""


def total_daily(figures: Sequence[DoseFigures]) -> float | None:
    """The sum of daily doses, or None when any is unknown (a partial sum would understate the total)."""
    if not figures or any(f.daily_mg is None for f in figures):
        return None
    return sum(f.daily_mg or 0.0 for f in figures)


@dataclass(frozen=True, slots=True)
class IngredientDose:
    """One occurrence of an ingredient, new (``line_index``) or recorded (``medication_id``), with its figures."""

    text: str
    figures: DoseFigures
    line_index: int | None = None
    medication_id: str = ""


def ingredient_doses(inn: str, lines: Sequence[CheckedLine], context: PatientContext) -> list[IngredientDose]:
    """Every new line and active medication that holds ``inn``, with its dose: the daily total adds them all.

    Two paracetamol products on one prescription, or a new one beside a recorded one, add up.
    """
    found: list[IngredientDose] = []
    for line in lines:
        if line.resolution.status is not ResolutionStatus.RESOLVED:
            continue
        for ingredient in line.resolution.ingredients:
            if ingredient.inn == inn:
                figures = dose_figures(line.dose, ingredient, len(line.resolution.ingredients))
                found.append(IngredientDose(text=line.line.text, figures=figures, line_index=line.index))
    for active in context.active_medications:
        for ingredient in active.resolution.ingredients:
            if ingredient.inn == inn:
                med = active.medication
                figures = dose_figures(active.dose, ingredient, len(active.resolution.ingredients))
                found.append(IngredientDose(text=med.text, figures=figures, medication_id=med.id))
    return found
