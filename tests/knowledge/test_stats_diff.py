"""``rxsafe knowledge stats`` and ``diff``: counts on the real tables, differences on two handmade folders."""

from __future__ import annotations

import re
from pathlib import Path

from rxsafe.knowledge.commands import diff_command, stats_command
from rxsafe.knowledge.diff import knowledge_diff
from rxsafe.knowledge.stats import knowledge_stats
from rxsafe.knowledge.strength_stats import format_strength_counts, read_strengths, strength_counts
from rxsafe.knowledge.tables import read_tsv
from tests.knowledge.conftest import KNOWLEDGE

_RULE_HEADER = (
    "rule_id\ta_kind\ta\tb_kind\tb\tseverity\tmechanism_vi\tmechanism_en\tconsequence_vi\tconsequence_en"
    "\tmanagement_vi\tmanagement_en\tsources\tneeds_review"
)


def _folder(root: Path, ingredients: list[str], rules: list[tuple[str, str, str, str, str, str]]) -> Path:
    """A minimal knowledge folder: ingredients, rules ``(a_kind, a, b_kind, b, severity, source)``, one class."""
    root.mkdir()
    (root / "MANIFEST.tsv").write_text("file\trows\tsha256\n", encoding="utf-8")
    (root / "ingredients.tsv").write_text(
        "inn\tvi_name\tatc_codes\tdrugbank_id\tsources\n" + "".join(f"{i}\t\t\t\tx\n" for i in ingredients),
        encoding="utf-8",
    )
    (root / "class_members.tsv").write_text(
        "class_id\tinn\tsource\tvia\natc:X\tclar\tx\tatc\natc:X\tketo\tx\tatc\n", encoding="utf-8"
    )
    lines = [
        f"ix-{n}\t{ak}\t{a}\t{bk}\t{b}\t{sev}\t{'vi' if src == 'QĐ 5948/QĐ-BYT' else ''}\t\t\t\t\t\t{src};r;L\t0"
        for n, (ak, a, bk, b, sev, src) in enumerate(rules)
    ]
    (root / "interactions.tsv").write_text("\n".join([_RULE_HEADER, *lines]) + "\n", encoding="utf-8")
    return root


def test_diff_lists_added_removed_and_severity_changes(tmp_path: Path) -> None:
    old = _folder(
        tmp_path / "a",
        ["clar", "simva", "warf"],
        [
            ("ingredient", "clar", "ingredient", "simva", "major", "DDInter"),
            ("ingredient", "simva", "ingredient", "warf", "moderate", "DDInter"),
        ],
    )
    new = _folder(
        tmp_path / "b",
        ["clar", "keto", "simva"],
        [
            ("ingredient", "clar", "ingredient", "simva", "contraindicated", "QĐ 5948/QĐ-BYT"),
            ("class", "atc:X", "ingredient", "simva", "contraindicated", "ANSM"),
        ],
    )
    diff = knowledge_diff(old, new)
    assert [r.key for r in diff.added] == [("class", "atc:X", "ingredient", "simva")]
    assert [r.key for r in diff.removed] == [("ingredient", "simva", "ingredient", "warf")]
    [change] = diff.severity_changed
    assert (change.old, change.new, change.raised) == ("major", "contraindicated", True)
    assert diff.ingredients_added == ("keto",)
    assert diff.ingredients_removed == ("warf",)
    text = diff_command(old, new)
    assert "major → contraindicated" in text
    assert "clar + simva" in text
    assert "[class] atc:X + simva" in text


def test_diff_of_a_folder_with_itself_is_empty(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "a", ["clar"], [("ingredient", "clar", "ingredient", "simva", "major", "DDInter")])
    assert knowledge_diff(folder, folder).empty
    assert "no differences" in diff_command(folder, folder)


def test_stats_on_handmade_folder_counts_class_only_pairs(tmp_path: Path) -> None:
    folder = _folder(
        tmp_path / "a",
        ["clar", "keto", "simva"],
        [
            ("ingredient", "clar", "ingredient", "simva", "contraindicated", "QĐ 5948/QĐ-BYT"),
            ("class", "atc:X", "ingredient", "simva", "major", "ANSM"),
        ],
    )
    stats = knowledge_stats(folder)
    # clar+simva has a pair rule; only keto+simva is reached by the class rule alone.
    assert stats.class_only.total == 1
    assert stats.class_only.by_severity["major"] == 1
    assert stats.class_only.examples[0][:2] in {("keto", "simva"), ("simva", "keto")}
    assert stats.contraindicated_with_vi_text == 1


def test_stats_on_the_committed_tables() -> None:
    stats = knowledge_stats(KNOWLEDGE)
    assert stats.rules_by_severity["contraindicated"] >= 633
    assert stats.rules_by_source["QĐ 5948/QĐ-BYT"]["contraindicated"] == 633  # one rule per row of the decision
    assert stats.class_only.total > 0
    assert stats.ingredients_with_vi_name > 0
    text = stats_command(KNOWLEDGE)
    assert "reached only through class rules" in text
    assert "Vietnamese" in text
    assert "evidence strength of" in text and "supported by an official source:" in text


# --- evidence strength (issue 18) -------------------------------------------------------------------------------

_STRENGTH_HEADER = (
    "rule_id\tstrength\tindependent_sources\tgraded_severity\tofficial\thas_mechanism\thas_management"
    "\tungraded_only\tderived_only\tsupport"
)


def _strength(folder: Path, supports: list[str]) -> None:
    """evidence_strength.tsv for the folder's rules ``ix-0``, ``ix-1``, … (only the cells the loader reads matter)."""
    lines = [f"ix-{n}\t\t\t\t\t0\t{int('Manage' in s)}\t\t\t{s}" for n, s in enumerate(supports)]
    (folder / "evidence_strength.tsv").write_text("\n".join([_STRENGTH_HEADER, *lines]) + "\n", encoding="utf-8")


_DDINTER_MAJOR = "DDInter;DDInter;curated;Major;major;0"
_DDINTER_UNKNOWN = "DDInter;DDInter;curated;Unknown;;0"
_QD5948 = "QĐ 5948/QĐ-BYT;QĐ 5948/QĐ-BYT;official;Chống chỉ định;contraindicated;1"
_VA = "VA NDF-RT 2014-07;VA NDF-RT;curated;Critical;major;0"
_FDA_DERIVED = "FDA CYP (derived);FDA CYP;derived;strong inhibitor;major;0"


def test_stats_count_rules_by_independent_sources_official_ungraded_and_derived(tmp_path: Path) -> None:
    rules = [("ingredient", "clar", "ingredient", f"d{n}", "major", "DDInter") for n in range(5)]
    folder = _folder(tmp_path / "a", ["clar", *(f"d{n}" for n in range(5))], rules)
    _strength(
        folder,
        [
            _DDINTER_MAJOR,  # 1 source
            f"{_DDINTER_MAJOR} | {_VA}",  # 2 sources
            f"{_DDINTER_MAJOR} | {_VA} | {_QD5948} | {_FDA_DERIVED}",  # 3 (the derived rule is not a source)
            _DDINTER_UNKNOWN,  # 1 source, ungraded only
            _FDA_DERIVED,  # 0 sources, derived only
        ],
    )
    counts = strength_counts(read_strengths(folder) or {})
    assert counts.rules == 5
    assert counts.by_independent_sources == {"0": 1, "1": 2, "2": 1, "3+": 1}
    assert (counts.official, counts.ungraded_only, counts.derived_only) == (1, 1, 1)
    assert counts.by_class["corroborated"] == 1 and counts.by_class["official"] == 1
    text = format_strength_counts(counts)
    assert re.search(r"supported by an official source: +1\n", text)
    assert re.search(r"3\+ +1\n", text)


def test_stats_of_a_build_without_the_strength_table_say_so(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "a", ["clar"], [("ingredient", "clar", "ingredient", "simva", "major", "DDInter")])
    assert read_strengths(folder) is None
    assert "evidence strength: not in this build" in format_strength_counts(None)


def test_diff_lists_rules_whose_strength_class_changed(tmp_path: Path) -> None:
    rules = [
        ("ingredient", "clar", "ingredient", "simva", "major", "DDInter"),
        ("ingredient", "clar", "ingredient", "warf", "moderate", "DDInter"),
        ("ingredient", "simva", "ingredient", "warf", "moderate", "DDInter"),
    ]
    old = _folder(tmp_path / "a", ["clar", "simva", "warf"], rules)
    new = _folder(tmp_path / "b", ["clar", "simva", "warf"], rules)
    _strength(old, [_DDINTER_MAJOR, _DDINTER_MAJOR, _DDINTER_UNKNOWN])
    # A second source corroborates the first rule; the second is no longer graded; the third is unchanged.
    _strength(new, [f"{_DDINTER_MAJOR} | {_VA}", _DDINTER_UNKNOWN, _DDINTER_UNKNOWN])
    diff = knowledge_diff(old, new)
    assert not diff.severity_changed
    assert [(c.key[3], c.old, c.new, c.weakened) for c in diff.strength_changed] == [
        ("simva", "single", "corroborated", False),
        ("warf", "single", "ungraded", True),
    ]
    assert not diff.empty
    text = diff_command(old, new)
    assert "evidence strength changed: 2 (1 stronger, 1 weaker)" in text
    assert "single → corroborated" in text and "clar + simva" in text


def test_diff_says_strength_was_not_compared_without_the_table(tmp_path: Path) -> None:
    rules = [("ingredient", "clar", "ingredient", "simva", "major", "DDInter")]
    old = _folder(tmp_path / "a", ["clar", "simva"], rules)
    new = _folder(tmp_path / "b", ["clar", "simva"], rules)
    _strength(new, [_DDINTER_MAJOR])
    diff = knowledge_diff(old, new)
    assert not diff.strength_compared and diff.empty
    assert "evidence strength: not compared" in diff_command(old, new)


def test_strength_counts_on_the_committed_tables_match_the_table_columns() -> None:
    # The loader's parse agrees with the build's own summary columns, row by row in total.
    strengths = read_strengths(KNOWLEDGE)
    assert strengths is not None
    counts = strength_counts(strengths)
    rows = list(read_tsv(KNOWLEDGE / "evidence_strength.tsv"))
    assert counts.rules == len(rows)
    assert counts.official == sum(1 for r in rows if r["official"] == "1")
    assert counts.ungraded_only == sum(1 for r in rows if r["ungraded_only"] == "1")
    assert counts.derived_only == sum(1 for r in rows if r["derived_only"] == "1")
    assert counts.by_independent_sources["1"] == sum(1 for r in rows if r["independent_sources"] == "1")
    assert sum(counts.by_class.values()) == counts.rules
    assert counts.by_class["corroborated"] == sum(1 for r in rows if r["strength"] == "corroborated")
