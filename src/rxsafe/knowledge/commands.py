"""The ``rxsafe knowledge`` subcommands as functions returning their text, for the CLI to print."""

from __future__ import annotations

from pathlib import Path

from rxsafe.knowledge.diff import format_diff, knowledge_diff
from rxsafe.knowledge.product_stats import format_product_stats
from rxsafe.knowledge.stats import format_coverage, format_stats, knowledge_stats, patient_coverage
from rxsafe.knowledge.strength_stats import format_strength_counts, read_strengths, strength_counts

__all__ = ["diff_command", "stats_command"]


def stats_command(folder: Path) -> str:
    """``rxsafe knowledge stats [FOLDER]``: ingredients, rules by severity and source, class-only pairs, Vietnamese."""
    text = format_stats(knowledge_stats(folder)) + format_coverage(patient_coverage(folder))
    strengths = read_strengths(folder)
    text += format_strength_counts(None if strengths is None else strength_counts(strengths))
    return text + format_product_stats(folder)


def diff_command(a: Path, b: Path) -> str:
    """``rxsafe knowledge diff A B``: rules added, removed and changed in severity from build A to build B."""
    return format_diff(knowledge_diff(a, b))
