"""Issue 15, end to end through the engine: a co-trimoxazole prescription for a patient allergic to "Bactrim"."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REAL_KNOWLEDGE

RXSAFE = Path(sys.executable).parent / "rxsafe"


def _check(tmp_path: Path, request: dict[str, object]) -> dict[str, object]:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request), encoding="utf-8")
    done = subprocess.run([str(RXSAFE), "check", str(path)], capture_output=True, text=True, check=True, timeout=120)
    answer: dict[str, object] = json.loads(done.stdout)
    return answer


def test_bactrim_allergy_alerts_on_cotrimoxazole(tmp_path: Path) -> None:
    if not (REAL_KNOWLEDGE / "products.tsv").exists():
        pytest.skip("knowledge tables not built (make knowledge)")
    answer = _check(
        tmp_path,
        {
            "patient": {"allergies": [{"allergen": "Bactrim", "reaction": "nổi mề đay"}], "medications": []},
            "prescription": {"lines": [{"text": "Sulfamethoxazol 800mg + Trimethoprim 160mg"},
                                       {"text": "Paracetamol 500mg + Xyzzyquinol 10mg"}]},
        },
    )  # fmt: skip
    kinds = [c["kind"] for c in answer["conflicts"]]  # type: ignore[index,union-attr]
    assert "CONFLICT_KIND_ALLERGY" in kinds
    assert answer["verdict"] == "VERDICT_BLOCK"
    lines = answer["lines"]
    assert lines[1]["status"] == "RESOLUTION_STATUS_PARTIAL"  # type: ignore[index]
    assert lines[1]["unidentified"] == ["Xyzzyquinol"]  # type: ignore[index]


def test_partial_line_never_passes(tmp_path: Path) -> None:
    if not (REAL_KNOWLEDGE / "products.tsv").exists():
        pytest.skip("knowledge tables not built (make knowledge)")
    answer = _check(
        tmp_path,
        {
            "patient": {"allergies": [], "allergyStatus": "NO_KNOWN_ALLERGIES", "medications": []},
            "prescription": {"lines": [{"text": "Paracetamol Xyzzyquinol"}]},
        },
    )
    assert answer["verdict"] != "VERDICT_PASS"
    notices = [n["kind"] for n in answer.get("notices", [])]  # type: ignore[union-attr]
    assert "NOTICE_KIND_PARTIAL_LINE" in notices


def test_recorded_medication_with_only_an_insurance_code_is_checked(tmp_path: Path) -> None:
    # XML 130 MA_THUOC "40.227" (ciprofloxacin in the tender list) beside a name no source knows.
    if not (REAL_KNOWLEDGE / "products.tsv").exists():
        pytest.skip("knowledge tables not built (make knowledge)")
    med = {"text": "Xyzzyflox 500", "nationalDrugCode": "40.227", "startDate": "2026-12-01", "days": 30}
    answer = _check(
        tmp_path,
        {
            "patient": {"allergies": [], "allergyStatus": "NO_KNOWN_ALLERGIES", "medications": [med]},
            "prescription": {"lines": [{"text": "Tizanidin 4mg"}, {"text": "", "nationalDrugCode": "40.99999"}]},
            "asOf": "2026-12-06",
        },
    )
    drugs = [sorted(c["drugs"]) for c in answer["conflicts"]]  # type: ignore[index,union-attr]
    assert ["ciprofloxacin", "tizanidine"] in drugs
    notices = [n["kind"] for n in answer.get("notices", [])]  # type: ignore[union-attr]
    assert "NOTICE_KIND_UNKNOWN_INSURANCE_CODE" in notices and answer["verdict"] != "VERDICT_PASS"
