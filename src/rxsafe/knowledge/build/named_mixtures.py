"""Standard solutions a product source names instead of listing their ingredients ("Ringer lactat").

The hospital tender list writes the active ingredient of a Ringer's lactate infusion as "Ringer lactat", a name
no ingredient vocabulary has: the product was left out, and a prescription line written the same way resolved
to nothing. ``data/named_mixtures.csv`` (reviewed) gives each such name the ingredients registered products of
that name list, with their registration numbers; the build checks that those products still list exactly these
ingredients (``check_against``), so the composition always comes from a registration, never from memory.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from rxsafe.knowledge.build.class_support import read_data_csv, split_list
from rxsafe.knowledge.build.names import fold
from rxsafe.knowledge.build.rows import ProductRow

MIXTURES_FILE = "named_mixtures.csv"


@dataclass(frozen=True)
class NamedMixture:
    """One reviewed name of a standard solution: its ingredients as registrations write them, and where."""

    name: str
    ingredients: tuple[str, ...]
    registrations: tuple[str, ...]
    reason: str


@cache
def mixtures() -> dict[str, NamedMixture]:
    """The reviewed table, by folded name."""
    out: dict[str, NamedMixture] = {}
    for row in read_data_csv(MIXTURES_FILE):
        mixture = NamedMixture(
            row["name"], tuple(split_list(row["ingredients"])), tuple(split_list(row["registrations"])), row["reason"]
        )
        if not mixture.ingredients or not mixture.registrations:
            raise ValueError(
                f"{MIXTURES_FILE}: {mixture.name!r} needs ingredients and the registrations that list them"
            )
        out[fold(mixture.name)] = mixture
    return out


def expand(parts: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Parsed (name, strength) parts with every named mixture replaced by its ingredients (strengths unknown)."""
    out: list[tuple[str, str]] = []
    for name, strength in parts:
        mixture = mixtures().get(fold(name))
        if mixture is None:
            out.append((name, strength))
        else:
            out.extend((ingredient, "") for ingredient in mixture.ingredients)
    return out


def check_against(products: Iterable[ProductRow], to_inn: dict[str, str]) -> None:
    """Raise unless every registration a mixture cites is a product listing exactly the mixture's ingredients.

    ``to_inn`` maps each mixture ingredient name to its INN (the build's name bridge).
    """
    by_registration = {p.registration_number.strip().upper(): p for p in products}
    for mixture in mixtures().values():
        wanted = {to_inn[n] for n in mixture.ingredients}
        for registration in mixture.registrations:
            product = by_registration.get(registration.upper())
            if product is None or set(product.ingredients) != wanted:
                found = sorted(product.ingredients) if product else "no such product"
                raise ValueError(
                    f"{MIXTURES_FILE}: {mixture.name!r} cites {registration}, which lists {found}, not {sorted(wanted)}"
                )
