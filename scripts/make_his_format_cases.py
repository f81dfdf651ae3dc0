"""Generate labelled prescription lines in the formats hospital systems (HIS) print, from the product table.

Usage: ``python scripts/make_his_format_cases.py [KNOWLEDGE_DIR] [OUT_TSV]`` (defaults ``knowledge``,
``tests/matching/labelled/his_format_cases.tsv``). Deterministic.

Issue 15. The cases are written from the *product table* (knowledge/products.tsv), so that every product of
every source can be played, in these forms (kinds):

- ``his_inn_maker``: the ingredient (Vietnamese spelling), a manufacturer word and the strength, upper case and
  repeated as HIS exports print it: ``ONDANSETRON KABI 8MG 8mg`` (single-ingredient products with a strength
  and a manufacturer);
- ``his_combo_sep``: a two-ingredient product with "%" or "&" for "+": ``Telmisartan % Hydroclorothiazid
  40mg+12,5mg``;
- ``his_brand_form``: the brand with a form word and a pack count: ``DIAMICRON TAB. 30MG 30'S 30mg``;
- ``his_brand``: the brand alone as the register names it, for products of every source (the labelled set's
  brand cases come from the scrape only), to measure wrong answers on many more unknown brands.

The split is by registration number, with the same hash and seed as ``make_matching_labelled.py``, so a
registration held out there is held out here too (by product, never by line: no leakage between forms).
"""

from __future__ import annotations

import csv
import hashlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from make_matching_labelled import COLUMNS, Case, _split_of

from rxsafe.knowledge.build.names import fold
from rxsafe.matching.line_parser import clean_name

_MAX_PER_KIND = 1500
_MAX_BRANDS = 4000


def _pick(key: str, n: int) -> int:
    return int(hashlib.sha256(f"his:{key}".encode()).hexdigest(), 16) % n


def _form_word(form: str) -> str:
    folded = fold(form)
    if "tiem" in folded or "truyen" in folded:
        return "INJ."
    if "nang" in folded:
        return "CAP."
    if "vien" in folded or "nen" in folded:
        return "TAB."
    return ""


def build(knowledge: Path) -> list[Case]:
    """Every case, sorted by id."""
    with (knowledge / "ingredients.tsv").open(encoding="utf-8") as fh:
        vi = {r["inn"]: r["vi_name"] or r["inn"] for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)}
    with (knowledge / "manufacturer_words.tsv").open(encoding="utf-8") as fh:
        makers = {
            r["word"] for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE) if r["kind"] == "manufacturer"
        }
    with (knowledge / "products.tsv").open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE) if r["registration_number"]]
    cases: dict[str, list[Case]] = {"his_inn_maker": [], "his_combo_sep": [], "his_brand_form": [], "his_brand": []}
    for row in sorted(rows, key=lambda r: r["product_id"]):
        reg = row["registration_number"]
        inns = [i for i in row["ingredients"].split(" | ") if i]
        strengths = [s.replace(" ", "") for s in row["strengths"].split(" | ")]
        if not row["agreement"].startswith(("single", "agree")):
            continue  # sources disagree: the right answer is not known exactly
        split = _split_of(reg)
        expected = tuple(sorted(inns))

        def case(
            kind: str, text: str, at: tuple[str, str, str, tuple[str, ...]] = (reg, split, row["product_id"], expected)
        ) -> Case:
            return Case(f"{at[0]}:{kind}", kind, at[1], at[2], text, at[3])

        words = [w for w in row["manufacturer"].split() if fold(w) in makers]
        if len(inns) == 1 and strengths[0] and words:
            maker = words[0]
            text = f"{vi[inns[0]]} {maker} {strengths[0]}"
            if _pick(reg, 2):
                text = f"{vi[inns[0]].upper()} {maker.upper()} {strengths[0].upper()} {strengths[0]}"
            cases["his_inn_maker"].append(case("his_inn_maker", text))
        if len(inns) == 2 and all(strengths) and len(strengths) == 2:
            sep = "%" if _pick(reg, 2) else "&"
            a, b = vi[inns[0]], vi[inns[1]]
            cases["his_combo_sep"].append(case("his_combo_sep", f"{a} {sep} {b.lower()} {strengths[0]}+{strengths[1]}"))
        brand = clean_name(row["brand"])
        if brand:
            cases["his_brand"].append(case("his_brand", row["brand"]))
        form = _form_word(row["dosage_form"])
        if brand and form and any(strengths):
            s = next(x for x in strengths if x)
            count = (10, 20, 30, 60, 100)[_pick(reg, 5)]
            cases["his_brand_form"].append(case("his_brand_form", f"{brand.upper()} {form} {s.upper()} {count}'S {s}"))
    out: list[Case] = []
    for kind_cases in cases.values():
        # A bounded, deterministic sample of each kind keeps the file small.
        kind_cases.sort(key=lambda c: hashlib.sha256(c.case_id.encode()).hexdigest())
        out.extend(kind_cases[: _MAX_BRANDS if kind_cases and kind_cases[0].kind == "his_brand" else _MAX_PER_KIND])
    return sorted(out, key=lambda c: c.case_id)


def main() -> None:
    args = sys.argv[1:]
    knowledge = Path(args[0]) if args else Path("knowledge")
    out = Path(args[1]) if len(args) > 1 else Path("tests/matching/labelled/his_format_cases.tsv")
    cases = build(knowledge)
    with out.open("w", encoding="utf-8", newline="") as fh:
        fh.write("\t".join(COLUMNS) + "\n")
        for c in cases:
            cells = (c.case_id, c.kind, c.split, c.product_id, c.text, " | ".join(c.expected))
            fh.write("\t".join(" ".join(cell.split()) for cell in cells) + "\n")
    held = sum(1 for c in cases if c.split == "held_out")
    print(f"{len(cases)} cases ({held} held out) -> {out}")


if __name__ == "__main__":
    main()
