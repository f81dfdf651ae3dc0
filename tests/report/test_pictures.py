"""The report as a person sees it: the page in headless Chromium, the PDF's first page through pdftoppm.

A broken layout or a page of missing glyphs shows up as a wrong size, a near-blank image, or PDF text that has
lost its Vietnamese letters. Needs Debian's chromium and poppler-utils (``make system-deps``); skipped without.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from rxsafe.ehr.seed import DEMO_CARDIOVASCULAR, DEMO_WARFARIN_ELDERLY
from rxsafe.report.render import html_to_pdf, render_html
from rxsafe.report.snapshot import chromium_binary, pdf_page_png, screenshot_html

from .conftest import DemoReports, ink

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None,
    reason="poppler-utils (pdftoppm, pdftotext, pdffonts) not installed: run `make system-deps`",
)
needs_chromium = pytest.mark.skipif(chromium_binary() is None, reason="chromium not installed: run `make system-deps`")


@pytest.fixture(scope="module")
def pdf_file(demo: DemoReports, tmp_path_factory: pytest.TempPathFactory) -> Path:
    report, patient = demo[DEMO_CARDIOVASCULAR]
    path = tmp_path_factory.mktemp("pdf") / "report-vi.pdf"
    path.write_bytes(html_to_pdf(render_html(report, patient, "vi")))
    return path


def test_the_pdf_is_a_pdf(pdf_file: Path) -> None:
    assert pdf_file.read_bytes().startswith(b"%PDF-")


@needs_poppler
def test_the_pdf_keeps_vietnamese_text_and_embeds_its_font(pdf_file: Path, demo: DemoReports) -> None:
    report, patient = demo[DEMO_CARDIOVASCULAR]
    assert patient is not None
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf_file), "-"], capture_output=True, check=True).stdout
    words = text.decode("utf-8")
    # Letters with two diacritics (ệ, ữ, ổ) are the ones a font without Vietnamese coverage loses.
    for phrase in ("Báo cáo an toàn thuốc", "Kết luận", patient.name, "Chưa kiểm tra được" if report.notices else ""):
        assert phrase in words
    fonts = subprocess.run(["pdffonts", str(pdf_file)], capture_output=True, check=True, text=True).stdout
    rows = [row for row in fonts.splitlines()[2:] if row.strip()]
    assert rows
    assert any("DejaVu-Sans" in row for row in rows)
    # Every font is embedded (the "emb" column), so the PDF looks the same on a machine without DejaVu.
    assert all(row.split()[-5] == "yes" for row in rows)


@needs_poppler
def test_the_first_pdf_page_is_a_drawn_a4_page(pdf_file: Path, tmp_path: Path) -> None:
    png = pdf_page_png(pdf_file, tmp_path / "page1.png", dpi=72)
    width, height, dark = ink(png)
    # A4 at 72 dpi: 595.3 × 841.9 points, rounded either way.
    assert abs(width - 595) <= 1 and abs(height - 842) <= 1
    assert dark > 0.02, f"page 1 is nearly blank ({dark:.3%} ink)"


@needs_chromium
@pytest.mark.parametrize("patient_id", [DEMO_WARFARIN_ELDERLY, DEMO_CARDIOVASCULAR])
def test_the_page_renders_in_chromium(demo: DemoReports, patient_id: str, tmp_path: Path) -> None:
    report, patient = demo[patient_id]
    html_file = tmp_path / "report.html"
    html_file.write_text(render_html(report, patient, "vi"), encoding="utf-8")
    png = screenshot_html(html_file, tmp_path / "report.png", width=1000, height=1400)
    width, height, dark = ink(png)
    assert (width, height) == (1000, 1400)
    assert dark > 0.02, f"the page is nearly blank ({dark:.3%} ink)"
