"""Patient facts derived once per check: age, pregnancy, weight, kidney function, active diagnoses.

Pure: from the ``PatientRecord`` and the check date only. Each fact says where it came from and how old it was, so
the report can show what a check relied on ("eGFR 25 from creatinine of 2026-10-02, 54 days old").

Kidney function follows the published equations exactly, nothing tuned:

- eGFR, CKD-EPI 2021 creatinine equation without race (Inker LA et al., N Engl J Med 2021;385:1737-49):
  ``142 × min(Scr/κ, 1)^α × max(Scr/κ, 1)^-1.200 × 0.9938^age × 1.012 [female]``, κ 0.7 (F) / 0.9 (M),
  α -0.241 (F) / -0.302 (M); Scr in mg/dL; adults (18 years and over) only.
- Creatinine clearance, Cockcroft-Gault (Nephron 1976;16:31-41):
  ``(140 - age) × weight / (72 × Scr) × 0.85 [female]``, in mL/min.
"""

from __future__ import annotations

from datetime import date, timedelta

from rxsafe.core.enums import LactationStatus, PregnancyStatus, Sex
from rxsafe.core.models import Condition, FactUsed, Observation, PatientFacts, PatientRecord

# LOINC codes the importers and FHIR records use; names cover XML 130 results, which carry local codes.
WEIGHT_CODES = frozenset({"29463-7", "3141-9", "8335-2"})
CREATININE_CODES = frozenset({"2160-0", "14682-9", "38483-4", "59826-8", "77140-2"})
EGFR_CODES = frozenset({"62238-1", "98979-8", "33914-3", "48642-3", "48643-1", "50044-7", "88293-6", "88294-4"})
# Serum creatinine: 1 mg/dL = 88.42 µmol/L (molar mass 113.12 g/mol).
UMOL_PER_MG_DL = 88.42
# Clinical statuses that mean the diagnosis no longer holds (FHIR Condition.clinicalStatus).
INACTIVE_STATUSES = frozenset({"resolved", "inactive", "remission", "entered-in-error", "refuted"})
# Pregnancy lasts at most about 42 weeks (post-term, WHO ICD-10 O48): an older obstetric code says nothing of today.
PREGNANCY_MAX_DAYS = 42 * 7
# ICD-10 codes that say the patient is pregnant: chapter XV (O00-O99) and Z33-Z35 (pregnant state, supervision
# of normal and of high-risk pregnancy).
PREGNANCY_Z_CODES = ("Z33", "Z34", "Z35")


def derive_facts(record: PatientRecord, as_of: date) -> PatientFacts:
    """Every fact the patient-level checks use, derived once.

    >>> from rxsafe.core.models import PatientRecord
    >>> f = derive_facts(PatientRecord(birth_date=date(1946, 3, 1), sex=Sex.MALE), date(2026, 11, 25))
    >>> int(f.age_years), f.pregnancy.value
    (80, 'NOT_PREGNANT')
    """
    used: list[FactUsed] = []
    age = _age(record.birth_date, as_of)
    if age is not None:
        used.append(FactUsed(name="age", value=f"{age:.1f}", unit="years", basis=f"born {record.birth_date}"))
    diagnoses = _active_diagnoses(record.conditions, as_of)
    if diagnoses:
        used.append(FactUsed(name="active diagnoses", value=", ".join(c.code for c in diagnoses), basis="ICD-10"))
    pregnancy = _pregnancy(record, diagnoses, as_of, used)
    lactation = _lactation(record, used)
    weight, _ = _weight(record, as_of, used)
    creatinine = _creatinine(record.observations, as_of)
    scr: float | None = None
    egfr: float | None = None
    crcl: float | None = None
    if creatinine is not None:
        scr, observation = creatinine
        observed = observation.effective.date() if observation.effective else None
        used.append(
            _dated(
                "serum creatinine",
                f"{scr:.2f}",
                "mg/dL",
                observed,
                as_of,
                f"{observation.value_text} {observation.unit}",
            ).model_copy(update={"entry_id": observation.id})
        )
        egfr = ckd_epi_2021(scr, age, record.sex)
        if egfr is not None:
            used.append(_dated("eGFR", f"{egfr:.0f}", "mL/min/1.73m²", observed, as_of, "CKD-EPI 2021 (creatinine)"))
        crcl = cockcroft_gault(scr, age, weight, record.sex)
        if crcl is not None:
            used.append(_dated("CrCl", f"{crcl:.0f}", "mL/min", observed, as_of, "Cockcroft-Gault"))
    if egfr is None:
        egfr = _recorded_egfr(record.observations, as_of, used)
    return PatientFacts(
        as_of=as_of,
        age_years=age,
        sex=record.sex,
        pregnancy=pregnancy,
        lactation=lactation,
        weight_kg=weight,
        creatinine_mg_dl=scr,
        egfr=egfr,
        crcl=crcl,
        diagnoses=tuple(sorted({c.code.strip().upper() for c in diagnoses})),
        used=tuple(used),
    )


def ckd_epi_2021(scr_mg_dl: float, age: float | None, sex: Sex) -> float | None:
    """EGFR by CKD-EPI 2021 in mL/min/1.73m²; None for children, unknown age or sex.

    >>> round(ckd_epi_2021(1.0, 60, Sex.MALE))
    86
    >>> round(ckd_epi_2021(0.8, 50, Sex.FEMALE))
    90
    """
    if age is None or age < 18 or scr_mg_dl <= 0 or sex not in (Sex.MALE, Sex.FEMALE):
        return None
    female = sex is Sex.FEMALE
    kappa, alpha = (0.7, -0.241) if female else (0.9, -0.302)
    ratio = scr_mg_dl / kappa
    egfr = 142.0 * min(ratio, 1.0) ** alpha * max(ratio, 1.0) ** -1.200 * 0.9938**age
    return float(egfr * 1.012 if female else egfr)


def cockcroft_gault(scr_mg_dl: float, age: float | None, weight: float | None, sex: Sex) -> float | None:
    """Creatinine clearance by Cockcroft-Gault in mL/min; None without age, weight or sex.

    >>> round(cockcroft_gault(1.0, 80, 60, Sex.MALE))
    50
    """
    if age is None or age < 18 or weight is None or scr_mg_dl <= 0 or sex not in (Sex.MALE, Sex.FEMALE):
        return None
    clearance = (140 - age) * weight / (72 * scr_mg_dl)
    return clearance * 0.85 if sex is Sex.FEMALE else clearance


def _age(birth: date | None, as_of: date) -> float | None:
    if birth is None or birth > as_of:
        return None
    years = as_of.year - birth.year - ((as_of.month, as_of.day) < (birth.month, birth.day))
    last_birthday = _birthday(birth, birth.year + years)
    next_birthday = _birthday(birth, birth.year + years + 1)
    # Whole years plus the fraction of the current year: "11.9 years" matters for a "< 12 years" rule.
    return years + (as_of - last_birthday).days / (next_birthday - last_birthday).days


def _birthday(birth: date, year: int) -> date:
    try:
        return birth.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 3, 1)


def _active_diagnoses(conditions: tuple[Condition, ...], as_of: date) -> list[Condition]:
    return [
        c
        for c in conditions
        if c.code
        and c.clinical_status.strip().lower() not in INACTIVE_STATUSES
        and (c.onset_date is None or c.onset_date <= as_of)
    ]


def is_pregnancy_code(code: str) -> bool:
    """Whether an ICD-10 code says the patient is pregnant (O00-O99, Z33-Z35).

    >>> is_pregnancy_code("O24.4"), is_pregnancy_code("Z33"), is_pregnancy_code("N18.4")
    (True, True, False)
    """
    folded = code.strip().upper()
    return folded.startswith("O") or folded.startswith(PREGNANCY_Z_CODES)


def _pregnancy(record: PatientRecord, diagnoses: list[Condition], as_of: date, used: list[FactUsed]) -> PregnancyStatus:
    if record.sex is Sex.MALE:
        used.append(FactUsed(name="pregnancy", value="not applicable", basis="sex male"))
        return PregnancyStatus.NOT_PREGNANT
    coded = [
        c
        for c in diagnoses
        if is_pregnancy_code(c.code)
        and (c.onset_date is None or as_of - c.onset_date <= timedelta(days=PREGNANCY_MAX_DAYS))
    ]
    if coded:
        latest = max(coded, key=lambda c: c.onset_date or date.min)
        used.append(_dated("pregnancy", "pregnant", "", latest.onset_date, as_of, f"ICD-10 {latest.code}"))
        # A recorded "not pregnant" does not outweigh an active obstetric diagnosis: fail safe.
        return PregnancyStatus.PREGNANT
    if record.pregnancy_status is not PregnancyStatus.UNKNOWN:
        used.append(FactUsed(name="pregnancy", value=record.pregnancy_status.value.lower(), basis="recorded status"))
        return record.pregnancy_status
    return PregnancyStatus.UNKNOWN


def _weight(record: PatientRecord, as_of: date, used: list[FactUsed]) -> tuple[float | None, date | None]:
    observed = [
        o
        for o in record.observations
        if o.value is not None
        and o.value > 0
        and _is_weight(o)
        and (o.effective is None or o.effective.date() <= as_of)
    ]
    if observed:
        latest = max(observed, key=lambda o: o.effective.isoformat() if o.effective else "")
        when = latest.effective.date() if latest.effective else None
        value = latest.value or 0.0
        used.append(_dated("weight", f"{value:g}", "kg", when, as_of, "latest weight observation"))
        return value, when
    if record.weight_kg:
        used.append(FactUsed(name="weight", value=f"{record.weight_kg:g}", unit="kg", basis="patient record (undated)"))
        return record.weight_kg, None
    return None, None


def _is_weight(o: Observation) -> bool:
    name = o.name.lower()
    return (o.code in WEIGHT_CODES or "weight" in name or "cân nặng" in name) and o.unit.strip().lower() in ("kg", "")


def _creatinine(observations: tuple[Observation, ...], as_of: date) -> tuple[float, Observation] | None:
    """The latest serum creatinine in mg/dL, with its observation; values without a known unit are not used."""
    found: list[tuple[str, float, Observation]] = []
    for o in observations:
        if o.value is None or o.value <= 0 or not _is_creatinine(o):
            continue
        if o.effective is not None and o.effective.date() > as_of:
            continue
        mg_dl = _creatinine_mg_dl(o.value, o.unit)
        if mg_dl is not None:
            found.append((o.effective.isoformat() if o.effective else "", mg_dl, o))
    if not found:
        return None
    _, value, observation = max(found, key=lambda f: f[0])
    return value, observation


def _is_creatinine(o: Observation) -> bool:
    if o.code in CREATININE_CODES:
        return True
    name = o.name.lower()
    # "Creatinin" in serum or blood; not urine creatinine nor a measured clearance.
    return "creatinin" in name and not any(w in name for w in ("niệu", "nước tiểu", "urine", "clearance", "thanh thải"))


def _creatinine_mg_dl(value: float, unit: str) -> float | None:
    folded = unit.strip().lower().replace("μ", "µ").replace(" ", "")
    if folded in ("mg/dl",):
        return value
    if folded in ("µmol/l", "umol/l", "micromol/l"):
        return value / UMOL_PER_MG_DL
    return None


def _recorded_egfr(observations: tuple[Observation, ...], as_of: date, used: list[FactUsed]) -> float | None:
    recorded = [
        o
        for o in observations
        if o.value is not None
        and (o.code in EGFR_CODES or "egfr" in o.name.lower())
        and (o.effective is None or o.effective.date() <= as_of)
    ]
    if not recorded:
        return None
    latest = max(recorded, key=lambda o: o.effective.isoformat() if o.effective else "")
    when = latest.effective.date() if latest.effective else None
    value = latest.value or 0.0
    used.append(_dated("eGFR", f"{value:.0f}", "mL/min/1.73m²", when, as_of, "recorded result"))
    return value


def _dated(  # noqa: PLR0917 -- private; one fact's fields in reading order
    name: str, value: str, unit: str, observed: date | None, as_of: date, basis: str
) -> FactUsed:
    return FactUsed(
        name=name,
        value=value,
        unit=unit,
        observed=observed,
        age_days=(as_of - observed).days if observed is not None else None,
        basis=basis,
    )


def _lactation(record: PatientRecord, used: list[FactUsed]) -> LactationStatus:
    """Breastfeeding as recorded; a male patient is not breastfeeding; otherwise unknown (a stated gap)."""
    if record.lactation_status is not LactationStatus.UNKNOWN:
        used.append(
            FactUsed(name="breastfeeding", value=record.lactation_status.value.lower(), basis="recorded status")
        )
        return record.lactation_status
    if record.sex is Sex.MALE:
        return LactationStatus.NOT_BREASTFEEDING
    return LactationStatus.UNKNOWN
