from __future__ import annotations

import pytest

from rxsafe.matching.normalize import base_key, fold, match_key, salt_acid_key


@pytest.mark.parametrize(
    ("vietnamese", "inn"),
    [
        ("Amoxicilin", "amoxicillin"),
        ("Cefuroxim", "cefuroxime"),
        ("Omeprazol", "omeprazole"),
        ("Codein", "codeine"),
        ("Cefalexin", "cephalexin"),
        ("Sulfamethoxazol", "sulphamethoxazole"),
        ("Acid clavulanic", "clavulanic acid"),
        ("Axit valproic", "valproic acid"),
        ("Kali clorid", "potassium chloride"),
        ("Natri clorid", "sodium chloride"),
        ("Amlodipin besilat", "amlodipine besylate"),
        ("Methyl prednisolon", "methylprednisolone"),
        ("Clorpheniramin maleat", "chlorpheniramine maleate"),
    ],
)
def test_vietnamese_and_inn_spellings_share_a_key(vietnamese: str, inn: str) -> None:
    assert match_key(vietnamese) == match_key(inn)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("vitamin b1", "vitamin b12"),
        ("coagulation factor vii", "coagulation factor viii"),
        ("vitamin e", "vitamin"),
        ("natri clorid", "kali clorid"),
    ],
)
def test_distinct_names_keep_distinct_keys(a: str, b: str) -> None:
    assert match_key(a) != match_key(b)


def test_fold_keeps_positions_and_strips_diacritics() -> None:
    text = "Đường uống 5µg ×2"
    folded = fold(text)
    assert len(folded) == len(text)
    assert folded == "duong uong 5ug x2"


def test_salt_words_are_a_fallback_not_part_of_every_key() -> None:
    assert base_key("Amlodipin besilat") == match_key("amlodipine")
    assert base_key("Natri clorid") is None  # the salt is the ingredient
    assert base_key("Paracetamol") is None  # nothing to strip
    assert salt_acid_key("Kali clavulanat") == match_key("clavulanic acid")
