"""The evidence strength of one conflict: the strengths of every rule that reaches the pair, combined."""

from __future__ import annotations

from collections.abc import Sequence

from rxsafe.core.knowledge_port import INGREDIENT, InteractionHit
from rxsafe.core.models import EvidenceStrength, SourceSupport


def combined_strength(hits: Sequence[InteractionHit]) -> EvidenceStrength | None:
    """The union of the rules' support (one entry per source and level); None when no rule carries a strength.

    A rule without a strength (a build before evidence_strength.tsv, a test fake) makes the whole answer None,
    so the tier rules fall back to severity alone rather than judge on part of the evidence.
    """
    strengths = [h.rule.strength for h in hits]
    if not hits or any(s is None for s in strengths):
        return None
    known = [s for s in strengths if s is not None]
    # No rule names the pair itself: each reached it through a class or a combination it names.
    class_only = all(not (h.rule.a_kind == h.rule.b_kind == INGREDIENT) for h in hits)
    if len(known) == 1:
        # Most pairs have one rule: its own strength object, shared by every conflict it reaches.
        return known[0].model_copy(update={"class_only": True}) if class_only else known[0]
    key = (*(id(s) for s in known), class_only)
    hit = _COMBINED.get(key)
    if hit is not None and all(a is b for a, b in zip(hit[0], known, strict=True)):
        return hit[1]
    combined = _combine(known, class_only)
    if len(_COMBINED) >= _COMBINED_MAX:
        _COMBINED.clear()
    # The rule strengths are kept with the answer, so their id()s cannot be reused while the entry exists.
    _COMBINED[key] = (tuple(known), combined)
    return combined


# The same rules reach the same pairs check after check: their union is worked out once (bounded; a dict's
# get and set are atomic, so threads at worst compute one twice).
_COMBINED_MAX = 4096
_COMBINED: dict[tuple[int | bool, ...], tuple[tuple[EvidenceStrength, ...], EvidenceStrength]] = {}


def _combine(known: Sequence[EvidenceStrength], class_only: bool) -> EvidenceStrength:
    support: dict[tuple[str, str], SourceSupport] = {}
    for strength in known:
        for entry in strength.support:
            previous = support.get((entry.source, entry.level))
            if previous is None or (entry.has_text and not previous.has_text):
                support[(entry.source, entry.level)] = entry
    # The parts are validated models already: built without validating them again on every check.
    return EvidenceStrength.model_construct(
        support=tuple(support[k] for k in sorted(support)),
        has_mechanism=any(s.has_mechanism for s in known),
        has_management=any(s.has_management for s in known),
        class_only=class_only,
    )
