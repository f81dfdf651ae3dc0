"""Korea's patient-level DUR rules (HIRA): age, pregnancy grades, duration, the elderly, breastfeeding.

The age and pregnancy rules are asked by the age and pregnancy checks (``dur_age``, ``dur_pregnancy``); duration
and breastfeeding are checks of their own. Severity is rxsafe policy (knowledge/SEVERITY.md): 연령금기 (age
contraindication) and 임부금기 grade 1 → contraindicated; grade 2 → major; 투여기간주의, 노인주의 and 수유부주의
(cautions) → moderate. The source's Korean detail text is shown as written, quoted and marked as Korean: rxsafe
has no reviewed translation of it. A fact the rule needs and the record lacks (age, days, breastfeeding status)
is a stated gap, never a pass.
"""

from __future__ import annotations

from collections.abc import Sequence

from rxsafe.core.checks.patient import Outcome, Patient, line_ingredients, patient_conflict
from rxsafe.core.enums import ConflictKind, LactationStatus, Severity, Sex
from rxsafe.core.knowledge_port import DurRule, DurRuleKind, Knowledge
from rxsafe.core.models import CheckedLine, Conflict, Evidence, LocalizedText
from rxsafe.core.policy import Policy

SOURCE_NAME = "HIRA DUR (Korea)"
ELDERLY_FROM_AGE = 65.0  # 노인주의 is defined for patients aged 65 and over
# WHO counts women aged 15-49 as of reproductive age; outside it an unknown breastfeeding status is not asked about.
REPRODUCTIVE_AGE = (15.0, 50.0)
SEVERITY_OF_GRADE = {"1": Severity.CONTRAINDICATED, "2": Severity.MAJOR}
CAUTION = Severity.MODERATE
DURATION_CHECK = "duration"
LACTATION_CHECK = "breastfeeding"
FORM_CAVEAT = LocalizedText(
    vi=" Nguồn chỉ áp dụng cho các dạng bào chế trích dẫn; dòng thuốc không ghi dạng bào chế.",
    en=" The source restricts the rule to the forms quoted; the line does not state its form.",
)


def merge_findings(conflicts: Sequence[Conflict], policy: Policy) -> Conflict:
    """Several sources' conflicts on one finding (one drug, one line) as one alert, not one per source.

    The first's title and id, every source's evidence, the highest severity, the details joined.
    """
    first, *others = conflicts
    if not others:
        return first
    severity = max(c.severity for c in conflicts)
    return first.model_copy(
        update={
            "severity": severity,
            "interruptive": policy.is_interruptive(first.kind, severity),
            "evidence": tuple(e for c in conflicts for e in c.evidence),
            "detail": LocalizedText(
                vi=" ".join(c.detail.vi for c in conflicts if c.detail.vi),
                en=" ".join(c.detail.en for c in conflicts if c.detail.en),
            ),
        }
    )


def rules_for(knowledge: Knowledge, line: CheckedLine, inn: str, kind: DurRuleKind) -> list[DurRule]:
    """The DUR rules of one kind that apply to the ingredient on this line.

    A combination rule needs every component on the line; a rule restricted to some dosage forms is dropped when
    the line's written form is another route (an injection-only rule for a tablet), kept when the form is unknown.
    """
    inns = [i.inn for i in line.resolution.ingredients]
    return [
        r for r in knowledge.dur_rules(inn) if r.kind is kind and r.fits(inns) and r.form_fit(line.routes) is not False
    ]


def form_unknown(rule: DurRule, line: CheckedLine) -> bool:
    """Whether the rule is restricted to forms the line may not be (its form is not written)."""
    return rule.form_fit(line.routes) is None


def source_text(rule: DurRule) -> LocalizedText:
    """The rule's Korean text, quoted and marked as untranslated source text (empty when the row has none)."""
    parts = [p for p in (rule.text_ko, rule.forms_ko) if p]
    if not parts:
        return LocalizedText()
    quoted = " — ".join(f"«{p}»" for p in parts)
    return LocalizedText(
        vi=f" Nguyên văn nguồn (tiếng Hàn, chưa có bản dịch đã duyệt): {quoted}",
        en=f" Source text (Korean, no reviewed translation): {quoted}",
    )


def evidence(rule: DurRule) -> Evidence:
    """The rule's source, its reference and its level as written (e.g. ``임부금기 1등급``)."""
    return Evidence(
        source=rule.source.source,
        reference=rule.source.reference,
        rule_id=rule.rule_id,
        source_level=rule.source.level,
        via=f"written for the combination {' + '.join(rule.combination)}" if rule.combination else "",
    )


def _applies(rule: DurRule, age: float) -> bool:
    return (rule.below_age is None or age < rule.below_age) and (rule.from_age is None or age >= rule.from_age)


def dur_age(  # noqa: PLR0917 -- called from the age check with its own arguments
    patient: Patient, line: CheckedLine, inn: str, knowledge: Knowledge, policy: Policy, out: Outcome
) -> bool:
    """Age contraindications and cautions in the elderly for one line's ingredient; whether any rule exists."""
    bans = rules_for(knowledge, line, inn, DurRuleKind.AGE)
    elderly = rules_for(knowledge, line, inn, DurRuleKind.ELDERLY)
    if not bans and not elderly:
        return False
    age = patient.facts.age_years
    if age is None:
        out.gap(
            line.index,
            "age",
            en=f"age unknown: the {SOURCE_NAME} age rules of {inn} cannot be checked",
            vi=f"chưa rõ tuổi: không kiểm tra được quy định tuổi ({SOURCE_NAME}) của {inn}",
            notice=True,
        )
        return True
    out.ran.append((line.index, "age"))
    for rule in bans:
        if _applies(rule, age):
            out.conflicts.append(_age_conflict(rule, age, line.index, policy, form_unknown=form_unknown(rule, line)))
    if age >= ELDERLY_FROM_AGE:
        for rule in elderly:
            out.conflicts.append(_elderly_conflict(rule, age, line.index, policy))
    return True


def _age_conflict(rule: DurRule, age: float, line_index: int, policy: Policy, *, form_unknown: bool) -> Conflict:
    inn = rule.inn
    band_en = " and ".join(
        filter(
            None,
            (
                f"aged {rule.from_age:g} years or more" if rule.from_age is not None else "",
                f"younger than {rule.below_age:g} years" if rule.below_age is not None else "",
            ),
        )
    )
    band_vi = " và ".join(
        filter(
            None,
            (
                f"từ {rule.from_age:g} tuổi" if rule.from_age is not None else "",
                f"dưới {rule.below_age:g} tuổi" if rule.below_age is not None else "",
            ),
        )
    )
    text = source_text(rule)
    # A rule the source restricts to some dosage forms, for a line that does not write its form: a warning (major),
    # not a block, so another form of the drug is not stopped by a rule that may not be about it.
    severity = Severity.MAJOR if form_unknown else Severity.CONTRAINDICATED
    caveat_en = FORM_CAVEAT.en if form_unknown else ""
    caveat_vi = FORM_CAVEAT.vi if form_unknown else ""
    return patient_conflict(
        ConflictKind.AGE,
        severity,
        policy,
        line_indexes=(line_index,),
        drugs=(inn,),
        rule_id=rule.rule_id,
        title=LocalizedText(vi=f"Tuổi: chống chỉ định {inn} ({band_vi})", en=f"Age: {inn} contraindicated ({band_en})"),
        detail=LocalizedText(
            vi=f"Bệnh nhân {age:.1f} tuổi. {SOURCE_NAME} ghi chống chỉ định theo tuổi ({rule.source.level})."
            + text.vi
            + caveat_vi,
            en=f"The patient is {age:.1f} years old. {SOURCE_NAME} lists an age contraindication "
            f"({rule.source.level})." + text.en + caveat_en,
        ),
        management=LocalizedText(
            vi="Không dùng ở lứa tuổi này; chọn thuốc khác phù hợp.",
            en="Do not use at this age; choose an alternative suitable for the patient's age.",
        ),
        evidence=(evidence(rule),),
    )


def _elderly_conflict(rule: DurRule, age: float, line_index: int, policy: Policy) -> Conflict:
    text = source_text(rule)
    return patient_conflict(
        ConflictKind.AGE,
        CAUTION,
        policy,
        line_indexes=(line_index,),
        drugs=(rule.inn,),
        rule_id=rule.rule_id,
        title=LocalizedText(
            vi=f"Người cao tuổi: thận trọng với {rule.inn}", en=f"Elderly patient: caution with {rule.inn}"
        ),
        detail=LocalizedText(
            vi=f"Bệnh nhân {age:.0f} tuổi (≥ 65). {SOURCE_NAME} ghi thận trọng ở người cao tuổi "
            f"({rule.source.level})." + text.vi,
            en=f"The patient is {age:.0f} years old (65 or over). {SOURCE_NAME} lists a caution in the elderly "
            f"({rule.source.level})." + text.en,
        ),
        management=LocalizedText(
            vi="Cân nhắc nguy cơ/lợi ích ở người cao tuổi; dùng liều thấp nhất có hiệu quả và theo dõi.",
            en="Weigh risk and benefit in an older patient; use the lowest effective dose and monitor.",
        ),
        evidence=(evidence(rule),),
    )


def dur_pregnancy(rules: Sequence[DurRule], line_index: int, policy: Policy) -> Conflict:
    """One conflict for the DUR pregnancy grades of an ingredient in a pregnant patient (the worst grade decides)."""
    worst = min(rules, key=lambda r: r.grade)
    inn = worst.inn
    severity = SEVERITY_OF_GRADE[worst.grade]
    meaning_en = {
        "1": "grade 1: contraindicated in principle (clear fetal risk)",
        "2": "grade 2: contraindicated unless the benefit clearly outweighs the risk",
    }[worst.grade]
    meaning_vi = {
        "1": "mức 1: về nguyên tắc chống chỉ định (nguy cơ rõ cho thai)",
        "2": "mức 2: chống chỉ định trừ khi lợi ích vượt rõ nguy cơ",
    }[worst.grade]
    text = source_text(worst)
    return patient_conflict(
        ConflictKind.PREGNANCY,
        severity,
        policy,
        line_indexes=(line_index,),
        drugs=(inn,),
        rule_id=f"pregnancy-dur:{inn}",
        title=LocalizedText(
            vi=f"Thai kỳ: {inn} ({SOURCE_NAME} {meaning_vi.split(':')[0]})",
            en=f"Pregnancy: {inn} ({SOURCE_NAME} {meaning_en.split(':')[0]})",
        ),
        detail=LocalizedText(
            vi=f"Bệnh nhân đang mang thai; {SOURCE_NAME} xếp {inn} vào {worst.source.level} — {meaning_vi}." + text.vi,
            en=f"The patient is pregnant; {SOURCE_NAME} lists {inn} as {worst.source.level} — {meaning_en}." + text.en,
        ),
        management=LocalizedText(
            vi="Cân nhắc thuốc thay thế an toàn hơn trong thai kỳ.",
            en="Consider an alternative with a better-established safety record in pregnancy.",
        ),
        evidence=tuple(evidence(r) for r in rules),
    )


def duration_check(patient: Patient, lines: Sequence[CheckedLine], knowledge: Knowledge, policy: Policy) -> Outcome:
    """The days written on a line against the DUR maximum duration of its ingredients."""
    out = Outcome()
    for line, ingredient in line_ingredients(lines):
        rules = rules_for(knowledge, line, ingredient.inn, DurRuleKind.DURATION)
        if not rules:
            continue
        days = line.line.days if line.line.days is not None else (line.dose.days if line.dose else None)
        if days is None:
            out.gap(
                line.index,
                DURATION_CHECK,
                en=f"days of treatment not stated: the maximum duration of {ingredient.inn} cannot be checked",
                vi=f"chưa ghi số ngày dùng: không kiểm tra được thời gian dùng tối đa của {ingredient.inn}",
                notice=True,
            )
            continue
        out.ran.append((line.index, DURATION_CHECK))
        limit = min(rules, key=lambda r: r.max_days or 0)
        if limit.max_days is not None and days > limit.max_days:
            out.conflicts.append(_duration_conflict(limit, days, line.index, policy, form_unknown(limit, line)))
    return out


def _duration_conflict(rule: DurRule, days: int, line_index: int, policy: Policy, form_unknown: bool) -> Conflict:
    text = source_text(rule)
    if form_unknown:
        text = LocalizedText(vi=text.vi + FORM_CAVEAT.vi, en=text.en + FORM_CAVEAT.en)
    return patient_conflict(
        ConflictKind.DURATION,
        CAUTION,
        policy,
        line_indexes=(line_index,),
        drugs=(rule.inn,),
        rule_id=rule.rule_id,
        title=LocalizedText(
            vi=f"Thời gian dùng vượt mức tối đa: {rule.inn}", en=f"Duration above the maximum: {rule.inn}"
        ),
        detail=LocalizedText(
            vi=f"Kê {days} ngày; {SOURCE_NAME} giới hạn {rule.max_days} ngày ({rule.source.level})." + text.vi,
            en=f"{days} days prescribed; {SOURCE_NAME} limits treatment to {rule.max_days} days "
            f"({rule.source.level})." + text.en,
        ),
        management=LocalizedText(
            vi="Rút ngắn thời gian dùng hoặc đánh giá lại chỉ định trước khi kê tiếp.",
            en="Shorten the course, or reassess the indication before continuing.",
        ),
        evidence=(evidence(rule),),
    )


def lactation_check(patient: Patient, lines: Sequence[CheckedLine], knowledge: Knowledge, policy: Policy) -> Outcome:
    """Breastfeeding cautions: conflict when breastfeeding, a gap when the status is unknown and it may apply."""
    out = Outcome()
    status = patient.facts.lactation
    for line, ingredient in line_ingredients(lines):
        rules = rules_for(knowledge, line, ingredient.inn, DurRuleKind.LACTATION)
        if not rules:
            continue
        if status is LactationStatus.BREASTFEEDING:
            out.ran.append((line.index, LACTATION_CHECK))
            out.conflicts.append(_lactation_conflict(rules[0], line.index, policy))
        elif status is LactationStatus.NOT_BREASTFEEDING or not _may_breastfeed(patient):
            out.ran.append((line.index, LACTATION_CHECK))
        else:
            out.gap(
                line.index,
                LACTATION_CHECK,
                en=f"breastfeeding status unknown: {SOURCE_NAME} lists a breastfeeding caution for {ingredient.inn}",
                vi=f"chưa rõ có đang cho con bú: {SOURCE_NAME} ghi thận trọng khi cho con bú với {ingredient.inn}",
                notice=True,
            )
    return out


def _may_breastfeed(patient: Patient) -> bool:
    facts = patient.facts
    if facts.sex is Sex.MALE:
        return False
    age = facts.age_years
    return age is None or REPRODUCTIVE_AGE[0] <= age < REPRODUCTIVE_AGE[1]


def _lactation_conflict(rule: DurRule, line_index: int, policy: Policy) -> Conflict:
    text = source_text(rule)
    return patient_conflict(
        ConflictKind.LACTATION,
        CAUTION,
        policy,
        line_indexes=(line_index,),
        drugs=(rule.inn,),
        rule_id=rule.rule_id,
        title=LocalizedText(vi=f"Cho con bú: thận trọng với {rule.inn}", en=f"Breastfeeding: caution with {rule.inn}"),
        detail=LocalizedText(
            vi=f"Bệnh nhân đang cho con bú; {SOURCE_NAME} ghi thận trọng/tránh dùng khi cho con bú "
            f"({rule.source.level})." + text.vi,
            en=f"The patient is breastfeeding; {SOURCE_NAME} lists {rule.inn} for caution or avoidance during "
            f"breastfeeding ({rule.source.level})." + text.en,
        ),
        management=LocalizedText(
            vi="Cân nhắc thuốc thay thế hoặc tạm ngừng cho con bú; tham khảo dược sĩ.",
            en="Consider an alternative or interrupting breastfeeding; ask a pharmacist.",
        ),
        evidence=(evidence(rule),),
    )
