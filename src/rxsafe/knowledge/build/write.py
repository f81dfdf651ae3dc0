"""Writing the tables as TSV (knowledge/SCHEMA.md) and the MANIFEST whose hash is the knowledge version.

Deterministic by construction: cells are serialised, then rows are sorted as text, so the same rows give the
same bytes whatever order the sources produced them in.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from rxsafe.knowledge.build.evidence import EvidenceStrengthRow
from rxsafe.knowledge.build.merge import Tables
from rxsafe.knowledge.build.rows import (
    AgeRestrictionRow,
    AliasRow,
    AllergenTermRow,
    ClassRow,
    CrossReactivityRow,
    DoseLimitRow,
    DurRuleRow,
    IngredientRow,
    ManufacturerWordRow,
    MemberRow,
    MoietyRow,
    PatientRuleRow,
    PregnancyRow,
    ProductRow,
    RuleRow,
    SourceCite,
)

LIST_SEPARATOR = " | "

TABLES: tuple[tuple[str, type[Any], str], ...] = (
    ("ingredients.tsv", IngredientRow, "ingredients"),
    ("aliases.tsv", AliasRow, "aliases"),
    ("products.tsv", ProductRow, "products"),
    ("classes.tsv", ClassRow, "classes"),
    ("class_members.tsv", MemberRow, "members"),
    ("interactions.tsv", RuleRow, "rules"),
    ("cross_reactivity.tsv", CrossReactivityRow, "cross_reactivity"),
    ("allergen_terms.tsv", AllergenTermRow, "allergen_terms"),
    ("dose_limits.tsv", DoseLimitRow, "dose_limits"),
    ("age_restrictions.tsv", AgeRestrictionRow, "age_restrictions"),
    ("pregnancy.tsv", PregnancyRow, "pregnancy"),
    # GPL-3.0-or-later data, kept in its own file (knowledge/SOURCES.md).
    ("pregnancy_gnuhealth.tsv", PregnancyRow, "pregnancy_gnuhealth"),
    ("stopp_rules.tsv", PatientRuleRow, "stopp_rules"),
    ("moieties.tsv", MoietyRow, "moieties"),
    ("dur_rules.tsv", DurRuleRow, "dur_rules"),
    ("evidence_strength.tsv", EvidenceStrengthRow, "evidence_strength"),
    ("manufacturer_words.tsv", ManufacturerWordRow, "manufacturer_words"),
)


def _text(value: str) -> str:
    # No quoting in the tables: tabs and line breaks inside a cell become spaces.
    return value.replace("\t", " ").replace("\r", " ").replace("\n", " ").strip()


def _cite(cite: SourceCite) -> str:
    # ";" separates the triple and " | " the list, so neither may appear inside a part.
    parts = (cite.source, cite.reference, cite.level)
    return ";".join(_text(p).replace(";", ",").replace("|", "/") for p in parts)


def cell(value: object) -> str:
    """One value as a TSV cell: lists joined by `` | ``, booleans as 1/0, cites as ``source;reference;level``."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, SourceCite):
        return _cite(value)
    if isinstance(value, tuple):
        return LIST_SEPARATOR.join(cell(v) for v in value)
    return _text(str(value))


def render(row_type: type[Any], rows: Iterable[Any]) -> bytes:
    """The table as bytes: header, then rows sorted as text, newline line ends."""
    header = [f.name for f in dataclasses.fields(row_type)]
    lines = sorted({"\t".join(cell(getattr(r, name)) for name in header) for r in rows})
    return ("\n".join(["\t".join(header), *lines]) + "\n").encode("utf-8")


def write_tables(tables: Tables, out_dir: Path) -> list[tuple[str, int, str]]:
    """Write every table and MANIFEST.tsv; returns the manifest rows (file, rows, sha256)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest: list[tuple[str, int, str]] = []
    for file_name, row_type, attribute in TABLES:
        data = render(row_type, getattr(tables, attribute))
        (out_dir / file_name).write_bytes(data)
        manifest.append((file_name, data.count(b"\n") - 1, hashlib.sha256(data).hexdigest()))
    manifest.sort()
    (out_dir / "MANIFEST.tsv").write_bytes(render_manifest(manifest))
    return manifest


def render_manifest(rows: Sequence[tuple[str, int, str]]) -> bytes:
    """MANIFEST.tsv content; its SHA-256 (first 12 hex digits) is the knowledge version."""
    lines = ["file\trows\tsha256", *(f"{f}\t{n}\t{h}" for f, n, h in rows)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def version_of(manifest: bytes) -> str:
    """The knowledge version stamp from MANIFEST.tsv's bytes."""
    return hashlib.sha256(manifest).hexdigest()[:12]
