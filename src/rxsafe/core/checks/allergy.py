"""Allergy conflicts: the allergen as an ingredient or a class, and cross-reactivity (beta-lactams, other groups)."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from rxsafe.core.checks.occurrence import Occurrence, conflict_id, new_occurrences
from rxsafe.core.enums import AllergenKind, ConflictKind, RecordEntryKind, Severity
from rxsafe.core.knowledge_port import CrossReactivity, Knowledge
from rxsafe.core.models import (
    Allergy,
    CheckedLine,
    Conflict,
    Evidence,
    LocalizedText,
    PatientContext,
    RecordEntry,
    ResolvedAllergen,
)
from rxsafe.core.patient_index import PatientIndex, at_line, patient_index
from rxsafe.core.policy import Policy

ALLERGY_RECORD_SOURCE = "patient record: allergy history"


def allergy_conflicts(
    context: PatientContext, lines: Sequence[CheckedLine], knowledge: Knowledge, policy: Policy
) -> list[Conflict]:
    """Conflicts between the new lines' ingredients and the patient's recorded allergies.

    Direct (the ingredient, or a member of the allergen class): contraindicated. Cross-reactive by the
    side-chain matrix or a literature group: the severity the row gives (major; moderate where the paper says the
    drug is usually tolerated). Non-drug and unresolved allergens give no conflict here (the latter a notice).
    """
    conflicts: dict[str, Conflict] = {}
    index = patient_index(context, knowledge, policy)
    for occurrence in new_occurrences(lines):
        # The same ingredient on the same line meets the same allergies: worked out once per patient.
        key = ("allergy", occurrence.inn, occurrence.line_index)
        for conflict in index.derived(key, partial(_against_allergies_at, occurrence, index)):
            conflicts.setdefault(conflict.id, conflict)
    return list(conflicts.values())


def _against_allergies_at(occurrence: Occurrence, index: PatientIndex) -> tuple[Conflict, ...]:
    """``_against_allergies`` for the ingredient (worked out once, on whichever line it came first), on this line."""
    line = occurrence.line_index if occurrence.line_index is not None else -1
    compute = partial(_against_allergies, occurrence, index.context, index.knowledge, index.policy)
    return tuple(at_line(c, line, _allergy_id) for c in index.derived(("allergy", occurrence.inn), compute))


def _allergy_id(conflict: Conflict, lines: tuple[int, ...]) -> str:
    return conflict_id(ConflictKind.ALLERGY.value, conflict.drugs[0], lines[0], conflict.record_entries[0].id)


def _against_allergies(
    occurrence: Occurrence, context: PatientContext, knowledge: Knowledge, policy: Policy
) -> tuple[Conflict, ...]:
    found = []
    for allergy, allergen in context.allergies:
        conflict = _direct(occurrence, allergy, allergen, knowledge, policy) or _cross_reactive(
            occurrence, allergy, allergen, knowledge, policy
        )
        if conflict is not None:
            found.append(conflict)
    return tuple(found)


def _direct(
    occurrence: Occurrence, allergy: Allergy, allergen: ResolvedAllergen, knowledge: Knowledge, policy: Policy
) -> Conflict | None:
    if allergen.kind is AllergenKind.INGREDIENT and allergen.concept == occurrence.inn:
        why_en = f"the patient is recorded as allergic to {occurrence.inn}"
        why_vi = f"hồ sơ ghi nhận bệnh nhân dị ứng {occurrence.inn}"
        evidence = Evidence(source=ALLERGY_RECORD_SOURCE, reference=allergy.id)
    elif allergen.kind is AllergenKind.INGREDIENT and knowledge.same_moiety(allergen.concept, occurrence.inn):
        # A salt and its parent are one drug: an allergy to olmesartan is an allergy to olmesartan medoxomil.
        why_en = f"the patient is recorded as allergic to {allergen.concept}, the same drug as {occurrence.inn}"
        why_vi = f"hồ sơ ghi nhận bệnh nhân dị ứng {allergen.concept}, cùng hoạt chất với {occurrence.inn}"
        evidence = Evidence(
            source=ALLERGY_RECORD_SOURCE,
            reference=allergy.id,
            via=f"{occurrence.inn} and {allergen.concept} are a salt or ester and its parent (knowledge moieties)",
        )
    elif allergen.kind is AllergenKind.DRUG_CLASS and knowledge.in_class(occurrence.inn, allergen.concept):
        label = knowledge.class_label(allergen.concept)
        why_en = f"{occurrence.inn} belongs to {label.en or allergen.concept}, to which the patient is allergic"
        group_vi = label.vi or f"nhóm {label.en or allergen.concept}"
        why_vi = f"{occurrence.inn} thuộc {group_vi.lower()} mà bệnh nhân dị ứng"
        evidence = Evidence(
            source=ALLERGY_RECORD_SOURCE,
            reference=allergy.id,
            via=f"{occurrence.inn} is in class {allergen.concept}",
        )
    else:
        return None
    return _conflict(occurrence, allergy, Severity.CONTRAINDICATED, why_vi, why_en, (evidence,), policy)


def _cross_reactive(
    occurrence: Occurrence, allergy: Allergy, allergen: ResolvedAllergen, knowledge: Knowledge, policy: Policy
) -> Conflict | None:
    match = _cross_reactivity(occurrence.inn, allergen, knowledge)
    if match is None:
        return None
    # A lower-severity row is a drug the literature says is usually tolerated: it "may" cross-react.
    verb_en, verb_vi = ("cross-reacts", "có") if match.severity >= Severity.MAJOR else ("may cross-react", "có thể có")
    why_en = f"{occurrence.inn} {verb_en} with {match.allergen} ({match.basis or 'side-chain similarity'})"
    why_vi = f"{occurrence.inn} {verb_vi} phản ứng chéo với {match.allergen} ({match.basis or 'chuỗi bên tương tự'})"
    evidence = (
        Evidence(
            source=match.source.source,
            reference=match.source.reference,
            source_level=match.source.level,
            via=f"allergy to {allergy.allergen!s} → {match.allergen}",
        ),
    )
    return _conflict(occurrence, allergy, match.severity, why_vi, why_en, evidence, policy)


def _cross_reactivity(inn: str, allergen: ResolvedAllergen, knowledge: Knowledge) -> CrossReactivity | None:
    if allergen.kind is AllergenKind.INGREDIENT:
        match = knowledge.cross_reactivity(allergen.concept, inn)
        return match if match is not None and match.cross_reactive else None
    if allergen.kind is AllergenKind.DRUG_CLASS and not knowledge.in_class(inn, allergen.concept):
        found: CrossReactivity | None = None
        for member in sorted(knowledge.class_members(allergen.concept)):
            match = knowledge.cross_reactivity(member, inn)
            # The member that implies the highest severity (first in name order among equals).
            if match is not None and match.cross_reactive and (found is None or match.severity > found.severity):
                found = match
        return found
    return None


def _conflict(  # noqa: PLR0917 -- private helper, called in two places with distinct argument types
    occurrence: Occurrence,
    allergy: Allergy,
    severity: Severity,
    why_vi: str,
    why_en: str,
    evidence: tuple[Evidence, ...],
    policy: Policy,
) -> Conflict:
    entry = RecordEntry(
        kind=RecordEntryKind.ALLERGY,
        id=allergy.id,
        text=allergy.allergen + (f" ({allergy.reaction})" if allergy.reaction else ""),
        start_date=allergy.recorded_date,
    )
    line = occurrence.line_index if occurrence.line_index is not None else -1
    return Conflict(
        id=conflict_id(ConflictKind.ALLERGY.value, occurrence.inn, line, allergy.id),
        kind=ConflictKind.ALLERGY,
        severity=severity,
        interruptive=policy.is_interruptive(ConflictKind.ALLERGY, severity),
        line_indexes=(line,),
        record_entries=(entry,),
        drugs=(occurrence.inn,),
        title=LocalizedText(
            vi=f"Dị ứng: {allergy.allergen} — {occurrence.inn}",
            en=f"Allergy: {allergy.allergen} — {occurrence.inn}",
        ),
        detail=LocalizedText(vi=why_vi + ".", en=why_en + "."),
        consequence=LocalizedText(
            vi=f"Nguy cơ phản ứng dị ứng{f' (đã ghi nhận: {allergy.reaction})' if allergy.reaction else ''}.",
            en=f"Risk of an allergic reaction{f' (recorded: {allergy.reaction})' if allergy.reaction else ''}.",
        ),
        management=LocalizedText(
            vi="Không dùng, hoặc chỉ dùng khi lợi ích vượt nguy cơ và có theo dõi; xác minh tiền sử dị ứng.",
            en="Avoid, or give only if the benefit outweighs the risk, with monitoring; verify the allergy history.",
        ),
        evidence=evidence,
    )
