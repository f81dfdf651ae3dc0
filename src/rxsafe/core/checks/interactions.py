"""Drug–drug interactions: between the new lines, and between each new line and the recorded medications."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import partial
from itertools import combinations

from rxsafe.core.checks.occurrence import (
    Occurrence,
    conflict_id,
    line_indexes,
    new_occurrences,
)
from rxsafe.core.enums import ConflictKind
from rxsafe.core.evidence import combined_strength
from rxsafe.core.knowledge_port import COMBINATION, InteractionHit, InteractionRule, Knowledge
from rxsafe.core.models import CheckedLine, Conflict, Evidence, LocalizedText, PatientContext
from rxsafe.core.patient_index import PatientIndex, at_line, patient_index
from rxsafe.core.policy import Policy

# What one new ingredient meets in the record: each interacting recorded occurrence with its hits, and the
# conflict already built when no hit names a fixed combination (whose completeness depends on the new lines).
Toward = tuple[tuple[Occurrence, tuple[InteractionHit, ...], Conflict | None], ...]


def interaction_conflicts(
    context: PatientContext, lines: Sequence[CheckedLine], knowledge: Knowledge, policy: Policy
) -> list[Conflict]:
    """One conflict per interacting ingredient pair; its severity is the highest any source gives.

    Every source that supports the pair stays as evidence, and class rules say how they reached it.
    """
    new = list(new_occurrences(lines))
    index = patient_index(context, knowledge, policy)
    present = {o.inn for o in new} | index.recorded_inns
    conflicts: dict[str, Conflict] = {}
    # Pairs of new lines are few (10 for 5 lines) and rarely the same twice: not kept (core.patient_index budget).
    for first, second in _candidate_pairs(new, []):
        _add(conflicts, first, second, knowledge.interactions(first.inn, second.inn), present, policy)
    # Toward the record: worked out once per ingredient and line index for the patient (core.patient_index).
    for first in new:
        key = ("interaction", first.inn, first.line_index)
        toward = index.derived(key, partial(_toward_record_at, first, index))
        for second, hits, built in toward:
            if built is not None:
                conflicts.setdefault(built.id, built)
            else:
                _add(conflicts, first, second, hits, present, policy)
    return list(conflicts.values())


def _add(  # noqa: PLR0917 -- private; one pair's hits into the conflicts found
    conflicts: dict[str, Conflict],
    first: Occurrence,
    second: Occurrence,
    hits: Sequence[InteractionHit],
    present: set[str],
    policy: Policy,
) -> None:
    if first.inn == second.inn:
        return  # the same ingredient twice is duplicate therapy, not an interaction
    complete = [h for h in hits if _combination_complete(h.rule, present)]
    if complete:
        conflict = _conflict(first, second, complete, policy)
        conflicts.setdefault(conflict.id, conflict)


def _toward_record_at(first: Occurrence, index: PatientIndex) -> Toward:
    """``_toward_record`` for the ingredient (worked out once, on whichever line it came first), on this line."""
    line = first.line_index if first.line_index is not None else -1
    toward = index.derived(("interaction", first.inn), partial(_toward_record, first, index))
    return tuple(
        (second, hits, None if built is None else at_line(built, line, _interaction_id))
        for second, hits, built in toward
    )


def _interaction_id(conflict: Conflict, lines: tuple[int, ...]) -> str:
    return conflict_id(ConflictKind.INTERACTION.value, conflict.drugs, lines, [e.id for e in conflict.record_entries])


def _toward_record(first: Occurrence, index: PatientIndex) -> Toward:
    """Every recorded occurrence the new one interacts with, in record order (one scan per ingredient)."""
    found = []
    for second in index.recorded:
        if first.inn == second.inn:
            continue
        hits = tuple(index.knowledge.interactions(first.inn, second.inn))
        if not hits:
            continue
        needs_lines = any(COMBINATION in (h.rule.a_kind, h.rule.b_kind) for h in hits)
        found.append((second, hits, None if needs_lines else _conflict(first, second, hits, index.policy)))
    return tuple(found)


def _combination_complete(rule: InteractionRule, present: set[str]) -> bool:
    """A rule naming a fixed combination (sacubitril + valsartan) applies only when every component is taken.

    Valsartan alone with an ACE inhibitor is not the contraindicated sacubitril/valsartan pair.
    """
    for kind, concept in ((rule.a_kind, rule.a), (rule.b_kind, rule.b)):
        if kind == COMBINATION and not set(concept.split(" + ")) <= present:
            return False
    return True


def _candidate_pairs(new: list[Occurrence], recorded: list[Occurrence]) -> Iterator[tuple[Occurrence, Occurrence]]:
    for first, second in combinations(new, 2):
        if first.line_index != second.line_index:
            yield first, second
    for first in new:
        for second in recorded:
            yield first, second


def _conflict(first: Occurrence, second: Occurrence, hits: Sequence[InteractionHit], policy: Policy) -> Conflict:
    ranked = sorted(hits, key=lambda h: (-h.rule.severity, h.rule.rule_id))
    top = ranked[0].rule
    severity = top.severity
    # Vietnamese text from the national list where a rule has it, whatever its rank.
    with_vi = next((h.rule for h in ranked if h.rule.mechanism.vi or h.rule.consequence.vi), None)
    drugs = tuple(sorted({first.inn, second.inn}))
    entries = first.record_entries() + second.record_entries()
    evidence = tuple(
        Evidence(
            source=src.source,
            reference=src.reference,
            rule_id=hit.rule.rule_id,
            source_level=src.level,
            via=hit.via,
        )
        for hit in ranked
        for src in hit.rule.sources
    )
    return Conflict(
        id=conflict_id(ConflictKind.INTERACTION.value, drugs, line_indexes(first, second), [e.id for e in entries]),
        kind=ConflictKind.INTERACTION,
        severity=severity,
        interruptive=policy.is_interruptive(ConflictKind.INTERACTION, severity),
        line_indexes=line_indexes(first, second),
        record_entries=entries,
        drugs=drugs,
        title=LocalizedText(
            vi=f"Tương tác thuốc: {first.inn} + {second.inn}",
            en=f"Drug interaction: {first.inn} + {second.inn}",
        ),
        detail=LocalizedText(
            vi=f"{first.describe_vi()} và {second.describe_vi()}: mức độ {severity.name.lower()} "
            f"(cấp độ {severity.formulary_level}).",
            en=f"{first.describe()} and {second.describe()}: {severity.name.lower()} "
            f"(formulary level {severity.formulary_level}).",
        ),
        mechanism=_merge(top.mechanism, with_vi.mechanism if with_vi else None),
        consequence=_merge(top.consequence, with_vi.consequence if with_vi else None),
        management=_merge(top.management, with_vi.management if with_vi else None),
        evidence=evidence,
        strength=combined_strength(ranked),
    )


def _merge(top: LocalizedText, vietnamese: LocalizedText | None) -> LocalizedText:
    vi = top.vi or (vietnamese.vi if vietnamese else "")
    en = top.en or (vietnamese.en if vietnamese else "")
    return LocalizedText(vi=vi, en=en)
