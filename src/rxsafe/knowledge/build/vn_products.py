"""Vietnamese registered products (thuocbietduoc.com.vn scrape of DAV registration data): brand → ingredients.

Only factual registration columns are used (the scrape's licence: see SOURCES.md). A product enters
products.tsv only when every one of its ingredients maps to an INN: a partial mapping would silently miss an
ingredient, which is a wrong match. The others are counted in the build report.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rxsafe.knowledge.build.names import split_strength
from rxsafe.knowledge.build.rows import Contribution, ProductRow

if TYPE_CHECKING:
    from rxsafe.knowledge.build.context import BuildContext

SOURCE = "thuocbietduoc.com.vn scrape (DAV registration data)"
FOLDER = "vn-products-thuocbietduoc-scrape"
FILE = "vn_products_thuocbietduoc.csv"

_PAREN = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
# Combination separators; a comma between digits is a decimal comma ("6,4mg"), not a separator.
_SEPARATORS = re.compile(r"\s*(?:;|\+|(?<!\d),|,(?!\d)|\s/\s)\s*")
_URL_ID = re.compile(r"thuoc-(\d+)")
# Words that qualify an ingredient without changing it ("Gentamicin sulfat 10mg (hoạt lực)").
_QUALIFIERS = re.compile(r"\b(?:hoạt lực|tương đương|dưới dạng|khan)\b", re.IGNORECASE)


@dataclass
class ProductReport:
    """How many products mapped fully, and which did not."""

    total: int = 0
    mapped: int = 0
    partial: int = 0
    none: int = 0


def parse_ingredients(text: str) -> list[tuple[str, str]]:
    """``hoat_chat`` to (name, strength) pairs: prefixes ("Mỗi 10g chứa:") and parentheses removed."""
    if ":" in text:
        text = text.rsplit(":", 1)[1]
    text = _PAREN.sub(" ", _PAREN.sub(" ", text))
    parts: list[tuple[str, str]] = []
    for piece in _SEPARATORS.split(text):
        name, strength = split_strength(_QUALIFIERS.sub(" ", piece))
        if name:
            parts.append((name, strength))
    return parts


def contribute(ctx: BuildContext, report: ProductReport | None = None) -> Contribution:
    """Products whose every ingredient maps, keyed by registration number."""
    report = report if report is not None else ProductReport()
    out = Contribution()
    seen_ids: set[str] = set()
    with (ctx.sources_dir / FOLDER / FILE).open(encoding="utf-8", newline="") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda r: (r["so_dang_ky"], r["url_nguon"]))
    for row in rows:
        report.total += 1
        parts = parse_ingredients(row["hoat_chat"])
        inns: list[str] = []
        strengths: list[str] = []
        missing = 0
        for name, strength in parts:
            inn = ctx.names.to_inn(name)
            if inn is None:
                missing += 1
                out.unmapped.append((SOURCE, name))
            elif inn not in inns:
                inns.append(inn)
                strengths.append(strength)
        if missing or not inns:
            if inns:
                report.partial += 1
            else:
                report.none += 1
            continue
        report.mapped += 1
        registration = row["so_dang_ky"].strip()
        url_id = _URL_ID.search(row["url_nguon"])
        page = url_id.group(1) if url_id else ""
        product_id = f"vn:{registration}" if registration else f"vn:thuocbietduoc-{page}"
        if product_id in seen_ids:
            product_id = f"{product_id}#{page}"
        seen_ids.add(product_id)
        out.products.append(
            ProductRow(
                product_id=product_id,
                brand=row["ten_thuoc"].strip(),
                registration_number=registration,
                ingredients=tuple(inns),
                strengths=tuple(strengths),
                dosage_form=row["dang_bao_che"].strip(),
                source=f"{SOURCE};thuoc-{page}",
            )
        )
    return out
