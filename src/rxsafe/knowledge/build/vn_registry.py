"""The DAV register extract and a hospital tender list, merged with the thuocbietduoc products by registration.

One product per registration number (issue 15): the scrape's rows keep their ids; a registration the DAV
register or the tender list also lists gains their names, strengths, manufacturer and insurance code, and the
row records whether the sources' ingredient sets agree (``agreement``: ``agree``, ``single``, or
``disagree:<source>=<ingredients>``). Where they disagree the resolver does not trust the product's brand alone
(see ``matching.vocabulary``): one of the sources is wrong and a name cannot say which.

A source row enters only when every ingredient maps to an INN (as for the scrape): a partial mapping would
silently miss an ingredient. Herbal products (plant names, "cao khô …") therefore stay out.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from rxsafe.knowledge.build.names import STRENGTH, fold
from rxsafe.knowledge.build.rows import ManufacturerWordRow, ProductRow

if TYPE_CHECKING:
    from rxsafe.knowledge.build.context import BuildContext

SOURCE_DAV = "DAV register extract 2011-2019"
SOURCE_TENDER = "hospital tender list 2017-2021"
DAV_FILE = Path("vn-dav-registry") / "dav_registry_2011-2019.tsv"
TENDER_FILE = Path("vn-hospital-tender-list") / "tender_list_2017-2021.tsv"

# The insurance active-ingredient code of modern medicines (Thông tư 30/2018, 20/2022): "40.732".
INSURANCE_CODE = re.compile(r"^40\.\d+(?:\.\d+)?$")
# A note in brackets after a registered name ("Tykerb (Cơ sở đóng gói, xuất xưởng: …)"): not the brand.
_LONG_NOTE = re.compile(r"\s*\((?:[^()]*\b(?:cơ sở|đóng gói|sản xuất|xuất xưởng|nhượng quyền|địa chỉ)\b[^()]*)\)?.*$",
                        re.IGNORECASE)  # fmt: skip
# Words that say what kind of company a manufacturer is, in Vietnamese and English (folded): never a name.
_COMPANY_WORDS = frozenset(
    """
    cong ty co phan tnhh mtv chi nhanh nha may xi nghiep tap doan tong lien doanh ld cp ctcp cty cn dp duoc pham
    hoa vat tu y te thiet bi san xuat thuong mai xuat nhap khau dich vu trung uong tw va cua tai so quoc te
    ltd limited pvt private co inc corp corporation company gmbh sa s a ag spa s p a plc llc bv b v nv kg kft
    pharmaceutical pharmaceuticals pharma pharmaceutica laboratories laboratory laboratorios laboratoires labs lab
    industries industry industrial international group healthcare health care medical medicine medicines life
    sciences science biotech biological biologicals products the and of de du la le des et for
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_SHORTEST_WORD = 3


@dataclass
class RegistryReport:
    """Counts for the build report and ``rxsafe knowledge stats``."""

    rows: Counter[str] = field(default_factory=Counter)
    mapped: Counter[str] = field(default_factory=Counter)
    agree: int = 0
    disagree: int = 0


@dataclass(frozen=True)
class SourceRecord:
    """One source row that mapped fully: what it says about its registration."""

    source: str
    registration_number: str
    brand: str
    ingredients: tuple[str, ...]
    strengths: tuple[str, ...]
    dosage_form: str = ""
    manufacturer: str = ""
    country: str = ""
    insurance_code: str = ""


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def clean_brand(name: str) -> str:
    """A registered product name without the packaging/manufacturing note some registrations add."""
    return " ".join(_LONG_NOTE.sub("", name).split()) or " ".join(name.split())


def _map(ctx: BuildContext, parts: list[tuple[str, str]]) -> tuple[list[str], list[str]] | None:
    inns: list[str] = []
    strengths: list[str] = []
    for name, strength in parts:
        inn = ctx.names.to_inn(name)
        if inn is None:
            return None
        if inn not in inns:
            inns.append(inn)
            strengths.append(strength)
    return (inns, strengths) if inns else None


def _name_strength(name: str, count: int) -> tuple[str, ...]:
    """Strengths written in a registered name ("Docetaxel 20mg", "Amlor 5mg/10mg"), when one per ingredient."""
    found = [" ".join(m.group(0).split()) for m in STRENGTH.finditer(name)]
    return tuple(found) if len(found) == count else ()


def dav_records(ctx: BuildContext, report: RegistryReport) -> Iterator[SourceRecord]:
    """The DAV register rows whose every ingredient maps."""
    from rxsafe.knowledge.build.vn_products import parse_ingredients  # noqa: PLC0415 -- mutual import

    for row in _rows(ctx.sources_dir / DAV_FILE):
        report.rows[SOURCE_DAV] += 1
        mapped = _map(ctx, parse_ingredients(row["ingredients"]))
        if mapped is None or not row["registration_number"].strip():
            continue
        report.mapped[SOURCE_DAV] += 1
        inns, strengths = mapped
        if not any(strengths):
            strengths = list(_name_strength(row["product_name"], len(inns))) or strengths
        yield SourceRecord(
            source=SOURCE_DAV,
            registration_number=row["registration_number"].strip(),
            brand=clean_brand(row["product_name"]),
            ingredients=tuple(inns),
            strengths=tuple(strengths),
            manufacturer=" ".join(row["manufacturer"].split()),
            country=" ".join(row["country"].split()),
        )


def tender_records(ctx: BuildContext, report: RegistryReport) -> Iterator[SourceRecord]:
    """The tender list's modern medicines (code 40.xxx) whose every ingredient maps; strengths split on "+"."""
    from rxsafe.knowledge.build.vn_products import parse_ingredients  # noqa: PLC0415 -- mutual import

    for row in _rows(ctx.sources_dir / TENDER_FILE):
        report.rows[SOURCE_TENDER] += 1
        code = row["ma_hoat_chat"].strip()
        mapped = _map(ctx, parse_ingredients(row["ten_hoat_chat"]))
        if mapped is None:
            continue
        report.mapped[SOURCE_TENDER] += 1
        inns, strengths = mapped
        written = [s.strip() for s in row["ham_luong"].split("+") if s.strip()]
        if not any(strengths) and len(written) == len(inns):
            strengths = written
        form = " ".join(p.strip() for p in (row["dong_goi"], row["duong_dung"]) if p.strip())
        yield SourceRecord(
            source=SOURCE_TENDER,
            registration_number=row["so_dang_ky"].strip(),
            brand=clean_brand(row["ten_thuoc"]),
            ingredients=tuple(inns),
            strengths=tuple(strengths),
            dosage_form=form,
            manufacturer=" ".join(row["hang_sx"].split()),
            country=" ".join(row["nuoc_sx"].split()),
            insurance_code=code if INSURANCE_CODE.match(code) else "",
        )


def _key(registration: str) -> str:
    return "".join(registration.split()).upper()


def merge_products(
    scraped: list[ProductRow], records: Iterable[SourceRecord], report: RegistryReport
) -> list[ProductRow]:
    """The scrape's products and the other sources' records as one product per registration number.

    A record whose registration the scrape has enriches that row (names, strengths where it had none,
    manufacturer, insurance code, agreement); the others become products of their own, merged between them
    the same way (the tender list before the DAV register: it gives strengths and the code).
    """
    by_reg: dict[str, list[SourceRecord]] = {}
    for record in records:
        by_reg.setdefault(_key(record.registration_number), []).append(record)
    out: list[ProductRow] = []
    used: set[str] = set()
    for product in scraped:
        key = _key(product.registration_number)
        extra = by_reg.get(key, []) if key else []
        used.add(key)
        out.append(_enrich(product, extra, report))
    for key in sorted(set(by_reg) - used):
        group = sorted(by_reg[key], key=lambda r: (r.source != SOURCE_TENDER, r.brand))
        first = group[0]
        product = ProductRow(
            product_id=f"vn:{first.registration_number}",
            brand=first.brand,
            registration_number=first.registration_number,
            ingredients=first.ingredients,
            strengths=first.strengths,
            dosage_form=first.dosage_form,
            source=first.source,
        )
        out.append(_enrich(product, group[1:], report, first))
    return out


def _enrich(
    product: ProductRow, extra: list[SourceRecord], report: RegistryReport, first: SourceRecord | None = None
) -> ProductRow:
    own = {product.brand}
    names = sorted({r.brand for r in extra if r.brand and r.brand not in own})
    disagree = sorted(
        {f"{r.source}={' + '.join(r.ingredients)}" for r in extra if set(r.ingredients) != set(product.ingredients)}
    )
    strengths = product.strengths
    if not any(strengths):
        strengths = next((r.strengths for r in extra if any(r.strengths) and len(r.strengths) == len(
            product.ingredients) and set(r.ingredients) == set(product.ingredients)), strengths)  # fmt: skip
    every = ([first] if first else []) + extra
    codes = tuple(sorted({r.insurance_code for r in every if r.insurance_code}))
    manufacturer = next((r.manufacturer for r in every if r.manufacturer), "")
    country = next((r.country for r in every if r.country), "")
    sources = tuple(dict.fromkeys([product.source, *(r.source for r in extra)]))
    if disagree:
        report.disagree += 1
        agreement = "disagree:" + "; ".join(disagree)
    elif extra:
        report.agree += 1
        agreement = "agree"
    else:
        agreement = "single"
    return replace(
        product,
        strengths=strengths,
        source=" | ".join(sources) if len(sources) > 1 else sources[0],
        dosage_form=product.dosage_form or next((r.dosage_form for r in extra if r.dosage_form), ""),
        other_names=tuple(names),
        insurance_codes=codes,
        manufacturer=manufacturer,
        country=country,
        agreement=agreement,
    )


def manufacturer_words(products: Iterable[ProductRow], is_drug_word: set[str]) -> list[ManufacturerWordRow]:
    """The distinctive words of the sources' manufacturer and country names ("stada", "domesco", "an do").

    Generic company words ("công ty", "pharmaceutical", "ltd") and words that belong to any drug name
    (``is_drug_word``: ingredient and salt words) are left out, so that dropping a manufacturer word after an
    INN never drops part of a drug's name. A country is kept whole ("an do", "han quoc"), as it is written.
    """
    counts: Counter[str] = Counter()
    countries: Counter[str] = Counter()
    for product in products:
        words = {
            w
            for w in fold(product.manufacturer).split()
            if len(w) >= _SHORTEST_WORD and w not in _COMPANY_WORDS and not w.isdigit() and w not in is_drug_word
        }
        counts.update(words)
        country = fold(product.country)
        if country and not set(country.split()) & is_drug_word:
            countries[country] += 1
    rows = [ManufacturerWordRow(w, "manufacturer", n, "manufacturer column of the VN product sources")
            for w, n in counts.items()]  # fmt: skip
    rows += [ManufacturerWordRow(c, "country", n, "country column of the VN product sources")
             for c, n in countries.items()]  # fmt: skip
    return rows


def with_brand_keys(products: Iterable[ProductRow]) -> list[ProductRow]:
    """Every product with the match keys of its names and families (the matcher's own functions, so they agree).

    A WHO ATC combination row lists several brands in one cell ("Bactrim, Eusaprim"): each is a name.
    """
    from rxsafe.matching.vocabulary import brand_key, family_key  # noqa: PLC0415 -- the matcher's own keys

    out = []
    for product in products:
        names = [product.brand, *product.other_names]
        if product.product_id.startswith("atc:"):
            names = [n.strip() for n in product.brand.split(",") if n.strip()]
        keys = tuple(dict.fromkeys(k for k in (brand_key(n) for n in names) if k))
        families = tuple(dict.fromkeys(k for k in (family_key(n) for n in names) if k and k not in keys))
        out.append(replace(product, brand_keys=keys, family_keys=families))
    return out
