"""``rxsafe knowledge diff A B``: what changed between two builds, as a pharmacist reviews it.

Rules are matched across the builds by their concept pair ``(a_kind, a, b_kind, b)`` (the rule id is derived
from it, but the key is what a reviewer reads). Reported: rules added, rules removed, rules whose severity
changed (old → new), rules whose sources changed at the same severity (counted), rules whose evidence-strength
class changed (issue 18; when both builds have ``evidence_strength.tsv``), and ingredients added/removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rxsafe.knowledge.strength_stats import STRENGTH_CLASSES, STRENGTH_TABLE, strength_classes
from rxsafe.knowledge.tables import SEVERITIES, Rule, read_ingredients, read_rules

RuleKey = tuple[str, str, str, str]


@dataclass(frozen=True)
class SeverityChange:
    """A rule present in both builds whose severity differs."""

    key: RuleKey
    old: str
    new: str
    sources: tuple[str, ...]  # the new build's sources, to say why

    @property
    def raised(self) -> bool:
        """Whether the new severity is higher (a stricter alert) than the old."""
        return SEVERITIES.index(self.new) < SEVERITIES.index(self.old)


@dataclass(frozen=True)
class StrengthChange:
    """A rule present in both builds whose evidence-strength class differs (e.g. single → corroborated)."""

    key: RuleKey
    old: str
    new: str

    @property
    def weakened(self) -> bool:
        """Whether the new class is weaker than the old (the tier rules may now show it lower)."""
        return STRENGTH_CLASSES.index(self.new) > STRENGTH_CLASSES.index(self.old)


@dataclass(frozen=True)
class KnowledgeDiff:
    """The differences between build ``a`` (old) and build ``b`` (new)."""

    old_rules: int
    new_rules: int
    added: tuple[Rule, ...]
    removed: tuple[Rule, ...]
    severity_changed: tuple[SeverityChange, ...]
    sources_changed: int  # same key, same severity, different source list
    ingredients_added: tuple[str, ...]
    ingredients_removed: tuple[str, ...]
    strength_changed: tuple[StrengthChange, ...] = ()
    # False when either build has no evidence_strength.tsv (then strength changes are not known).
    strength_compared: bool = False

    @property
    def empty(self) -> bool:
        """Whether the two builds hold the same rules and ingredients (texts aside)."""
        return not (
            self.added
            or self.removed
            or self.severity_changed
            or self.sources_changed
            or self.ingredients_added
            or self.ingredients_removed
            or self.strength_changed
        )


def _severity_order(rule: Rule) -> tuple[int, RuleKey]:
    return (SEVERITIES.index(rule.severity) if rule.severity in SEVERITIES else len(SEVERITIES), rule.key)


def knowledge_diff(a: Path, b: Path) -> KnowledgeDiff:
    """Compare the tables of folder ``a`` (old) with those of folder ``b`` (new)."""
    old = {r.key: r for r in read_rules(a)}
    new = {r.key: r for r in read_rules(b)}
    changed: list[SeverityChange] = []
    sources_changed = 0
    for key in sorted(old.keys() & new.keys()):
        before, after = old[key], new[key]
        if before.severity != after.severity:
            changed.append(SeverityChange(key, before.severity, after.severity, after.sources))
        elif before.sources != after.sources:
            sources_changed += 1
    # Highest new severity first: the changes that matter most to a prescriber lead the list.
    changed.sort(key=lambda c: (SEVERITIES.index(c.new) if c.new in SEVERITIES else len(SEVERITIES), c.key))
    old_ingredients, new_ingredients = set(read_ingredients(a)), set(read_ingredients(b))
    strength_compared = (a / STRENGTH_TABLE).exists() and (b / STRENGTH_TABLE).exists()
    return KnowledgeDiff(
        old_rules=len(old),
        new_rules=len(new),
        added=tuple(sorted((new[k] for k in new.keys() - old.keys()), key=_severity_order)),
        removed=tuple(sorted((old[k] for k in old.keys() - new.keys()), key=_severity_order)),
        severity_changed=tuple(changed),
        sources_changed=sources_changed,
        ingredients_added=tuple(sorted(new_ingredients - old_ingredients)),
        ingredients_removed=tuple(sorted(old_ingredients - new_ingredients)),
        strength_changed=_strength_changes(a, b, old, new) if strength_compared else (),
        strength_compared=strength_compared,
    )


def _strength_changes(
    a: Path, b: Path, old: dict[RuleKey, Rule], new: dict[RuleKey, Rule]
) -> tuple[StrengthChange, ...]:
    """Rules in both builds whose strength class differs, strongest new class first."""
    old_class, new_class = strength_classes(a), strength_classes(b)
    changes = [
        StrengthChange(key, old_class[old[key].rule_id], new_class[new[key].rule_id])
        for key in sorted(old.keys() & new.keys())
        if old[key].rule_id in old_class
        and new[key].rule_id in new_class
        and old_class[old[key].rule_id] != new_class[new[key].rule_id]
    ]
    changes.sort(key=lambda c: (STRENGTH_CLASSES.index(c.new), c.key))
    return tuple(changes)


def _side(kind: str, concept: str) -> str:
    return concept if kind == "ingredient" else f"[{kind}] {concept}"


def _pair(key: RuleKey) -> str:
    return f"{_side(key[0], key[1])} + {_side(key[2], key[3])}"


def _counts(rules: tuple[Rule, ...]) -> str:
    parts = [f"{sum(1 for r in rules if r.severity == s)} {s}" for s in SEVERITIES]
    return ", ".join(parts)


def _strength_line(diff: KnowledgeDiff) -> str:
    if not diff.strength_compared:
        return f"  evidence strength: not compared (a build has no {STRENGTH_TABLE})"
    weakened = sum(1 for c in diff.strength_changed if c.weakened)
    return (
        f"  evidence strength changed: {len(diff.strength_changed)} ({len(diff.strength_changed) - weakened} "
        f"stronger, {weakened} weaker)"
    )


def format_diff(diff: KnowledgeDiff, limit: int | None = 200) -> str:
    """The diff as plain text: counts first, then each list (at most ``limit`` lines each; None for all)."""

    def listed(items: list[str]) -> list[str]:
        shown = items if limit is None else items[:limit]
        more = [] if len(shown) == len(items) else [f"  … {len(items) - len(shown)} more"]
        return [*shown, *more]

    raised = sum(1 for c in diff.severity_changed if c.raised)
    lines = [
        f"rules: {diff.old_rules} → {diff.new_rules}",
        f"  added:   {len(diff.added)} ({_counts(diff.added)})",
        f"  removed: {len(diff.removed)} ({_counts(diff.removed)})",
        f"  severity changed: {len(diff.severity_changed)} ({raised} raised, {len(diff.severity_changed) - raised} "
        "lowered)",
        f"  same severity, sources changed: {diff.sources_changed}",
        _strength_line(diff),
        f"ingredients: {len(diff.ingredients_added)} added, {len(diff.ingredients_removed)} removed",
    ]
    if diff.severity_changed:
        lines += ["", "severity changed (old → new):"]
        lines += listed(
            [f"  {c.old:>15} → {c.new:<15} {_pair(c.key)}  [{', '.join(c.sources)}]" for c in diff.severity_changed]
        )
    if diff.strength_changed:
        lines += ["", "evidence strength changed (old → new):"]
        lines += listed([f"  {c.old:>15} → {c.new:<15} {_pair(c.key)}" for c in diff.strength_changed])
    if diff.added:
        lines += ["", "added:"]
        lines += listed([f"  {r.severity:<15} {_pair(r.key)}  [{', '.join(r.sources)}]" for r in diff.added])
    if diff.removed:
        lines += ["", "removed:"]
        lines += listed([f"  {r.severity:<15} {_pair(r.key)}  [{', '.join(r.sources)}]" for r in diff.removed])
    if diff.ingredients_added:
        lines += ["", "ingredients added:"]
        lines += listed([f"  {inn}" for inn in diff.ingredients_added])
    if diff.ingredients_removed:
        lines += ["", "ingredients removed:"]
        lines += listed([f"  {inn}" for inn in diff.ingredients_removed])
    if diff.empty:
        lines += ["", "no differences in rules or ingredients"]
    return "\n".join(lines) + "\n"
