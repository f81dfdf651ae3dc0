"""The CLI contract: proto3 JSON in and out, in-process and through a server, one answer per batch line."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from rxsafe.ehr.seed import DEMO_CARDIOVASCULAR
from tests.e2e.conftest import RXSAFE, RunningServer

EXAMPLE = Path(__file__).resolve().parents[1] / "data" / "example_request.json"


def rxsafe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(RXSAFE), *args], capture_output=True, text=True, timeout=120, check=False)


def test_check_in_process_prints_the_report() -> None:
    done = rxsafe("check", str(EXAMPLE))
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["verdict"] == "VERDICT_BLOCK"
    assert [line["status"] for line in answer["lines"]] == ["RESOLUTION_STATUS_RESOLVED"] * 2
    kinds = {c["kind"] for c in answer["conflicts"]}
    assert {"CONFLICT_KIND_ALLERGY", "CONFLICT_KIND_INTERACTION"} <= kinds


def test_batch_answers_every_line_in_order(tmp_path: Path) -> None:
    example = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    unknown = {
        "patient": {"allergyStatus": "ALLERGY_STATUS_NO_KNOWN_ALLERGIES"},
        "prescription": {"lines": [{"text": "Xyzzyquinol"}]},
    }
    broken = {"patient": {}, "prescription": {"lines": []}}
    batch = tmp_path / "requests.jsonl"
    batch.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in (example, unknown, broken, example)) + "\n")
    done = rxsafe("check", "--batch", str(batch))
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(answers) == 4
    assert answers[0]["verdict"] == "VERDICT_BLOCK"
    assert answers[1]["verdict"] == "VERDICT_WARN"
    assert answers[2]["error"]["code"] == "INVALID_ARGUMENT"
    assert answers[2]["error"]["field"] == "prescription.lines"
    assert answers[3]["verdict"] == "VERDICT_BLOCK"
    assert done.returncode == 1  # one request failed, and the exit status says so


def test_check_commit_and_get_through_the_server(server: RunningServer, tmp_path: Path) -> None:
    request = tmp_path / "request.json"
    request.write_text(
        json.dumps({"patientId": DEMO_CARDIOVASCULAR, "prescription": {"lines": [{"text": "Clarithromycin 500mg"}]}})
    )
    checked = rxsafe("check", "--server", server.address, "--key", server.key, str(request))
    assert checked.returncode == 0, checked.stderr
    report = json.loads(checked.stdout)
    assert report["verdict"] == "VERDICT_BLOCK"  # simvastatin on record + clarithromycin: contraindicated
    overrides = [
        f"--override={c['id']}=BENEFIT_OUTWEIGHS_RISK:no alternative"
        for c in report["conflicts"]
        if c.get("interruptive")
    ]
    committed = rxsafe(
        "commit",
        report["checkId"],
        "--server",
        server.address,
        "--key",
        server.key,
        "--idempotency-key",
        "cli-1",
        *overrides,
    )
    assert committed.returncode == 0, committed.stderr
    assert json.loads(committed.stdout)["prescriptionId"]
    fetched = rxsafe("get", report["checkId"], "--server", server.address, "--key", server.key)
    stored = json.loads(fetched.stdout)
    assert stored["prescriptionId"] == json.loads(committed.stdout)["prescriptionId"]
    assert any(
        c.get("override", {}).get("reason") == "OVERRIDE_REASON_BENEFIT_OUTWEIGHS_RISK" for c in stored["conflicts"]
    )


def test_bad_json_is_a_clear_error(tmp_path: Path) -> None:
    request = tmp_path / "request.json"
    request.write_text('{"prescription": {"linez": []}}')
    done = rxsafe("check", str(request))
    assert done.returncode == 1
    assert json.loads(done.stdout)["error"]["code"] == "INVALID_ARGUMENT"


def test_enum_values_without_prefix_and_unknown_fields_are_accepted(tmp_path: Path) -> None:
    request = tmp_path / "request.json"
    request.write_text(
        json.dumps(
            {
                "requestId": "from-another-system",
                "patient": {"allergyStatus": "NO_KNOWN_ALLERGIES"},
                "prescription": {"lines": [{"text": "Paracetamol 500mg"}]},
            }
        )
    )
    done = rxsafe("check", str(request))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["allergyStatus"] == "ALLERGY_STATUS_NO_KNOWN_ALLERGIES"
    request.write_text(json.dumps({"patient": {"allergyStatus": "MAYBE"}, "prescription": {"lines": [{"text": "x"}]}}))
    refused = rxsafe("check", str(request))
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["error"]["field"] == "patient.allergy_status"
