"""Issue 14: Korea's patient-level DUR rows arrive in dur_rules.tsv as the source writes them, each naming HIRA DUR."""

from __future__ import annotations

from pathlib import Path

from rxsafe.knowledge.build.hira_dur import routes_of
from rxsafe.knowledge.loader import KnowledgeBase
from rxsafe.knowledge.stats import patient_coverage
from rxsafe.knowledge.tables import read_tsv

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"


def test_every_row_names_hira_dur_and_its_level() -> None:
    rows = list(read_tsv(KNOWLEDGE / "dur_rules.tsv"))
    assert len(rows) > 1500
    for row in rows:
        source, reference, level = row["source"].split(";")
        assert source == "HIRA DUR (Korea)" and reference.startswith("dur_") and level


def test_ages_as_written(kb: KnowledgeBase) -> None:
    # dur_age_bann.tsv: codeine "12 세 이하" (at or under 12: the completed age is at most 12 → below 13).
    (codeine,) = [r for r in kb.dur_rules("codeine") if r.kind.value == "age" and not r.combination]
    assert codeine.below_age == 13 and codeine.from_age is None and codeine.source.level == "연령금기 12세 이하"
    # "80 세 이상" (at or over): piroxicam from 80.
    assert any(r.from_age == 80 and r.below_age is None for r in kb.dur_rules("piroxicam") if r.kind.value == "age")
    # Rows without a unit are left out, not guessed (co-trimoxazole "18", text about infants under 2 months).
    assert not [r for r in kb.dur_rules("sulfamethoxazole") if r.kind.value == "age"]


def test_a_combination_rule_names_every_component(kb: KnowledgeBase) -> None:
    (rule,) = [r for r in kb.dur_rules("tramadol") if r.kind.value == "age" and r.combination]
    assert rule.combination == ("paracetamol", "tramadol") and rule.below_age == 12
    assert rule.fits(["paracetamol", "tramadol"]) and not rule.fits(["paracetamol"])


def test_forms_restrict_a_rule_to_routes(kb: KnowledgeBase) -> None:
    assert routes_of("정제, 서방정 / 복합제") == "oral" and routes_of("주사제") == "injection"
    ketorolac = {r.max_days: r.routes for r in kb.dur_rules("ketorolac") if r.kind.value == "duration"}
    assert ketorolac == {7: ("oral",), 2: ("injection",)}
    tablet_rule = next(r for r in kb.dur_rules("ketorolac") if r.max_days == 7)
    assert tablet_rule.form_fit(["oral"]) is True and tablet_rule.form_fit(["injection"]) is False
    assert tablet_rule.form_fit([]) is None  # the line's form is unknown


def test_coverage_shows_the_jump() -> None:
    coverage = {c.check: c for c in patient_coverage(KNOWLEDGE)}
    assert coverage["dose"].ingredients > 200  # was 2 (paracetamol, ibuprofen) before the DUR
    assert coverage["pregnancy"].ingredients > 1000 and coverage["breastfeeding"].ingredients > 100
    assert coverage["duration"].rows == 68
