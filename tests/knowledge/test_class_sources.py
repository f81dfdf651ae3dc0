"""The class-rule sources (ANSM, FDA, OSCAR, CredibleMeds) over the real source files, with a small fake index."""

from __future__ import annotations

from pathlib import Path

import pytest

from rxsafe.knowledge.build import ansm, crediblemeds, fda, oscar
from rxsafe.knowledge.build.ansm_bridge import FrenchBridge
from rxsafe.knowledge.build.class_support import read_data_csv
from rxsafe.knowledge.build.rows import Contribution, RuleRow

SOURCES = Path(__file__).resolve().parents[3] / "shared" / "knowledge-sources"
if not SOURCES.is_dir():
    SOURCES = Path("/work/shared/knowledge-sources")

pytestmark = pytest.mark.skipif(not SOURCES.is_dir(), reason="knowledge sources not available")

CYP3A4_STRONG = "ansm:INHIBITEURS PUISSANTS DU CYP3A4"
MAOI_IRREVERSIBLE = "ansm:IMAO IRRÉVERSIBLES"
SSRI = "ansm:INHIBITEURS SÉLECTIFS DE LA RECAPTURE DE LA SÉROTONINE"
MAOI_A = "ansm:IMAO-A RÉVERSIBLES, Y COMPRIS OXAZOLIDINONES ET BLEU DE MÉTHYLÈNE"
SYMPATHOMIMETICS = "ansm:SYMPATHOMIMÉTIQUES INDIRECTS"

# English INNs the fake index knows as themselves (WHO ATC and English source names are lowercased first).
INNS = {
    "amiodarone",
    "azithromycin",
    "bupropion",
    "citalopram",
    "clarithromycin",
    "digoxin",
    "erythromycin",
    "fluoxetine",
    "itraconazole",
    "ketoconazole",
    "levodopa",
    "levofloxacin",
    "phenelzine",
    "ritonavir",
    "simvastatin",
    "sodium citrate",
    "spiramycin",
    "st john's wort",
    "tranylcypromine",
    "valproic acid",
    "warfarin",
    "atorvastatin",
}
# French spellings a DrugBank-backed index would know (DrugBank lists them as synonyms).
ALIASES = {"clarithromycine": "clarithromycin", "simvastatine": "simvastatin", "digoxine": "digoxin"}


class FakeNames:
    """Dict-based NameIndex: exact lowercase lookups only, like the real index's contract."""

    def to_inn(self, name: str) -> str | None:
        key = name.strip().lower()
        return ALIASES.get(key) or (key if key in INNS else None)

    def knows(self, inn: str) -> bool:
        return inn in INNS


@pytest.fixture(scope="module")
def ansm_out() -> Contribution:
    return ansm.contribute(SOURCES, FakeNames())


@pytest.fixture(scope="module")
def fda_out() -> Contribution:
    return fda.contribute(SOURCES, FakeNames())


def _members(out: Contribution, class_id: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for member in out.members:
        if member.class_id == class_id:
            found.setdefault(member.inn, set()).add(member.via)
    return found


def _rule(out: Contribution, a: str, b: str) -> RuleRow:
    matches = [r for r in out.rules if {r.a, r.b} == {a, b}]
    assert len(matches) == 1, matches
    return matches[0]


# --- ANSM -------------------------------------------------------------------------------------------------


def test_simvastatin_with_strong_cyp3a4_inhibitors_is_contraindicated(ansm_out: Contribution) -> None:
    rule = _rule(ansm_out, CYP3A4_STRONG, "simvastatin")
    assert rule.severity == "contraindicated"
    assert {(rule.a_kind, rule.a), (rule.b_kind, rule.b)} == {
        ("class", CYP3A4_STRONG),
        ("ingredient", "simvastatin"),
    }
    assert [c.level for c in rule.sources] == ["CONTRE-INDICATION"]
    assert rule.rule_id.startswith("ansm:")


def test_clarithromycin_is_a_strong_cyp3a4_inhibitor_by_the_index_and_by_fda(
    ansm_out: Contribution, fda_out: Contribution
) -> None:
    assert "ansm_index" in _members(ansm_out, CYP3A4_STRONG)["clarithromycin"]
    assert _members(fda_out, CYP3A4_STRONG)["clarithromycin"] == {"fda_table: strong CYP3A inhibitor"}


def test_maoi_class_gets_atc_members_and_class_rule_with_ssri(ansm_out: Contribution) -> None:
    maoi = _members(ansm_out, MAOI_IRREVERSIBLE)
    # Tranylcypromine is not in the French index at all: only the reviewed map N06AF brings it in.
    assert maoi["tranylcypromine"] == {"ansm_atc_map: N06AF"}
    assert "ansm_atc_map: N06AF" in maoi["phenelzine"]
    assert "ansm_atc_map: N06AB" in _members(ansm_out, SSRI)["fluoxetine"]
    assert _rule(ansm_out, MAOI_IRREVERSIBLE, SSRI).severity == "contraindicated"
    assert _rule(ansm_out, MAOI_A, SSRI).severity == "major"


def test_atc_map_exclusions_are_applied(ansm_out: Contribution) -> None:
    macrolides = _members(ansm_out, "ansm:MACROLIDES (SAUF SPIRAMYCINE)")
    assert "ansm_atc_map: J01FA" in macrolides["azithromycin"]
    assert "spiramycin" not in macrolides


def test_pair_listed_under_both_drugs_gives_one_rule_with_english_text(ansm_out: Contribution) -> None:
    rule = _rule(ansm_out, "amiodarone", "digoxin")
    assert rule.severity == "moderate"
    assert not rule.consequence_en.startswith("[FR]")
    assert "digoxin" in rule.consequence_en


def test_french_text_kept_with_prefix_when_no_english(ansm_out: Contribution) -> None:
    rule = _rule(ansm_out, CYP3A4_STRONG, "simvastatin")
    assert rule.consequence_en.startswith("[FR] ") and "rhabdomyolyse" in rule.consequence_en


def test_conditional_levels_take_the_general_level_and_cite_each(ansm_out: Contribution) -> None:
    # CONTRE-INDICATION holds only under its stated condition; the pair in general is "déconseillée" (major).
    rule = _rule(ansm_out, MAOI_A, SYMPATHOMIMETICS)
    assert rule.severity == "major"
    assert sorted(c.level for c in rule.sources) == ["Association DECONSEILLEE", "CONTRE-INDICATION"]
    assert "CONTRE-INDICATION:" in rule.management_en


def test_ansm_output_is_deterministic_and_ids_unique(ansm_out: Contribution) -> None:
    again = ansm.contribute(SOURCES, FakeNames())
    assert again == ansm_out
    ids = [r.rule_id for r in ansm_out.rules]
    assert len(ids) == len(set(ids))
    assert all(r.severity in ansm.SEVERITY_RANK for r in ansm_out.rules)


def test_unbridged_substances_are_reported(ansm_out: Contribution) -> None:
    assert ("ANSM thesaurus 2020-10", "substance: abatacept") in ansm_out.unmapped


def test_unknown_level_is_refused() -> None:
    with pytest.raises(ValueError):
        ansm.severity_of("Déconseillé parfois")


def test_bridge_rules_and_reviewed_exceptions() -> None:
    bridge = FrenchBridge(SOURCES, FakeNames())
    citrate = bridge.bridge("sodium (citrate de)")
    assert citrate is not None and (citrate.inn, citrate.via) == ("sodium citrate", "normalised")
    valproic = bridge.bridge("acide valproïque")
    assert valproic is not None and valproic.inn == "valproic acid"
    wort = bridge.bridge("millepertuis")
    assert wort is not None and (wort.inn, wort.via) == ("st john's wort", "reviewed_exception")
    assert bridge.bridge("abatacept") is None


def test_reviewed_files_have_reasons() -> None:
    for name in ("ansm_name_exceptions.csv", "ansm_class_atc_map.csv", "ansm_class_names_en.csv"):
        assert all(row["reason"] for row in read_data_csv(name)), name


# --- FDA --------------------------------------------------------------------------------------------------


def test_fda_classes_and_caveats(fda_out: Contribution, ansm_out: Contribution) -> None:
    strong = _members(fda_out, "fda:strong CYP3A inhibitors")
    assert {"clarithromycin", "ritonavir", "itraconazole"} <= set(strong)
    assert "bupropion" not in _members(fda_out, "fda:sensitive CYP2B6 substrates")
    assert any("lopinavir and ritonavir" in name for _, name in fda_out.unmapped)
    assert not fda_out.rules
    ansm_ids = {c.class_id for c in ansm_out.classes}
    assert {m.class_id for m in fda_out.members if m.class_id.startswith("ansm:")} <= ansm_ids


# --- OSCAR ------------------------------------------------------------------------------------------------


def test_oscar_severity_mapping_and_class_codes() -> None:
    out = oscar.contribute(SOURCES, FakeNames())
    levodopa_maoi = _rule(out, "levodopa", "atc:N06AF")
    assert levodopa_maoi.severity == "major"
    assert {levodopa_maoi.a_kind, levodopa_maoi.b_kind} == {"ingredient", "class"}
    assert all(c.level.startswith("significance 3") for c in levodopa_maoi.sources)
    assert {r.severity for r in out.rules} <= {"major", "moderate", "minor"}
    # ALLOPURINOL × BETA BLOCKERS is an effect-N row: no rule.
    assert not [r for r in out.rules if {r.a, r.b} == {"allopurinol", "atc:C07A"}]


# --- CredibleMeds -----------------------------------------------------------------------------------------


def test_crediblemeds_members_and_graded_pairs() -> None:
    out = crediblemeds.contribute(SOURCES, FakeNames())
    assert _members(out, crediblemeds.CLASS_ID)["amiodarone"] == {"crediblemeds_2014"}
    assert all(r.a_kind == r.b_kind == "ingredient" for r in out.rules)  # the list grades no QT+QT class pair
    assert _rule(out, "amiodarone", "levofloxacin").severity == "major"
    assert not [r for r in out.rules if {r.a, r.b} == {"clarithromycin", "digoxin"}]  # no grade in the source
    assert _rule(out, "atorvastatin", "itraconazole").needs_review
    assert not _rule(out, "itraconazole", "simvastatin").needs_review
