"""Salt and ester forms that take their parent ingredient's interaction rules (knowledge/moieties.tsv).

Interaction sources name a drug either by its active moiety ("olmesartan", DDInter: 85 rules) or by the salt it
is sold as ("olmesartan medoxomil", WHO ATC: none), and a product resolves to whichever name its registration
uses. A rule about the moiety is about every salt of it, so a salt that no source names in a pair rule takes
its parent's rules; the checker says so in the conflict's evidence ("olmesartan medoxomil is a salt or ester of
olmesartan"). A salt that sources do name (potassium chloride: 541 rules; hydrocortisone butyrate: 25) keeps
only its own: those sources chose what applies to it, and adding the parent's would flood a cream with the
systemic drug's alerts.

The link is nomenclature, not pharmacology: the salt's name is the parent's name plus salt, ester or hydrate
words (``matching.normalize.moiety_key``), and the parent's name must name exactly one ingredient.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from rxsafe.knowledge.build.rows import AliasRow, IngredientRow, MoietyRow, RuleRow
from rxsafe.matching.normalize import match_key, moiety_key

SOURCE = "rxsafe salt-name rule (INN + salt/ester words; knowledge/build/moieties.py)"
# Names an ingredient is known by in its own right (not DrugBank's many synonyms).
_OWN_NAME_KINDS = frozenset({"inn", "vi_spelling", "us_name"})


def derive(
    ingredients: Iterable[IngredientRow], aliases: Iterable[AliasRow], rules: Iterable[RuleRow]
) -> list[MoietyRow]:
    """One row per salt that no pair rule names and whose parent is an ingredient of the tables."""
    inns = [row.inn for row in ingredients]
    named: dict[str, set[str]] = defaultdict(set)
    for inn in inns:
        named[match_key(inn)].add(inn)
    for alias in aliases:
        if alias.kind in _OWN_NAME_KINDS:
            named[match_key(alias.alias)].add(alias.inn)
    in_pair_rules = {side for rule in rules for kind, side in ((rule.a_kind, rule.a), (rule.b_kind, rule.b))
                     if kind == "ingredient"}  # fmt: skip
    rows = []
    for inn in inns:
        key = moiety_key(inn)
        parents = named.get(key, set()) - {inn} if key else set()
        if len(parents) != 1 or inn in in_pair_rules:
            continue
        parent = parents.pop()
        rows.append(MoietyRow(inn, parent, f"{inn} = {parent} + salt, ester or hydrate words", SOURCE))
    return rows
