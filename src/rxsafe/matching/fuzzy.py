"""The fuzzy fallback: ``fuzz.ratio`` over pre-normalised match keys, with a threshold and an ambiguity margin.

``fuzz.ratio`` (normalised Indel similarity) on short canonical keys is both the cheapest rapidfuzz scorer
and the right one here: WRatio's partial and token paths reward shared fragments ("cef", "mycin") that
distinguish nothing between drugs (research/perf-and-style.md, Part 1b).

Two guards come before any score, because the closest wrong answers differ from the right ones in ways
a similarity score cannot weigh:

- the first letter must agree. Prescribers rarely mistype the start of a name, while related but
  different drugs differ exactly there (citalopram / escitalopram, cloxacillin / dicloxacillin,
  propranolol / dexpropranolol, nitric / citric acid);
- short tokens and numbers must agree exactly: "vitamin b1" is never a typo of "vitamin b12", nor
  "latrunculin a" of "latrunculin b";
- at most ``max_edits`` typing errors (optimal string alignment: a letter missing, extra, wrong, or two
  swapped). ``fuzz.ratio`` alone forgives a two-letter gap in a long name, and that is exactly how
  neighbouring drugs differ (valaciclovir / valganciclovir, pentifylline / pentoxifylline,
  dinoprost / dinoprostone).

Candidates are bucketed by (prefix, short tokens) at load, which is also what makes a lookup cheap.
The thresholds were calibrated with ``scripts/calibrate_matching.py``; see its docstring for the set.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

__all__ = ["ALLERGY_POLICY", "NAME_POLICY", "FuzzyHit", "FuzzyIndex", "FuzzyPolicy"]

_PREFIX = 1
_SHORT_TOKEN = 2


@dataclass(frozen=True, slots=True)
class FuzzyPolicy:
    """When a near match counts.

    ``threshold`` (0–100) is the least score of the best match; a different concept scoring within
    ``margin`` of it makes the match ambiguous; keys shorter than ``min_length`` never match, and a key
    more than ``max_edits`` typing errors away never matches whatever its score.
    """

    threshold: float
    margin: float
    min_length: int = 5
    max_edits: int = 1


# Ingredient names (INN, Vietnamese, US, French spellings). Calibrated on the labelled products set
# (rxsafe.matching.evaluate) and scripts/calibrate_matching.py. Keys shorter than 8 letters are never
# matched fuzzily: unknown brands are built from INN fragments, and at 5-7 letters one edit turned them
# into a real ingredient ("Cholina" -> choline, "Htemin" -> hemin, "Alaine" -> alanine). 88 would recover
# more typos (held-out INN typo recall 76% -> 83%) but lets a made-up 9-letter name one letter from an INN
# through ("Quilapril" -> quinapril); at 90 a substitution needs 10 letters.
NAME_POLICY = FuzzyPolicy(threshold=90.0, margin=4.0, min_length=8)
# Brands have no fuzzy policy: they are matched exactly or not at all (resolver._match_name).
# Allergy entries: a wrong match either hides a real allergy or raises a false alarm; stricter.
ALLERGY_POLICY = FuzzyPolicy(threshold=94.0, margin=6.0, min_length=6)


@dataclass(frozen=True, slots=True)
class FuzzyHit:
    """The best key and its score; ``rivals`` are other concepts' keys within the margin (ambiguous)."""

    key: str
    score: float
    rivals: tuple[tuple[str, float], ...] = ()


def _bucket(tokens: Sequence[str]) -> tuple[str, tuple[str, ...]]:
    key = "".join(tokens)
    short = tuple(t for t in tokens if len(t) <= _SHORT_TOKEN or any(c.isdigit() for c in t))
    return key[:_PREFIX], short


class FuzzyIndex:
    """Match keys bucketed for fuzzy lookup; built once from each key's canonical tokens.

    >>> index = FuzzyIndex([["amoxicilin"], ["ampicilin"], ["vitamin", "b1"], ["vitamin", "b12"]])
    >>> hit = index.lookup(["amoxcilin"], str, NAME_POLICY)
    >>> hit.key, round(hit.score)
    ('amoxicilin', 95)
    >>> index.lookup(["vitamin", "b2"], str, NAME_POLICY) is None
    True
    """

    def __init__(self, token_lists: Iterable[Sequence[str]]) -> None:
        buckets: dict[tuple[str, tuple[str, ...]], set[str]] = defaultdict(set)
        for tokens in token_lists:
            if tokens:
                buckets[_bucket(tokens)].add("".join(tokens))
        self._buckets = {b: tuple(sorted(keys)) for b, keys in buckets.items()}

    def __len__(self) -> int:
        return sum(len(keys) for keys in self._buckets.values())

    def keys(self) -> Iterable[str]:
        """Every key in the index."""
        for keys in self._buckets.values():
            yield from keys

    def lookup(
        self,
        tokens: Sequence[str],
        identity: Callable[[str], Hashable],
        policy: FuzzyPolicy,
        exclude: Callable[[str], bool] | None = None,
    ) -> FuzzyHit | None:
        """The best near match of the name with these canonical ``tokens`` under ``policy``, or None.

        ``identity`` maps a key to the concept it names, so two spellings of one drug are not rivals;
        ``exclude`` hides keys (the calibration's leave-one-out).
        """
        query = "".join(tokens)
        if len(query) < policy.min_length:
            return None
        choices = self._buckets.get(_bucket(tokens), ())
        if exclude is not None:
            choices = tuple(k for k in choices if not exclude(k))
        found = process.extract(
            query,
            choices,
            scorer=fuzz.ratio,
            processor=None,
            limit=10,
            score_cutoff=policy.threshold - policy.margin,
        )
        found = [f for f in found if OSA.distance(query, f[0]) <= policy.max_edits]
        if not found or found[0][1] < policy.threshold:
            return None
        best_key, best_score, _ = found[0]
        seen = {identity(best_key)}
        rivals = []
        for key, score, _ in found[1:]:
            concept = identity(key)
            if concept not in seen and score >= best_score - policy.margin:
                seen.add(concept)
                rivals.append((key, score))
        return FuzzyHit(best_key, best_score, tuple(rivals))
