"""Pictures of a rendered report, for tests and for people: headless Chromium for the page, pdftoppm for the PDF.

Both tools come from Debian (packages ``chromium`` and ``poppler-utils``; ``make system-deps`` installs them).
Chromium runs with a fresh, empty profile and with its background networking off, so it makes no connection.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")
SCREENSHOT_TIMEOUT = 90.0


class ToolMissing(RuntimeError):
    """A system tool the picture needs is not installed."""


def chromium_binary() -> str | None:
    """The first Chromium-like browser on PATH, or None."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def screenshot_html(html_file: Path, png_file: Path, *, width: int = 1000, height: int = 1800) -> Path:
    """A PNG of the page as headless Chromium draws it (the top ``height`` pixels)."""
    browser = chromium_binary()
    if browser is None:
        raise ToolMissing("chromium is not installed (apt-get install chromium, or make system-deps)")
    png_file.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="rxsafe-chromium-") as profile:
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            f"--screenshot={png_file.resolve()}",
            html_file.resolve().as_uri(),
        ]
        subprocess.run(command, check=True, capture_output=True, timeout=SCREENSHOT_TIMEOUT)  # noqa: S603
    if not png_file.is_file():
        raise RuntimeError("chromium exited without writing the screenshot")
    return png_file


def pdf_page_png(pdf_file: Path, png_file: Path, *, page: int = 1, dpi: int = 100) -> Path:
    """A PNG of one PDF page, drawn by poppler's pdftoppm."""
    tool = shutil.which("pdftoppm")
    if tool is None:
        raise ToolMissing("pdftoppm is not installed (apt-get install poppler-utils, or make system-deps)")
    png_file.parent.mkdir(parents=True, exist_ok=True)
    stem = png_file.with_suffix("")
    command = [tool, "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile", str(pdf_file), str(stem)]
    subprocess.run(command, check=True, capture_output=True, timeout=SCREENSHOT_TIMEOUT)  # noqa: S603
    if not png_file.is_file():
        raise RuntimeError("pdftoppm exited without writing the page image")
    return png_file
