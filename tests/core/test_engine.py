from __future__ import annotations

from datetime import date

import pytest

from rxsafe.core.engine import check
from rxsafe.core.enums import (
    AllergenKind,
    AllergyStatus,
    ConflictKind,
    MedicationWindowStatus,
    NoticeKind,
    OverrideReason,
    RecordEntryKind,
    Severity,
    Verdict,
)
from rxsafe.core.errors import InvalidRequest, OverrideMissing
from rxsafe.core.models import (
    ActiveMedication,
    Allergy,
    Medication,
    Override,
    PatientContext,
    PatientRecord,
    ResolvedAllergen,
)
from rxsafe.core.overrides import verify_overrides
from rxsafe.core.policy import Policy
from rxsafe.core.window import medication_window
from tests.core.fakes import (
    AS_OF,
    UNRESOLVED,
    FakeKnowledge,
    class_allergen,
    ingredient_allergen,
    lines,
    resolved,
)


def context(
    *,
    status: AllergyStatus = AllergyStatus.NO_KNOWN_ALLERGIES,
    allergies: tuple[tuple[Allergy, ResolvedAllergen], ...] = (),
    active: tuple[ActiveMedication, ...] = (),
) -> PatientContext:
    return PatientContext(
        record=PatientRecord(patient_id="000000000009", allergy_status=status, record_version=3),
        as_of=AS_OF,
        allergies=allergies,
        active_medications=active,
    )


def on(inn: str, start: date = date(2026, 11, 1), days: int = 30) -> ActiveMedication:
    med = Medication(id=f"med-{inn}", text=inn.title(), start_date=start, days=days)
    window, end = medication_window(med, AS_OF, 60)
    return ActiveMedication(medication=med, resolution=resolved(inn), window=window, window_end=end)


@pytest.fixture
def kb() -> FakeKnowledge:
    kb = FakeKnowledge(covered={"amoxicillin", "paracetamol", "cefadroxil", "simvastatin", "atorvastatin"})
    kb.classes["allergy:penicillins"] = {"amoxicillin", "ampicillin"}
    kb.add_rule("warfarin", "acetylsalicylic acid", Severity.MAJOR, source="DDInter 2.0")
    kb.add_rule("simvastatin", "clarithromycin", Severity.CONTRAINDICATED, source="QĐ 5948/QĐ-BYT")
    kb.add_rule(
        "simvastatin", "clarithromycin", Severity.MAJOR, source="ANSM", via="clarithromycin is a strong inhibitor"
    )
    kb.cross[("amoxicillin", "cefadroxil")] = True
    kb.groups = {"simvastatin": ["atc:C10AA"], "atorvastatin": ["atc:C10AA"]}
    return kb


def test_a_clean_prescription_passes(kb: FakeKnowledge) -> None:
    report = check(context(), lines(resolved("paracetamol")), kb, Policy())
    assert report.verdict is Verdict.PASS
    assert report.conflicts == ()
    assert report.knowledge_version == "fake-1"


def test_class_allergy_blocks_a_member_and_names_the_allergy_entry(kb: FakeKnowledge) -> None:
    allergy = Allergy(id="a-1", allergen="Penicilin", reaction="nổi mề đay")
    ctx = context(status=AllergyStatus.LISTED, allergies=((allergy, class_allergen("allergy:penicillins")),))
    report = check(ctx, lines(resolved("amoxicillin")), kb, Policy())
    assert report.verdict is Verdict.BLOCK
    (conflict,) = report.conflicts
    assert conflict.kind is ConflictKind.ALLERGY
    assert conflict.severity is Severity.CONTRAINDICATED
    assert conflict.interruptive
    assert conflict.record_entries[0].kind is RecordEntryKind.ALLERGY
    assert conflict.record_entries[0].id == "a-1"
    assert conflict.line_indexes == (0,)


def test_side_chain_cross_reactivity_is_major_and_not_interruptive_by_default(kb: FakeKnowledge) -> None:
    allergy = Allergy(id="a-1", allergen="Amoxicilin")
    ctx = context(status=AllergyStatus.LISTED, allergies=((allergy, ingredient_allergen("amoxicillin")),))
    report = check(ctx, lines(resolved("cefadroxil")), kb, Policy())
    (conflict,) = report.conflicts
    assert conflict.severity is Severity.MAJOR
    assert not conflict.interruptive
    assert report.verdict is Verdict.WARN
    assert conflict.evidence[0].source == "fake matrix"


def test_class_allergy_reaches_cross_reactive_drugs_outside_the_class(kb: FakeKnowledge) -> None:
    allergy = Allergy(id="a-1", allergen="Penicilin")
    ctx = context(status=AllergyStatus.LISTED, allergies=((allergy, class_allergen("allergy:penicillins")),))
    report = check(ctx, lines(resolved("cefadroxil")), kb, Policy())
    assert [c.severity for c in report.conflicts] == [Severity.MAJOR]


def test_non_drug_allergen_gives_no_conflict(kb: FakeKnowledge) -> None:
    seafood = ResolvedAllergen(kind=AllergenKind.NON_DRUG, concept="seafood")
    ctx = context(status=AllergyStatus.LISTED, allergies=((Allergy(id="a", allergen="hải sản"), seafood),))
    assert check(ctx, lines(resolved("amoxicillin")), kb, Policy()).verdict is Verdict.PASS


def test_interaction_with_an_active_medication_names_the_prescription_and_its_dates(kb: FakeKnowledge) -> None:
    report = check(context(active=(on("warfarin"),)), lines(resolved("acetylsalicylic acid")), kb, Policy())
    (conflict,) = report.conflicts
    assert conflict.kind is ConflictKind.INTERACTION
    assert conflict.drugs == ("acetylsalicylic acid", "warfarin")
    (entry,) = conflict.record_entries
    assert entry.kind is RecordEntryKind.MEDICATION
    assert entry.start_date == date(2026, 11, 1)
    assert entry.status == "active"
    assert report.verdict is Verdict.WARN  # major is not interruptive under the default policy


def test_highest_severity_wins_and_every_source_stays_as_evidence(kb: FakeKnowledge) -> None:
    report = check(context(), lines(resolved("simvastatin"), resolved("clarithromycin")), kb, Policy())
    (conflict,) = report.conflicts
    assert conflict.severity is Severity.CONTRAINDICATED
    assert {e.source for e in conflict.evidence} == {"QĐ 5948/QĐ-BYT", "ANSM"}
    assert any(e.via == "clarithromycin is a strong inhibitor" for e in conflict.evidence)
    assert conflict.line_indexes == (0, 1)
    assert report.verdict is Verdict.BLOCK


def test_facility_policy_decides_what_interrupts(kb: FakeKnowledge) -> None:
    strict = Policy(name="strict", interrupt_at=dict.fromkeys(ConflictKind, Severity.MAJOR))
    report = check(context(active=(on("warfarin"),)), lines(resolved("acetylsalicylic acid")), kb, strict)
    assert report.verdict is Verdict.BLOCK
    assert report.policy == "strict v1"


def test_recent_medication_counts_and_long_ended_one_does_not(kb: FakeKnowledge) -> None:
    recent = on("warfarin", start=date(2026, 9, 1), days=30)  # ended 2026-09-30, within 60 days
    assert recent.window is MedicationWindowStatus.RECENT
    assert check(context(active=(recent,)), lines(resolved("acetylsalicylic acid")), kb, Policy()).conflicts
    old = Medication(id="m", text="Warfarin", start_date=date(2026, 1, 1), days=30)
    assert medication_window(old, AS_OF, 60)[0] is MedicationWindowStatus.ENDED


def test_medication_without_dates_is_assumed_active() -> None:
    med = Medication(id="m", text="Warfarin 5mg")
    assert medication_window(med, AS_OF, 60) == (MedicationWindowStatus.ASSUMED_ACTIVE, None)


def test_unresolved_line_is_never_a_pass(kb: FakeKnowledge) -> None:
    report = check(context(), lines(resolved("paracetamol"), UNRESOLVED), kb, Policy())
    assert report.verdict is Verdict.WARN
    # CHECK_NOT_RUN notices (no dose source for paracetamol …) are coverage, tested in test_patient_checks.py.
    assert [n.kind for n in report.notices if n.kind is not NoticeKind.CHECK_NOT_RUN] == [NoticeKind.UNRESOLVED_LINE]
    assert report.notices[0].line_index == 1


def test_unrecorded_allergy_history_is_never_a_pass(kb: FakeKnowledge) -> None:
    report = check(context(status=AllergyStatus.NOT_RECORDED), lines(resolved("paracetamol")), kb, Policy())
    assert report.verdict is Verdict.WARN
    assert NoticeKind.ALLERGY_STATUS_UNKNOWN in {n.kind for n in report.notices}


def test_a_drug_the_knowledge_does_not_cover_is_said_so(kb: FakeKnowledge) -> None:
    report = check(context(), lines(resolved("obscurium")), kb, Policy())
    assert report.verdict is Verdict.WARN
    assert [n.kind for n in report.notices if n.kind is not NoticeKind.CHECK_NOT_RUN] == [NoticeKind.NOT_COVERED]


def test_same_ingredient_in_two_lines_is_major_duplicate(kb: FakeKnowledge) -> None:
    report = check(context(), lines(resolved("paracetamol"), resolved("paracetamol")), kb, Policy())
    (conflict,) = report.conflicts
    assert conflict.kind is ConflictKind.DUPLICATE_THERAPY
    assert conflict.severity is Severity.MAJOR


def test_a_salt_and_its_parent_in_two_lines_are_one_drug(kb: FakeKnowledge) -> None:
    kb.parents["olmesartan medoxomil"] = "olmesartan"
    report = check(context(), lines(resolved("olmesartan medoxomil"), resolved("olmesartan")), kb, Policy())
    (conflict,) = report.conflicts
    assert (conflict.kind, conflict.severity) == (ConflictKind.DUPLICATE_THERAPY, Severity.MAJOR)
    assert "one drug" in conflict.detail.en


def test_same_therapeutic_group_is_moderate_duplicate(kb: FakeKnowledge) -> None:
    report = check(context(active=(on("simvastatin"),)), lines(resolved("atorvastatin")), kb, Policy())
    (conflict,) = report.conflicts
    assert conflict.severity is Severity.MODERATE
    assert "atc:C10AA" in conflict.detail.en


def test_conflict_ids_are_stable_across_runs(kb: FakeKnowledge) -> None:
    first = check(context(), lines(resolved("simvastatin"), resolved("clarithromycin")), kb, Policy())
    second = check(context(), lines(resolved("simvastatin"), resolved("clarithromycin")), kb, Policy())
    assert [c.id for c in first.conflicts] == [c.id for c in second.conflicts]


def test_commit_needs_an_override_for_every_interruptive_conflict(kb: FakeKnowledge) -> None:
    report = check(context(), lines(resolved("simvastatin"), resolved("clarithromycin")), kb, Policy())
    with pytest.raises(OverrideMissing):
        verify_overrides(report, [])
    (conflict,) = report.conflicts
    verify_overrides(report, [Override(conflict_id=conflict.id, reason=OverrideReason.WILL_MONITOR)])
    with pytest.raises(InvalidRequest) as error:
        verify_overrides(report, [Override(conflict_id="c-nope", reason=OverrideReason.WILL_MONITOR)])
    assert error.value.field == "overrides[0].conflict_id"


def test_a_combination_rule_needs_every_component(kb: FakeKnowledge) -> None:
    from rxsafe.core.knowledge_port import InteractionHit, InteractionRule, SourceRef  # noqa: PLC0415

    rule = InteractionRule(
        rule_id="r-combo",
        a_kind="combination",
        a="sacubitril + valsartan",
        b_kind="ingredient",
        b="enalapril",
        severity=Severity.CONTRAINDICATED,
        sources=(SourceRef(source="QĐ 5948/QĐ-BYT"),),
    )
    hit = InteractionHit(rule=rule, via="valsartan is a component of sacubitril + valsartan")
    kb.rules[frozenset(("valsartan", "enalapril"))] = [hit]
    kb.rules[frozenset(("sacubitril", "enalapril"))] = [hit]
    assert check(context(), lines(resolved("valsartan"), resolved("enalapril")), kb, Policy()).conflicts == ()
    both = check(context(), lines(resolved("sacubitril", "valsartan"), resolved("enalapril")), kb, Policy())
    assert {c.severity for c in both.conflicts} == {Severity.CONTRAINDICATED}


def test_an_atc_other_group_is_not_duplicate_therapy(kb: FakeKnowledge) -> None:
    kb.groups["ibuprofen"] = ["atc:C01EB"]
    kb.groups["trimetazidine"] = ["atc:C01EB"]
    kb.labels["atc:C01EB"] = "Other cardiac preparations"
    report = check(context(active=(on("trimetazidine"),)), lines(resolved("ibuprofen")), kb, Policy())
    assert [c for c in report.conflicts if c.kind is ConflictKind.DUPLICATE_THERAPY] == []


def test_an_allergy_to_a_drug_covers_its_salt(kb: FakeKnowledge) -> None:
    kb.parents["olmesartan medoxomil"] = "olmesartan"
    allergy = Allergy(id="allergy-olm", allergen="Olmesartan")
    ctx = context(status=AllergyStatus.LISTED, allergies=((allergy, ingredient_allergen("olmesartan")),))
    report = check(ctx, lines(resolved("olmesartan medoxomil")), kb, Policy())
    (conflict,) = report.conflicts
    assert (conflict.kind, conflict.severity) == (ConflictKind.ALLERGY, Severity.CONTRAINDICATED)
    assert "salt or ester" in conflict.evidence[0].via
