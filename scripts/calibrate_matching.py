"""Calibrate the fuzzy thresholds of rxsafe.matching on a labelled set generated from the vocabulary.

Usage: ``python scripts/calibrate_matching.py [KNOWLEDGE_DIR] [--seed N] [--size N]``

This is the synthetic half of the calibration; the other half is the labelled products set
(``python -m rxsafe.matching.evaluate``), where unknown brands play the hard negatives.

Labelled set (deterministic for a seed):
- positives: real ingredient names (INN and Vietnamese spelling) with one typo each (a letter deleted,
  two neighbours swapped, a letter doubled, a vowel replaced); the expected answer is that ingredient;
- hard negatives, leave-one-out: real names whose ingredient is removed from the choices, so that the
  nearest match is a different, usually related, drug (cefotaxime held out -> cefoxitin); the only
  right answer is "unresolved";
- made-up negatives: invented names with drug-like stems and suffixes ("Xyzzyquinol", "Tramocillin").

For each (threshold, margin) it prints recall on positives (correct / all), the wrong-match rate on
positives and on negatives, and precision (correct / all that resolved). Exact lookups run first, as in
the resolver; only names that miss them reach the fuzzy step, which is what is being calibrated.
"""

from __future__ import annotations

import argparse
import random
from dataclasses import dataclass
from pathlib import Path

from rxsafe.matching.fuzzy import NAME_POLICY, FuzzyPolicy
from rxsafe.matching.normalize import base_tokens, key_candidates, key_tokens, match_key, salt_only
from rxsafe.matching.vocabulary import Vocabulary, load_vocabulary

_VOWELS = "aeiou"
_STEMS = ["xyzzy", "tramo", "belu", "cardo", "vexa", "lumi", "dorza", "pranto", "quila", "zenti", "morfa",
          "trilo"]  # fmt: skip
_SUFFIXES = ["quinol", "cillin", "floxacin", "azole", "statin", "pril", "sartan", "olol", "mycin", "dipine",
             "prazole", "tidine", "vir", "mab", "parin", "cycline", "dronate", "setron", "triptan",
             "gliptin"]  # fmt: skip


PARENT = "parent"  # a salt or ester resolved to its parent moiety by an exact lookup: correct, counted apart


@dataclass(frozen=True)
class Case:
    text: str
    expected: str | None  # the INN, or None when the right answer is "unresolved"
    held_out: str | None = None  # an ingredient hidden from the vocabulary for this case


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["delete", "swap", "double", "vowel"])
    if kind == "delete":
        return word[:i] + word[i + 1 :]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    vowels = [j for j, c in enumerate(word) if c in _VOWELS and j > 0]
    if not vowels:
        return word[:i] + word[i + 1 :]
    j = rng.choice(vowels)
    return word[:j] + rng.choice([v for v in _VOWELS if v != word[j]]) + word[j + 1 :]


def _drug_like(vocab: Vocabulary) -> list[str]:
    """Ingredient names a prescriber writes: one or two plain words, no codes or chemical names."""
    out = []
    for inn, ing in vocab.ingredients.items():
        for name in (inn, ing.vi_name):
            words = name.split()
            if name and 1 <= len(words) <= 2 and all(w.isalpha() for w in words) and len(name) >= 6:
                out.append(name)
    return sorted(set(out))


def build_cases(vocab: Vocabulary, rng: random.Random, size: int) -> list[Case]:
    names = _drug_like(vocab)
    by_name = {}
    for inn, ing in vocab.ingredients.items():
        by_name[inn] = inn
        if ing.vi_name:
            by_name[ing.vi_name] = inn
    sample = rng.sample(names, min(size, len(names)))
    cases = [Case(_typo(n, rng), by_name[n]) for n in sample]
    held = rng.sample(names, min(size, len(names)))
    cases += [Case(n, None, held_out=by_name[n]) for n in held]
    cases += [Case(rng.choice(_STEMS) + rng.choice(_SUFFIXES), None) for _ in range(size // 2)]
    cases.append(Case("Xyzzyquinol", None))
    return cases


def classify(case: Case, vocab: Vocabulary, policy: FuzzyPolicy) -> str | None:
    """The INN the matcher would report, "?" for ambiguous, None for unresolved (as the resolver does)."""
    for key in key_candidates(case.text):
        entry = vocab.names.get(key)
        if entry is not None:
            inns = [i for i in entry.best if i != case.held_out]
            if inns and key != match_key(case.text):
                # "estradiol acetate" -> estradiol: the parent of a salt is the right concept.
                return PARENT
            if inns:
                return inns[0] if len(inns) == 1 else "?"
    held = case.held_out
    hit = None
    for tokens in (key_tokens(case.text), base_tokens(case.text)):  # as resolver._fuzzy_name
        if tokens and not salt_only(tokens):
            hit = vocab.fuzzy_names.lookup(
                tokens,
                lambda k: vocab.names[k].best,
                policy,
                exclude=(lambda k: held in vocab.names[k].best) if held else None,
            )
            if hit is not None:
                break
    if hit is None:
        return None
    if hit.rivals:
        return "?"
    inns = vocab.names[hit.key].best
    return inns[0] if len(inns) == 1 else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("knowledge_dir", nargs="?", default="knowledge", type=Path)
    parser.add_argument("--seed", type=int, default=20260115)
    parser.add_argument("--size", type=int, default=400)
    args = parser.parse_args()
    vocab = load_vocabulary(args.knowledge_dir)
    rng = random.Random(args.seed)  # noqa: S311 -- a reproducible sample, not a secret
    cases = build_cases(vocab, rng, args.size)
    positives = [c for c in cases if c.expected]
    negatives = [c for c in cases if not c.expected]
    print(f"vocabulary: {len(vocab.ingredients)} ingredients, {len(vocab.fuzzy_names)} fuzzy keys")
    print(f"cases: {len(positives)} misspellings, {len(negatives)} negatives "
          f"({sum(1 for c in negatives if c.held_out)} leave-one-out)")  # fmt: skip
    print("threshold margin | recall  wrong(pos) ambiguous | wrong(neg) | precision")
    for threshold in (84, 86, 88, 90, 92, 94, 96):
        for margin in (0, 4, 6):
            policy = FuzzyPolicy(threshold=threshold, margin=margin, min_length=NAME_POLICY.min_length)
            right = wrong_pos = amb = wrong_neg = 0
            for c in positives:
                got = classify(c, vocab, policy)
                right += got in (c.expected, PARENT)
                wrong_pos += got is not None and got not in ("?", c.expected, PARENT)
                amb += got == "?"
            for c in negatives:
                got = classify(c, vocab, policy)
                wrong_neg += got is not None and got not in ("?", PARENT)
            resolved = right + wrong_pos + wrong_neg
            print(
                f"{threshold:9} {margin:6} | {right / len(positives):6.1%} {wrong_pos / len(positives):10.1%}"
                f" {amb / len(positives):9.1%} | {wrong_neg / len(negatives):10.1%} |"
                f" {right / resolved if resolved else 1:9.1%}"
            )


if __name__ == "__main__":
    main()
