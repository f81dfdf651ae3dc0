"""``rxsafe``: a thin command line over the same functions the server uses.

    rxsafe serve [--host H] [--port N] [--db PATH]
    rxsafe check REQUEST.json                    in-process, no server needed
    rxsafe check --batch REQUESTS.jsonl          one response per input line, in order
    rxsafe check --server HOST:PORT REQUEST.json through gRPC
    rxsafe commit CHECK_ID --server HOST:PORT --key KEY [--override CONFLICT_ID=REASON[:comment]] …
    rxsafe get CHECK_ID --server HOST:PORT

Input and output are the proto3 JSON mapping of the rxsafe.v1 messages, so the CLI and the wire are one contract.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message

from rxsafe.app.service import SafetyService
from rxsafe.core.errors import InvalidRequest, RxsafeError
from rxsafe.ehr.cli import register as register_ehr
from rxsafe.gen import medication_safety_pb2 as pb
from rxsafe.gen import medication_safety_pb2_grpc as pb_grpc
from rxsafe.private_files import make_private, private_umask, store_files
from rxsafe.report import cli as report_cli
from rxsafe.service import convert
from rxsafe.service.access import AccessFile, Purpose, Role
from rxsafe.service.errors import status_for

if TYPE_CHECKING:
    from rxsafe.http.server import HttpOptions
    from rxsafe.service.server import TlsFiles

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ACCESS = REPO_ROOT / "var" / "access.json"
DEFAULT_DEV_KEY = REPO_ROOT / "var" / "dev.key"
LABELLED_SET = REPO_ROOT / "tests" / "matching" / "labelled" / "vn_products_cases.tsv"

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
CLI_DEADLINE_SECONDS = 30.0


class RemoteError(Exception):
    """A call to the server failed: its status code and message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rxsafe`` command."""
    args = _parser().parse_args(argv)
    private_umask()  # every file a command writes (store, reports, exports) holds patient data
    try:
        result: int = args.run(args)
    except RxsafeError as error:
        print(json.dumps({"error": _error_json(error)}, ensure_ascii=False), file=sys.stderr)
        return EXIT_FAILED
    except RemoteError as error:
        print(
            json.dumps({"error": {"code": error.code, "message": error.message}}, ensure_ascii=False), file=sys.stderr
        )
        return EXIT_FAILED
    return result


def _parser() -> argparse.ArgumentParser:  # noqa: PLR0915 -- one flat list of commands reads best
    parser = argparse.ArgumentParser(prog="rxsafe", description="Clinical medication safety checker for Vietnam.")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    register_ehr(sub)

    serve = sub.add_parser("serve", help="serve rxsafe.v1.MedicationSafety over gRPC")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=50051, help="port (default 50051)")
    serve.add_argument("--db", type=Path, default=None, help="DuckDB record store (default var/rxsafe.duckdb)")
    serve.add_argument("--knowledge", type=Path, default=None, help="compiled knowledge folder (default knowledge/)")
    serve.add_argument("--no-seed", action="store_true", help="do not seed demo patients into an empty store")
    serve.add_argument(
        "--access", type=Path, default=None, help="API keys and TLS clients (default: access.json beside the db)"
    )
    serve.add_argument("--tls-cert", type=Path, help="server certificate (PEM); required to bind beyond loopback")
    serve.add_argument("--tls-key", type=Path, help="server private key (PEM)")
    serve.add_argument("--tls-client-ca", type=Path, help="CA for client certificates: turns on mutual TLS")
    serve.add_argument("--metrics-port", type=int, default=None, help="serve /metrics (Prometheus) on this port")
    serve.add_argument("--policy", type=Path, default=None, help="facility policy (TOML); see docs/policy.example.toml")
    serve.add_argument(
        "--behind-tls-proxy",
        action="store_true",
        help="plaintext beyond loopback, for a container behind a TLS-terminating proxy (README: Docker)",
    )
    serve.add_argument(
        "--http-port", type=int, default=None, help="also serve CDS Hooks 2.0 over HTTP on this port (off by default)"
    )
    serve.add_argument("--cds-jwt", type=Path, default=None, help="CDS Hooks JWT issuers and keys (JSON; see README)")
    serve.add_argument(
        "--store", default=None, help="record store: postgresql://… (several workers/replicas) or a DuckDB file path"
    )
    serve.add_argument("--workers", type=int, default=1, help="server processes on the port (PostgreSQL store only)")
    serve.add_argument("--pool-size", type=int, default=8, help="PostgreSQL connections per process (default 8)")
    # Set by the supervisor of --workers N for each worker process; not for people.
    serve.add_argument("--worker-index", type=int, default=None, help=argparse.SUPPRESS)
    serve.add_argument("--control-fd", type=int, default=None, help=argparse.SUPPRESS)
    serve.set_defaults(run=_serve)

    check = sub.add_parser("check", help="check a prescription (proto3 JSON in, proto3 JSON out)")
    check.add_argument("request", nargs="?", type=Path, help="a CheckPrescriptionRequest as JSON")
    check.add_argument("--batch", type=Path, help="JSON Lines: one request per line, one response per line")
    check.add_argument("--eprescription", type=Path, help="a national e-prescription body (gui-don-thuoc JSON)")
    check.add_argument("--server", help="HOST:PORT of a running rxsafe server (default: check in-process)")
    _client_options(check)
    check.add_argument("--db", type=Path, default=None, help="record store for in-process checks by patientId")
    check.add_argument("--knowledge", type=Path, default=None, help="compiled knowledge folder (default knowledge/)")
    check.add_argument("--policy", type=Path, default=None, help="facility policy (TOML) for in-process checks")
    check.set_defaults(run=_check)

    commit = sub.add_parser("commit", help="commit a checked prescription into the record (through the server)")
    commit.add_argument("check_id")
    commit.add_argument("--server", required=True, help="HOST:PORT of a running rxsafe server")
    _client_options(commit)
    commit.add_argument("--idempotency-key", required=True, help="a retry with the same idempotency key writes once")
    commit.add_argument("--prescriber", default="", help="prescriber id (practising-licence number)")
    commit.add_argument(
        "--override",
        action="append",
        default=[],
        metavar="CONFLICT_ID=REASON[:COMMENT]",
        help="override an interruptive conflict; REASON is e.g. BENEFIT_OUTWEIGHS_RISK, WILL_MONITOR",
    )
    commit.set_defaults(run=_commit)

    recheck = sub.add_parser("recheck", help="check a committed prescription again, as things are now")
    recheck.add_argument("prescription_id")
    recheck.add_argument("--server", required=True, help="HOST:PORT of a running rxsafe server")
    recheck.add_argument("--as-of", default="", help="date to check for (YYYY-MM-DD; default today)")
    _client_options(recheck)
    recheck.set_defaults(run=_recheck)

    get = sub.add_parser("get", help="print a stored check report by its id (through the server)")
    get.add_argument("check_id")
    get.add_argument("--server", required=True, help="HOST:PORT of a running rxsafe server")
    _client_options(get)
    get.set_defaults(run=_get)
    report_cli.register(sub, client_options=_client_options, call=_unary)

    audit = sub.add_parser("audit", help="the audit trail: who accessed which record, and whether it is intact")
    audit_sub = audit.add_subparsers(required=True, metavar="ACTION")
    show = audit_sub.add_parser("show", help="list who accessed a patient's record (or everything)")
    show.add_argument("--patient", default=None, help="12-digit personal ID")
    verify = audit_sub.add_parser("verify", help="verify the hash chain; exit 1 if a row was changed or removed")
    for parser_ in (show, verify):
        parser_.add_argument("--server", help="HOST:PORT of a running server (needs the reviewer role)")
        parser_.add_argument("--db", type=Path, default=None, help="read the store file directly (server stopped)")
        parser_.add_argument("--store", default=None, help="read a PostgreSQL store directly (postgresql://…)")
        _client_options(parser_)
    show.set_defaults(run=_audit_show)
    verify.set_defaults(run=_audit_verify)

    knowledge = sub.add_parser("knowledge", help="the compiled knowledge base: statistics and review diffs")
    knowledge_sub = knowledge.add_subparsers(required=True, metavar="ACTION")
    stats = knowledge_sub.add_parser("stats", help="ingredients, rules by severity and source, coverage")
    stats.add_argument("folder", nargs="?", type=Path, default=None, help="knowledge folder (default knowledge/)")
    stats.set_defaults(run=_knowledge_stats)
    diff = knowledge_sub.add_parser("diff", help="rules added, removed and changed in severity between two builds")
    diff.add_argument("old", type=Path)
    diff.add_argument("new", type=Path)
    diff.set_defaults(run=_knowledge_diff)
    reload_ = knowledge_sub.add_parser("reload", help="make a running server load the knowledge and access file again")
    reload_.add_argument("--server", required=True, help="HOST:PORT of a running rxsafe server (needs the admin role)")
    _client_options(reload_)
    reload_.set_defaults(run=_knowledge_reload, purpose=Purpose.ADMINISTRATION.value)

    names = sub.add_parser("names", help="name resolution: measure it on the labelled set")
    names_sub = names.add_subparsers(required=True, metavar="ACTION")
    evaluate = names_sub.add_parser("eval", help="precision, recall and wrong-match rate on the labelled set")
    evaluate.add_argument("--labelled", type=Path, default=LABELLED_SET, help="labelled cases (TSV)")
    evaluate.add_argument("--knowledge", type=Path, default=None, help="compiled knowledge folder (default knowledge/)")
    evaluate.add_argument("--show-wrong", type=int, default=0, metavar="N", help="list N wrong matches")
    evaluate.set_defaults(run=_names_eval)
    resolve = names_sub.add_parser("resolve", help="what each text resolves to, how, and why not")
    resolve.add_argument("texts", nargs="+", metavar="TEXT", help="drug text as written on a prescription")
    resolve.add_argument("--code", default="", help="insurance active-ingredient code (40.xxx) for every text")
    resolve.add_argument("--allergy", action="store_true", help="read the texts as allergy entries")
    resolve.add_argument("--json", action="store_true", help="one JSON object per text")
    resolve.add_argument("--knowledge", type=Path, default=None, help="compiled knowledge folder (default knowledge/)")
    resolve.set_defaults(run=_names_resolve)

    keys = sub.add_parser("keys", help="manage API keys")
    keys_sub = keys.add_subparsers(required=True, metavar="ACTION")
    create = keys_sub.add_parser("create", help="create an API key and print it once")
    create.add_argument("--role", action="append", required=True, choices=[r.value for r in Role], help="repeatable")
    create.add_argument("--client", required=True, help="the calling system this key is for")
    create.add_argument("--access", type=Path, default=DEFAULT_ACCESS, help=f"access file (default {DEFAULT_ACCESS})")
    create.set_defaults(run=_keys_create)
    listing = keys_sub.add_parser("list", help="list API keys (id, roles, client, created; never the secret)")
    listing.add_argument("--access", type=Path, default=DEFAULT_ACCESS, help=f"access file (default {DEFAULT_ACCESS})")
    listing.set_defaults(run=_keys_list)
    revoke = keys_sub.add_parser(
        "revoke", help="revoke an API key by id (a running server: rxsafe knowledge reload, or restart)"
    )
    revoke.add_argument("key_id", help="the key's id (rxsafe_<id>_…, as `keys list` shows it)")
    revoke.add_argument("--access", type=Path, default=DEFAULT_ACCESS, help=f"access file (default {DEFAULT_ACCESS})")
    revoke.set_defaults(run=_keys_revoke)
    return parser


def _client_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--key", default=None, help="API key (default: $RXSAFE_API_KEY, else var/dev.key)")
    parser.add_argument("--user", default=None, help="acting user, for the audit trail (default: $USER)")
    parser.add_argument(
        "--purpose", default=Purpose.TREATMENT.value, choices=[p.value for p in Purpose], help="why (default treatment)"
    )
    parser.add_argument("--ca-cert", type=Path, help="CA of the server's TLS certificate (turns on TLS)")
    parser.add_argument("--client-cert", type=Path, help="client certificate for mutual TLS (PEM)")
    parser.add_argument("--client-key", type=Path, help="client private key for mutual TLS (PEM)")


# --- serve ------------------------------------------------------------------------------------------------------


def _serve(args: argparse.Namespace) -> int:
    # Imported here (noqa: PLC0415): keeps `rxsafe --help` fast.
    from rxsafe.bootstrap import DEFAULT_DB, build_service, limit_malloc_arenas  # noqa: PLC0415
    from rxsafe.ehr.postgres_store import is_postgres_url  # noqa: PLC0415
    from rxsafe.service.logs import configure_logging  # noqa: PLC0415
    from rxsafe.service.server import TlsFiles, prepare_access, serve  # noqa: PLC0415
    from rxsafe.service.workers import WorkerLink  # noqa: PLC0415

    limit_malloc_arenas()
    configure_logging()
    store_url = args.store if args.store and is_postgres_url(args.store) else None
    db: Path = Path(args.store) if args.store and store_url is None else (args.db or DEFAULT_DB)
    if args.workers < 1:
        raise InvalidRequest("--workers", "must be at least 1")
    if args.workers > 1 and store_url is None:
        raise InvalidRequest(
            "--workers",
            "DuckDB lets one process write a store file, so --workers above 1 needs --store postgresql://…",
        )
    tls = None
    if args.tls_cert or args.tls_key:
        if not (args.tls_cert and args.tls_key):
            raise InvalidRequest("--tls-cert/--tls-key", "give both the certificate and its key")
        tls = TlsFiles(cert=args.tls_cert, key=args.tls_key, client_ca=args.tls_client_ca)
    access_path: Path = args.access or db.parent / "access.json"
    access, dev_key = prepare_access(args.host, access_path, tls, behind_tls_proxy=args.behind_tls_proxy)
    if dev_key and args.behind_tls_proxy:
        # Never on the terminal of a container: its output ends up in log collectors.
        print(f"first API key written to {access_path.with_name('dev.key')} (owner-only)", flush=True)
    elif dev_key:
        # Shown once, on the terminal; never in the JSON log.
        print(f"development API key (also in {access_path.with_name('dev.key')}): {dev_key}", flush=True)
    if args.workers > 1:
        return _supervise(args, store_url or "", access_path)
    if store_url is None:
        make_private(*store_files(db))  # a store created before files were private
    worker = WorkerLink(args.worker_index, args.control_fd) if args.worker_index is not None else None
    service = build_service(
        db=None if store_url else db,
        knowledge=args.knowledge,
        seed=not args.no_seed,
        policy=args.policy,
        store_url=store_url,
        pool_size=args.pool_size,
    )
    asyncio.run(
        serve(
            service,
            args.host,
            args.port,
            access=access,
            tls=tls,
            reuse_port=worker is not None,
            metrics_port=args.metrics_port,
            access_path=access_path,
            knowledge_path=args.knowledge,
            http=_http_options(args, tls),
            policy_path=args.policy,
            worker=worker,
        )
    )
    return EXIT_OK


def _http_options(args: argparse.Namespace, tls: TlsFiles | None) -> HttpOptions | None:
    """The CDS Hooks HTTP facade's options, or None when ``--http-port`` is not given."""
    if args.http_port is None:
        return None
    from rxsafe.http.server import HttpOptions  # noqa: PLC0415 -- only when the facade is asked for

    cert, key = (tls.cert, tls.key) if tls else (None, None)
    return HttpOptions(port=args.http_port, jwt_config=args.cds_jwt, tls_cert=cert, tls_key=key)


def _supervise(args: argparse.Namespace, store_url: str, access_path: Path) -> int:
    """``--workers N``: migrate and seed once, then N worker processes on the port (``service.workers``)."""
    from rxsafe.bootstrap import open_postgres_store  # noqa: PLC0415
    from rxsafe.ehr.seed import seed_demo_patients  # noqa: PLC0415
    from rxsafe.service.workers import Supervisor, reserve_port, worker_command  # noqa: PLC0415

    with open_postgres_store(store_url, pool_size=1) as store:
        if not args.no_seed:
            seed_demo_patients(store)
    # The CDS HTTP port is shared by the workers as the gRPC port is: reserved here, so port 0 is one port.
    http_reservation = reserve_port(args.host, args.http_port) if args.http_port is not None else None
    http_port = http_reservation.getsockname()[1] if http_reservation is not None else None
    options = ["--host", args.host, "--store", store_url, "--no-seed", "--access", str(access_path)]
    options += ["--pool-size", str(args.pool_size)]
    for flag, value in (
        ("--knowledge", args.knowledge),
        ("--tls-cert", args.tls_cert),
        ("--tls-key", args.tls_key),
        ("--tls-client-ca", args.tls_client_ca),
        ("--policy", args.policy),
        ("--http-port", http_port),
        ("--cds-jwt", args.cds_jwt),
    ):
        if value is not None:
            options += [flag, str(value)]
    if args.behind_tls_proxy:
        options.append("--behind-tls-proxy")
    supervisor = Supervisor(args.workers, args.host, args.port, worker_command(options, args.metrics_port))
    try:
        return supervisor.run()
    finally:
        if http_reservation is not None:
            http_reservation.close()


def _audit_show(args: argparse.Namespace) -> int:
    trail = _audit_trail(args, args.patient)
    for event in trail.events:
        print(
            f"{event.seq:>6}  {event.at}  {event.action:<15} {event.outcome:<22} "
            f"client={event.client} user={event.user} purpose={event.purpose} {event.subject}"
        )
    print(f"{len(trail.events)} event(s); chain {'intact' if trail.chain_intact else 'BROKEN: ' + trail.chain_problem}")
    return EXIT_OK if trail.chain_intact else EXIT_FAILED


def _audit_verify(args: argparse.Namespace) -> int:
    trail = _audit_trail(args, None)
    if trail.chain_intact:
        print(f"audit trail intact: {trail.rows_verified} rows verified")
        return EXIT_OK
    print(f"audit trail BROKEN after {trail.rows_verified} good rows: {trail.chain_problem}")
    return EXIT_FAILED


def _audit_trail(args: argparse.Namespace, patient_id: str | None) -> pb.AuditTrail:
    if args.server:
        request = pb.GetAuditTrailRequest(patient_id=patient_id or "")
        trail = pb.AuditTrail()
        trail.MergeFromString(asyncio.run(_unary(args, "GetAuditTrail", request)).SerializeToString())
        return trail
    from rxsafe.bootstrap import DEFAULT_DB, open_postgres_store  # noqa: PLC0415 -- keep `rxsafe --help` fast
    from rxsafe.ehr.duckdb_store import DuckDBRecordStore  # noqa: PLC0415

    if args.store:
        with open_postgres_store(args.store, pool_size=1) as pg:
            return convert.audit_to_pb(pg.audit_events(patient_id), pg.verify_audit())
    with DuckDBRecordStore(args.db or DEFAULT_DB) as store:
        rows = store.audit_events(patient_id)
        return convert.audit_to_pb(rows, store.verify_audit())


async def _unary(args: argparse.Namespace, method: str, request: Message) -> Message:
    async with _channel(args) as channel:
        stub = pb_grpc.MedicationSafetyStub(channel)
        try:
            response: Message = await getattr(stub, method)(
                request, timeout=CLI_DEADLINE_SECONDS, metadata=_metadata(args)
            )
        except grpc.aio.AioRpcError as error:
            raise RemoteError(error.code().name, error.details() or "") from None
    return response


def _knowledge_stats(args: argparse.Namespace) -> int:
    from rxsafe.bootstrap import knowledge_dir  # noqa: PLC0415 -- keep `rxsafe --help` fast
    from rxsafe.knowledge.commands import stats_command  # noqa: PLC0415

    print(stats_command(knowledge_dir(args.folder)))
    return EXIT_OK


def _knowledge_diff(args: argparse.Namespace) -> int:
    from rxsafe.bootstrap import knowledge_dir  # noqa: PLC0415 -- keep `rxsafe --help` fast
    from rxsafe.knowledge.commands import diff_command  # noqa: PLC0415

    print(diff_command(knowledge_dir(args.old), knowledge_dir(args.new)))
    return EXIT_OK


def _names_eval(args: argparse.Namespace) -> int:
    from rxsafe.bootstrap import knowledge_dir  # noqa: PLC0415 -- keep `rxsafe --help` fast
    from rxsafe.matching.evaluate import evaluate_command  # noqa: PLC0415

    print(evaluate_command(knowledge_dir(args.knowledge), args.labelled, show_wrong=args.show_wrong))
    return EXIT_OK


def _names_resolve(args: argparse.Namespace) -> int:
    from rxsafe.bootstrap import knowledge_dir  # noqa: PLC0415 -- keep `rxsafe --help` fast
    from rxsafe.matching.explain import resolve_command  # noqa: PLC0415

    print(resolve_command(knowledge_dir(args.knowledge), args.texts, args.code, args.allergy, args.json))
    return EXIT_OK


def _knowledge_reload(args: argparse.Namespace) -> int:
    return asyncio.run(_call(args, "ReloadConfiguration", pb.ReloadConfigurationRequest()))


def _keys_create(args: argparse.Namespace) -> int:
    access = AccessFile.load(args.access)
    key = access.create_key(tuple(Role(r) for r in dict.fromkeys(args.role)), args.client)
    access.save(args.access)
    print(key)
    print(f"(shown once; only its hash is kept in {args.access})", file=sys.stderr)
    return EXIT_OK


def _keys_list(args: argparse.Namespace) -> int:
    access = AccessFile.load(args.access)
    for key in sorted(access.keys.values(), key=lambda k: k.created):
        print(f"{key.id}  {','.join(r.value for r in key.roles):<30} {key.created:<26} {key.client}")
    for name, roles in sorted(access.tls_clients.items()):
        print(f"tls:{name}  {','.join(r.value for r in roles)}")
    return EXIT_OK


def _keys_revoke(args: argparse.Namespace) -> int:
    access = AccessFile.load(args.access)
    access.revoke_key(args.key_id)
    access.save(args.access)
    print(f"revoked {args.key_id}; a running server stops accepting it on `rxsafe knowledge reload` or restart")
    return EXIT_OK


# --- check ------------------------------------------------------------------------------------------------------


def _check(args: argparse.Namespace) -> int:
    if args.eprescription is not None:
        return _check_eprescription(args)
    if (args.request is None) == (args.batch is None):
        print("rxsafe check: give either REQUEST.json, --batch REQUESTS.jsonl or --eprescription FILE", file=sys.stderr)
        return EXIT_USAGE
    batch = args.batch is not None
    texts = list(_batch_lines(args.batch)) if batch else [args.request.read_text(encoding="utf-8")]
    answers = asyncio.run(_check_remote(args, texts)) if args.server else _check_local(args, texts)
    failed = False
    for answer in answers:
        failed |= "error" in answer
        print(json.dumps(answer, ensure_ascii=False, indent=None if batch else 2))
    return EXIT_FAILED if failed else EXIT_OK


def _check_eprescription(args: argparse.Namespace) -> int:
    request = pb.CheckEPrescriptionRequest(body_json=args.eprescription.read_text(encoding="utf-8"))
    if args.server:
        return asyncio.run(_call(args, "CheckEPrescription", request))
    from rxsafe.bootstrap import build_service  # noqa: PLC0415 -- loading knowledge is the slow part

    service = build_service(db=args.db, knowledge=args.knowledge, seed=args.db is not None, policy=args.policy)
    check_request = convert.eprescription_request_from_pb(request, stored_patient=args.db is not None)
    print(json.dumps(_to_json(convert.report_to_pb(service.check(check_request))), ensure_ascii=False, indent=2))
    return EXIT_OK


def _batch_lines(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield line


def _check_local(args: argparse.Namespace, texts: list[str]) -> list[dict[str, object]]:
    from rxsafe.bootstrap import build_service  # noqa: PLC0415 -- loading knowledge is the slow part

    service: SafetyService = build_service(
        db=args.db, knowledge=args.knowledge, seed=args.db is not None, policy=args.policy
    )
    answers: list[dict[str, object]] = []
    for n, text in enumerate(texts):
        try:
            request = convert.check_request_from_pb(_parse_request(text, n))
            answers.append(_to_json(convert.report_to_pb(service.check(request))))
        except RxsafeError as error:
            answers.append({"error": _error_json(error)})
    return answers


async def _check_remote(args: argparse.Namespace, texts: list[str]) -> list[dict[str, object]]:
    answers: list[dict[str, object]] = []
    metadata = _metadata(args)
    async with _channel(args) as channel:
        stub = pb_grpc.MedicationSafetyStub(channel)
        for n, text in enumerate(texts):
            try:
                request = _parse_request(text, n)
            except InvalidRequest as error:
                answers.append({"error": _error_json(error)})
                continue
            try:
                response = await stub.CheckPrescription(request, timeout=CLI_DEADLINE_SECONDS, metadata=metadata)
            except grpc.aio.AioRpcError as error:
                answers.append({"error": {"code": error.code().name, "message": error.details() or ""}})
                continue
            answers.append(_to_json(response))
    return answers


def _parse_request(text: str, n: int) -> pb.CheckPrescriptionRequest:
    """A request in the proto3 JSON mapping, read leniently where that loses nothing.

    Fields this version does not know are ignored (as protobuf itself does on the wire), and enum values may be
    written with or without their prefix (``"NO_KNOWN_ALLERGIES"`` or ``"ALLERGY_STATUS_NO_KNOWN_ALLERGIES"``).
    """
    request = pb.CheckPrescriptionRequest()
    try:
        body = json.loads(text)
        if isinstance(body, dict):
            _prefix_enums(body, request.DESCRIPTOR, "")
        json_format.ParseDict(body, request, ignore_unknown_fields=True)
    except (json.JSONDecodeError, json_format.ParseError) as error:
        raise InvalidRequest(f"request {n + 1}", f"not a CheckPrescriptionRequest: {error}") from None
    return request


def _prefix_enums(body: dict[str, Any], descriptor: Any, path: str) -> None:  # upb or pure-Python Descriptor
    """Adds the proto prefix to enum values written without it, in place, through nested messages.

    An enum value that is not one of the enum's names is bad input naming its field (rather than being dropped
    as an unknown field would be).
    """
    for field in descriptor.fields:
        key = field.json_name if field.json_name in body else field.name
        if key not in body:
            continue
        value = body[key]
        values = value if isinstance(value, list) else [value]
        where = f"{path}{field.name}"
        if field.enum_type is not None:
            names = set(field.enum_type.values_by_name)
            prefix = field.enum_type.values[0].name.removesuffix("UNSPECIFIED")
            fixed = [f"{prefix}{v.upper()}" if isinstance(v, str) and v not in names else v for v in values]
            for v in fixed:
                if isinstance(v, str) and v not in names:
                    allowed = ", ".join(n.removeprefix(prefix) for n in names if not n.endswith("UNSPECIFIED"))
                    raise InvalidRequest(where, f"{v.removeprefix(prefix)!r} is not one of {allowed}")
            body[key] = fixed if isinstance(value, list) else fixed[0]
        elif field.message_type is not None:
            for i, item in enumerate(values):
                if isinstance(item, dict):
                    index = f"[{i}]" if isinstance(value, list) else ""
                    _prefix_enums(item, field.message_type, f"{where}{index}.")


# --- commit and get ---------------------------------------------------------------------------------------------


def _commit(args: argparse.Namespace) -> int:
    overrides = [_parse_override(text) for text in args.override]
    request = pb.CommitPrescriptionRequest(
        check_id=args.check_id, overrides=overrides, idempotency_key=args.idempotency_key, prescriber_id=args.prescriber
    )
    return asyncio.run(_call(args, "CommitPrescription", request))


def _recheck(args: argparse.Namespace) -> int:
    request = pb.RecheckPrescriptionRequest(prescription_id=args.prescription_id, as_of=args.as_of)
    return asyncio.run(_call(args, "RecheckPrescription", request))


def _get(args: argparse.Namespace) -> int:
    return asyncio.run(_call(args, "GetCheck", pb.GetCheckRequest(check_id=args.check_id)))


def _parse_override(text: str) -> pb.Override:
    conflict_id, _, rest = text.partition("=")
    reason, _, comment = rest.partition(":")
    name = "OVERRIDE_REASON_" + reason.strip().upper().removeprefix("OVERRIDE_REASON_")
    if not conflict_id or name not in pb.OverrideReason.keys():  # noqa: SIM118 -- an EnumTypeWrapper, not a dict
        raise InvalidRequest("--override", f"expected CONFLICT_ID=REASON[:COMMENT], got {text!r}")
    return pb.Override(conflict_id=conflict_id, reason=name, comment=comment)


async def _call(args: argparse.Namespace, method: str, request: Message) -> int:
    response = await _unary(args, method, request)
    print(json.dumps(_to_json(response), ensure_ascii=False, indent=2))
    return EXIT_OK


# --- connecting ---------------------------------------------------------------------------------------------------


def _channel(args: argparse.Namespace) -> grpc.aio.Channel:
    if not args.ca_cert:
        return grpc.aio.insecure_channel(args.server)
    cert = args.client_cert.read_bytes() if args.client_cert else None
    key = args.client_key.read_bytes() if args.client_key else None
    credentials = grpc.ssl_channel_credentials(args.ca_cert.read_bytes(), key, cert)
    return grpc.aio.secure_channel(args.server, credentials)


def _metadata(args: argparse.Namespace) -> tuple[tuple[str, str], ...]:
    """Credentials and the acting user and purpose, as the server's access interceptor expects them."""
    user = args.user or os.environ.get("USER") or "cli"
    metadata: list[tuple[str, str]] = [("x-rxsafe-user", user), ("x-rxsafe-purpose", args.purpose)]
    key = args.key or os.environ.get("RXSAFE_API_KEY") or _dev_key()
    if key:
        metadata.append(("authorization", f"Bearer {key}"))
    return tuple(metadata)


def _dev_key() -> str:
    """The key `make run` created, so the README's commands work without copying it around."""
    path = DEFAULT_DEV_KEY
    return path.read_text(encoding="utf-8").strip() if path.is_file() else ""


# --- output -----------------------------------------------------------------------------------------------------


def _to_json(message: Message) -> dict[str, object]:
    result: dict[str, object] = json_format.MessageToDict(message)
    return result


def _error_json(error: RxsafeError) -> dict[str, object]:
    status = status_for(error)
    body: dict[str, object] = {"code": grpc.StatusCode(_grpc_code(status.code)).name, "message": str(error)}
    if isinstance(error, InvalidRequest):
        body["field"] = error.field
    return body


def _grpc_code(number: int) -> tuple[int, str]:
    return next(code.value for code in grpc.StatusCode if code.value[0] == number)


if __name__ == "__main__":
    sys.exit(main())
