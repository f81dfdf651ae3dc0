"""The fuzzy fallback: ``fuzz.ratio`` over pre-normalised match keys, with a threshold and an ambiguity margin.

``fuzz.ratio`` (normalised Indel similarity) on short canonical keys is both the cheapest rapidfuzz scorer
and the right one here: WRatio's partial and token paths reward shared fragments ("cef", "mycin") that
distinguish nothing between drugs (research/perf-and-style.md, Part 1b).

The thresholds below were calibrated with ``scripts/calibrate_matching.py`` (misspellings of real names
against leave-one-out hard negatives); the figures are in that script's output.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

__all__ = ["ALLERGY_POLICY", "BRAND_POLICY", "NAME_POLICY", "FuzzyHit", "FuzzyPolicy", "fuzzy_lookup"]

_DIGITS = re.compile(r"\d+")


@dataclass(frozen=True, slots=True)
class FuzzyPolicy:
    """When a near match counts: ``threshold`` (0–100) for the best score; a different concept scoring
    within ``margin`` of it makes the match ambiguous; keys shorter than ``min_length`` never match."""

    threshold: float
    margin: float
    min_length: int = 5


# Ingredient names (INN, Vietnamese, US, French spellings).
NAME_POLICY = FuzzyPolicy(threshold=88.0, margin=4.0)
# Brands are short invented words where one letter often separates two different products.
BRAND_POLICY = FuzzyPolicy(threshold=92.0, margin=6.0, min_length=6)
# Allergy entries: a wrong match either hides a real allergy or raises a false alarm; stricter.
ALLERGY_POLICY = FuzzyPolicy(threshold=92.0, margin=6.0, min_length=6)


@dataclass(frozen=True, slots=True)
class FuzzyHit:
    """The best key and its score; ``rivals`` are other concepts' keys within the margin (ambiguous)."""

    key: str
    score: float
    rivals: tuple[tuple[str, float], ...] = ()


def fuzzy_lookup(
    query: str,
    choices: Sequence[str],
    identity: Callable[[str], Hashable],
    policy: FuzzyPolicy,
) -> FuzzyHit | None:
    """The best near match of ``query`` among ``choices`` under ``policy``, or None.

    ``identity`` maps a key to the concept it names, so two spellings of one drug are not rivals.
    Digits must agree exactly: "vitamin b1" is never a typo of "vitamin b12".

    >>> hit = fuzzy_lookup("amoxcilin", ["amoxicilin", "ampicilin"], str, NAME_POLICY)
    >>> hit.key, round(hit.score)
    ('amoxicilin', 95)
    >>> fuzzy_lookup("xyzzyquinol", ["amoxicilin"], str, NAME_POLICY) is None
    True
    """
    if len(query) < policy.min_length:
        return None
    digits = _DIGITS.findall(query)
    found = process.extract(
        query,
        choices,
        scorer=fuzz.ratio,
        processor=None,
        limit=10,
        score_cutoff=policy.threshold - policy.margin,
    )
    best: tuple[str, float] | None = None
    best_id: Hashable = None
    rivals: list[tuple[str, float]] = []
    seen: set[Hashable] = set()
    for key, score, _ in found:
        if _DIGITS.findall(key) != digits:
            continue
        concept = identity(key)
        if best is None:
            if score < policy.threshold:
                return None
            best, best_id = (key, score), concept
            seen.add(concept)
        elif concept != best_id and concept not in seen and score >= best[1] - policy.margin:
            seen.add(concept)
            rivals.append((key, score))
    if best is None:
        return None
    return FuzzyHit(best[0], best[1], tuple(rivals))
