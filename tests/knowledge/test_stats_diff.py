"""``rxsafe knowledge stats`` and ``diff``: counts on the real tables, differences on two handmade folders."""

from __future__ import annotations

from pathlib import Path

from rxsafe.knowledge.commands import diff_command, stats_command
from rxsafe.knowledge.diff import knowledge_diff
from rxsafe.knowledge.stats import knowledge_stats
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
