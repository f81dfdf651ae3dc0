"""STOPP/START v2 as coded by Huibers et al. 2019 (LGPL-3.0) → stopp_rules.tsv, one row per usable iteration.

An iteration is one alternative coding of a criterion (ICPC, ICD-9, ICD-10, a lab value …); inside it every
condition must hold. rxsafe keeps an iteration only when every element is something the record can answer:
ICD-10 diagnoses, ATC drugs (present or absent), the eGFR (LOINC 62238-1) and a daily dose of the rule's own drug.
Iterations needing ICPC/ICD-9 codes, other lab values or vital signs, durations, frequencies or past use are left
out and counted, never reduced to a looser rule (an iteration with its diagnosis dropped would fire for everyone).

Kinds: START → ``omission``; STOPP section E → ``renal``; with a diagnosis → ``drug_disease``; else ``age``.
Severities are rxsafe policy (knowledge/SEVERITY.md): STOPP E major, other STOPP moderate, START minor.
"""

from __future__ import annotations

from collections import Counter
from xml.etree.ElementTree import Element

from defusedxml import ElementTree  # type: ignore[import-untyped]

from rxsafe.knowledge.build.context import BuildContext
from rxsafe.knowledge.build.rows import PatientRuleRow, PatientRules, SourceCite

FOLDER = "stopp-start-v2-huibers"
SOURCE = "STOPP/START v2 (O'Mahony 2015; coded by Huibers 2019)"
EGFR_LOINC = "62238-1"
MIN_AGE = "65"
_MG = {"MG": 1.0, "G": 1000.0, "MCG": 0.001}


class Unusable(Exception):
    """An iteration element rxsafe cannot evaluate; the reason is counted in the build report."""


def contribute(ctx: BuildContext) -> PatientRules:
    """Every usable iteration of every rule."""
    out = PatientRules()
    root = ElementTree.parse(ctx.sources_dir / FOLDER / "stoppstart.xml").getroot()
    reasons: Counter[str] = Counter()
    for rule in root.iter("rule"):
        criterion = rule.get("id", "")
        description = (rule.findtext("description") or "").strip()
        for iteration in rule.iter("iteration"):
            priority = iteration.get("priority", "")
            try:
                out.stopp_rules.append(_row(criterion, priority, description, iteration))
            except Unusable as reason:
                reasons[str(reason)] += 1
    for why, count in sorted(reasons.items()):
        out.skipped.append((SOURCE, f"{count} iteration(s) left out: {why}"))
    return out


def _codes(element: Element) -> str:
    """The element's ATC or ICD-10 codes as ``A;B*``; raises Unusable for other terminologies or operators."""
    codes: list[str] = []
    for terminology in element.findall("terminology"):
        name = terminology.get("name", "")
        if name not in ("atc", "icd10"):
            raise Unusable(f"needs {name} codes")
        for values in terminology.findall("values"):
            if values.get("operator") != "=":
                raise Unusable(f"code operator {values.get('operator')}")
            for value in values.findall("value"):
                text = (value.text or "").strip()
                codes.append(text + "*" if value.get("regex") == "true" else text)
    if not codes:
        raise Unusable("an element without codes")
    return ";".join(codes)


def _row(  # noqa: PLR0912 -- one branch per element kind of the XML schema
    criterion: str, priority: str, description: str, iteration: Element
) -> PatientRuleRow:
    start = criterion.startswith("START")
    action = iteration.find("action")
    medicine = action.find("medicine") if action is not None else None
    if medicine is None:
        raise Unusable("no action drug")
    drug = _codes(medicine)
    diagnoses: list[str] = []
    with_drugs: list[str] = []
    without: list[str] = []
    egfr = ""
    dose = ""
    seen_self = False
    for condition in iteration.findall("condition"):
        for element in condition:
            negative = element.get("negative") == "true"
            qualifiers = {child.tag for child in element} - {"terminology"}
            if element.tag == "episode":
                if negative or qualifiers:
                    raise Unusable("a diagnosis with a duration, frequency or absence")
                diagnoses.append(_codes(element))
            elif element.tag == "measurement":
                egfr = _egfr(element)
            elif element.tag == "medicine":
                codes = _codes(element)
                if qualifiers - {"dose"}:
                    raise Unusable("a drug with a duration, frequency or past use")
                if "dose" in qualifiers:
                    if codes != drug:
                        raise Unusable("a dose condition on another drug")
                    dose = _dose(element)
                if negative:
                    # START: "not already taking the drug" is what an omission means; other absences are conditions.
                    if not (start and codes == drug):
                        without.append(codes)
                elif codes == drug and not seen_self:
                    seen_self = True  # the rule's own drug
                else:
                    with_drugs.append(codes)
    section = criterion.split()[1][:1] if " " in criterion else ""
    if start:
        kind, severity = "omission", "minor"
    elif section == "E":
        kind, severity = "renal", "major"
    elif diagnoses:
        kind, severity = "drug_disease", "moderate"
    else:
        kind, severity = "age", "moderate"
    return PatientRuleRow(
        rule_id=f"{criterion}#{priority}",
        criterion=criterion,
        kind=kind,
        drug_atc=drug,
        min_age=MIN_AGE,
        diagnoses=" | ".join(diagnoses),
        with_drugs=" | ".join(with_drugs),
        without_drugs=" | ".join(without),
        egfr_below=egfr,
        daily_dose_above_mg=dose,
        severity=severity,
        text_en=description,
        source=SourceCite(SOURCE, f"stoppstart.xml {criterion} iteration {priority}", criterion),
    )


def _egfr(element: Element) -> str:
    terminology = element.find("terminology")
    code = terminology.findtext("values/value") if terminology is not None else None
    if terminology is None or terminology.get("name") != "loinc" or code != EGFR_LOINC:
        raise Unusable(f"a lab value or vital sign other than eGFR ({code})")
    values = element.find("result/values")
    if element.get("negative") == "true" or values is None or values.get("operator") != "<":
        raise Unusable("an eGFR condition other than 'below'")
    return (values.findtext("value") or "").strip()


def _dose(element: Element) -> str:
    dose = element.find("dose")
    values = dose.find("values") if dose is not None else None
    if dose is None or values is None or dose.get("interval") != "D" or values.get("operator") != ">":
        raise Unusable("a dose condition other than 'daily dose above'")
    unit = dose.get("unit", "")
    if unit not in _MG:
        raise Unusable(f"a dose in {unit}")
    return f"{float(values.findtext('value') or 'nan') * _MG[unit]:g}"
