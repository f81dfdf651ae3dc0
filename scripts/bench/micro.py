"""In-process measurements: name resolution per prescription line, and record-import throughput.

Both run before the servers start, so they have the box to themselves.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from rxsafe.core.enums import AllergyStatus, MatchMethod, ResolutionStatus, Sex
from rxsafe.core.models import Allergy, Medication, PatientRecord, PrescriptionLine
from rxsafe.ehr.duckdb_store import DuckDBRecordStore
from rxsafe.ehr.xml130 import parse_xml130
from rxsafe.matching.port import Resolver

# Spelled as written in Vietnam; each resolves by an exact path (INN, Vietnamese spelling, synonym or brand).
EXACT_LINES: tuple[str, ...] = (
    "Amoxicilin 500mg",
    "Amlodipin 5mg",
    "Metformin 500mg",
    "Omeprazol 20mg",
    "Atorvastatin 20mg",
    "Losartan 50mg",
    "Bisoprolol 2,5mg",
    "Aspirin 81mg",
    "Clopidogrel 75mg",
    "Furosemid 40mg",
    "Paracetamol 500mg x 2 viên/lần",
    "Cefuroxim 500mg",
    "Clarithromycin 500mg",
    "Digoxin 0,25mg",
    "Vitamin B1 100mg",
    "Kali clorid 600mg",
    "Amoxicilin 500mg (Hagimox)",
    "Cotrimoxazol 480mg",
)
# Misspelt beyond what spelling normalization fixes, so they need the fuzzy fallback. Which lines actually take it
# depends on the matcher of the day, so the harness sorts the lines by the method the resolver reports.
FUZZY_LINES: tuple[str, ...] = (
    "Amoxicilinn 500mg",
    "Clarithromycine 250mg",
    "Azitromycin 500mg",
    "Ciproflocxacin 500mg",
    "Metfomin 500mg",
    "Atorvastatim 20mg",
    "Amlodipn 5mg",
    "Losatan 50mg",
    "Bisoprolon 2,5mg",
    "Paracetamon 500mg",
    "Diclofenak 50mg",
    "Clopidogel 75mg",
    "Levofloxacim 500mg",
    "Prednisolom 5mg",
    "Glicazid 30mg",
    "Metronidazon 250mg",
)


@dataclass(frozen=True)
class ResolveFigures:
    """Median and p99 µs per line for one group, and how many distinct lines went that way."""

    lines: int
    calls: int
    median_us: float
    p99_us: float


def _median_p99(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def resolve_timings(resolver: Resolver, rounds: int) -> tuple[ResolveFigures, ResolveFigures, list[str]]:
    """Times ``resolve_line`` on every line ``rounds`` times; groups by the method the resolver actually used.

    Returns exact figures, fuzzy figures, and notes on lines that did not go the way their list expected (an
    "exact" line resolved fuzzily, a "fuzzy" line resolved exactly or not at all), so a matcher change that moves
    lines between paths is visible rather than silently skewing the medians.
    """
    samples: dict[bool, list[float]] = {False: [], True: []}
    lines_by_path: dict[bool, set[str]] = {False: set(), True: set()}
    notes: list[str] = []
    for text in EXACT_LINES + FUZZY_LINES:
        line = PrescriptionLine(text=text)
        resolution = resolver.resolve_line(line)  # also warms any lazy structure before timing
        if resolution.status is not ResolutionStatus.RESOLVED:
            notes.append(f"{text!r}: {resolution.status.value}, not timed")
            continue
        fuzzy = resolution.method is MatchMethod.FUZZY
        if fuzzy != (text in FUZZY_LINES):
            notes.append(f"{text!r}: resolved by {resolution.method.value}, timed as {'fuzzy' if fuzzy else 'exact'}")
        lines_by_path[fuzzy].add(text)
        for _ in range(rounds):
            t0 = time.perf_counter_ns()
            resolver.resolve_line(line)
            samples[fuzzy].append((time.perf_counter_ns() - t0) / 1e3)

    def figures(fuzzy: bool) -> ResolveFigures:
        if not samples[fuzzy]:
            return ResolveFigures(0, 0, float("nan"), float("nan"))
        median, p99 = _median_p99(samples[fuzzy])
        return ResolveFigures(len(lines_by_path[fuzzy]), len(samples[fuzzy]), median, p99)

    return figures(False), figures(True), notes


@dataclass(frozen=True)
class ImportFigures:
    """Upserting synthetic patients one by one, as an importer would: totals and rates."""

    patients: int
    rows: int
    seconds: float
    # True when the time cap stopped the import before all the requested patients were written.
    capped: bool = False

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds

    @property
    def patients_per_second(self) -> float:
        return self.patients / self.seconds


_IMPORT_DRUGS = (
    "Amlodipin 5mg",
    "Metformin 500mg",
    "Omeprazol 20mg",
    "Atorvastatin 20mg",
    "Losartan 50mg",
    "Bisoprolol 2,5mg",
    "Aspirin 81mg",
    "Furosemid 40mg",
    "Gliclazid 30mg",
    "Paracetamol 500mg",
    "Clopidogrel 75mg",
    "Allopurinol 300mg",
)
MEDICATIONS_PER_IMPORTED_PATIENT = 10


def _import_record(n: int, today: date) -> PatientRecord:
    # Personal IDs 000 0 ... with province 000 (none exists) and a range the bench patient does not use.
    return PatientRecord(
        patient_id=f"000{100_000_000 + n:09d}",
        name=f"BENCH IMPORT {n}",
        birth_date=date(1940 + n % 60, 1 + n % 12, 1 + n % 28),
        sex=Sex.MALE if n % 2 else Sex.FEMALE,
        allergy_status=AllergyStatus.LISTED if n % 3 == 0 else AllergyStatus.NO_KNOWN_ALLERGIES,
        allergies=(Allergy(id="", allergen="Penicilin", reaction="nổi mề đay"),) if n % 3 == 0 else (),
        medications=tuple(
            Medication(
                id="",
                text=_IMPORT_DRUGS[(n + k) % len(_IMPORT_DRUGS)],
                start_date=today - timedelta(days=(n + k) % 60),
                days=30,
                dose_text="1 viên/lần * 1 lần/ngày",
            )
            for k in range(MEDICATIONS_PER_IMPORTED_PATIENT)
        ),
    )


def import_throughput(path: Path, patients: int, today: date, *, time_cap: float) -> ImportFigures:
    """Upserts up to ``patients`` records (10 medications each) into a fresh store at ``path``.

    Stops early after ``time_cap`` seconds, so a slow store cannot push the whole run past its time budget; the
    rate is then over the patients written. Rows counted: one patient row, its medication rows and its allergy
    rows. Records are built before the clock starts, so only the store is timed.
    """
    records = [_import_record(n, today) for n in range(patients)]
    written = rows = 0
    with DuckDBRecordStore(path) as store:
        started = time.perf_counter()
        deadline = started + time_cap
        for record in records:
            store.upsert_patient(record, source="bench import (synthetic)")
            written += 1
            rows += 1 + len(record.medications) + len(record.allergies)
            if time.perf_counter() >= deadline:
                break
        seconds = time.perf_counter() - started
    return ImportFigures(written, rows, seconds, capped=written < patients)


def xml2_import(rows: int) -> tuple[float, float]:
    """Seconds to parse and validate, then to write, one XML 130 envelope holding ``rows`` XML2 rows."""
    from scripts.bench_import import build  # noqa: PLC0415 -- the synthetic envelope builder lives there

    data = build(rows, 100, "20261101")
    with tempfile.TemporaryDirectory() as tmp, DuckDBRecordStore(Path(tmp) / "xml.duckdb") as store:
        started = time.perf_counter()
        parsed = parse_xml130(data, "bench.xml")
        parsed_at = time.perf_counter()
        counts = store.import_file(parsed)
        written_at = time.perf_counter()
    if parsed.fatal or parsed.rejections or counts is None:
        raise RuntimeError("the synthetic XML 130 envelope was not imported whole")
    return parsed_at - started, written_at - parsed_at
