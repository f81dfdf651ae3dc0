"""No name in the compiled tables is AMBIGUOUS to the matcher: one match key, one ingredient at the top rank.

The one kind of exception is reviewed: a QĐ 5948 group side whose name names each of its members
("Peginterferon-alpha": alfa-2a or alfa-2b, ``names_each_member`` in ``data/qd5948_class_sides.csv``).
"""

from __future__ import annotations

from rxsafe.knowledge.build.class_support import read_data_csv, split_list
from rxsafe.knowledge.build.qd5948 import CLASS_SIDES_FILE
from rxsafe.matching.normalize import match_key
from rxsafe.matching.vocabulary import load_vocabulary
from tests.knowledge.conftest import KNOWLEDGE


def test_no_alias_key_names_two_ingredients() -> None:
    vocabulary = load_vocabulary(KNOWLEDGE)
    ambiguous = {key: entry.best for key, entry in vocabulary.names.items() if len(entry.best) > 1}
    reviewed = {
        match_key(row["name"]): tuple(sorted(split_list(row["members"])))
        for row in read_data_csv(CLASS_SIDES_FILE)
        if row["names_each_member"] == "yes"
    }
    assert ambiguous == reviewed


def test_reported_collisions_resolve_to_one_ingredient() -> None:
    names = load_vocabulary(KNOWLEDGE).names
    assert names[match_key("albuterol")].best == ("salbutamol",)
    assert names[match_key("insulin human")].best == ("insulin",)
    assert names[match_key("sulfafenazol")].best == ("sulfaphenazole",)
    assert names[match_key("Vitamin PP")].best == ("nicotinamide",)
