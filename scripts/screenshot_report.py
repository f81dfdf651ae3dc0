"""Renders demo patients' reports and takes pictures of them, to look at the layout and the Vietnamese text.

    .venv/bin/python -m scripts.screenshot_report [--out var/screenshots] [--lang vi en] [--patients 000000000003]

For each demo patient: checks a prescription that exercises the report (conflicts, an unidentified line), commits
the third patient's with an override so the override's reason shows, and writes into the output folder
``report-<id>-<lang>.html``/``.pdf``, ``report-<id>-<lang>.png`` (the page in headless Chromium) and
``report-<id>-<lang>-pdf1.png`` (the PDF's first page through pdftoppm). It uses a temporary record store, never
var/rxsafe.duckdb, so it runs beside a server.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from rxsafe.report.demo import DEMO_PRESCRIPTIONS, demo_reports
from rxsafe.report.i18n import LANGUAGES, as_lang
from rxsafe.report.render import html_to_pdf, render_html
from rxsafe.report.snapshot import pdf_page_png, screenshot_html

ROOT = Path(__file__).resolve().parents[1]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "screenshots")
    parser.add_argument("--lang", nargs="+", default=list(LANGUAGES), choices=LANGUAGES)
    parser.add_argument("--patients", nargs="+", default=list(DEMO_PRESCRIPTIONS), choices=list(DEMO_PRESCRIPTIONS))
    args = parser.parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rxsafe-screenshots-") as tmp:
        for patient_id, report, patient in demo_reports(Path(tmp) / "demo.duckdb", args.patients):
            for code in args.lang:
                lang = as_lang(code)
                stem = out / f"report-{patient_id[-4:]}-{lang}"
                html = render_html(report, patient, lang)
                html_file = stem.with_suffix(".html")
                html_file.write_text(html, encoding="utf-8")
                pdf_file = stem.with_suffix(".pdf")
                pdf_file.write_bytes(html_to_pdf(html))
                page = screenshot_html(html_file, stem.with_suffix(".png"))
                first = pdf_page_png(pdf_file, out / f"{stem.name}-pdf1.png")
                print(f"{html_file}\n{pdf_file}\n{page}\n{first}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
