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
