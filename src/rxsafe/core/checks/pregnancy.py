"""Pregnancy: a drug with a former US FDA letter X or D in a pregnant patient.

X → contraindicated, D → major (knowledge/SEVERITY.md). The letters were retired by the FDA Pregnancy and Lactation
Labeling Rule in 2015: every conflict says so, and names the source and its date. A drug no source categorises is
"not covered", never "safe".
"""

from __future__ import annotations

from collections.abc import Sequence

from rxsafe.core.checks.dur import dur_pregnancy, merge_findings, rules_for
from rxsafe.core.checks.patient import Outcome, Patient, line_ingredients, patient_conflict
from rxsafe.core.enums import ConflictKind, PregnancyStatus, Severity, Sex
from rxsafe.core.knowledge_port import DurRuleKind, Knowledge, PregnancyCategory
from rxsafe.core.models import CheckedLine, Conflict, Evidence, LocalizedText
from rxsafe.core.policy import Policy

CHECK = "pregnancy"
SEVERITY_OF = {"X": Severity.CONTRAINDICATED, "D": Severity.MAJOR}
# WHO counts women aged 15-49 as of reproductive age; outside it an unknown status is not asked about.
REPRODUCTIVE_AGE = (15.0, 50.0)
RETIRED = "FDA letter categories were retired in 2015 (Pregnancy and Lactation Labeling Rule)"


def pregnancy_check(patient: Patient, lines: Sequence[CheckedLine], knowledge: Knowledge, policy: Policy) -> Outcome:
    """Pregnancy conflicts and coverage, line by line."""
    out = Outcome()
    status = patient.facts.pregnancy
    for line, ingredient in line_ingredients(lines):
        inn = ingredient.inn
        categories = [c for c in knowledge.pregnancy_categories(inn) if c.category in SEVERITY_OF]
        graded = rules_for(knowledge, line, inn, DurRuleKind.PREGNANCY)  # Korea's DUR grades 1/2 (issue 14)
        if status is PregnancyStatus.NOT_PREGNANT or (
            status is PregnancyStatus.UNKNOWN and not _may_be_pregnant(patient)
        ):
            out.ran.append((line.index, CHECK))
        elif status is PregnancyStatus.PREGNANT:
            if categories or graded:
                found = [_conflict(line.index, inn, categories, policy)] if categories else []
                if graded:
                    found.append(dur_pregnancy(graded, line.index, policy))
                # One finding per drug: both sources' evidence on one conflict, the higher severity (SEVERITY.md).
                out.conflicts.append(merge_findings(found, policy))
                out.ran.append((line.index, CHECK))
            else:
                out.gap(
                    line.index,
                    CHECK,
                    en=f"not covered: no source gives a pregnancy category for {inn}",
                    vi=f"chưa có dữ liệu: không nguồn nào phân loại {inn} trong thai kỳ",
                    notice=True,
                )
        else:
            out.gap(
                line.index,
                CHECK,
                en="pregnancy status unknown",
                vi="chưa rõ tình trạng thai nghén",
                # Asked about only where it matters: a drug with an X or D letter or a DUR grade.
                notice=bool(categories or graded),
            )
    return out


def _may_be_pregnant(patient: Patient) -> bool:
    facts = patient.facts
    if facts.sex is Sex.MALE:
        return False
    age = facts.age_years
    return age is None or REPRODUCTIVE_AGE[0] <= age < REPRODUCTIVE_AGE[1]


def _conflict(line_index: int, inn: str, categories: list[PregnancyCategory], policy: Policy) -> Conflict:
    worst = max(categories, key=lambda c: SEVERITY_OF[c.category])
    severity = SEVERITY_OF[worst.category]
    letters = "/".join(sorted({c.category for c in categories}, reverse=True))
    review = any(c.needs_review for c in categories)
    evidence = tuple(
        Evidence(
            source=c.source.source,
            reference=c.source.reference,
            rule_id=f"pregnancy:{inn}:{c.category}",
            source_level=f"FDA category {c.category}",
            via=RETIRED + ("; needs pharmacist review" if c.needs_review else ""),
        )
        for c in categories
    )
    return patient_conflict(
        ConflictKind.PREGNANCY,
        severity,
        policy,
        line_indexes=(line_index,),
        drugs=(inn,),
        rule_id=f"pregnancy:{inn}",
        title=LocalizedText(
            vi=f"Thai kỳ: {inn} (nhóm {letters} theo FDA cũ)", en=f"Pregnancy: {inn} (former FDA category {letters})"
        ),
        detail=LocalizedText(
            vi=f"Bệnh nhân đang mang thai; {inn} từng được FDA xếp nhóm {letters}. Hệ chữ cái này đã bị FDA bãi bỏ "
            "năm 2015: cần đối chiếu tờ thông tin sản phẩm hiện hành.",
            en=f"The patient is pregnant; {inn} carried FDA pregnancy category {letters}. {RETIRED}: check the "
            "current product label." + (" A source row awaits pharmacist review." if review else ""),
        ),
        management=LocalizedText(
            vi="Cân nhắc thuốc thay thế an toàn hơn trong thai kỳ.",
            en="Consider an alternative with a better-established safety record in pregnancy.",
        ),
        evidence=evidence,
    )
