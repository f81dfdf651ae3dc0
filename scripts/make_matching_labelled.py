"""Generate the labelled name-resolution set from the Vietnamese products scrape and the compiled knowledge.

Usage: ``python scripts/make_matching_labelled.py [SOURCES_DIR] [KNOWLEDGE_DIR] [OUT_TSV]``
(defaults: ``../shared/knowledge-sources``, ``knowledge``,
``tests/matching/labelled/vn_products_cases.tsv``). Deterministic: same inputs, byte-identical output.

How the set is made:

- Rows come from the raw scrape (``vn_products_thuocbietduoc.csv``), not from products.tsv, so the text
  is what a registration says (``Clopidogrel (dưới dạng Clopidogrel bisulphate) 75mg``).
- The expected answer is the ingredient set the knowledge build mapped for that row (products.tsv, joined on
  the scrape's page id). Rows the build could not map completely are dropped: their right answer is not
  known exactly, and a guessed label would make the set lie.
- Each registration number is hashed into ``known`` (80%) or ``held_out`` (20%); known products keep the
  two plain kinds and one perturbed kind (size), held-out products every kind. The evaluation loads the
  vocabulary without the held-out products (``load_vocabulary(..., exclude_products=...)``), so held-out
  cases play the part of real products that the products table does not list.
- Case kinds (see ``KINDS`` in ``rxsafe.matching.evaluate``): the ingredients as a prescriber writes them
  with the brand in brackets (``inn_brand``), the registration's raw ingredient text (``inn_brand_raw``),
  with a dosage form and a dose tail (``inn_brand_dose``), with one typo and no diacritics (``inn_typo``);
  the brand alone (``brand``), brand and strength (``brand_strength``), the brand with one typo
  (``brand_typo``) and in capitals without diacritics (``brand_fold``).
"""

from __future__ import annotations

import csv
import hashlib
import random
import re
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SCRAPE = Path("vn-products-thuocbietduoc-scrape") / "vn_products_thuocbietduoc.csv"
HELD_OUT_PERCENT = 20
SEED = "rxsafe-labelled-v1"
COLUMNS = ("case_id", "kind", "split", "product_id", "text", "expected")

_URL_ID = re.compile(r"thuoc-(\d+)")
# "Mỗi 10g chứa:", "Mỗi viên chứa:": a label prefix, not part of any name.
_PREFIX = re.compile(r"^.*?\bchứa\s*:\s*", re.IGNORECASE)
# Combination separators of the registration text; a comma between digits is a decimal comma.
_SEPARATORS = re.compile(r"\s*(?:;|\+|(?<!\d),|,(?!\d))\s*")
_PAREN = re.compile(r"\s*\(([^()]*)\)")
_STRENGTH = re.compile(r"\d[\d.,]*\s*(?:mg|mcg|µg|g|ml|IU|UI|%)(?:\s*/\s*\d*[.,]?\d*\s*(?:ml|g))?(?![A-Za-z])", re.I)
_VOWELS = "aeiou"
_PLAIN_KINDS = frozenset({"inn_brand", "brand"})
_DOSE_TAILS = (" x 2 viên/lần", " - 1 viên/lần * 2 lần/ngày", " Sáng 1 viên, Tối 1 viên", " x 3 lần/ngày")


@dataclass(frozen=True)
class Case:
    case_id: str
    kind: str
    split: str
    product_id: str
    text: str
    expected: tuple[str, ...]


def _split_of(key: str) -> str:
    digest = hashlib.sha256(f"{SEED}:{key}".encode()).digest()
    return "held_out" if int.from_bytes(digest[:4], "big") % 100 < HELD_OUT_PERCENT else "known"


def _ascii(text: str) -> str:
    """Diacritics removed, case kept (how text typed without a Vietnamese keyboard reads)."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


def _typo(word: str, rng: random.Random) -> str:
    """One typing error inside the word (never its first letter: see matching.fuzzy)."""
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(["delete", "swap", "double", "vowel"])
    if kind == "delete":
        return word[:i] + word[i + 1 :]
    if kind == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    vowels = [j for j, c in enumerate(word) if c.lower() in _VOWELS and j > 0]
    if not vowels:
        return word[:i] + word[i + 1 :]
    j = rng.choice(vowels)
    return word[:j] + rng.choice([v for v in _VOWELS if v != word[j].lower()]) + word[j + 1 :]


def _typo_text(text: str, rng: random.Random) -> str | None:
    """The text with one typo in its longest alphabetic word (of at least 6 letters), or None."""
    words = [(len(w), i) for i, w in enumerate(text.split(" ")) if w.isalpha() and len(w) >= 6]
    if not words:
        return None
    _, index = max(words)
    parts = text.split(" ")
    parts[index] = _typo(parts[index], rng)
    return " ".join(parts)


def _prescriber_parts(hoat_chat: str) -> list[str]:
    """The registration's ingredients as a prescriber writes them: a salt clause kept, other notes dropped.

    ``Gentamicin sulfat 10mg (hoạt lực)`` -> ``Gentamicin sulfat 10mg``;
    ``Amlodipin (dưới dạng Amlodipin besilat) 5mg`` stays as it is.
    """
    text = _PREFIX.sub("", hoat_chat)

    def keep_salt(m: re.Match[str]) -> str:
        inner = m.group(1).strip()
        return f" ({inner})" if inner.lower().startswith("dưới dạng") else ""

    text = _PAREN.sub(keep_salt, text)
    return [" ".join(p.split()) for p in _SEPARATORS.split(text) if p.strip(" .;,")]


def _cases_for(row: dict[str, str], product_id: str, expected: tuple[str, ...], split: str) -> Iterator[Case]:
    reg = row["so_dang_ky"].strip()
    page = _URL_ID.search(row["url_nguon"])
    base_id = reg or f"thuoc-{page.group(1) if page else '?'}"
    rng = random.Random(f"{SEED}:{base_id}:{product_id}")  # noqa: S311 -- reproducible perturbations
    brand = " ".join(row["ten_thuoc"].split())
    raw = " ".join(row["hoat_chat"].split())
    parts = _prescriber_parts(raw)
    if not parts or not brand:
        return

    def case(kind: str, text: str) -> Case:
        return Case(f"{base_id}:{kind}", kind, split, product_id, text, expected)

    inn_text = " + ".join(parts)
    yield case("inn_brand", f"{inn_text} ({brand})")
    if _PREFIX.sub("", raw) != inn_text:
        yield case("inn_brand_raw", f"{raw} ({brand})")
    form = " ".join(row["dang_bao_che"].split())
    form = form if 0 < len(form.split()) <= 4 and not any(c.isdigit() for c in form) else ""
    tail = rng.choice(_DOSE_TAILS)
    yield case("inn_brand_dose", f"{inn_text} ({brand}) {form}{tail}".replace("  ", " "))
    typo = _typo_text(_ascii(inn_text), rng)
    if typo is not None:
        yield case("inn_typo", typo)

    yield case("brand", brand)
    strengths = _STRENGTH.findall(raw)
    if strengths and not _STRENGTH.search(brand):
        yield case("brand_strength", f"{brand} {'/'.join(s.replace(' ', '') for s in strengths)}")
    brand_typo = _typo_text(brand, rng)
    if brand_typo is not None:
        yield case("brand_typo", brand_typo)
    if _ascii(brand).upper() != brand:
        yield case("brand_fold", _ascii(brand).upper())


def _mapped_products(knowledge: Path) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Scrape page id -> (product_id, ingredients) for every product the knowledge build mapped."""
    out: dict[str, tuple[str, tuple[str, ...]]] = {}
    with (knowledge / "products.tsv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            page = _URL_ID.search(row["source"]) if "thuocbietduoc" in row["source"] else None
            if page:
                inns = tuple(sorted(i.strip() for i in row["ingredients"].split(" | ") if i.strip()))
                out[page.group(1)] = (row["product_id"], inns)
    return out


def build_cases(sources: Path, knowledge: Path) -> list[Case]:
    """Every case, sorted by id; see the module docstring."""
    mapped = _mapped_products(knowledge)
    cases: list[Case] = []
    with (sources / SCRAPE).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        page = _URL_ID.search(row["url_nguon"])
        if page is None or page.group(1) not in mapped:
            continue
        product_id, expected = mapped[page.group(1)]
        split = _split_of(row["so_dang_ky"].strip() or f"thuoc-{page.group(1)}")
        produced = list(_cases_for(row, product_id, expected, split))
        if split == "known":
            # Known products keep the two plain forms and one perturbation, so the file stays small;
            # held-out products, which the headline figures are about, keep every kind.
            plain = [c for c in produced if c.kind in _PLAIN_KINDS]
            others = [c for c in produced if c.kind not in _PLAIN_KINDS]
            pick = int(hashlib.sha256(f"{SEED}:{product_id}".encode()).hexdigest(), 16) % max(len(others), 1)
            produced = plain + others[pick : pick + 1]
        cases.extend(produced)
    unique = {c.case_id: c for c in cases}
    return sorted(unique.values(), key=lambda c: c.case_id)


def main() -> None:
    args = sys.argv[1:]
    sources = Path(args[0]) if args else Path("../shared/knowledge-sources")
    knowledge = Path(args[1]) if len(args) > 1 else Path("knowledge")
    out = Path(args[2]) if len(args) > 2 else Path("tests/matching/labelled/vn_products_cases.tsv")
    cases = build_cases(sources, knowledge)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as fh:
        fh.write("\t".join(COLUMNS) + "\n")
        for c in cases:
            cells = (c.case_id, c.kind, c.split, c.product_id, c.text, " | ".join(c.expected))
            fh.write("\t".join(" ".join(cell.split()) for cell in cells) + "\n")
    held = sum(1 for c in cases if c.split == "held_out")
    print(f"{len(cases)} cases ({held} held out) -> {out}")


if __name__ == "__main__":
    main()
