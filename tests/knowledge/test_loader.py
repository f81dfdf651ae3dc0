"""The loader answers the questions the checks ask, from the committed tables."""

from __future__ import annotations

import hashlib

from rxsafe.core.enums import Severity
from rxsafe.knowledge.loader import KnowledgeBase
from tests.knowledge.conftest import KNOWLEDGE

SOURCE_5948 = "QĐ 5948/QĐ-BYT"


def _rules_citing(source: str) -> list[list[str]]:
    with (KNOWLEDGE / "interactions.tsv").open(encoding="utf-8") as handle:
        next(handle)
        rows = [line.rstrip("\n").split("\t") for line in handle]
    return [r for r in rows if any(c.startswith(source + ";") for c in r[12].split(" | "))]


def test_warfarin_aspirin_interact_major_or_higher(kb: KnowledgeBase) -> None:
    hits = kb.interactions("warfarin", "acetylsalicylic acid")
    assert hits, "warfarin + aspirin must interact"
    assert max(h.rule.severity for h in hits) >= Severity.MAJOR
    ddinter = [h for h in hits if any(s.source == "DDInter" for s in h.rule.sources)]
    assert ddinter and ddinter[0].rule.severity >= Severity.MAJOR


def test_interactions_are_order_free(kb: KnowledgeBase) -> None:
    assert kb.interactions("warfarin", "acetylsalicylic acid") == kb.interactions("acetylsalicylic acid", "warfarin")


def test_simvastatin_clarithromycin_contraindicated_from_5948(kb: KnowledgeBase) -> None:
    hits = kb.interactions("clarithromycin", "simvastatin")
    qd = [h for h in hits if any(s.source == SOURCE_5948 for s in h.rule.sources)]
    assert qd, "QĐ 5948 lists simvastatin + clarithromycin"
    rule = qd[0].rule
    assert rule.severity is Severity.CONTRAINDICATED
    assert rule.management.vi, "Vietnamese management text is kept"
    assert "  " not in rule.mechanism.vi and "\n" not in rule.management.vi


def test_every_5948_pair_is_kept_and_contraindicated(kb: KnowledgeBase) -> None:
    rules = _rules_citing(SOURCE_5948)
    references = {c for r in rules for c in r[12].split(" | ") if c.startswith(SOURCE_5948 + ";")}
    assert len(references) == 633, "no row of the decision may be dropped"
    checked = 0
    for row in rules:
        a_kind, a, b_kind, b = row[1:5]
        assert row[5] == "contraindicated"
        if "unmapped" in (a_kind, b_kind):
            continue
        # A class side (reviewed group sides such as "Peginterferon-alpha") is checked through its members.
        lefts = a.split(" + ") if a_kind == "combination" else sorted(kb.class_members(a)) if a_kind == "class" else [a]
        rights = (
            b.split(" + ") if b_kind == "combination" else sorted(kb.class_members(b)) if b_kind == "class" else [b]
        )
        for left in lefts:
            for right in rights:
                hits = kb.interactions(left, right)
                assert any(h.rule.rule_id == row[0] and h.rule.severity is Severity.CONTRAINDICATED for h in hits), (
                    left,
                    right,
                )
                checked += 1
    assert checked >= 633


def test_5948_row_321_corrected_and_flagged(kb: KnowledgeBase) -> None:
    hits = kb.interactions("ephedrine", "linezolid")
    qd = [h for h in hits if any(s.source == SOURCE_5948 and s.reference == "row 321" for s in h.rule.sources)]
    assert qd and qd[0].rule.needs_review


def test_truncated_5948_rows_need_review() -> None:
    flagged = [r for r in _rules_citing(SOURCE_5948) if r[13] == "1"]
    assert len(flagged) >= 44


def test_class_rule_expands_with_via(kb: KnowledgeBase) -> None:
    # ANSM states NSAID + NSAID at class level; ibuprofen + naproxen reaches it through membership.
    hits = kb.interactions("ibuprofen", "naproxen")
    assert any(h.via and "ibuprofen is in" in h.via for h in hits)


def test_amoxicillin_is_a_penicillin(kb: KnowledgeBase) -> None:
    assert kb.in_class("amoxicillin", "allergy:penicillins")
    assert kb.in_class("amoxicillin", "atc:J01CA")
    assert not kb.in_class("cefalexin", "allergy:penicillins")
    assert kb.in_class("cefalexin", "allergy:cephalosporins")
    assert "allergy:penicillins" in {c.class_id for c in kb.classes_of("amoxicillin")}


def test_trimethoprim_not_a_sulfonamide_but_sulfamethoxazole_is(kb: KnowledgeBase) -> None:
    assert kb.in_class("sulfamethoxazole", "allergy:sulfonamide_antibacterials")
    assert not kb.in_class("trimethoprim", "allergy:sulfonamide_antibacterials")


def test_cross_reactivity_amoxicillin_ampicillin_both_orders(kb: KnowledgeBase) -> None:
    forward = kb.cross_reactivity("amoxicillin", "ampicillin")
    backward = kb.cross_reactivity("ampicillin", "amoxicillin")
    assert forward is not None and forward.cross_reactive
    assert backward is not None and backward.cross_reactive
    no_cross = kb.cross_reactivity("amoxicillin", "aztreonam")
    assert no_cross is not None and not no_cross.cross_reactive
    assert kb.cross_reactivity("amoxicillin", "warfarin") is None


def test_therapeutic_groups_and_vi_name(kb: KnowledgeBase) -> None:
    assert kb.therapeutic_groups("enalapril") == ("atc:C09AA",)
    assert kb.vi_name("amiodarone") == "Amiodaron"
    assert kb.vi_name("no such drug") == ""
    assert kb.class_label("atc:C09AA").en


def test_version_is_manifest_hash(kb: KnowledgeBase) -> None:

    expected = hashlib.sha256((KNOWLEDGE / "MANIFEST.tsv").read_bytes()).hexdigest()[:12]
    assert kb.version == expected


def test_a_salt_no_source_names_takes_its_parents_rules(kb: KnowledgeBase) -> None:
    # DDInter grades olmesartan; products and WHO ATC name olmesartan medoxomil, which no pair rule names.
    own = {
        h.rule.rule_id for h in kb.interactions("olmesartan", "acetylsalicylic acid") if h.rule.a_kind == h.rule.b_kind
    }
    hits = kb.interactions("olmesartan medoxomil", "acetylsalicylic acid")
    assert own and own <= {h.rule.rule_id for h in hits}
    via = next(h.via for h in hits if h.rule.rule_id in own)
    assert "olmesartan medoxomil is a salt or ester of olmesartan" in via
    assert kb.covers("ipratropium bromide")


def test_a_salt_with_its_own_rules_keeps_only_them(kb: KnowledgeBase) -> None:
    # Sources grade potassium chloride itself (hundreds of rules): potassium's few are not added to it.
    assert not kb.same_moiety("potassium chloride", "potassium")
    parent_only = {h.rule.rule_id for h in kb.interactions("potassium", "spironolactone")}
    salt = {h.rule.rule_id for h in kb.interactions("potassium chloride", "spironolactone")}
    assert salt and not (parent_only - salt and parent_only & salt)


def test_a_salt_and_its_parent_are_one_drug(kb: KnowledgeBase) -> None:
    assert kb.same_moiety("olmesartan medoxomil", "olmesartan")
    assert kb.interactions("olmesartan medoxomil", "olmesartan") == ()
    assert not kb.same_moiety("olmesartan", "candesartan")


def test_a_salt_is_in_its_parents_classes(kb: KnowledgeBase) -> None:
    # ANSM lists ipratropium among the atropinic drugs; the bromide is what products are registered as.
    assert kb.in_class("ipratropium bromide", "ansm:MÉDICAMENTS ATROPINIQUES")
    assert not kb.in_class("potassium chloride", "ansm:MÉDICAMENTS ATROPINIQUES")
