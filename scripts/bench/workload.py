"""The benchmark's synthetic data: one polypharmacy patient, a 5-line prescription, and the echo server's answer.

Everything here is invented. The personal ID has province code ``000``, which no province has (as the demo seed
does), so it can never collide with a real person. Drug texts are written the way a Vietnamese prescriber writes
them (Vietnamese spelling, ``,`` as the decimal separator), because that is what the name resolver sees in practice.
"""

from __future__ import annotations

from datetime import date, timedelta

from rxsafe.core.enums import AllergyStatus, Sex
from rxsafe.core.models import Allergy, Medication, PatientRecord
from rxsafe.gen import medication_safety_pb2 as pb

BENCH_PATIENT_ID = "000000009001"
BENCH_SOURCE = "bench (synthetic)"
# Every medication is a 90-day prescription started within the last month, so all 20 count as active.
MEDICATION_DAYS = 90

# The 20 current medications of an elderly cardiometabolic patient (several interact with the prescription below).
MEDICATION_TEXTS: tuple[str, ...] = (
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
)

# (allergen, reaction): two drug classes and one non-drug allergen, as they are written in Vietnamese records.
ALLERGIES: tuple[tuple[str, str], ...] = (
    ("Penicilin", "nổi mề đay"),
    ("Sulfamid", "phát ban"),
    ("hải sản", "ngứa, phù môi"),
)

# Five lines chosen to exercise every check: an allergy by class (amoxicillin/penicillin, co-trimoxazole/sulfonamide),
# interactions with the record (clarithromycin, ibuprofen with warfarin) and a duplicate therapy (esomeprazole).
PRESCRIPTION_TEXTS: tuple[str, ...] = (
    "Clarithromycin 500mg",
    "Amoxicilin 500mg (Hagimox)",
    "Cotrimoxazol 480mg",
    "Ibuprofen 400mg",
    "Esomeprazol 40mg",
)


def _start(today: date, n: int) -> date:
    # Spread the start dates over the last 30 days: recent, and still inside the 90-day window.
    return today - timedelta(days=1 + (n * 7) % 30)


def bench_patient(today: date) -> PatientRecord:
    """The synthetic patient as the record store holds it (ids empty: the store assigns row ids)."""
    return PatientRecord(
        patient_id=BENCH_PATIENT_ID,
        name="BỆNH NHÂN BENCH",
        birth_date=date(1948, 5, 17),
        sex=Sex.FEMALE,
        allergy_status=AllergyStatus.LISTED,
        allergies=tuple(
            Allergy(id="", allergen=allergen, reaction=reaction, recorded_date=date(2021, 3, 9))
            for allergen, reaction in ALLERGIES
        ),
        medications=tuple(
            Medication(
                id="",
                text=text,
                start_date=_start(today, n),
                days=MEDICATION_DAYS,
                dose_text="1 viên/lần * 1 lần/ngày",
            )
            for n, text in enumerate(MEDICATION_TEXTS)
        ),
        weight_kg=52.0,
    )


def _prescription() -> pb.Prescription:
    return pb.Prescription(
        lines=[
            pb.PrescriptionLine(text=text, quantity=14, dose_text="1 viên/lần * 2 lần/ngày", days=7)
            for text in PRESCRIPTION_TEXTS
        ],
        prescriber_id="000000-BENCH",
        facility_id="00000",
    )


def request_by_id() -> pb.CheckPrescriptionRequest:
    """A check of the 5-line prescription for the stored patient, loaded by personal ID."""
    return pb.CheckPrescriptionRequest(patient_id=BENCH_PATIENT_ID, prescription=_prescription())


def distinct_requests(count: int) -> list[pb.CheckPrescriptionRequest]:
    """``count`` checks of the stored patient, each prescription different (a note on the first line).

    None is answered from the service's memo: what memory and speed look like when prescriptions do not repeat.
    """
    requests = []
    for n in range(count):
        request = request_by_id()
        request.prescription.lines[0].text = f"{request.prescription.lines[0].text} (dose {n + 1})"
        requests.append(request)
    return requests


def request_inline(today: date) -> pb.CheckPrescriptionRequest:
    """The same check with the same patient given inline: no record-store read (the report is still stored)."""
    record = bench_patient(today)
    patient = pb.Patient(
        birth_date=record.birth_date.isoformat() if record.birth_date else "",
        sex=pb.SEX_FEMALE,
        allergy_status=pb.ALLERGY_STATUS_LISTED,
        allergies=[
            pb.Allergy(allergen=a.allergen, reaction=a.reaction, recorded_date=str(a.recorded_date or ""))
            for a in record.allergies
        ],
        medications=[
            pb.Medication(
                text=m.text,
                start_date=m.start_date.isoformat() if m.start_date else "",
                days=m.days or 0,
                dose_text=m.dose_text,
            )
            for m in record.medications
        ],
        weight_kg=record.weight_kg or 0.0,
    )
    return pb.CheckPrescriptionRequest(patient=patient, prescription=_prescription())


def _text(vi: str, en: str) -> pb.LocalizedText:
    return pb.LocalizedText(vi=vi, en=en)


def _conflict(n: int, kind: pb.ConflictKind, drugs: tuple[str, str], line: int, entry: str) -> pb.Conflict:
    a, b = drugs
    return pb.Conflict(
        id=f"c-{n:02d}-7f3a9c2e41b8",
        kind=kind,
        severity=pb.SEVERITY_MAJOR,
        formulary_level=3,
        interruptive=n < 2,
        line_indexes=[line],
        record_entries=[
            pb.RecordEntry(
                kind=pb.RECORD_ENTRY_KIND_MEDICATION,
                id=f"medication-{40 + n}",
                text=entry,
                start_date="2026-11-01",
                end_date="2027-01-29",
                status="active",
            )
        ],
        drugs=[a, b],
        title=_text(f"Tương tác thuốc: {a} + {b}", f"Drug interaction: {a} + {b}"),
        detail=_text(
            f"Dùng đồng thời {a} và {b} làm tăng nguy cơ tác dụng không mong muốn nghiêm trọng.",
            f"Concomitant use of {a} and {b} increases the risk of serious adverse effects.",
        ),
        mechanism=_text(
            f"{a} ức chế mạnh CYP3A4, làm tăng nồng độ {b} trong huyết tương.",
            f"{a} is a strong CYP3A4 inhibitor and raises plasma concentrations of {b}.",
        ),
        consequence=_text("Tăng nguy cơ chảy máu hoặc độc tính.", "Increased risk of bleeding or toxicity."),
        management=_text(
            "Tránh phối hợp; nếu bắt buộc, theo dõi chặt chẽ lâm sàng và xét nghiệm, cân nhắc giảm liều.",
            "Avoid the combination; if unavoidable, monitor closely and consider a dose reduction.",
        ),
        evidence=[
            pb.Evidence(
                source="QĐ 5948/QĐ-BYT",
                reference=f"STT {120 + n}",
                rule_id=f"byt5948-{120 + n}",
                source_level="Nguy hiểm",
            ),
            pb.Evidence(
                source="DDInter 2.0",
                reference=f"DDInter{1400 + n}",
                rule_id=f"ddinter-{1400 + n}",
                source_level="Major",
                via=f"{a} is a strong CYP3A4 inhibitor (ANSM class)",
            ),
        ],
    )


def echo_response() -> pb.CheckPrescriptionResponse:
    """A fixed, realistically sized answer: 5 resolved lines, 5 conflicts with bilingual texts and evidence."""
    pairs = (
        ("clarithromycin", "atorvastatin"),
        ("amoxicillin", "penicillins"),
        ("sulfamethoxazole", "sulfonamides"),
        ("ibuprofen", "warfarin"),
        ("esomeprazole", "omeprazole"),
    )
    kinds = (
        pb.CONFLICT_KIND_INTERACTION,
        pb.CONFLICT_KIND_ALLERGY,
        pb.CONFLICT_KIND_ALLERGY,
        pb.CONFLICT_KIND_INTERACTION,
        pb.CONFLICT_KIND_DUPLICATE_THERAPY,
    )
    lines = [
        pb.LineResult(
            index=i,
            text=text,
            status=pb.RESOLUTION_STATUS_RESOLVED,
            ingredients=[
                pb.Ingredient(
                    inn=pairs[i][0], strength=pb.Strength(value=500, unit="mg", text="500mg"), atc_codes=["J01FA09"]
                )
            ],
            match_method="exact_inn",
            match_score=100.0,
        )
        for i, text in enumerate(PRESCRIPTION_TEXTS)
    ]
    return pb.CheckPrescriptionResponse(
        check_id="chk-5b0e3f1c9a7d4e2f8b6a1c3d5e7f9a0b",
        verdict=pb.VERDICT_BLOCK,
        knowledge_version="f4e860298ace",
        lines=lines,
        conflicts=[_conflict(n, kinds[n], pairs[n], n, MEDICATION_TEXTS[n]) for n in range(5)],
        patient_id=BENCH_PATIENT_ID,
        record_version=1,
        checked_at="2026-11-26T13:20:04+07:00",
        as_of="2026-11-26",
        allergy_status=pb.ALLERGY_STATUS_LISTED,
        summary=_text(
            "DỪNG: 2 cảnh báo nghiêm trọng phải được xử lý hoặc ghi lý do bỏ qua trước khi lưu.",
            "STOP: 2 serious alert(s) must be resolved or overridden with a reason before saving.",
        ),
        policy="default-2026",
    )


def grpc_frame(message: bytes) -> bytes:
    """A gRPC length-prefixed message: flag 0 (uncompressed), 4-byte big-endian length, the bytes (for h2load)."""
    return b"\x00" + len(message).to_bytes(4, "big") + message
