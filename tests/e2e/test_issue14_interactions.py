"""Issue 14 through the engine: ``rxsafe check --batch`` in-process with inline patients, one pair per family."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import check_pairs_in_process

PAIRS = {
    "cyp1a2": ("Tizanidine 4mg", "Ciprofloxacin 500mg"),
    "cyp3a_statin": ("Ritonavir 100mg", "Simvastatin 20mg"),
    "qt": ("Sulpiride 50mg", "Ondansetron 8mg"),
    "va_critical": ("Alfentanil 1mg", "Linezolid 600mg"),
    "dur": ("Acetazolamide 250mg", "Topiramate 50mg"),
    "qd5948_peginterferon": ("Peginterferon alfa-2a 180mcg", "Telbivudin 600mg"),
    "qd5948_calcium": ("Ceftriaxon 1g", "Calci clorid 10%"),
    "qt_possible_only": ("Mirtazapine 30mg", "Venlafaxine 75mg"),
    "low_priority": ("Lisinopril 10mg", "Furosemide 40mg"),
}


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    return check_pairs_in_process(Path(tmp_path_factory.mktemp("issue14")) / "requests.jsonl", PAIRS)


def interaction(answer: dict[str, Any]) -> dict[str, Any] | None:
    return next((c for c in answer.get("conflicts", []) if c["kind"] == "CONFLICT_KIND_INTERACTION"), None)


AT_LEAST_MAJOR = {"SEVERITY_MAJOR", "SEVERITY_CONTRAINDICATED"}


@pytest.mark.parametrize("name", ["cyp1a2", "qt", "va_critical"])
def test_serious_pairs_are_at_least_major(answers: dict[str, dict[str, Any]], name: str) -> None:
    found = interaction(answers[name])
    assert found is not None and found["severity"] in AT_LEAST_MAJOR


@pytest.mark.parametrize("name", ["cyp3a_statin", "dur", "qd5948_peginterferon", "qd5948_calcium"])
def test_contraindicated_pairs(answers: dict[str, dict[str, Any]], name: str) -> None:
    found = interaction(answers[name])
    assert found is not None and found["severity"] == "SEVERITY_CONTRAINDICATED"


def test_derived_rules_say_they_are_derived(answers: dict[str, dict[str, Any]]) -> None:
    found = interaction(answers["qt"])
    assert found is not None
    assert any(e["source"].startswith("rxsafe QT rule via CredibleMeds") for e in found["evidence"])
    statin = interaction(answers["cyp3a_statin"])
    assert statin is not None
    assert any(e["source"].startswith("rxsafe mechanism rule via FDA index table") for e in statin["evidence"])


def test_possible_risk_qt_pair_is_not_raised_and_low_priority_not_contraindicated(
    answers: dict[str, dict[str, Any]],
) -> None:
    possible = interaction(answers["qt_possible_only"])
    assert possible is None or not any(e["source"].startswith("rxsafe QT rule") for e in possible["evidence"])
    low = interaction(answers["low_priority"])
    assert low is None or low["severity"] != "SEVERITY_CONTRAINDICATED"
