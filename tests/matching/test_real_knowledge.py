"""The brief's examples against the compiled knowledge base (skipped until `make knowledge` has run)."""

from __future__ import annotations

import pytest

from rxsafe.core.enums import AllergenKind, MatchMethod, ResolutionStatus
from rxsafe.matching.resolver import NameResolver
from rxsafe.matching.vocabulary import load_vocabulary

from .conftest import REAL_KNOWLEDGE


@pytest.mark.parametrize(
    ("text", "inns"),
    [
        ("Amoxicilin 500mg (Hagimox)", ["amoxicillin"]),
        ("Aspirin 81mg", ["acetylsalicylic acid"]),
        ("Warfarin 5mg", ["warfarin"]),
        ("Simvastatin 20mg", ["simvastatin"]),
        ("Clarithromycin 500mg", ["clarithromycin"]),
        ("Paracetamol 500mg x 2 viên/lần", ["paracetamol"]),
        ("Acid clavulanic", ["clavulanic acid"]),
        ("Kali clorid 600mg", ["potassium chloride"]),
        ("Natri clorid 0,9%", ["sodium chloride"]),
        ("Vitamin C 500mg", ["ascorbic acid"]),
        ("Cefuroxim 500mg", ["cefuroxime"]),
        ("Omeprazol 20mg", ["omeprazole"]),
        ("Codein", ["codeine"]),
        ("acetaminophen 325mg", ["paracetamol"]),
        ("rifampin 300mg", ["rifampicin"]),
        ("Augmentin 625mg", ["amoxicillin", "clavulanic acid"]),
        ("Amoxicilin 875mg + Acid clavulanic 125mg", ["amoxicillin", "clavulanic acid"]),
        ("Amlodipin (dưới dạng Amlodipin besilat) 5mg", ["amlodipine"]),
    ],
)
def test_brief_examples(real_resolver: NameResolver, text: str, inns: list[str]) -> None:
    res = real_resolver.resolve_text(text)
    assert res.status is ResolutionStatus.RESOLVED, res
    assert [i.inn for i in res.ingredients] == inns


def test_made_up_name(real_resolver: NameResolver) -> None:
    assert real_resolver.resolve_text("Xyzzyquinol 10mg").status is ResolutionStatus.UNRESOLVED


def test_penicillin_is_the_class(real_resolver: NameResolver) -> None:
    res = real_resolver.resolve_allergen("Penicilin")
    assert (res.kind, res.concept) == (AllergenKind.DRUG_CLASS, "allergy:penicillins")


@pytest.mark.parametrize(
    ("text", "inns"),
    [
        # Vietnamese element words, with "kẽm" (zinc) told apart from "kem" (cream).
        ("Kẽm gluconat 70 mg (Zinc)", ["zinc gluconate"]),
        ("Lithi carbonat 300mg", ["lithium"]),  # element names drop their -um in Vietnamese
        ("Nhôm hydroxyd + Magnesi hydroxyd", ["aluminium hydroxide", "magnesium hydroxide"]),
        # Salt and hydrate words dropped from the end, one at a time.
        ("Magnesi lactat dihydrat 470mg + Pyridoxin hydroclorid 5mg", ["magnesium lactate", "pyridoxine"]),
        ("Thiamin mononitrat 100mg", ["thiamine"]),
        ("Codein base 5mg", ["codeine"]),
        # Commas between ingredients, a label before them, a strength glued to the name.
        ("Metronidazol 500mg, nystatin 100.000UI (Fastgynax)", ["metronidazole", "nystatin"]),
        ("Mỗi 10g chứa: Sorbitol 4g; Natri citrat 0,576g (Sathom)", ["sorbitol", "sodium citrate"]),
        ("Oxymetazolin HCl7,5mg/15ml (Bidisol)", ["oxymetazoline"]),
        # A salt clause with a strength and a "+" inside; the form after the brand.
        ("Esomeprazol (dưới dạng esomeprazol magnesi dihydrat + vi hạt 8,5%) 10mg (Savi)", ["esomeprazole"]),
        ("Paracetamol 150mg (Biragan 150) Thuốc đạn - 1 viên/lần", ["paracetamol"]),
    ],
)
def test_registration_style_text(real_resolver: NameResolver, text: str, inns: list[str]) -> None:
    res = real_resolver.resolve_text(text)
    assert res.status is ResolutionStatus.RESOLVED, res
    assert sorted(i.inn for i in res.ingredients) == sorted(inns)


def test_calcium_carbonate_is_not_dropped_as_a_salt(real_resolver: NameResolver) -> None:
    # "calci carbonat" names an ingredient; stripping it as salt words once answered "vitamin D" alone.
    res = real_resolver.resolve_text("Calcium carbonate Vitamin D")
    assert res.status is not ResolutionStatus.RESOLVED or len(res.ingredients) != 1


def test_hyphenated_number_is_part_of_the_brand(real_resolver: NameResolver) -> None:
    # "Stalevo-5" (levocetirizine) is not "Stalevo" (levodopa + carbidopa + entacapone).
    res = real_resolver.resolve_text("Stalevo-5")
    assert [i.inn for i in res.ingredients] == ["levocetirizine"]


def test_a_brand_written_in_a_form_it_is_not_known_in_is_another_product() -> None:
    # Play "Antalgine gel" (diclofenac + menthol + methyl salicylate) as a product the table does not list:
    # the Antalgine left is a diclofenac injection, so the gel must not be checked as diclofenac alone.
    if not (REAL_KNOWLEDGE / "products.tsv").exists():
        pytest.skip("knowledge tables not built (make knowledge)")
    resolver = NameResolver(load_vocabulary(REAL_KNOWLEDGE, exclude_products={"vn:VD-16842-12#9961"}))
    assert resolver.resolve_text("Antalgine gel").status is ResolutionStatus.UNRESOLVED
    assert resolver.resolve_text("Antalgine gel bôi da").status is ResolutionStatus.UNRESOLVED
    for known in ("Antalgine 75mg/3ml thuốc tiêm", "Antalgine"):
        assert [i.inn for i in resolver.resolve_text(known).ingredients] == ["diclofenac"], known


@pytest.mark.parametrize("text", ["D", "AS", "CC", "Cp", "Vitamin A & D"])
def test_short_abbreviations_are_not_guessed(real_resolver: NameResolver, text: str) -> None:
    # DrugBank lists "D" (aspartic acid), "AS" (artesunate), "CC" (colecalciferol), "CP" (captopril).
    res = real_resolver.resolve_text(text)
    assert res.status is not ResolutionStatus.RESOLVED or {i.inn for i in res.ingredients}.isdisjoint(
        {"aspartic acid", "artesunate", "captopril"}
    ), res


def test_english_salt_clause_is_not_a_drug(real_resolver: NameResolver) -> None:
    # "(as citrate)" once resolved "as" to artesunate.
    assert "artesunate" not in str(real_resolver.resolve_text("DBL Fentanyl 100mcg/2ml (as citrate) injection"))
    res = real_resolver.resolve_text("Fentanyl 100mcg/2ml (as citrate)")
    assert [i.inn for i in res.ingredients] == ["fentanyl"]


def test_a_vietnamese_brand_beats_a_foreign_synonym(real_resolver: NameResolver) -> None:
    # DrugBank: "Transamin" is a synonym of tranylcypromine; in Vietnam Transamin is tranexamic acid.
    res = real_resolver.resolve_text("Transamin Injection")
    assert [i.inn for i in res.ingredients] == ["tranexamic acid"]
    assert res.method is MatchMethod.BRAND


def test_salts_know_their_moiety() -> None:
    if not (REAL_KNOWLEDGE / "ingredients.tsv").exists():
        pytest.skip("knowledge tables not built (make knowledge)")
    vocab = load_vocabulary(REAL_KNOWLEDGE)
    assert vocab.moiety("zinc citrate") == "zinc"
    assert vocab.moiety("potassium chloride") == "potassium"
    assert vocab.moiety("arginine hydrochloride") == "arginine"
    assert vocab.moiety("amoxicillin") == "amoxicillin"
