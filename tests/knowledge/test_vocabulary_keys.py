"""No name in the compiled tables is AMBIGUOUS to the matcher: one match key, one ingredient at the top rank."""

from __future__ import annotations

from rxsafe.matching.vocabulary import load_vocabulary
from tests.knowledge.conftest import KNOWLEDGE


def test_no_alias_key_names_two_ingredients() -> None:
    vocabulary = load_vocabulary(KNOWLEDGE)
    ambiguous = {key: entry.best for key, entry in vocabulary.names.items() if len(entry.best) > 1}
    assert not ambiguous, ambiguous


def test_reported_collisions_resolve_to_one_ingredient() -> None:
    from rxsafe.matching.normalize import match_key  # noqa: PLC0415 -- local: only this test needs it

    names = load_vocabulary(KNOWLEDGE).names
    assert names[match_key("albuterol")].best == ("salbutamol",)
    assert names[match_key("insulin human")].best == ("insulin",)
    assert names[match_key("sulfafenazol")].best == ("sulfaphenazole",)
    assert names[match_key("Vitamin PP")].best == ("nicotinamide",)
