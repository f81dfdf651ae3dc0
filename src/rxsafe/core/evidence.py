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
    if not hits or any(h.rule.strength is None for h in hits):
        return None
    support: dict[tuple[str, str], SourceSupport] = {}
    for hit in hits:
        strength = hit.rule.strength
        assert strength is not None  # checked above; narrows the type
        for entry in strength.support:
            previous = support.get((entry.source, entry.level))
            if previous is None or (entry.has_text and not previous.has_text):
                support[(entry.source, entry.level)] = entry
    strengths = [h.rule.strength for h in hits if h.rule.strength is not None]
    return EvidenceStrength(
        support=tuple(support[k] for k in sorted(support)),
        has_mechanism=any(s.has_mechanism for s in strengths),
        has_management=any(s.has_management for s in strengths),
        class_only=all(
            INGREDIENT not in (h.rule.a_kind, h.rule.b_kind) or h.rule.a_kind != h.rule.b_kind for h in hits
        ),
    )
