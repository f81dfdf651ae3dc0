"""Resolver behaviour on the fixture knowledge base: what must resolve, and what must not."""

from __future__ import annotations

import pytest

from rxsafe.core.enums import AllergenKind, MatchMethod, ResolutionStatus
from rxsafe.core.models import PrescriptionLine
from rxsafe.matching.port import Resolver
from rxsafe.matching.resolver import NATIONAL_CODE_NOT_MAPPABLE, NameResolver

RESOLVED, AMBIGUOUS, UNRESOLVED = ResolutionStatus.RESOLVED, ResolutionStatus.AMBIGUOUS, ResolutionStatus.UNRESOLVED


def test_implements_the_port(resolver: NameResolver) -> None:
    port: Resolver = resolver
    assert port.resolve_text("Warfarin").status is RESOLVED


@pytest.mark.parametrize(
    ("text", "inns", "strengths"),
    [
        ("Amoxicilin 500mg (Hagimox)", ["amoxicillin"], ["500mg"]),
        ("Aspirin 81mg", ["acetylsalicylic acid"], ["81mg"]),
        ("Warfarin 5mg", ["warfarin"], ["5mg"]),
        ("Paracetamol 500mg x 2 viên/lần", ["paracetamol"], ["500mg"]),
        ("Acid clavulanic", ["clavulanic acid"], [None]),
        ("Kali clorid 600mg", ["potassium chloride"], ["600mg"]),
        ("Natri clorid 0,9%", ["sodium chloride"], ["0,9%"]),
        ("Vitamin C 500mg", ["ascorbic acid"], ["500mg"]),
        ("Cefuroxim 500mg", ["cefuroxime"], ["500mg"]),
        ("Codein", ["codeine"], [None]),
        ("acetaminophen 325mg", ["paracetamol"], ["325mg"]),
        ("rifampin 300mg", ["rifampicin"], ["300mg"]),
        ("Amoxicilin 875mg + Acid clavulanic 125mg", ["amoxicillin", "clavulanic acid"], ["875mg", "125mg"]),
        ("Amlodipin (dưới dạng Amlodipin besilat) 5mg", ["amlodipine"], ["5mg"]),
        ("Augmentin 875mg/125mg", ["amoxicillin", "clavulanic acid"], ["875mg", "125mg"]),
        ("Augmentin 625mg", ["amoxicillin", "clavulanic acid"], [None, None]),
        ("Hagimox 500mg (Amoxicilin)", ["amoxicillin"], ["500mg"]),
        ("Kali clavulanat", ["clavulanic acid"], [None]),
    ],
)
def test_resolves(resolver: NameResolver, text: str, inns: list[str], strengths: list[str | None]) -> None:
    res = resolver.resolve_text(text)
    assert res.status is RESOLVED, res
    assert [i.inn for i in res.ingredients] == inns
    assert [i.strength.text if i.strength else None for i in res.ingredients] == strengths


def test_reports_how(resolver: NameResolver) -> None:
    assert resolver.resolve_text("Warfarin 5mg").method is MatchMethod.EXACT_INN
    assert resolver.resolve_text("Cefuroxim").method is MatchMethod.VI_SPELLING
    assert resolver.resolve_text("rifampin").method is MatchMethod.SYNONYM
    assert resolver.resolve_text("Augmentin").method is MatchMethod.BRAND
    fuzzy = resolver.resolve_text("Amoxcilin 500mg")
    assert (fuzzy.status, fuzzy.method) == (RESOLVED, MatchMethod.FUZZY)
    assert 90 <= fuzzy.score < 100


def test_ingredient_text_wins_and_brand_is_the_product(resolver: NameResolver) -> None:
    res = resolver.resolve_text("Amoxicilin 500mg (Hagimox)")
    assert res.product == "Hagimox"
    assert res.ingredients[0].vi_name == "Amoxicilin"
    unknown_brand = resolver.resolve_text("Amoxicilin 500mg (Khongco)")
    assert unknown_brand.status is RESOLVED and unknown_brand.product == ""


def test_a_combination_with_an_unknown_part_is_partial(resolver: NameResolver) -> None:
    # Issue 15: the known part is checked, the unknown one is said to be unidentified (never a clean pass).
    res = resolver.resolve_text("Amoxicilin 875mg + Xyzzyquinol 125mg")
    assert res.partial and res.unidentified == ("Xyzzyquinol",)
    assert [i.inn for i in res.ingredients] == ["amoxicillin"]


@pytest.mark.parametrize(
    "text",
    [
        "Xyzzyquinol 10mg",
        "Xyzzy 500mg (Hagimox)",  # an unreadable drug name is not vouched for by a bracketed brand
        "Dicloxacilin 500mg",  # a real drug absent from this vocabulary; cloxacillin-like names must not match
        "Aspirn",  # five letters or fewer after a typo: too short to guess
        "Kali lactat",  # salts are never guessed
        "",
    ],
)
def test_does_not_guess(resolver: NameResolver, text: str) -> None:
    res = resolver.resolve_text(text)
    assert res.status is UNRESOLVED
    assert res.ingredients == ()


def test_neighbouring_drugs_are_not_typos(resolver: NameResolver) -> None:
    # cefotaxime and cefoxitin are both in the fixture; "Cefotaxitin" is two edits from each.
    assert resolver.resolve_text("Cefotaxitin").status is not RESOLVED


def test_brand_is_never_matched_by_its_first_word(resolver: NameResolver) -> None:
    # "Mixo 10" (omeprazole) is the brand "Mixo" with a strength; "Mixo 20 Plus" (simvastatin) is another brand.
    res = resolver.resolve_text("Mixo")
    assert res.status is RESOLVED and [i.inn for i in res.ingredients] == ["omeprazole"]
    assert res.product == "Mixo"  # the brand, not the strength of the product it was found by
    assert resolver.resolve_text("Mixo Extra").status is UNRESOLVED


def test_brand_is_never_matched_fuzzily(resolver: NameResolver) -> None:
    assert resolver.resolve_text("Hagimax").status is UNRESOLVED
    assert resolver.resolve_text("Hagimox").status is RESOLVED


def test_national_drug_code_alone_is_not_mappable(resolver: NameResolver) -> None:
    res = resolver.resolve_line(PrescriptionLine(text="", national_drug_code="40.229"))
    assert res.status is UNRESOLVED and res.product == NATIONAL_CODE_NOT_MAPPABLE
    # With text, the code is ignored and the text decides.
    with_text = resolver.resolve_line(PrescriptionLine(text="Amoxicilin 500mg", national_drug_code="40.229"))
    assert with_text.status is RESOLVED and [i.inn for i in with_text.ingredients] == ["amoxicillin"]


def test_registration_number_first(resolver: NameResolver) -> None:
    res = resolver.resolve_line(PrescriptionLine(text="Thuốc viên", registration_number="vd-24604-16"))
    assert res.status is RESOLVED and res.method is MatchMethod.REGISTRATION_NUMBER
    assert [i.inn for i in res.ingredients] == ["amoxicillin"]
    agree = resolver.resolve_line(PrescriptionLine(text="Amoxicilin 500mg", registration_number="VD-24604-16"))
    assert agree.status is RESOLVED and agree.product == "Hagimox capsules"


def test_registration_number_contradicting_the_text_is_ambiguous(resolver: NameResolver) -> None:
    res = resolver.resolve_line(PrescriptionLine(text="Warfarin 5mg", registration_number="VD-24604-16"))
    assert res.status is AMBIGUOUS
    assert set(res.candidates) == {"amoxicillin", "warfarin"}


def test_unknown_registration_number_falls_back_to_text(resolver: NameResolver) -> None:
    res = resolver.resolve_line(PrescriptionLine(text="Warfarin 5mg", registration_number="VD-99999-99"))
    assert res.status is RESOLVED and res.method is MatchMethod.EXACT_INN


# --- allergies ----------------------------------------------------------------------------------------


def test_penicillin_allergy_is_the_class_not_benzylpenicillin(resolver: NameResolver) -> None:
    for text in ("Penicilin", "penicillin", "Dị ứng nhóm penicilin", "dị ứng kháng sinh Penicillin (nổi mẩn)"):
        res = resolver.resolve_allergen(text)
        assert (res.kind, res.concept) == (AllergenKind.DRUG_CLASS, "allergy:penicillins"), text
        assert res.method is MatchMethod.CLASS


def test_allergen_kinds(resolver: NameResolver) -> None:
    assert resolver.resolve_allergen("Hải sản").kind is AllergenKind.NON_DRUG
    aspirin = resolver.resolve_allergen("Dị ứng Aspirin")
    assert (aspirin.kind, aspirin.concept) == (AllergenKind.INGREDIENT, "acetylsalicylic acid")
    brand = resolver.resolve_allergen("Hagimox")
    assert (brand.kind, brand.concept, brand.method) == (AllergenKind.INGREDIENT, "amoxicillin", MatchMethod.BRAND)


@pytest.mark.parametrize("text", ["không rõ", "Chưa rõ loại thuốc", "không nhớ", "", "Xyzzyquinol"])
def test_unknown_allergens_stay_unresolved(resolver: NameResolver, text: str) -> None:
    assert resolver.resolve_allergen(text).kind is AllergenKind.UNRESOLVED


def test_combination_brand_allergy_means_each_component(resolver: NameResolver) -> None:
    # Issue 15: an allergy recorded as a combination brand means each of its components.
    res = resolver.resolve_allergen("Augmentin")
    assert res.kind is AllergenKind.INGREDIENT
    assert set(res.components) == {"amoxicillin", "clavulanic acid"}
    assert {a.concept for a in res.each_component()} == {"amoxicillin", "clavulanic acid"}


def test_several_allergens_in_one_entry_are_not_half_resolved(resolver: NameResolver) -> None:
    res = resolver.resolve_allergen("tôm, cua")
    assert res.kind is AllergenKind.UNRESOLVED and "several" in res.label


def test_allergy_fuzzy_is_stricter_than_lines(resolver: NameResolver) -> None:
    # One wrong letter in a nine-letter name: good enough for a line (89 is below 90, so not even
    # that), never for an allergy entry.
    assert resolver.resolve_text("Amoxcilin").status is RESOLVED  # a missing letter, 94.7
    assert resolver.resolve_allergen("Amoxcilin").kind is AllergenKind.INGREDIENT
    assert resolver.resolve_allergen("Simvastetin").kind is AllergenKind.UNRESOLVED  # 90.9: line yes, allergy no
    assert resolver.resolve_text("Simvastetin").status is RESOLVED
