"""Display tiers: what decides act / review / info, and what can never be collapsed (knowledge/SEVERITY.md)."""

from __future__ import annotations

from datetime import date

import pytest

from rxsafe.core.enums import ConflictKind, DisplayTier, EvidenceSourceKind, Severity
from rxsafe.core.models import Conflict, Evidence, EvidenceStrength, SourceSupport
from rxsafe.core.policy import Policy
from rxsafe.core.tier_policy import Suppression, SuppressionList, TierRules
from rxsafe.core.tiers import tier_counts, with_tiers

CURATED, OFFICIAL, DERIVED = EvidenceSourceKind.CURATED, EvidenceSourceKind.OFFICIAL, EvidenceSourceKind.DERIVED


def src(
    family: str, severity: Severity | None, kind: EvidenceSourceKind = CURATED, text: bool = False
) -> SourceSupport:
    return SourceSupport(source=family, family=family, kind=kind, level="x", severity=severity, has_text=text)


def interaction(
    severity: Severity, *support: SourceSupport, text: bool = False, interruptive: bool = False, rule: str = "ix-1"
) -> Conflict:
    strength = EvidenceStrength(support=support, has_mechanism=text) if support else None
    return Conflict(
        id="c-1",
        kind=ConflictKind.INTERACTION,
        severity=severity,
        interruptive=interruptive,
        drugs=("a", "b"),
        evidence=(Evidence(source="s", rule_id=rule),),
        strength=strength,
    )


def tier(conflict: Conflict, policy: Policy | None = None) -> DisplayTier:
    return with_tiers([conflict], policy or Policy())[0].tier


MOD, MAJ = Severity.MODERATE, Severity.MAJOR


@pytest.mark.parametrize(
    ("conflict", "expected"),
    [
        (
            interaction(Severity.CONTRAINDICATED, src("QĐ", Severity.CONTRAINDICATED, OFFICIAL), interruptive=True),
            "act",
        ),
        # A contraindication the facility does not interrupt on is still never collapsed.
        (interaction(Severity.CONTRAINDICATED, src("DDInter", None)), "review"),
        (interaction(MAJ, src("DDInter", MAJ)), "review"),
        (interaction(MAJ, src("FDA", MAJ, DERIVED)), "review"),
        (interaction(Severity.MINOR, src("DDInter", Severity.MINOR)), "info"),
        # Moderate: DDInter's ungraded "Unknown" alone is weak evidence.
        (interaction(MOD, src("DDInter", None)), "info"),
        # A second graded source without any text (VA NDF-RT "Significant") is still weak ...
        (interaction(MOD, src("DDInter", MOD), src("VA NDF-RT", MOD)), "info"),
        # ... with a mechanism or management text, or a third graded source, it is solid.
        (interaction(MOD, src("DDInter", MOD), src("OSCAR", MOD, text=True), text=True), "review"),
        (interaction(MOD, src("DDInter", MOD), src("VA NDF-RT", MOD), src("OSCAR", MOD)), "review"),
        # An official source grading it moderate suffices; one grading it minor does not.
        (interaction(MOD, src("ANSM", MOD, OFFICIAL)), "review"),
        (interaction(MOD, src("ANSM", Severity.MINOR, OFFICIAL), src("DDInter", None)), "info"),
        # Derived rules never count as independent sources.
        (interaction(MOD, src("FDA", MOD, DERIVED), src("DDInter", MOD), text=True), "info"),
        # Two cites of one family count once.
        (interaction(MOD, src("DDInter", MOD), src("DDInter", MOD), text=True), "info"),
        # No strength to judge by (an older build): fail safe.
        (interaction(MOD), "review"),
    ],
)
def test_interaction_tiers(conflict: Conflict, expected: str) -> None:
    assert tier(conflict).value == expected


def test_non_interaction_kinds() -> None:
    def of(kind: ConflictKind, severity: Severity) -> DisplayTier:
        return tier(Conflict(id="c", kind=kind, severity=severity))

    assert of(ConflictKind.DUPLICATE_THERAPY, MOD) is DisplayTier.REVIEW
    assert of(ConflictKind.DRUG_DISEASE, MOD) is DisplayTier.REVIEW
    assert of(ConflictKind.AGE, MOD) is DisplayTier.INFO  # STOPP criteria on age alone: medication-review material
    assert of(ConflictKind.AGE, Severity.CONTRAINDICATED) is DisplayTier.REVIEW
    assert of(ConflictKind.DUPLICATE_THERAPY, Severity.MINOR) is DisplayTier.INFO
    assert of(ConflictKind.DOSE, MAJ) is DisplayTier.REVIEW


def test_the_facility_thresholds_decide() -> None:
    single = interaction(MOD, src("DDInter", MOD))
    lenient = Policy(tiers=TierRules(min_sources=1, needs_text=False))
    assert tier(single) is DisplayTier.INFO
    assert tier(single, lenient) is DisplayTier.REVIEW
    strict = Policy(tiers=TierRules(official_suffices=False))
    assert tier(interaction(MOD, src("ANSM", MOD, OFFICIAL)), strict) is DisplayTier.INFO


def _suppressing(**what: object) -> Policy:
    entry = Suppression(approved_by="HĐT&ĐT", approved_on=date(2026, 11, 20), reason="committee review", **what)  # type: ignore[arg-type]
    return Policy(suppressions=SuppressionList(version=3, entries=(entry,)))


def test_a_suppression_demotes_and_names_itself() -> None:
    solid = interaction(MOD, src("ANSM", MOD, OFFICIAL))
    [shown] = with_tiers([solid], _suppressing(drugs=("b", "a")))
    assert shown.tier is DisplayTier.INFO
    assert "suppression list v3 #1" in shown.suppressed_by
    assert "HĐT&ĐT" in shown.suppressed_by
    [by_rule] = with_tiers([solid], _suppressing(rule_id="ix-1"))
    assert by_rule.tier is DisplayTier.INFO
    [other] = with_tiers([solid], _suppressing(rule_id="ix-2"))
    assert other.tier is DisplayTier.REVIEW
    assert other.suppressed_by == ""


def test_a_suppression_never_hides_major_or_demotes_what_interrupts() -> None:
    policy = _suppressing(drugs=("a", "b"))
    [major] = with_tiers([interaction(MAJ, src("DDInter", MAJ))], policy)
    assert major.tier is DisplayTier.REVIEW
    [blocking] = with_tiers([interaction(MOD, src("DDInter", MOD), interruptive=True)], policy)
    assert blocking.tier is DisplayTier.ACT
    assert blocking.suppressed_by == ""


def test_a_suppression_must_say_who_and_what() -> None:
    with pytest.raises(ValueError, match="rule_id or at least two drugs"):
        Suppression(approved_by="x", approved_on=date(2026, 1, 1), reason="y", drugs=("a",))
    with pytest.raises(ValueError, match="approved_by"):
        Suppression(approved_by="", approved_on=date(2026, 1, 1), reason="y", drugs=("a", "b"))


def test_every_conflict_keeps_its_place_and_is_counted() -> None:
    conflicts = [interaction(MAJ, src("DDInter", MAJ)), interaction(MOD, src("DDInter", None))]
    tiered = with_tiers(conflicts, Policy())
    assert [c.id for c in tiered] == [c.id for c in conflicts]
    assert tier_counts(tiered) == {DisplayTier.ACT: 0, DisplayTier.REVIEW: 1, DisplayTier.INFO: 1}


def test_a_conflict_built_without_a_tier_is_not_collapsed() -> None:
    # Reports stored before tiers existed load with these defaults.
    assert Conflict(id="c", kind=ConflictKind.ALLERGY, severity=MAJ, interruptive=True).tier is DisplayTier.ACT
    assert Conflict(id="c", kind=ConflictKind.ALLERGY, severity=Severity.MINOR).tier is DisplayTier.REVIEW


def test_the_policy_names_its_tier_rules_and_suppressions() -> None:
    policy = _suppressing(drugs=("a", "b"))
    assert policy.tier_label == "tiers rxsafe-default v1; suppressions v3 (1 entry)"
    assert policy.fingerprint != Policy().fingerprint
