"""The demo patients' reports, checked once per test session over a fresh record store."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from rxsafe.core.models import ConflictReport, PatientRecord
from rxsafe.report.demo import demo_reports

DemoReports = dict[str, tuple[ConflictReport, PatientRecord | None]]


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoReports:
    """Each demo patient's stored report (one of them committed with overrides) and record."""
    db = tmp_path_factory.mktemp("report-store") / "rxsafe.duckdb"
    return {patient_id: (report, patient) for patient_id, report, patient in demo_reports(db)}


def ink(png: Path) -> tuple[int, int, float]:
    """Width, height and the share of pixels that are not (near) white: a blank or broken page has almost none."""
    with Image.open(png) as image:
        grey = image.convert("L")
        histogram = grey.histogram()
        width, height = grey.size
    dark = sum(histogram[:235])
    return width, height, dark / (width * height)
