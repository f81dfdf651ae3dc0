"""A facility policy file decides what interrupts and who may override; bad files name the bad key."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from rxsafe.app.policy_file import load_policy
from rxsafe.core.enums import AllergyStatus, ConflictKind, OverrideReason, Severity, Verdict
from rxsafe.core.errors import InvalidRequest, OverrideNotAllowed
from rxsafe.core.models import Conflict, ConflictReport, Override
from rxsafe.core.overrides import verify_overrides

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "policy.example.toml"


def test_the_example_policy_loads() -> None:
    policy = load_policy(EXAMPLE)
    assert policy.version == 1
    assert policy.is_interruptive(ConflictKind.ALLERGY, Severity.MAJOR)
    assert not policy.is_interruptive(ConflictKind.INTERACTION, Severity.MAJOR)
    assert policy.label.endswith("v1")


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('[interrupt_at]\nINTERACTON = "major"\n', "interrupt_at.INTERACTON"),
        ('[interrupt_at]\nINTERACTION = "severe"\n', "interrupt_at.INTERACTION"),
        ("lookback_days = 'sixty'\n", "lookback_days"),
        ("nonsense = 1\n", "nonsense"),
    ],
)
def test_a_bad_policy_file_names_the_key(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(text)
    with pytest.raises(InvalidRequest) as error:
        load_policy(path)
    assert error.value.field == key


def test_override_roles_follow_the_policy() -> None:
    policy = load_policy(EXAMPLE)
    conflict = Conflict(id="c-1", kind=ConflictKind.INTERACTION, severity=Severity.CONTRAINDICATED, interruptive=True)
    report = ConflictReport(
        verdict=Verdict.BLOCK,
        knowledge_version="k",
        lines=(),
        conflicts=(conflict,),
        as_of=date(2026, 11, 26),
        allergy_status=AllergyStatus.LISTED,
    )
    override = [Override(conflict_id="c-1", reason=OverrideReason.BENEFIT_OUTWEIGHS_RISK)]
    verify_overrides(report, override, policy, ("prescriber",))
    with pytest.raises(OverrideNotAllowed):
        verify_overrides(report, override, policy, ("pharmacist",))
