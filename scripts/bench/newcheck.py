"""New prescriptions (issue 16): thousands of distinct prescriptions, and patients with long medication lists.

Distinct 5-line prescriptions that no memo answers, and patients with 20, 50 and 200 active medications, for the
load cells and the in-process CPU per new check. Everything is invented, as in ``workload``: personal IDs with
province code ``000``. Drug texts are written the way a Vietnamese prescriber writes them.

Held out: the line pool is split in two. The profiling done for issue 16 used only ``TUNING_LINES`` with
``PROFILE_SEED``; the figures ``make bench`` prints draw from both halves with ``BENCH_SEED``, so half of the lines
measured were never looked at while tuning.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from rxsafe.app.service import SafetyService
from rxsafe.core.enums import AllergyStatus, Sex
from rxsafe.core.models import Allergy, Medication, PatientRecord
from rxsafe.gen import medication_safety_pb2 as pb
from rxsafe.service import convert

# Lines of new prescriptions: antibiotics, analgesics, gastro, respiratory, cardiovascular, CNS.
TUNING_LINES: tuple[str, ...] = (
    "Clarithromycin 500mg",
    "Amoxicilin 500mg (Hagimox)",
    "Cotrimoxazol 480mg",
    "Ibuprofen 400mg",
    "Esomeprazol 40mg",
    "Cefuroxim 500mg",
    "Ciprofloxacin 500mg",
    "Azithromycin 250mg",
    "Metronidazol 250mg",
    "Paracetamol 500mg",
    "Diclofenac 50mg",
    "Prednisolon 5mg",
    "Loratadin 10mg",
    "Domperidon 10mg",
    "Tramadol 50mg",
    "Fluconazol 150mg",
)
HELD_OUT_LINES: tuple[str, ...] = (
    "Levofloxacin 500mg",
    "Cefixim 200mg",
    "Doxycyclin 100mg",
    "Meloxicam 7,5mg",
    "Pantoprazol 40mg",
    "Methylprednisolon 16mg",
    "Cetirizin 10mg",
    "Metoclopramid 10mg",
    "Codein 30mg",
    "Ketoconazol 200mg",
    "Erythromycin 500mg",
    "Naproxen 250mg",
    "Famotidin 40mg",
    "Dexamethason 0,5mg",
    "Alverin 40mg",
    "Amitriptylin 25mg",
)

# Recorded medications of long lists: chronic treatment first (the 20 of the standard bench patient's kind), then
# more; a 200-medication list repeats drugs as refills with other dates, as long-stay records do.
MEDICATION_POOL: tuple[str, ...] = (
    "Amlodipin 5mg",
    "Metformin 500mg",
    "Omeprazol 20mg",
    "Atorvastatin 20mg",
    "Losartan 50mg",
    "Bisoprolol 2,5mg",
    "Aspirin 81mg",
    "Clopidogrel 75mg",
    "Furosemid 40mg",
    "Spironolacton 25mg",
    "Gliclazid 30mg",
    "Levothyroxin 100mcg",
    "Allopurinol 300mg",
    "Paracetamol 500mg",
    "Vitamin B1 100mg",
    "Calci carbonat 500mg",
    "Kali clorid 600mg",
    "Trimetazidin 35mg",
    "Warfarin 5mg",
    "Digoxin 0,25mg",
    "Enalapril 5mg",
    "Nifedipin 20mg",
    "Simvastatin 20mg",
    "Rosuvastatin 10mg",
    "Valsartan 80mg",
    "Carvedilol 6,25mg",
    "Metoprolol 50mg",
    "Hydroclorothiazid 25mg",
    "Indapamid 1,5mg",
    "Isosorbid mononitrat 30mg",
    "Glimepirid 2mg",
    "Sitagliptin 100mg",
    "Insulin glargin 100UI/ml",
    "Pantoprazol 40mg",
    "Ranitidin 150mg",
    "Sertralin 50mg",
    "Fluoxetin 20mg",
    "Diazepam 5mg",
    "Alprazolam 0,5mg",
    "Haloperidol 1,5mg",
    "Quetiapin 25mg",
    "Levetiracetam 500mg",
    "Carbamazepin 200mg",
    "Valproat natri 500mg",
    "Tamsulosin 0,4mg",
    "Finasterid 5mg",
    "Salbutamol 4mg",
    "Montelukast 10mg",
    "Theophyllin 100mg",
    "Prednisolon 5mg",
    "Methotrexat 2,5mg",
    "Tamoxifen 20mg",
    "Ondansetron 8mg",
    "Morphin 10mg",
    "Gabapentin 300mg",
    "Colchicin 1mg",
    "Acid folic 5mg",
    "Sắt sulfat 325mg",
    "Vitamin D3 1000UI",
    "Magnesi B6",
)

LOAD_PATIENT_ID = "000000009008"  # the shape: 8 recorded medications and one allergy
LIST_PATIENT_IDS = {20: "000000009020", 50: "000000009050", 200: "000000009200"}
BENCH_SOURCE = "bench (synthetic)"
PROFILE_SEED, BENCH_SEED = 1, 2


def _start(today: date, n: int) -> date:
    # Started within the last month (the 90-day prescriptions below are all still active).
    return today - timedelta(days=1 + (n * 7) % 30)


def patient(patient_id: str, medications: int, allergies: int, today: date) -> PatientRecord:
    """A stored patient with ``medications`` active medications (cycling the pool) and the first allergies."""
    listed = (("Penicilin", "nổi mề đay"), ("Sulfamid", "phát ban"), ("hải sản", "ngứa, phù môi"))[:allergies]
    return PatientRecord(
        patient_id=patient_id,
        name="BỆNH NHÂN BENCH",
        birth_date=date(1948, 5, 17),
        sex=Sex.FEMALE,
        allergy_status=AllergyStatus.LISTED,
        allergies=tuple(Allergy(id="", allergen=a, reaction=r, recorded_date=date(2021, 3, 9)) for a, r in listed),
        medications=tuple(
            Medication(
                id="",
                text=MEDICATION_POOL[n % len(MEDICATION_POOL)],
                # Refills of one drug start on other days, so each row is its own entry.
                start_date=_start(today, n) - timedelta(days=n // len(MEDICATION_POOL)),
                days=90,
                dose_text="1 viên/lần * 1 lần/ngày",
            )
            for n in range(medications)
        ),
        weight_kg=52.0,
    )


def stored_patients(today: date) -> list[PatientRecord]:
    """Every patient this module's figures use, to be written into the bench's DuckDB file."""
    return [
        patient(LOAD_PATIENT_ID, 8, 1, today),
        *(patient(pid, n, 3, today) for n, pid in LIST_PATIENT_IDS.items()),
    ]


def distinct_requests(patient_id: str, count: int, *, seed: int = BENCH_SEED) -> list[pb.CheckPrescriptionRequest]:
    """``count`` different 5-line prescriptions for the patient: lines, doses, days and quantities all vary.

    Drawn from both halves of the line pool (only the tuning half with ``PROFILE_SEED``); no two are equal, so
    the service's result memo never answers one. Line texts recur, as they do in practice.
    """
    pool = TUNING_LINES if seed == PROFILE_SEED else TUNING_LINES + HELD_OUT_LINES
    rng = random.Random(seed)  # noqa: S311 -- a reproducible workload, not a secret
    seen: set[tuple[tuple[str, int, int], ...]] = set()
    requests: list[pb.CheckPrescriptionRequest] = []
    while len(requests) < count:
        texts = rng.sample(pool, 5)
        doses = tuple((t, rng.randint(1, 3), rng.randint(3, 14)) for t in texts)
        if doses in seen:
            continue
        seen.add(doses)
        lines = [
            pb.PrescriptionLine(
                text=text, quantity=per_day * days, dose_text=f"1 viên/lần * {per_day} lần/ngày", days=days
            )
            for text, per_day, days in doses
        ]
        requests.append(
            pb.CheckPrescriptionRequest(
                patient_id=patient_id,
                prescription=pb.Prescription(lines=lines, prescriber_id="000000-BENCH", facility_id="00000"),
            )
        )
    return requests


@dataclass(frozen=True)
class CpuFigures:
    """In-process cost of new checks for one list length, per check in ms.

    ``cpu_ms`` is the calling thread's CPU: the check itself, from the wire message to the encoded answer and the
    stored form of the report (what a server's worker thread spends). ``process_cpu_ms`` adds every other thread:
    the check writer's DuckDB transaction, which one check at a time cannot share (a server's group commit does).
    Wall time is for reference.
    """

    medications: int
    checks: int
    cpu_ms: float
    process_cpu_ms: float
    # The patient's first check, which builds the record's side of the interaction graph (calling thread).
    first_cpu_ms: float
    wall_ms: float
    conflicts: float


def cpu_per_new_check(service: SafetyService, medications: int, checks: int, warmup: int = 20) -> CpuFigures:
    """Times ``checks`` new prescriptions, one at a time, for the stored patient with ``medications`` medications.

    Each goes as in the servicer: from the wire message, checked, stored and audited, encoded for the wire.
    """
    requests = distinct_requests(LIST_PATIENT_IDS[medications], warmup + checks)
    first = time.thread_time()
    convert.report_to_wire(service.check(convert.check_request_from_pb(requests[0])))
    first_ms = (time.thread_time() - first) * 1000
    # The patient's record, resolutions and graph, as a server that has been checking for the patient has them.
    for request in requests[1:warmup]:
        convert.report_to_wire(service.check(convert.check_request_from_pb(request)))
    conflicts = 0
    thread0, cpu0, wall0 = time.thread_time(), time.process_time(), time.perf_counter()
    for request in requests[warmup:]:
        report = service.check(convert.check_request_from_pb(request))
        convert.report_to_wire(report)
        conflicts += len(report.conflicts)
    thread, cpu, wall = time.thread_time() - thread0, time.process_time() - cpu0, time.perf_counter() - wall0
    per = 1000 / checks
    return CpuFigures(medications, checks, thread * per, cpu * per, first_ms, wall * per, conflicts / checks)


def bodies(requests: Sequence[pb.CheckPrescriptionRequest]) -> Iterator[bytes]:
    """The requests serialised, one after another (each is sent once)."""
    for request in requests:
        yield request.SerializeToString()
