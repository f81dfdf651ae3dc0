"""The brief's examples against the compiled knowledge base (skipped until `make knowledge` has run)."""

from __future__ import annotations

import pytest

from rxsafe.core.enums import AllergenKind, ResolutionStatus
from rxsafe.matching.resolver import NameResolver


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
