"""Issue 14 rule families over the committed tables: HIRA DUR, VA NDF-RT, FDA mechanism rules, the QT rule,
QĐ 5948's group sides, and the alert-fatigue guard (each with real pairs and a negative)."""

from __future__ import annotations

from rxsafe.core.enums import Severity
from rxsafe.knowledge.build import derived_rules, kr_dur, va_ndfrt
from rxsafe.knowledge.loader import KnowledgeBase
from rxsafe.knowledge.priority_eval import measure, read_pairs


def sources(kb: KnowledgeBase, a: str, b: str) -> dict[str, Severity]:
    """Source → the highest severity of the rules citing it for the pair."""
    found: dict[str, Severity] = {}
    for hit in kb.interactions(a, b):
        for cite in hit.rule.sources:
            found[cite.source] = max(found.get(cite.source, hit.rule.severity), hit.rule.severity)
    return found


def top(kb: KnowledgeBase, a: str, b: str) -> Severity | None:
    return max((h.rule.severity for h in kb.interactions(a, b)), default=None)


def test_a_dur_pair_no_other_source_has_is_contraindicated_with_its_korean_reason(kb: KnowledgeBase) -> None:
    assert sources(kb, "acetazolamide", "topiramate") == {kr_dur.SOURCE: Severity.CONTRAINDICATED}
    rule = kb.interactions("acetazolamide", "topiramate")[0].rule
    assert rule.sources[0].level == "병용금기"
    assert "acetazolamide" in rule.consequence.en  # the English names beside the Korean text


def test_a_reviewed_translation_is_marked_and_keeps_the_korean(kb: KnowledgeBase) -> None:
    rule = next(h.rule for h in kb.interactions("amiodarone", "pimozide") if h.rule.sources[0].source == kr_dur.SOURCE)
    assert "increased risk of torsades de pointes" in rule.consequence.en
    assert kr_dur.TRANSLATION_MARK in rule.consequence.en
    assert "Torsade de pointes 위험 증가" in rule.consequence.en
    assert "xoắn đỉnh" in rule.consequence.vi


def test_dur_does_not_reach_a_pair_it_does_not_name(kb: KnowledgeBase) -> None:
    assert kr_dur.SOURCE not in sources(kb, "amlodipine", "losartan")


def test_a_dur_combination_row_bans_its_culprit_component_not_its_partner(kb: KnowledgeBase) -> None:
    # Row 1292 bans the simvastatin + amlodipine product with clarithromycin; simvastatin has a row of its own.
    assert kr_dur.SOURCE not in sources(kb, "amlodipine", "clarithromycin")
    assert top(kb, "amlodipine", "clarithromycin") is not Severity.CONTRAINDICATED
    references = {c.reference for h in kb.interactions("simvastatin", "clarithromycin") for c in h.rule.sources}
    assert any("Simvastatin + Amlodipine + Clarithromycin" in r for r in references)
    # A combination none of whose components is banned alone keeps the combination side (any component).
    assert top(kb, "emtricitabine", "adefovir dipivoxil") is Severity.CONTRAINDICATED


def test_a_va_critical_pair_is_major_and_a_significant_one_moderate(kb: KnowledgeBase) -> None:
    assert sources(kb, "alfentanil", "linezolid") == {va_ndfrt.SOURCE: Severity.MAJOR}
    hit = kb.interactions("alfentanil", "linezolid")[0]
    assert hit.rule.sources[0].level == "Critical"
    significant = sources(kb, "amiodarone", "tizanidine")
    assert significant[va_ndfrt.SOURCE] is Severity.MODERATE


def test_va_does_not_reach_a_pair_it_does_not_list(kb: KnowledgeBase) -> None:
    assert va_ndfrt.SOURCE not in sources(kb, "amlodipine", "losartan")


def test_va_never_makes_a_pair_contraindicated_on_its_own(kb: KnowledgeBase) -> None:
    for hit in kb.interactions("alfentanil", "linezolid"):
        assert hit.rule.severity < Severity.CONTRAINDICATED


def test_strong_cyp1a2_inhibitor_with_tizanidine_is_derived_major(kb: KnowledgeBase) -> None:
    found = sources(kb, "tizanidine", "fluvoxamine")
    assert found[derived_rules.SOURCE_FDA] is Severity.MAJOR
    derived = next(
        h for h in kb.interactions("tizanidine", "fluvoxamine") if h.rule.sources[0].source == derived_rules.SOURCE_FDA
    )
    assert derived.rule.mechanism.en.startswith("Derived rule (rxsafe), via FDA index table: strong CYP1A2 inhibitor")
    assert "≥ 5-fold" in derived.rule.mechanism.en
    assert "fluvoxamine is in strong CYP1A2 inhibitors" in derived.via


def test_moderate_inhibitor_is_moderate_and_strong_inducer_major(kb: KnowledgeBase) -> None:
    assert sources(kb, "tizanidine", "ciprofloxacin")[derived_rules.SOURCE_FDA] is Severity.MODERATE
    assert sources(kb, "rifampicin", "midazolam")[derived_rules.SOURCE_FDA] is Severity.MAJOR
    assert sources(kb, "ritonavir", "simvastatin")[derived_rules.SOURCE_FDA] is Severity.MAJOR


def test_boosted_protease_inhibitor_is_not_raised_by_the_inhibitor_rule(kb: KnowledgeBase) -> None:
    # FDA footnote 6: darunavir is usually given with ritonavir; the inducer rule still applies.
    assert derived_rules.SOURCE_FDA not in sources(kb, "ritonavir", "darunavir")
    assert sources(kb, "rifampicin", "darunavir")[derived_rules.SOURCE_FDA] is Severity.MAJOR


def test_two_known_tdp_drugs_are_major_through_the_qt_rule(kb: KnowledgeBase) -> None:
    found = sources(kb, "sulpiride", "ondansetron")
    assert found[derived_rules.SOURCE_QT] is Severity.MAJOR
    assert top(kb, "sulpiride", "ondansetron") is Severity.MAJOR


def test_possible_risk_drugs_do_not_trigger_the_qt_rule(kb: KnowledgeBase) -> None:
    # Mirtazapine and venlafaxine carry only possible/conditional risk: not on the known-risk list.
    assert derived_rules.SOURCE_QT not in sources(kb, "mirtazapine", "venlafaxine")
    assert derived_rules.SOURCE_QT not in sources(kb, "haloperidol", "venlafaxine")


def test_qd5948_group_sides_are_contraindicated_for_their_members(kb: KnowledgeBase) -> None:
    rows = {
        ("ceftriaxone", "calcium chloride"): {"row 150", "row 151"},
        ("ceftriaxone", "calcium gluconate"): {"row 150"},
        ("peginterferon alfa-2a", "telbivudine"): {"row 569"},
        ("peginterferon alfa-2b", "telbivudine"): {"row 569"},
    }
    for (a, b), wanted in rows.items():
        cites = {c.reference for h in kb.interactions(a, b) for c in h.rule.sources if c.source == "QĐ 5948/QĐ-BYT"}
        assert wanted <= cites, (a, b)
        assert top(kb, a, b) is Severity.CONTRAINDICATED


def test_mao_inhibitors_with_sympathomimetics_and_serotonergic_drugs_are_at_least_major(kb: KnowledgeBase) -> None:
    for a, b in [
        ("phenelzine", "pseudoephedrine"),
        ("amfetamine", "phenelzine"),
        ("moclobemide", "fluoxetine"),
        ("selegiline", "pethidine"),
        ("tranylcypromine", "sertraline"),
    ]:
        assert (top(kb, a, b) or Severity.MINOR) >= Severity.MAJOR, (a, b)


def test_low_priority_pairs_stay_under_five_percent_contraindicated(kb: KnowledgeBase) -> None:
    low = measure(kb, "low", read_pairs()["low"])
    assert low.pairs >= 20
    assert low.contraindicated_share < 0.05


def test_onc_high_priority_recall_at_major(kb: KnowledgeBase) -> None:
    high = measure(kb, "onc_high", read_pairs()["onc_high"])
    assert high.recall >= 0.95, high.misses


def test_every_reviewed_translation_is_of_a_phrase_the_source_uses() -> None:
    import csv  # noqa: PLC0415 -- only this test reads the source file

    from tests.knowledge.conftest import SOURCES  # noqa: PLC0415

    path = SOURCES / kr_dur.FILE
    if not path.exists():
        return
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    used = {" ".join(r[c].split()) for r in rows for c in ("condi_rsn", "rmrk_cn")} | {"경구"}
    unused = sorted(set(kr_dur.read_translations()) - used)
    assert not unused, unused
