"""The STOPP runner the renal, age and drug–disease checks share: rules of one kind, line by line.

STOPP/START version 2 (O'Mahony et al. 2015) as coded by Huibers et al. 2019; applies to patients aged 65 and
over. Each rule names its criterion ("STOPP E4") and source; severities are rxsafe policy (knowledge/SEVERITY.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from rxsafe.core.checks.patient import (
    Outcome,
    Patient,
    Verdict3,
    condition_entries,
    evaluate,
    icd10_matches,
    lab_entries,
    line_ingredients,
    patient_conflict,
    rule_evidence,
)
from rxsafe.core.dose import total_daily
from rxsafe.core.enums import ConflictKind
from rxsafe.core.knowledge_port import Knowledge, PatientRule
from rxsafe.core.models import CheckedLine, Conflict, LocalizedText
from rxsafe.core.policy import Policy

LABELS = {
    "renal": ("renal", "thận"),
    "age": ("age", "tuổi"),
    "drug_disease": ("drug–disease", "thuốc–bệnh"),
}


def run_stopp(  # noqa: PLR0917 -- the check signature plus the kind it runs
    kind: str,
    conflict_kind: ConflictKind,
    patient: Patient,
    lines: Sequence[CheckedLine],
    knowledge: Knowledge,
    policy: Policy,
    outcome: Outcome | None = None,
) -> Outcome:
    """Every STOPP rule of ``kind`` against every line; coverage for each line."""
    out = outcome or Outcome()
    check = LABELS[kind][0]
    age = patient.facts.age_years
    for line, ingredient in line_ingredients(lines):
        rules = [r for r in knowledge.patient_rules(ingredient.inn) if r.kind == kind]
        if not rules:
            if not any(i == line.index and c == check for i, c in out.ran):
                out.gap(
                    line.index,
                    check,
                    en=f"no sourced {check} rule for {ingredient.inn}",
                    vi=f"không có quy tắc {LABELS[kind][1]} nào có nguồn cho {ingredient.inn}",
                    notice=False,
                )
            continue
        min_age = min(r.min_age for r in rules)
        if age is not None and age < min_age:
            out.gap(
                line.index,
                check,
                en=f"STOPP applies to patients aged {min_age:g} and over",
                vi=f"STOPP chỉ áp dụng cho người từ {min_age:g} tuổi",
                notice=False,
            )
            continue
        # Only a rule with a dose condition needs the daily total.
        needs_dose = any(r.daily_dose_above_mg is not None for r in rules)
        daily = total_daily([d.figures for d in patient.doses(ingredient.inn)]) if needs_dose else None
        missing: set[str] = set()
        # A criterion is coded as several alternative iterations (eGFR, or the CKD stage): one conflict per
        # criterion, citing every iteration that holds.
        holding: dict[str, list[PatientRule]] = {}
        for rule in rules:
            verdict, why = evaluate(rule, patient, knowledge, line.index, daily)
            if verdict is Verdict3.HOLDS:
                holding.setdefault(rule.criterion, []).append(rule)
            elif verdict is Verdict3.UNKNOWN:
                missing.update(why.split("; "))
        for held in holding.values():
            out.conflicts.append(_conflict(conflict_kind, held, patient, line.index, ingredient.inn, policy))
        if holding:
            # The criterion is decided; a missing datum of another iteration of it no longer matters.
            missing = {m for m in missing if not _only_for(m, rules, set(holding))}
        if missing:
            reason = "; ".join(sorted(missing))
            out.gap(
                line.index,
                check,
                en=f"{reason} ({ingredient.inn}: {', '.join(sorted({r.criterion for r in rules}))})",
                vi=f"thiếu dữ liệu: {reason} ({ingredient.inn})",
                notice=True,
            )
        else:
            out.ran.append((line.index, check))
    return out


def _conflict(  # noqa: PLR0917 -- private, one call site
    conflict_kind: ConflictKind, held: list[PatientRule], patient: Patient, line_index: int, inn: str, policy: Policy
) -> Conflict:
    rule = held[0]
    entries = tuple(e for r in held for e in condition_entries(patient, r))
    entries = tuple({e.id: e for e in entries}.values())
    egfr_rule = next((r for r in held if r.egfr_below is not None), None)
    if egfr_rule is not None:
        entries += lab_entries(patient, "serum creatinine")
    facts = patient.facts
    known = []
    if egfr_rule is not None and egfr_rule.egfr_below is not None and facts.egfr is not None:
        known.append(f"eGFR {facts.egfr:.0f} < {egfr_rule.egfr_below:g} mL/min/1.73m²")
    codes = sorted({d for r in held for group in r.diagnoses for d in facts.diagnoses if icd10_matches(d, group)})
    if codes:
        known.append("ICD-10 " + ", ".join(codes))
    if facts.age_years is not None:
        known.append(f"age {int(facts.age_years)}")
    why = "; ".join(known)
    return patient_conflict(
        conflict_kind,
        rule.severity,
        policy,
        line_indexes=(line_index,),
        drugs=(inn,),
        rule_id=rule.criterion,
        title=LocalizedText(vi=f"{rule.criterion}: {inn}", en=f"{rule.criterion}: {inn}"),
        detail=LocalizedText(
            vi=f"{inn} — tiêu chí {rule.criterion} (STOPP/START v2) áp dụng ({why}). {rule.text.vi}".strip(),
            en=f"{inn} — {rule.criterion} applies ({why}): {rule.text.en}",
        ),
        management=LocalizedText(
            vi="Xem xét ngừng hoặc thay thuốc; nếu vẫn dùng, ghi lý do và theo dõi.",
            en="Consider stopping or replacing the drug; if it is continued, record why and monitor.",
        ),
        evidence=tuple(rule_evidence(r) for r in held),
        record_entries=entries,
    )


def _only_for(missing: str, rules: list[PatientRule], decided: set[str]) -> bool:
    """Whether a missing datum matters only to criteria already decided (so it is no gap)."""
    if missing == "no creatinine on record":
        concerned = [r for r in rules if r.egfr_below is not None]
    elif missing == "daily dose unknown":
        concerned = [r for r in rules if r.daily_dose_above_mg is not None]
    else:
        return False
    return all(r.criterion in decided for r in concerned)
