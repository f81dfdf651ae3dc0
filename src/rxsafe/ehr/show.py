"""``rxsafe ehr show``: the patient as the checker sees it.

Allergies with what each resolved to; medications with their window on the check date and how it was inferred;
conditions; the latest weight and the latest value of each lab test. The same functions the check uses
(``Resolver``, ``core.window.infer_window``) produce it, so what is shown is what is checked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from rxsafe.core.enums import ResolutionStatus
from rxsafe.core.models import Observation, PatientRecord
from rxsafe.core.window import COUNTED_WINDOWS, infer_window
from rxsafe.ehr.identifiers import mask_personal_id
from rxsafe.matching.port import Resolver

LOINC_WEIGHT = "29463-7"


@dataclass
class PatientView:
    """Text lines by section, ready to print; ``as_json`` gives the same as data."""

    header: list[str] = field(default_factory=list)
    allergies: list[str] = field(default_factory=list)
    medications: list[str] = field(default_factory=list)
    conditions: list[str] = field(default_factory=list)
    indicators: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = list(self.header)
        for title, rows in (
            ("Allergies", self.allergies),
            ("Medications", self.medications),
            ("Conditions", self.conditions),
            ("Weight and latest results", self.indicators),
        ):
            out.append(f"{title}:")
            out += [f"  {r}" for r in rows] or ["  (none recorded)"]
        return out

    def as_json(self) -> dict[str, list[str]]:
        return {
            "patient": self.header,
            "allergies": self.allergies,
            "medications": self.medications,
            "conditions": self.conditions,
            "indicators": self.indicators,
        }


def patient_view(
    record: PatientRecord,
    resolver: Resolver,
    *,
    as_of: date,
    lookback_days: int,
    provenance: dict[str, tuple[str, str, int | None]] | None = None,
) -> PatientView:
    """The view of ``record`` on ``as_of``. ``provenance`` (entry id → file, table, row) adds "from …" notes."""
    where = provenance or {}

    def source(entry_id: str) -> str:
        found = where.get(entry_id)
        if found is None:
            return ""
        name, table, row = found
        return f" [from {name}" + (f" {table} row {row}" if table else "") + "]"

    view = PatientView()
    view.header = [
        f"Patient {mask_personal_id(record.patient_id)} (record version {record.record_version}) on {as_of}",
        f"born {record.birth_date or 'unknown'}, sex {record.sex.value.lower()}, allergy history "
        f"{record.allergy_status.value.lower().replace('_', ' ')}",
    ]
    for allergy in record.allergies:
        resolved = resolver.resolve_allergen(allergy.allergen)
        target = f"{resolved.kind.value} {resolved.concept}".strip() if resolved.concept else resolved.kind.value
        details = ", ".join(x for x in (allergy.allergy_type, allergy.reaction, allergy.severity) if x)
        view.allergies.append(
            f"{allergy.allergen} → {target} ({resolved.method.value})"
            + (f"; {details}" if details else "")
            + (f"; {allergy.verification_status}" if allergy.verification_status else "")
            + source(allergy.id)
        )
    for med in record.medications:
        window = infer_window(med, as_of, lookback_days)
        counted = "checked" if window.status in COUNTED_WINDOWS else "not checked"
        resolution = resolver.resolve_text(med.text)
        ingredients = (
            "+".join(i.inn for i in resolution.ingredients)
            if resolution.status is ResolutionStatus.RESOLVED
            else resolution.status.value.lower()
        )
        view.medications.append(
            f"{window.text} [{window.basis.value}; {counted}] → {ingredients}"
            + (f"; dose {med.dose_text}" if med.dose_text else "")
            + source(med.id)
        )
    for condition in record.conditions:
        when = f", {condition.onset_date}" if condition.onset_date else ""
        place = f", at {condition.place}" if condition.place else ""
        role = f" ({condition.role})" if condition.role else ""
        view.conditions.append(f"{condition.code or '-'} {condition.text}{role}{when}{place}".strip())
    view.indicators = _indicators(record)
    return view


def _indicators(record: PatientRecord) -> list[str]:
    lines = []
    if record.weight_kg is not None:
        lines.append(f"weight {record.weight_kg:g} kg")
    latest: dict[str, Observation] = {}
    for obs in record.observations:
        key = obs.code or obs.name
        if key == LOINC_WEIGHT:
            continue
        current = latest.get(key)
        if current is None or _when(obs) >= _when(current):
            latest[key] = obs
    for obs in sorted(latest.values(), key=lambda o: o.name or o.code):
        when = f" ({obs.effective:%Y-%m-%d})" if obs.effective else ""
        lines.append(f"{obs.name or obs.code}: {obs.value_text} {obs.unit}".rstrip() + when)
    return lines


def _when(obs: Observation) -> datetime:
    return obs.effective or datetime.min
