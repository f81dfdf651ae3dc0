"""The build is deterministic and its output is the committed tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from rxsafe.knowledge.build.__main__ import build
from tests.knowledge.conftest import KNOWLEDGE, SOURCES

pytestmark = pytest.mark.skipif(not SOURCES.exists(), reason="knowledge sources not available")

TABLES = (
    "MANIFEST.tsv",
    "ingredients.tsv",
    "aliases.tsv",
    "products.tsv",
    "classes.tsv",
    "class_members.tsv",
    "interactions.tsv",
    "cross_reactivity.tsv",
    "allergen_terms.tsv",
)


@pytest.mark.slow
def test_build_is_byte_identical_and_matches_committed_tables(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    build(SOURCES, first, verbose=False)
    build(SOURCES, second, verbose=False)
    for name in TABLES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
        assert (first / name).read_bytes() == (KNOWLEDGE / name).read_bytes(), f"{name}: rebuild and commit"


def test_unknown_words_are_not_allergen_terms() -> None:
    terms = (KNOWLEDGE / "allergen_terms.tsv").read_text(encoding="utf-8").splitlines()[1:]
    words = {line.split("\t")[0] for line in terms}
    assert "không rõ" not in words and "chưa rõ" not in words
    assert {"penicilin", "hải sản", "nsaid"} <= words


def test_aspirin_and_us_names_are_aliases() -> None:
    rows = [line.split("\t") for line in (KNOWLEDGE / "aliases.tsv").read_text(encoding="utf-8").splitlines()[1:]]
    by_alias = {(r[0].lower(), r[1]) for r in rows}
    assert ("aspirin", "acetylsalicylic acid") in by_alias
    assert ("acetaminophen", "paracetamol") in by_alias
    assert ("rifampin", "rifampicin") in by_alias
