"""``rxsafe knowledge stats``, products part: the merged product table counted by source (issue 15)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from rxsafe.knowledge.tables import read_tsv, split_list


def _source_name(cell: str) -> str:
    # "thuocbietduoc.com.vn scrape (DAV registration data);thuoc-48886": the part before the reference.
    return cell.split(";", 1)[0].strip()


def format_product_stats(folder: Path) -> str:
    """Products, brands and registration numbers by source; products with strengths; agreement."""
    rows = list(read_tsv(folder / "products.tsv"))
    by_source: dict[str, Counter[str]] = {}
    brands_all: set[str] = set()
    with_strengths = 0
    agreement: Counter[str] = Counter()
    for row in rows:
        sources = {_source_name(s) for s in split_list(row["source"])}
        keys = set(split_list(row.get("brand_keys", ""))) or {row["brand"].lower()}
        brands_all |= keys
        if any(s.strip() for s in split_list(row["strengths"])):
            with_strengths += 1
        agreement[(row.get("agreement") or "").split(":", 1)[0] or "n/a"] += 1
        for source in sources:
            counts = by_source.setdefault(source, Counter())
            counts["products"] += 1
            counts["registrations"] += bool(row["registration_number"])
    lines = [
        "products (one per registration number):",
        f"  {len(rows)} products, {len(brands_all)} distinct brand names, "
        f"{sum(1 for r in rows if r['registration_number'])} with a registration number, "
        f"{with_strengths} with strengths",
        "  sources agree on a registration's ingredients: "
        + ", ".join(f"{k} {n}" for k, n in sorted(agreement.items())),
    ]
    for source, counts in sorted(by_source.items()):
        brands = {
            k
            for r in rows
            if source in {_source_name(s) for s in split_list(r["source"])}
            for k in split_list(r.get("brand_keys", ""))
        }
        lines.append(
            f"  {source}: {counts['products']} products, {len(brands)} brands, "
            f"{counts['registrations']} registration numbers"
        )
    codes = {c for r in rows for c in split_list(r.get("insurance_codes", ""))}
    lines.append(f"  insurance active-ingredient codes (40.xxx): {len(codes)}")
    return "\n".join(lines) + "\n"
