"""Vietnamese registered products (thuocbietduoc.com.vn scrape of DAV registration data): brand → ingredients.

Only factual registration columns are used (the scrape's licence: see SOURCES.md). A product enters
products.tsv only when every one of its ingredients maps to an INN: a partial mapping would silently miss an
ingredient, which is a wrong match. The others are counted in the build report.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rxsafe.knowledge.build import vn_registry
from rxsafe.knowledge.build.names import fold, skeleton, split_strength
from rxsafe.knowledge.build.rows import AliasRow, Contribution, IngredientRow, ProductRow

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
# Water of crystallisation glued to a salt ("Calci clorid.2H2O", "L-Histidine.HCl.H2O"): not part of the name.
_HYDRATE = re.compile(r"[.·]\s*(?:\d+\s*)?H2O\b|[.·](?=HCl\b)", re.IGNORECASE)
# A vitamin listed by its letter after a "Vitamin …" item ("Vitamin B1, B6, B12"): the letter alone is
# shorthand for "Vitamin B6", never a name of its own.
_VITAMIN_LETTER = re.compile(r"^(?:A|B\d{1,2}|C|D\d?|E|K\d?|PP)$", re.IGNORECASE)
_VITAMIN = re.compile(r"^vitamin\b", re.IGNORECASE)
# "Tá dược" (excipients) ends the list of active ingredients in some registrations.
_EXCIPIENTS = re.compile(r"\btá dược\b.*$", re.IGNORECASE)


@dataclass
class ProductReport:
    """How many products mapped fully, and which did not."""

    total: int = 0
    mapped: int = 0
    partial: int = 0
    none: int = 0


def parse_ingredients(text: str) -> list[tuple[str, str]]:
    """``hoat_chat`` to (name, strength) pairs: prefixes ("Mỗi 10g chứa:") and parentheses removed."""
    text = _EXCIPIENTS.sub("", text)
    if ":" in text:
        text = text.rsplit(":", 1)[1]
    text = _HYDRATE.sub(" ", _PAREN.sub(" ", _PAREN.sub(" ", text)))
    parts: list[tuple[str, str]] = []
    after_vitamin = False
    for piece in _SEPARATORS.split(text):
        name, strength = split_strength(_QUALIFIERS.sub(" ", piece))
        # Numbering and stray punctuation left by the split ("1)", "...") carry no name.
        if not any(ch.isalpha() for ch in name):
            continue
        if after_vitamin and _VITAMIN_LETTER.match(name):
            name = f"Vitamin {name}"
        after_vitamin = bool(_VITAMIN.match(name))
        parts.append((name, strength))
    return parts


# English words a Vietnamese spelling replaces (natri, calci, kali, magnesi): a name with them is not Vietnamese.
_ENGLISH_WORDS = frozenset({"sodium", "calcium", "potassium", "magnesium", "aluminium", "aluminum", "zinc", "iron"})


def _vietnamese_spelling_of(name: str, inn: str) -> bool:
    """Whether ``name`` is a Vietnamese spelling of the INN itself (not of a salt, synonym or exception).

    Same skeleton as the INN (the exact spelling rules of the name bridge), a different spelling, and written
    the Vietnamese way: no word keeps the final -e Vietnamese drops ("Cyclosporine" is the US name), no English
    element word. Only these become ``vi_spelling`` aliases and Vietnamese names.
    """
    words = fold(name).split()
    return (
        fold(name) != fold(inn)
        and skeleton(name).replace(" ", "") == skeleton(inn).replace(" ", "")
        and not any(len(w) > 3 and w.endswith("e") for w in words)
        and not _ENGLISH_WORDS.intersection(words)
    )


def _vi_spellings(spellings: dict[str, Counter[str]], out: Contribution) -> None:
    """Aliases for every exact spelling; the Vietnamese name is the spelling most products use (then shortest)."""
    for inn, counts in sorted(spellings.items()):
        for name in sorted(counts):
            out.aliases.append(AliasRow(name, inn, "vi_spelling", SOURCE))
        vi_name = min(counts, key=lambda n: (-counts[n], len(n), n))
        out.ingredients.append(IngredientRow(inn, vi_name=vi_name, sources=(SOURCE,)))


def contribute(
    ctx: BuildContext, report: ProductReport | None = None, registry: vn_registry.RegistryReport | None = None
) -> Contribution:
    """Products whose every ingredient maps, one per registration number (with the register and tender list).

    The DAV register extract and the tender list are merged in by ``vn_registry``.
    """
    report = report if report is not None else ProductReport()
    registry = registry if registry is not None else vn_registry.RegistryReport()
    out = Contribution()
    seen_ids: set[str] = set()
    spellings: dict[str, Counter[str]] = {}
    with (ctx.sources_dir / FOLDER / FILE).open(encoding="utf-8", newline="") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda r: (r["so_dang_ky"], r["url_nguon"]))
    # A registration number the scrape lists on several pages (an injection and a gel of one registration)
    # gets the page in every product id, so an id never moves to another product when the mapping changes.
    shared = {n for n, c in Counter(r["so_dang_ky"].strip() for r in rows).items() if c > 1}
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
            else:
                if _vietnamese_spelling_of(name, inn):
                    # Spelled as registered, but with an initial capital: product texts mix cases freely.
                    spellings.setdefault(inn, Counter())[name[:1].upper() + name[1:].lower()] += 1
                if inn not in inns:
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
        if registration in shared or product_id in seen_ids:
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
    records = [*vn_registry.tender_records(ctx, registry), *vn_registry.dav_records(ctx, registry)]
    out.products = vn_registry.merge_products(out.products, records, registry)
    _vi_spellings(spellings, out)
    return out
