"""Age: sourced paediatric restrictions, and the STOPP criteria that need no diagnosis.

Paediatric: codeine and tramadol under 12 years (FDA 2017, a contraindication). STOPP for patients aged 65 and over
are warnings: STOPP says "potentially inappropriate".
"""

from __future__ import annotations

from collections.abc import Sequence

from rxsafe.core.checks.dur import dur_age, merge_findings
from rxsafe.core.checks.patient import Outcome, Patient, line_ingredients, patient_conflict
from rxsafe.core.checks.stopp import run_stopp
from rxsafe.core.enums import ConflictKind
from rxsafe.core.knowledge_port import AgeRestriction, Knowledge
from rxsafe.core.models import CheckedLine, Conflict, Evidence, LocalizedText
from rxsafe.core.policy import Policy

CHECK = "age"


def age_check(patient: Patient, lines: Sequence[CheckedLine], knowledge: Knowledge, policy: Policy) -> Outcome:
    """Age conflicts and coverage: paediatric restrictions first, then STOPP."""
    out = Outcome()
    age = patient.facts.age_years
    dur = Outcome()
    for line, ingredient in line_ingredients(lines):
        # Korea's DUR age contraindications and cautions in the elderly (issue 14), then the sourced restrictions.
        dur_age(patient, line, ingredient.inn, knowledge, policy, dur)
        restrictions = knowledge.age_restrictions(ingredient.inn)
        if not restrictions:
            continue
        if age is None:
            out.gap(
                line.index,
                CHECK,
                en=f"age unknown: the age restrictions of {ingredient.inn} cannot be checked",
                vi=f"chưa rõ tuổi: không kiểm tra được giới hạn tuổi của {ingredient.inn}",
                notice=True,
            )
            continue
        out.ran.append((line.index, CHECK))
        for restriction in restrictions:
            if age < restriction.below_age:
                out.conflicts.append(_conflict(restriction, age, line.index, policy))
    _merge_dur(out, dur, policy)
    return run_stopp("age", ConflictKind.AGE, patient, lines, knowledge, policy, out)


def _merge_dur(out: Outcome, dur: Outcome, policy: Policy) -> None:
    """The DUR's outcome into ``out``; a DUR ban on the same drug and line as a sourced restriction joins it."""
    for index, conflict in enumerate(out.conflicts):
        same = [
            c
            for c in dur.conflicts
            if c.line_indexes == conflict.line_indexes and c.drugs == conflict.drugs and c.severity == conflict.severity
        ]
        if same:
            out.conflicts[index] = merge_findings([conflict, *same], policy)
            dur.conflicts = [c for c in dur.conflicts if c not in same]
    out.conflicts.extend(dur.conflicts)
    out.ran.extend(dur.ran)
    out.gaps.extend(dur.gaps)


def _conflict(restriction: AgeRestriction, age: float, line_index: int, policy: Policy) -> Conflict:
    inn = restriction.inn
    return patient_conflict(
        ConflictKind.AGE,
        restriction.severity,
        policy,
        line_indexes=(line_index,),
        drugs=(inn,),
        rule_id=restriction.rule_id,
        title=LocalizedText(
            vi=f"Tuổi: {inn} ở trẻ dưới {restriction.below_age:g} tuổi",
            en=f"Age: {inn} in a child under {restriction.below_age:g} years",
        ),
        detail=LocalizedText(
            vi=f"Bệnh nhân {age:.1f} tuổi. {restriction.text.vi}".strip(),
            en=f"The patient is {age:.1f} years old. {restriction.text.en}".strip(),
        ),
        management=LocalizedText(
            vi="Không dùng; chọn thuốc giảm đau khác phù hợp lứa tuổi.",
            en="Do not use; choose an analgesic suitable for the child's age.",
        ),
        evidence=(
            Evidence(
                source=restriction.source.source,
                reference=restriction.source.reference,
                rule_id=restriction.rule_id,
                source_level=restriction.source.level,
            ),
        ),
    )
