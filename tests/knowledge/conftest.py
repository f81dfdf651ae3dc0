"""Shared fixtures: the committed tables under knowledge/, loaded once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from rxsafe.knowledge.loader import KnowledgeBase, load_knowledge

REPO = Path(__file__).resolve().parents[2]
KNOWLEDGE = REPO / "knowledge"
SOURCES = REPO.parent / "shared" / "knowledge-sources"


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge(KNOWLEDGE)
