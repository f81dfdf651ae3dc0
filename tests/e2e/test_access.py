"""Access control end to end: credentials, roles, declared user and purpose, TLS and mutual TLS."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from rxsafe.ehr.seed import DEMO_PENICILLIN_CHILD
from rxsafe.gen import medication_safety_pb2 as pb
from rxsafe.gen import medication_safety_pb2_grpc as pb_grpc
from rxsafe.service.access import AccessFile, Role
from rxsafe.service.server import UnsafeBinding, prepare_access
from tests.e2e.conftest import RXSAFE, RunningServer, start_server, stop_server


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("keyed")
    access = AccessFile()
    keys = {role.value: access.create_key((role,), f"test {role.value}") for role in Role}
    access.save(folder / "access.json")
    running = start_server(folder / "rxsafe.duckdb")
    yield running, keys
    stop_server(running)


def check_request() -> pb.CheckPrescriptionRequest:
    return pb.CheckPrescriptionRequest(
        patient_id=DEMO_PENICILLIN_CHILD,
        prescription=pb.Prescription(lines=[pb.PrescriptionLine(text="Paracetamol 250mg")]),
    )


def test_no_credentials_is_unauthenticated(keyed: tuple[RunningServer, dict[str, str]]) -> None:
    server, _ = keyed
    with pytest.raises(grpc.RpcError) as error:
        server.stub(key="").CheckPrescription(check_request(), timeout=10)
    assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(grpc.RpcError) as forged:
        server.stub(key="rxsafe_abc_not-a-real-key").CheckPrescription(check_request(), timeout=10)
    assert forged.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_health_needs_no_credentials(keyed: tuple[RunningServer, dict[str, str]]) -> None:
    server, _ = keyed
    health = health_pb2_grpc.HealthStub(grpc.insecure_channel(server.address))
    assert health.Check(health_pb2.HealthCheckRequest(), timeout=5).status == health_pb2.HealthCheckResponse.SERVING


def test_a_key_without_the_role_is_permission_denied(keyed: tuple[RunningServer, dict[str, str]]) -> None:
    server, keys = keyed
    for role in ("reviewer", "importer", "admin"):
        with pytest.raises(grpc.RpcError) as error:
            server.stub(key=keys[role]).CheckPrescription(check_request(), timeout=10)
        assert error.value.code() == grpc.StatusCode.PERMISSION_DENIED, role


def test_a_pharmacist_checks_but_cannot_commit(keyed: tuple[RunningServer, dict[str, str]]) -> None:
    server, keys = keyed
    pharmacist = server.stub(key=keys["pharmacist"], purpose="dispensing")
    report = pharmacist.CheckPrescription(check_request(), timeout=10)
    with pytest.raises(grpc.RpcError) as error:
        pharmacist.CommitPrescription(
            pb.CommitPrescriptionRequest(check_id=report.check_id, idempotency_key="p-1"), timeout=10
        )
    assert error.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "prescriber" in (error.value.details() or "")
    # A reviewer may read the report, and a prescriber may commit it.
    assert (
        server.stub(key=keys["reviewer"], purpose="review")
        .GetCheck(pb.GetCheckRequest(check_id=report.check_id))
        .check_id
    )
    done = server.stub(key=keys["prescriber"]).CommitPrescription(
        pb.CommitPrescriptionRequest(check_id=report.check_id, idempotency_key="p-2"), timeout=10
    )
    assert done.prescription_id


def test_every_call_names_the_user_and_a_known_purpose(keyed: tuple[RunningServer, dict[str, str]]) -> None:
    server, keys = keyed
    with pytest.raises(grpc.RpcError) as no_user:
        server.stub(key=keys["prescriber"], user="").CheckPrescription(check_request(), timeout=10)
    assert no_user.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "x-rxsafe-user" in (no_user.value.details() or "")
    with pytest.raises(grpc.RpcError) as odd_purpose:
        server.stub(key=keys["prescriber"], purpose="curiosity").CheckPrescription(check_request(), timeout=10)
    assert odd_purpose.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_binding_beyond_loopback_without_tls_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsafeBinding):
        prepare_access("0.0.0.0", tmp_path / "access.json", None)
    access, dev_key = prepare_access("127.0.0.1", tmp_path / "access.json", None)
    assert dev_key and access.verify_key(dev_key) is not None
    assert (tmp_path / "dev.key").read_text().strip() == dev_key
    assert dev_key not in (tmp_path / "access.json").read_text()  # only the hash is stored
    done = subprocess.run(
        [str(RXSAFE), "serve", "--host", "0.0.0.0", "--port", "0", "--db", str(tmp_path / "x.duckdb")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "without TLS" in done.stderr


def test_keys_create_prints_a_key_once(tmp_path: Path) -> None:
    access = tmp_path / "access.json"
    done = subprocess.run(
        [str(RXSAFE), "keys", "create", "--role", "pharmacist", "--client", "Nhà thuốc A", "--access", str(access)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    key = done.stdout.strip()
    principal = AccessFile.load(access).verify_key(key)
    assert principal is not None
    assert principal.roles == frozenset({Role.PHARMACIST})
    assert key not in access.read_text()


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make test certificates")
def test_mutual_tls_identifies_the_calling_system(tmp_path: Path) -> None:
    days = "2"
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        days,
        "-subj",
        "/CN=test-ca",
        cwd=tmp_path,
    )
    for name, cn in (("server", "localhost"), ("client", "his.test"), ("stranger", "unknown.test")):
        ext = "subjectAltName=DNS:localhost,IP:127.0.0.1" if name == "server" else "basicConstraints=CA:FALSE"
        (tmp_path / f"{name}.ext").write_text(ext + "\n")
        _openssl(
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            f"{name}.key",
            "-out",
            f"{name}.csr",
            "-subj",
            f"/CN={cn}",
            cwd=tmp_path,
        )
        _openssl(
            "x509",
            "-req",
            "-in",
            f"{name}.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            f"{name}.pem",
            "-days",
            days,
            "-extfile",
            f"{name}.ext",
            cwd=tmp_path,
        )
    access = AccessFile(tls_clients={"his.test": (Role.PRESCRIBER,)})
    access.save(tmp_path / "access.json")
    server = start_server(
        tmp_path / "rxsafe.duckdb",
        "--tls-cert", str(tmp_path / "server.pem"), "--tls-key", str(tmp_path / "server.key"),
        "--tls-client-ca", str(tmp_path / "ca.pem"),
    )  # fmt: skip
    try:
        port = server.address.rsplit(":", 1)[1]

        def stub(who: str) -> pb_grpc.MedicationSafetyStub:
            creds = grpc.ssl_channel_credentials(
                (tmp_path / "ca.pem").read_bytes(),
                (tmp_path / f"{who}.key").read_bytes(),
                (tmp_path / f"{who}.pem").read_bytes(),
            )
            return pb_grpc.MedicationSafetyStub(grpc.secure_channel(f"localhost:{port}", creds))

        metadata = (("x-rxsafe-user", "dr-tls"), ("x-rxsafe-purpose", "treatment"))
        report = stub("client").CheckPrescription(check_request(), timeout=10, metadata=metadata)
        assert report.check_id
        with pytest.raises(grpc.RpcError) as error:
            stub("stranger").CheckPrescription(check_request(), timeout=10, metadata=metadata)
        assert error.value.code() == grpc.StatusCode.UNAUTHENTICATED
    finally:
        stop_server(server)


def test_an_admin_reloads_knowledge_and_keys_without_a_restart(keyed: tuple[RunningServer, dict[str, str]]) -> None:
    server, keys = keyed
    with pytest.raises(grpc.RpcError) as denied:
        server.stub(key=keys["prescriber"]).ReloadConfiguration(pb.ReloadConfigurationRequest(), timeout=60)
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    access_path = server.db.with_name("access.json")
    access = AccessFile.load(access_path)
    new_key = access.create_key((Role.PHARMACIST,), "pharmacy added later")
    access.save(access_path)
    with pytest.raises(grpc.RpcError) as unknown:
        server.stub(key=new_key, purpose="dispensing").CheckPrescription(check_request(), timeout=10)
    assert unknown.value.code() == grpc.StatusCode.UNAUTHENTICATED
    admin = server.stub(key=keys["admin"], purpose="administration")
    answer = admin.ReloadConfiguration(pb.ReloadConfigurationRequest(), timeout=60)
    assert answer.knowledge_version == answer.previous_knowledge_version  # same build on disk
    assert answer.api_keys == len(keys) + 1
    assert server.stub(key=new_key, purpose="dispensing").CheckPrescription(check_request(), timeout=10).check_id
