"""The build's name bridge: Vietnamese and US spellings meet the INN key; nothing is guessed."""

from __future__ import annotations

import pytest

from rxsafe.knowledge.build.names import (
    AtcSubstance,
    DrugBankEntry,
    VocabularyIndex,
    build_vocabulary,
    skeleton,
    split_strength,
)


@pytest.fixture(scope="module")
def index() -> VocabularyIndex:
    atc = [
        AtcSubstance("N02BE01", "paracetamol"),
        AtcSubstance("J01CA04", "amoxicillin"),
        AtcSubstance("A12BA01", "potassium chloride"),
        AtcSubstance("B02AA02", "tranexamic acid"),
        AtcSubstance("C10AA07", "rosuvastatin"),
        AtcSubstance("A03BB01", "butylscopolamine"),
        AtcSubstance("A04AD01", "scopolamine"),
    ]
    drugbank = [
        DrugBankEntry("DB00316", "Acetaminophen", ("Paracetamol", "APAP")),
        DrugBankEntry("DB01060", "Amoxicillin", ("Amoxycillin",)),
        DrugBankEntry("DB00747", "Scopolamine", ("Hyoscine",)),
        DrugBankEntry("X1", "Alpha", ("Shared name",)),
        DrugBankEntry("X2", "Beta", ("Shared name",)),
    ]
    concepts, _ = build_vocabulary(atc, drugbank)
    return VocabularyIndex(concepts)


@pytest.mark.parametrize(
    ("name", "inn"),
    [
        ("Acetaminophen", "paracetamol"),
        ("Amoxicilin", "amoxicillin"),
        ("AMOXICILLINE", "amoxicillin"),
        ("Kali clorid", "potassium chloride"),
        ("Acid tranexamic", "tranexamic acid"),
        ("Rosuvastatin (dưới dạng Rosuvastatin calci)", "rosuvastatin"),
        ("Rosuvastatin calci", "rosuvastatin"),
        ("Hyoscin", "scopolamine"),
    ],
)
def test_maps(index: VocabularyIndex, name: str, inn: str) -> None:
    assert index.to_inn(name) == inn


def test_no_guessing(index: VocabularyIndex) -> None:
    assert index.to_inn("Amoxicilan") is None
    # Two entries share the synonym: ambiguous, refused.
    assert index.to_inn("Shared name") is None
    # Hyoscine butylbromide is not hyoscine: the salt-like word must not be stripped.
    assert index.to_inn("Hyoscin butylbromid") is None


def test_skeleton_rules() -> None:
    assert skeleton("Amiodaron") == skeleton("amiodarone")
    assert skeleton("Cloroquin") == skeleton("chloroquine")
    assert skeleton("Sucralphat") == skeleton("sucralfate")


def test_split_strength() -> None:
    assert split_strength("Paracetamol 500 mg") == ("Paracetamol", "500 mg")
    assert split_strength("Betamethason dipropionat 6,4mg") == ("Betamethason dipropionat", "6,4mg")
    assert split_strength("Ketoconazole") == ("Ketoconazole", "")
