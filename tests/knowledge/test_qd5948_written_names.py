"""QĐ 5948's group sides written as the decision and prescribers write them (issue 14 item 6).

"Ringer lactat" resolves to the registered Ringer's lactate products, which hold calcium chloride (the reason
QĐ 5948 row 151 pairs it with ceftriaxone); "Peginterferon-alpha" names two INNs and says so (AMBIGUOUS, with
both); a brand no product source holds stays unknown rather than guessed.
"""

from __future__ import annotations

from functools import cache

import pytest

from rxsafe.core.enums import ResolutionStatus, Severity
from rxsafe.knowledge.build import named_mixtures, va_ndfrt
from rxsafe.knowledge.build.rows import ProductRow
from rxsafe.knowledge.loader import KnowledgeBase
from rxsafe.matching.resolver import NameResolver
from rxsafe.matching.vocabulary import load_vocabulary
from tests.knowledge.conftest import KNOWLEDGE

QD5948 = "QĐ 5948/QĐ-BYT"


@cache
def _resolver() -> NameResolver:
    return NameResolver(load_vocabulary(KNOWLEDGE))


@pytest.mark.parametrize(
    "text", ["Ringer lactat", "Ringer Lactate 500ml", "Dung dịch Ringer lactat", "Lactated Ringer's"]
)
def test_ringer_lactate_as_written_resolves_to_a_product_holding_calcium(text: str) -> None:
    resolution = _resolver().resolve_text(text)
    assert resolution.status is ResolutionStatus.RESOLVED, text
    inns = {i.inn for i in resolution.ingredients}
    assert inns == {"sodium chloride", "potassium chloride", "calcium chloride", "lactic acid"}, text


def test_ringer_lactate_calcium_meets_the_qd5948_rows_with_ceftriaxone(kb: KnowledgeBase) -> None:
    cites = {c.reference for h in kb.interactions("ceftriaxone", "calcium chloride") for c in h.rule.sources
             if c.source == QD5948}  # fmt: skip
    assert {"row 151"} <= cites
    assert max(h.rule.severity for h in kb.interactions("ceftriaxone", "calcium chloride")) is Severity.CONTRAINDICATED


def test_sodium_chloride_alone_is_not_contraindicated_with_ceftriaxone(kb: KnowledgeBase) -> None:
    assert all(h.rule.severity < Severity.CONTRAINDICATED for h in kb.interactions("ceftriaxone", "sodium chloride"))


def test_peginterferon_alpha_is_ambiguous_between_the_two_inns() -> None:
    resolution = _resolver().resolve_text("Peginterferon-alpha")
    assert resolution.status is ResolutionStatus.AMBIGUOUS
    assert set(resolution.candidates) == {"peginterferon alfa-2a", "peginterferon alfa-2b"}


@pytest.mark.parametrize(("text", "inn"), [("Peginterferon alfa-2a", "peginterferon alfa-2a"),
                                           ("Peginterferon alfa-2b", "peginterferon alfa-2b"),
                                           ("Pegasys", "peginterferon alfa-2a")])  # fmt: skip
def test_peginterferon_subtypes_and_the_registered_brand_resolve(text: str, inn: str) -> None:
    resolution = _resolver().resolve_text(text)
    assert resolution.status is ResolutionStatus.RESOLVED
    assert [i.inn for i in resolution.ingredients] == [inn]


def test_a_brand_no_product_source_holds_stays_unknown() -> None:
    # PegIntron (peginterferon alfa-2b) is in none of the VN product sources nor WHO ATC: not guessed.
    assert _resolver().resolve_text("PegIntron").status is ResolutionStatus.UNRESOLVED


def test_va_rows_written_with_the_oxalate_salt_map(kb: KnowledgeBase) -> None:
    cites = {c.source for h in kb.interactions("escitalopram", "linezolid") for c in h.rule.sources}
    assert va_ndfrt.SOURCE in cites


def _product(registration: str, *ingredients: str) -> ProductRow:
    return ProductRow(
        product_id=f"vn:{registration}",
        brand="x",
        registration_number=registration,
        ingredients=ingredients,
        strengths=("",) * len(ingredients),
        dosage_form="",
        source="t",
    )


def test_a_named_mixture_must_match_the_registrations_it_cites() -> None:
    mixture = named_mixtures.mixtures()["ringer lactat"]
    to_inn = dict(zip(mixture.ingredients, ("sodium chloride", "potassium chloride", "calcium chloride",
                                            "lactic acid"), strict=True))  # fmt: skip
    good = [_product(r, *to_inn.values()) for r in mixture.registrations]
    named_mixtures.check_against(good, to_inn)
    bad = [_product(mixture.registrations[0], "sodium chloride", "potassium chloride"), *good[1:]]
    with pytest.raises(ValueError, match="cites"):
        named_mixtures.check_against(bad, to_inn)


def test_expand_replaces_only_the_named_mixture() -> None:
    parts = named_mixtures.expand([("Ringer lactat", "500ml"), ("Glucose", "5%")])
    assert parts[-1] == ("Glucose", "5%")
    assert [n for n, _ in parts[:-1]] == list(named_mixtures.mixtures()["ringer lactat"].ingredients)
