from __future__ import annotations

import pytest

from rxsafe.matching.normalize import base_key, base_tokens, fold, key_candidates, match_key, salt_acid_key


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


def test_key_candidates_drop_salt_words_from_the_end_one_at_a_time() -> None:
    assert key_candidates("Magnesi lactat dihydrat") == ["magnesilactatdihidrat", "magnesilactat"]
    assert key_candidates("Esomeprazol magnesi dihydrat")[-1] == "esomeprazol"
    assert key_candidates("Natri valproat")[-1] == match_key("valproic acid")
    assert key_candidates("magnesi clorid.6H2O") == ["magnesicloridhidrat", "magnesiclorid"]


def test_salt_words_before_another_ingredient_stay() -> None:
    assert base_tokens("Calci carbonat Vitamin D") is None


def test_short_tokens_keep_double_letters() -> None:
    # Vitamin PP is nicotinamide; vitamin P is rutoside.
    assert match_key("Vitamin PP") != match_key("Vitamin P")


def test_vietnamese_element_words() -> None:
    assert match_key("Kẽm gluconat") == match_key("zinc gluconate")
    assert match_key("Nhôm hydroxyd") == match_key("aluminium hydroxide")
    assert match_key("Dextromethorphan HBr") == match_key("dextromethorphan hydrobromide")
