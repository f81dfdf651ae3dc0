"""Duplicate therapy: the same ingredient twice, or two ingredients of one therapeutic group (ATC level 4).

Severities here are rxsafe policy, written down in knowledge/SEVERITY.md, not facts from a source:
the same ingredient in two new lines is major (the dose adds up: two paracetamol products); two members of
one ATC chemical subgroup in the new prescription, or one new and one recorded, are moderate; a new line of
an ingredient the patient is already recorded as taking is minor (usually a continuation; say so).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from itertools import combinations

from rxsafe.core.checks.occurrence import (
    Occurrence,
    conflict_id,
    line_indexes,
    new_occurrences,
)
from rxsafe.core.enums import ConflictKind, Severity
from rxsafe.core.knowledge_port import Knowledge
from rxsafe.core.models import CheckedLine, Conflict, Evidence, LocalizedText, PatientContext
from rxsafe.core.patient_index import PatientIndex, at_line, patient_index
from rxsafe.core.policy import Policy

ATC_SOURCE = "WHO ATC/DDD 2026"
POLICY_SOURCE = "rxsafe duplicate-therapy policy (knowledge/SEVERITY.md)"


def duplicate_conflicts(
    context: PatientContext, lines: Sequence[CheckedLine], knowledge: Knowledge, policy: Policy
) -> list[Conflict]:
    """Duplicate-therapy conflicts among the new lines, and between new lines and recorded medications."""
    new = list(new_occurrences(lines))
    index = patient_index(context, knowledge, policy)
    conflicts: dict[str, Conflict] = {}
    for first, second in combinations(new, 2):
        if first.line_index != second.line_index:
            conflict = _pair(first, second, knowledge, policy)
            if conflict is not None:
                conflicts.setdefault(conflict.id, conflict)
    # Toward the record: worked out once per ingredient and line index for the patient (core.patient_index).
    for first in new:
        key = ("duplicate", first.inn, first.line_index)
        for conflict in index.derived(key, partial(_toward_record_at, first, index)):
            conflicts.setdefault(conflict.id, conflict)
    return list(conflicts.values())


def _pair(first: Occurrence, second: Occurrence, knowledge: Knowledge, policy: Policy) -> Conflict | None:
    return _same_ingredient(first, second, knowledge, policy) or _same_group(first, second, knowledge, policy)


def _toward_record_at(first: Occurrence, index: PatientIndex) -> tuple[Conflict, ...]:
    """``_toward_record`` for the ingredient (worked out once, on whichever line it came first), on this line."""
    line = first.line_index if first.line_index is not None else -1
    toward = index.derived(("duplicate", first.inn), partial(_toward_record, first, index))
    return tuple(at_line(c, line, _duplicate_id) for c in toward)


def _duplicate_id(conflict: Conflict, lines: tuple[int, ...]) -> str:
    entries = [e.id for e in conflict.record_entries]
    return conflict_id(ConflictKind.DUPLICATE_THERAPY.value, conflict.drugs, lines, entries)


def _toward_record(first: Occurrence, index: PatientIndex) -> tuple[Conflict, ...]:
    """Duplicate therapies of a new occurrence with the recorded ones, in record order."""
    found = (_pair(first, second, index.knowledge, index.policy) for second in index.recorded)
    return tuple(c for c in found if c is not None)


def _same_ingredient(first: Occurrence, second: Occurrence, knowledge: Knowledge, policy: Policy) -> Conflict | None:
    """The same ingredient twice, or a salt and its parent (olmesartan medoxomil and olmesartan): one drug."""
    if first.inn != second.inn and not knowledge.same_moiety(first.inn, second.inn):
        return None
    both_new = second.is_new
    severity = Severity.MAJOR if both_new else Severity.MINOR
    if both_new and first.inn != second.inn:
        vi = f"{first.inn} và {second.inn} là một thuốc (dạng muối/ester và hoạt chất gốc): tổng liều cộng dồn."
        en = f"{first.inn} and {second.inn} are one drug (a salt or ester and its parent): the doses add up."
    elif both_new:
        vi = f"{first.inn} có trong hai dòng của đơn: tổng liều cộng dồn."
        en = f"{first.inn} appears in two lines of the prescription: the doses add up."
    else:
        vi = f"Bệnh nhân đã đang dùng {second.describe_vi()}: xác nhận đây là kê tiếp, không phải trùng lặp."
        en = f"The patient is already taking {second.describe()}: confirm this continues it rather than duplicates it."
    basis = "same ingredient" if first.inn == second.inn else "a salt or ester and its parent (knowledge moieties)"
    return _conflict(first, second, severity, policy, vi=vi, en=en, basis=basis)


def _catch_all(group: str, knowledge: Knowledge) -> bool:
    """Whether the group is an ATC "Other …" catch-all, whose members are not one therapy given twice.

    C01EB "Other cardiac preparations" holds trimetazidine and, for the ductus arteriosus, ibuprofen.
    """
    return knowledge.class_label(group).en.strip().lower().startswith("other ")


def _same_group(first: Occurrence, second: Occurrence, knowledge: Knowledge, policy: Policy) -> Conflict | None:
    shared = set(knowledge.therapeutic_groups(first.inn)) & set(knowledge.therapeutic_groups(second.inn))
    shared = {
        g
        for g in shared
        if not any(g.startswith(ex) for ex in policy.duplicate_class_exemptions) and not _catch_all(g, knowledge)
    }
    if not shared:
        return None
    group = sorted(shared)[0]
    label = knowledge.class_label(group)
    name = label.en or group
    vi = f"{first.inn} và {second.describe_vi()} cùng nhóm điều trị {label.vi or name} ({group})."
    en = f"{first.inn} and {second.describe()} are in the same therapeutic group, {name} ({group})."
    return _conflict(first, second, Severity.MODERATE, policy, vi=vi, en=en, basis=f"same ATC group {group}")


def _conflict(
    first: Occurrence, second: Occurrence, severity: Severity, policy: Policy, *, vi: str, en: str, basis: str
) -> Conflict:
    drugs = tuple(sorted({first.inn, second.inn}))
    entries = first.record_entries() + second.record_entries()
    return Conflict(
        id=conflict_id(
            ConflictKind.DUPLICATE_THERAPY.value, drugs, line_indexes(first, second), [e.id for e in entries]
        ),
        kind=ConflictKind.DUPLICATE_THERAPY,
        severity=severity,
        interruptive=policy.is_interruptive(ConflictKind.DUPLICATE_THERAPY, severity),
        line_indexes=line_indexes(first, second),
        record_entries=entries,
        drugs=drugs,
        title=LocalizedText(
            vi=f"Trùng lặp điều trị: {' + '.join(drugs)}", en=f"Duplicate therapy: {' + '.join(drugs)}"
        ),
        detail=LocalizedText(vi=vi, en=en),
        management=LocalizedText(
            vi="Kiểm tra lại chỉ định; tránh dùng đồng thời nếu không có chủ đích.",
            en="Review the indication; avoid giving both unless intended.",
        ),
        evidence=(Evidence(source=ATC_SOURCE if "ATC" in basis else POLICY_SOURCE, via=basis),),
    )
