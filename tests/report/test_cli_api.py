"""``rxsafe report`` in-process and through a server, and GetCheck's rendered report."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from rxsafe.cli import main
from rxsafe.ehr.seed import DEMO_PENICILLIN_CHILD
from rxsafe.gen import medication_safety_pb2 as pb
from rxsafe.report.demo import demo_reports
from tests.e2e.conftest import RunningServer, start_server, stop_server


@pytest.fixture(scope="module")
def stored_check(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A store file holding one demo check (and no process holding the file open)."""
    db = tmp_path_factory.mktemp("cli-store") / "rxsafe.duckdb"
    (_, report, _), *_ = list(demo_reports(db, [DEMO_PENICILLIN_CHILD]))
    return db, report.check_id


@pytest.mark.parametrize(("fmt", "magic"), [("html", b"<!DOCTYPE html>"), ("pdf", b"%PDF-")])
def test_report_command_writes_the_file(
    stored_check: tuple[Path, str], tmp_path: Path, fmt: str, magic: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    db, check_id = stored_check
    out = tmp_path / f"report.{fmt}"
    code = main(["report", check_id, "--db", str(db), "--format", fmt, "--lang", "en", "--out", str(out)])
    assert code == 0
    assert out.read_bytes().startswith(magic)
    assert capsys.readouterr().out.strip() == str(out)


def test_a_rendered_report_is_owner_only_even_over_an_older_file(
    stored_check: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, check_id = stored_check
    out = tmp_path / "report.html"
    out.write_bytes(b"old")
    out.chmod(0o644)
    assert main(["report", check_id, "--db", str(db), "--format", "html", "--out", str(out)]) == 0
    assert out.stat().st_mode & 0o077 == 0  # it names the patient and gives the birth date
    capsys.readouterr()


def test_report_command_names_an_unknown_check(
    stored_check: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    db, _ = stored_check
    assert main(["report", "chk-nope", "--db", str(db)]) == 1
    assert "NOT_FOUND" in capsys.readouterr().err


def test_report_command_needs_an_existing_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "chk-x", "--db", str(tmp_path / "missing.duckdb")]) == 1
    assert "no record store" in capsys.readouterr().err


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("report-server") / "rxsafe.duckdb")
    yield running
    stop_server(running)


def _check_id(server: RunningServer) -> str:
    request = pb.CheckPrescriptionRequest(
        patient_id=DEMO_PENICILLIN_CHILD,
        prescription=pb.Prescription(lines=[pb.PrescriptionLine(text="Amoxicilin 500mg (Hagimox)")]),
    )
    response: pb.CheckPrescriptionResponse = server.stub().CheckPrescription(request, timeout=30)
    return response.check_id


@pytest.mark.slow
def test_get_check_renders_html_and_pdf(server: RunningServer) -> None:
    check_id = _check_id(server)
    stub = server.stub()
    plain = stub.GetCheck(pb.GetCheckRequest(check_id=check_id), timeout=30)
    assert not plain.HasField("rendered_report")
    html = stub.GetCheck(pb.GetCheckRequest(check_id=check_id, render_format="html"), timeout=60)
    assert html.rendered_report.content_type == "text/html"
    assert html.rendered_report.language == "vi"
    page = html.rendered_report.content.decode("utf-8")
    assert "BỆNH NHÂN DEMO Hai" in page and "********0002" in page
    pdf = stub.GetCheck(pb.GetCheckRequest(check_id=check_id, render_format="pdf", language="en"), timeout=60)
    assert pdf.rendered_report.content_type == "application/pdf"
    assert pdf.rendered_report.language == "en"
    assert pdf.rendered_report.content.startswith(b"%PDF-")
    # Names and IDs never reach the log.
    assert not any("DEMO Hai" in line or DEMO_PENICILLIN_CHILD in line for line in server.logs)


@pytest.mark.slow
@pytest.mark.parametrize(("fmt", "lang", "field"), [("docx", "vi", "render_format"), ("html", "fr", "language")])
def test_get_check_refuses_unknown_formats_and_languages(
    server: RunningServer, fmt: str, lang: str, field: str
) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        server.stub().GetCheck(pb.GetCheckRequest(check_id="chk-x", render_format=fmt, language=lang), timeout=30)
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert field in (raised.value.details() or "")


@pytest.mark.slow
def test_report_command_through_the_server(server: RunningServer, tmp_path: Path) -> None:
    check_id = _check_id(server)
    out = tmp_path / "remote.pdf"
    code = main(
        ["report", check_id, "--server", server.address, "--key", server.key, "--format", "pdf", "--out", str(out)]
    )
    assert code == 0
    assert out.read_bytes().startswith(b"%PDF-")
