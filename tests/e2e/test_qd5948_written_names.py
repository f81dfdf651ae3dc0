"""QĐ 5948 pairs written as the decision and prescribers write them, through ``rxsafe check --batch`` in-process
with inline patients (issue 14 item 6)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import check_pairs_in_process

PAIRS = {
    "ringer": ("Ceftriaxon 1g", "Ringer lactat 500ml"),
    "ringer_english": ("Ceftriaxone 1g", "Lactated Ringer's"),
    "peginterferon": ("Peginterferon alfa-2a", "Telbivudin 600mg"),
    "peginterferon_brand": ("Pegasys 180mcg", "Telbivudin 600mg"),
    "peginterferon_ambiguous": ("Peginterferon-alpha 180mcg", "Telbivudin 600mg"),
    "saline": ("Ceftriaxon 1g", "Natri clorid 0,9% 500ml"),
}


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    return check_pairs_in_process(Path(tmp_path_factory.mktemp("qd5948")) / "requests.jsonl", PAIRS)


def contraindicated(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        c
        for c in answer.get("conflicts", [])
        if c["kind"] == "CONFLICT_KIND_INTERACTION" and c["severity"] == "SEVERITY_CONTRAINDICATED"
    ]


@pytest.mark.parametrize("name", ["ringer", "ringer_english"])
def test_ceftriaxone_with_ringer_lactate_is_contraindicated_with_the_decision_text(
    answers: dict[str, dict[str, Any]], name: str
) -> None:
    found = contraindicated(answers[name])
    assert [c["drugs"] for c in found] == [["calcium chloride", "ceftriaxone"]]
    conflict = found[0]
    assert any(e["source"] == "QĐ 5948/QĐ-BYT" and e["reference"] == "row 151" for e in conflict["evidence"])
    assert "tủa calci" in conflict["mechanism"]["vi"]  # the decision's own Vietnamese text
    assert answers[name]["verdict"] == "VERDICT_BLOCK"


@pytest.mark.parametrize("name", ["peginterferon", "peginterferon_brand"])
def test_peginterferon_with_telbivudine_is_contraindicated(answers: dict[str, dict[str, Any]], name: str) -> None:
    found = contraindicated(answers[name])
    assert len(found) == 1 and "telbivudine" in found[0]["drugs"]
    assert any(e["source"] == "QĐ 5948/QĐ-BYT" and e["reference"] == "row 569" for e in found[0]["evidence"])


def test_peginterferon_alpha_says_ambiguous_with_both_candidates(answers: dict[str, dict[str, Any]]) -> None:
    answer = answers["peginterferon_ambiguous"]
    line = answer["lines"][0]
    assert line["status"] == "RESOLUTION_STATUS_AMBIGUOUS"
    assert set(line["candidates"]) == {"peginterferon alfa-2a", "peginterferon alfa-2b"}
    assert any(n["kind"] == "NOTICE_KIND_AMBIGUOUS_LINE" for n in answer["notices"])
    # Never a clean pass: the engine does not check an ambiguous line's candidates (a stated gap).
    assert answer["verdict"] != "VERDICT_PASS"


def test_ceftriaxone_with_sodium_chloride_has_no_contraindicated_rule(answers: dict[str, dict[str, Any]]) -> None:
    assert contraindicated(answers["saline"]) == []
