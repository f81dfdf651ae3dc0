"""Fixtures: a small hand-written knowledge base (fixtures/knowledge) and, when built, the real one."""

from __future__ import annotations

from pathlib import Path

import pytest

from rxsafe.matching.resolver import NameResolver
from rxsafe.matching.vocabulary import Vocabulary, load_vocabulary

FIXTURE_KNOWLEDGE = Path(__file__).parent / "fixtures" / "knowledge"
REAL_KNOWLEDGE = Path(__file__).parents[2] / "knowledge"


@pytest.fixture(scope="session")
def vocabulary() -> Vocabulary:
    return load_vocabulary(FIXTURE_KNOWLEDGE)


@pytest.fixture(scope="session")
def resolver(vocabulary: Vocabulary) -> NameResolver:
    return NameResolver(vocabulary)


@pytest.fixture(scope="session")
def real_resolver() -> NameResolver:
    if not (REAL_KNOWLEDGE / "ingredients.tsv").exists():
        pytest.skip("knowledge tables not built (make knowledge)")
    return NameResolver(load_vocabulary(REAL_KNOWLEDGE))
