"""Alert counts per prescription on a fixed, realistic workload: before tiers and after (issue 18).

The workload (``data/alert_workload.json``) holds everyday outpatient prescriptions on a few patient profiles, a
held-out part of them never used to choose a threshold, and the benchmark's polypharmacy patients with its
5-line prescription. Each is checked in process, inline (nothing stored), with the service's policy.

"Before" is what the report showed until tiers existed: every conflict in one list, the interruptive ones
blocking; so before, *act* is the interruptive conflicts and everything else was shown alike. "After" is the
tiers. The figures are the median and 90th percentile (nearest rank) of the count per prescription.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from rxsafe.app.requests import CheckRequest
from rxsafe.app.service import SafetyService
from rxsafe.core.enums import AllergyStatus, DisplayTier, Severity, Sex
from rxsafe.core.models import Allergy, ConflictReport, Medication, PatientRecord, Prescription, PrescriptionLine

WORKLOAD_FILE = Path(__file__).with_name("data") / "alert_workload.json"
# Targets of issue 18.
MAX_EVERYDAY_MEDIAN_SHOWN = 2
MAX_POLYPHARMACY_MEDIAN_SHOWN = 12
# The benchmark's own patient (20 medications, 5 new lines): shown on a line of its own, the worst case.
LARGEST_CASE = "bench-polypharmacy"


@dataclass(frozen=True)
class WorkloadCase:
    """One prescription of the workload: which set it is in, its split, and the request."""

    case_id: str
    group: str
    split: str
    request: CheckRequest


@dataclass(frozen=True)
class CaseCounts:
    """The conflicts of one checked prescription, counted before and after tiers."""

    case_id: str
    group: str
    split: str
    total: int
    interruptive: int
    act: int
    review: int
    info: int
    # Contraindicated or major conflicts in ``info``: must stay 0.
    serious_in_info: int

    @property
    def shown(self) -> int:
        """What a prescriber is shown first after tiers: act + review."""
        return self.act + self.review


@dataclass
class WorkloadFigures:
    """Every case's counts, and the summary lines of each set."""

    cases: list[CaseCounts] = field(default_factory=list)
    policy: str = ""

    def of(self, group: str, split: str | None = None) -> list[CaseCounts]:
        """The cases of one group (``everyday``/``polypharmacy``), optionally one split (``tune``/``holdout``)."""
        return [c for c in self.cases if c.group == group and (split is None or c.split == split)]


def load_workload(path: Path = WORKLOAD_FILE) -> list[WorkloadCase]:
    """The workload's cases, everyday first then polypharmacy, in file order."""
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    as_of = date.fromisoformat(data["as_of"])
    profiles = {name: _patient(name, p) for name, p in data["profiles"].items()}
    cases = []
    for group in ("everyday", "polypharmacy"):
        for item in data[group]:
            lines = tuple(
                PrescriptionLine(text=line["text"], dose_text=line.get("dose_text", ""), days=line.get("days"))
                for line in item["lines"]
            )
            request = CheckRequest(
                patient=profiles[item["profile"]], prescription=Prescription(lines=lines), as_of=as_of
            )
            cases.append(WorkloadCase(item["id"], group, item["split"], request))
    return cases


def _patient(name: str, profile: dict[str, Any]) -> PatientRecord:
    allergies = tuple(
        Allergy(id=f"{name}-allergy-{n}", allergen=allergen, reaction=reaction)
        for n, (allergen, reaction) in enumerate(profile["allergies"], start=1)
    )
    return PatientRecord(
        birth_date=date.fromisoformat(profile["birth_date"]),
        sex=Sex[profile["sex"]],
        weight_kg=profile.get("weight_kg"),
        allergy_status=AllergyStatus.LISTED if allergies else AllergyStatus.NO_KNOWN_ALLERGIES,
        allergies=allergies,
        medications=tuple(
            Medication(
                id=f"{name}-medication-{n}",
                text=m["text"],
                start_date=date.fromisoformat(m["start_date"]),
                days=m.get("days"),
                dose_text=m.get("dose_text", ""),
            )
            for n, m in enumerate(profile["medications"], start=1)
        ),
    )


def count(case: WorkloadCase, report: ConflictReport) -> CaseCounts:
    """One report's conflicts, counted by tier and by the old interruptive/shown split."""
    tiers = [c.tier for c in report.conflicts]
    return CaseCounts(
        case_id=case.case_id,
        group=case.group,
        split=case.split,
        total=len(report.conflicts),
        interruptive=sum(1 for c in report.conflicts if c.interruptive),
        act=tiers.count(DisplayTier.ACT),
        review=tiers.count(DisplayTier.REVIEW),
        info=tiers.count(DisplayTier.INFO),
        serious_in_info=sum(1 for c in report.conflicts if c.tier is DisplayTier.INFO and c.severity >= Severity.MAJOR),
    )


def measure(service: SafetyService, cases: Sequence[WorkloadCase]) -> WorkloadFigures:
    """Checks every case in process (inline patients: nothing is stored) and counts its conflicts."""
    figures = WorkloadFigures(policy=f"{service.policy.label}; {service.policy.tier_label}")
    for case in cases:
        figures.cases.append(count(case, service.check(case.request)))
    return figures


def percentile(values: Sequence[int], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return float(ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)])


def _median(values: Sequence[int]) -> float:
    return float(statistics.median(values)) if values else math.nan


def _cell(values: Sequence[int]) -> str:
    return f"{_median(values):>5g} /{percentile(values, 90):>4g}"


def format_figures(figures: WorkloadFigures) -> list[str]:
    """The figures as text lines: per set, median / p90 per prescription, before and after tiers, then targets."""
    lines = [
        f"alert counts per prescription (median / p90); policy: {figures.policy}",
        f"{'set':<34}{'n':>4}  {'before: blocking':>16}{'all shown':>12}  "
        f"{'after: act':>12}{'review':>12}{'info':>12}{'act+review':>12}",
    ]
    sets = (
        ("everyday outpatient (tune)", figures.of("everyday", "tune")),
        ("everyday outpatient (held out)", figures.of("everyday", "holdout")),
        ("everyday outpatient (all)", figures.of("everyday")),
        ("polypharmacy (bench patients)", figures.of("polypharmacy")),
        ("  of which the 20-medication one", [c for c in figures.of("polypharmacy") if c.case_id == LARGEST_CASE]),
    )
    for name, cases in sets:
        lines.append(
            f"{name:<34}{len(cases):>4}  {_cell([c.interruptive for c in cases]):>16}"
            f"{_cell([c.total for c in cases]):>12}  {_cell([c.act for c in cases]):>12}"
            f"{_cell([c.review for c in cases]):>12}{_cell([c.info for c in cases]):>12}"
            f"{_cell([c.shown for c in cases]):>12}"
        )
    lines += _targets(figures)
    return lines


def _targets(figures: WorkloadFigures) -> list[str]:
    everyday, held_out, poly = figures.of("everyday"), figures.of("everyday", "holdout"), figures.of("polypharmacy")
    serious = sum(c.serious_in_info for c in figures.cases)
    kept = all(c.act + c.review + c.info == c.total for c in figures.cases)
    checks = (
        (
            f"everyday: median act+review <= {MAX_EVERYDAY_MEDIAN_SHOWN}",
            _median([c.shown for c in everyday]),
            _median([c.shown for c in everyday]) <= MAX_EVERYDAY_MEDIAN_SHOWN,
        ),
        (
            f"everyday held out: median act+review <= {MAX_EVERYDAY_MEDIAN_SHOWN}",
            _median([c.shown for c in held_out]),
            _median([c.shown for c in held_out]) <= MAX_EVERYDAY_MEDIAN_SHOWN,
        ),
        (
            f"polypharmacy: median act+review <= {MAX_POLYPHARMACY_MEDIAN_SHOWN}",
            _median([c.shown for c in poly]),
            _median([c.shown for c in poly]) <= MAX_POLYPHARMACY_MEDIAN_SHOWN,
        ),
        ("contraindicated or major conflicts in info (must be 0)", float(serious), serious == 0),
    )
    lines = ["", "targets"]
    lines += [f"  {'PASS' if ok else 'MISS'}  {what}: {value:g}" for what, value, ok in checks]
    lines.append(f"  {'PASS' if kept else 'MISS'}  every conflict still in the response (act+review+info = all)")
    return lines
