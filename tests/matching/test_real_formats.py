"""Issue 15: lines as real prescriptions and hospital systems print them, on the real knowledge tables."""

from __future__ import annotations

import pytest

from rxsafe.core.enums import AllergenKind, MatchMethod, ResolutionStatus
from rxsafe.core.models import PrescriptionLine
from rxsafe.matching.resolver import NameResolver
from rxsafe.matching.vocabulary import Ingredient, Product, build_vocabulary, family_key


def inns(resolver: NameResolver, text: str) -> list[str]:
    res = resolver.resolve_text(text)
    assert res.status is ResolutionStatus.RESOLVED, (text, res)
    return sorted(i.inn for i in res.ingredients)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # form, pack and release words
        ("Diamicron MR TAB 30MG 60'S 30mg", ["gliclazide"]),
        ("Augmentin TAB. 500mg", ["amoxicillin", "clavulanic acid"]),
        ("Amoxicilin 500mg hộp 3 vỉ x 10 viên", ["amoxicillin"]),
        ("Natri clorid 0,9% 500ml chai", ["sodium chloride"]),
        # manufacturer and country words after an INN
        ("Ondansetron Kabi 8MG 8mg", ["ondansetron"]),
        ("Cefuroxim 500mg Ấn Độ", ["cefuroxime"]),
        ("Amlodipin 5mg Domesco", ["amlodipine"]),
        # Vietnamese salt words
        ("Drotaverin clohydrat 80mg", ["drotaverine"]),
        ("Metformin hydroclorid 850mg", ["metformin"]),
        ("Losartan kali 50mg", ["losartan"]),
        ("Escitalopram oxalat 10mg", ["escitalopram"]),
        # "%" and "&" standing for "+"
        ("Telmisartan % hydroclorothiazid 40mg+12,5mg", ["hydrochlorothiazide", "telmisartan"]),
        ("Telmisartan & hydroclorothiazid 40mg+12,5mg", ["hydrochlorothiazide", "telmisartan"]),
        # strengths glued to names
        ("NOVOXIM-500", ["amoxicillin"]),
        ("KAVASDIN 5", ["amlodipine"]),
        ("Cefuroxim-500", ["cefuroxime"]),
    ],
)
def test_real_format_lines(real_resolver: NameResolver, text: str, expected: list[str]) -> None:
    assert inns(real_resolver, text) == expected


def test_manufacturer_words_are_said_to_be_ignored(real_resolver: NameResolver) -> None:
    res = real_resolver.resolve_text("Ondansetron Kabi 8mg")
    assert res.ignored == ("Kabi",) and not res.unidentified


def test_a_number_glued_to_a_brand_is_another_product(real_resolver: NameResolver) -> None:
    # Stalevo is levodopa + carbidopa + entacapone; "Stalevo-5" must not be read as it.
    res = real_resolver.resolve_text("Stalevo-5")
    assert {i.inn for i in res.ingredients} != {"levodopa", "carbidopa", "entacapone"}


def test_transamin_with_form_words_is_tranexamic_acid(real_resolver: NameResolver) -> None:
    for text in ("Transamin Tablets", "Transamin 250mg", "TRANSAMIN TAB 500MG", "Transamin injection"):
        assert inns(real_resolver, text) == ["tranexamic acid"], text


def test_partial_line_checks_what_was_identified_and_says_what_not(real_resolver: NameResolver) -> None:
    res = real_resolver.resolve_text("Paracetamol 500mg + Xyzzyquinol 10mg")
    assert res.partial and [i.inn for i in res.ingredients] == ["paracetamol"]
    assert res.unidentified == ("Xyzzyquinol",)
    res = real_resolver.resolve_text("Paracetamol Xyzzyquinol")
    assert res.partial and res.unidentified == ("Xyzzyquinol",)


def test_brand_family_of_one_composition_resolves_by_family(real_resolver: NameResolver) -> None:
    # Only "Aspilets EC" (enteric-coated aspirin) is registered: "Aspilets 80mg" is that family.
    res = real_resolver.resolve_text("Aspilets 80mg")
    assert res.method is MatchMethod.BRAND_FAMILY
    assert [i.inn for i in res.ingredients] == ["acetylsalicylic acid"]


def test_brand_family_with_a_composition_suffix_is_not_taken(real_resolver: NameResolver) -> None:
    vocab = real_resolver._v
    families = [k for k, ps in vocab.families.items() if any("extra" in p.brand.lower() for p in ps)]
    assert families
    res = real_resolver._family(families[0], frozenset())
    assert res is None or res.status is not ResolutionStatus.RESOLVED or res.method is not MatchMethod.BRAND_FAMILY


def test_strength_no_product_has_is_not_silently_accepted(real_resolver: NameResolver) -> None:
    res = real_resolver.resolve_text("Klacid 1000mg")
    assert res.partial and "1000mg" in res.unidentified[0]
    assert not real_resolver.resolve_text("Klacid 500mg").partial


def test_insurance_code_resolves_with_or_without_the_name(real_resolver: NameResolver) -> None:
    alone = real_resolver.resolve_line(PrescriptionLine(text="", national_drug_code="40.227"))
    assert alone.method is MatchMethod.INSURANCE_CODE and [i.inn for i in alone.ingredients] == ["ciprofloxacin"]
    same = real_resolver.resolve_line(PrescriptionLine(text="Ciprofloxacin 500mg", national_drug_code="40.227"))
    assert same.status is ResolutionStatus.RESOLVED and not same.code_note
    other = real_resolver.resolve_line(PrescriptionLine(text="Amoxicilin 500mg", national_drug_code="40.227"))
    # The name wins (codes shift between circulars); the disagreement is stated.
    assert [i.inn for i in other.ingredients] == ["amoxicillin"] and "ciprofloxacin" in other.code_note
    unknown = real_resolver.resolve_line(PrescriptionLine(text="", national_drug_code="40.99999"))
    assert unknown.status is ResolutionStatus.UNRESOLVED and "no source lists it" in unknown.code_note


@pytest.mark.parametrize("text", ["Bactrim", "Biseptol", "Cotrimoxazol", "Co-trimoxazol"])
def test_allergy_to_a_combination_means_its_components(real_resolver: NameResolver, text: str) -> None:
    allergen = real_resolver.resolve_allergen(text)
    assert allergen.kind is AllergenKind.INGREDIENT
    assert set(allergen.components) == {"sulfamethoxazole", "trimethoprim"}
    assert {a.concept for a in allergen.each_component()} == {"sulfamethoxazole", "trimethoprim"}


def test_augmentin_allergy_is_amoxicillin_and_clavulanic_acid(real_resolver: NameResolver) -> None:
    assert set(real_resolver.resolve_allergen("Augmentin").components) == {"amoxicillin", "clavulanic acid"}


def test_a_drugbank_synonym_never_beats_a_vietnamese_brand_family() -> None:
    ingredients = {i: Ingredient(i, atc_codes=("X",)) for i in ("tranylcypromine", "tranexamic acid")}
    aliases = [("Transamin", "tranylcypromine", "drugbank_synonym")]
    product = Product("vn:1", "Transamin Mups", "VN-1", ("tranexamic acid",),
                      family_keys=(family_key("Transamin Mups"),))  # fmt: skip
    resolver = NameResolver(build_vocabulary(ingredients, aliases, [product], []))
    res = resolver.resolve_text("Transamin 250mg")
    assert [i.inn for i in res.ingredients] == ["tranexamic acid"] and res.method is MatchMethod.BRAND_FAMILY


def test_colistimethate_is_judged_as_colistin(real_resolver: NameResolver) -> None:
    # The sources register each under the other's name (DAV: "Colistin" as colistimethate); DrugBank names
    # colistimethate "Colistin sulfomethate". Only judging uses this: resolution keeps the name as written.
    vocab = real_resolver._v
    assert vocab.moiety("colistimethate") == "colistin" and vocab.moiety("colistin") == "colistin"
    assert [i.inn for i in real_resolver.resolve_text("Colistimethate 150mg").ingredients] == ["colistimethate"]
