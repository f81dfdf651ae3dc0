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
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message

from rxsafe.app.service import SafetyService
from rxsafe.core.errors import InvalidRequest, RxsafeError
from rxsafe.gen import medication_safety_pb2 as pb
from rxsafe.gen import medication_safety_pb2_grpc as pb_grpc
from rxsafe.service import convert
from rxsafe.service.errors import status_for

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
CLI_DEADLINE_SECONDS = 30.0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rxsafe`` command."""
    args = _parser().parse_args(argv)
    try:
        result: int = args.run(args)
    except RxsafeError as error:
        print(json.dumps({"error": _error_json(error)}, ensure_ascii=False), file=sys.stderr)
        return EXIT_FAILED
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rxsafe", description="Clinical medication safety checker for Vietnam.")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="serve rxsafe.v1.MedicationSafety over gRPC")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=50051, help="port (default 50051)")
    serve.add_argument("--db", type=Path, default=None, help="DuckDB record store (default var/rxsafe.duckdb)")
    serve.add_argument("--knowledge", type=Path, default=None, help="compiled knowledge folder (default knowledge/)")
    serve.add_argument("--no-seed", action="store_true", help="do not seed demo patients into an empty store")
    serve.set_defaults(run=_serve)

    check = sub.add_parser("check", help="check a prescription (proto3 JSON in, proto3 JSON out)")
    check.add_argument("request", nargs="?", type=Path, help="a CheckPrescriptionRequest as JSON")
    check.add_argument("--batch", type=Path, help="JSON Lines: one request per line, one response per line")
    check.add_argument("--server", help="HOST:PORT of a running rxsafe server (default: check in-process)")
    check.add_argument("--db", type=Path, default=None, help="record store for in-process checks by patientId")
    check.add_argument("--knowledge", type=Path, default=None, help="compiled knowledge folder (default knowledge/)")
    check.set_defaults(run=_check)

    commit = sub.add_parser("commit", help="commit a checked prescription into the record (through the server)")
    commit.add_argument("check_id")
    commit.add_argument("--server", required=True, help="HOST:PORT of a running rxsafe server")
    commit.add_argument("--key", required=True, help="idempotency key: a retry with the same key writes once")
    commit.add_argument("--prescriber", default="", help="prescriber id (practising-licence number)")
    commit.add_argument(
        "--override",
        action="append",
        default=[],
        metavar="CONFLICT_ID=REASON[:COMMENT]",
        help="override an interruptive conflict; REASON is e.g. BENEFIT_OUTWEIGHS_RISK, WILL_MONITOR",
    )
    commit.set_defaults(run=_commit)

    get = sub.add_parser("get", help="print a stored check report by its id (through the server)")
    get.add_argument("check_id")
    get.add_argument("--server", required=True, help="HOST:PORT of a running rxsafe server")
    get.set_defaults(run=_get)
    return parser


# --- serve ------------------------------------------------------------------------------------------------------


def _serve(args: argparse.Namespace) -> int:
    from rxsafe.bootstrap import DEFAULT_DB, build_service  # noqa: PLC0415 -- keep `rxsafe --help` fast
    from rxsafe.service.logs import configure_logging  # noqa: PLC0415
    from rxsafe.service.server import serve  # noqa: PLC0415

    configure_logging()
    service = build_service(db=args.db or DEFAULT_DB, knowledge=args.knowledge, seed=not args.no_seed)
    asyncio.run(serve(service, args.host, args.port))
    return EXIT_OK


# --- check ------------------------------------------------------------------------------------------------------


def _check(args: argparse.Namespace) -> int:
    if (args.request is None) == (args.batch is None):
        print("rxsafe check: give either REQUEST.json or --batch REQUESTS.jsonl", file=sys.stderr)
        return EXIT_USAGE
    batch = args.batch is not None
    texts = list(_batch_lines(args.batch)) if batch else [args.request.read_text(encoding="utf-8")]
    answers = asyncio.run(_check_remote(args.server, texts)) if args.server else _check_local(args, texts)
    failed = False
    for answer in answers:
        failed |= "error" in answer
        print(json.dumps(answer, ensure_ascii=False, indent=None if batch else 2))
    return EXIT_FAILED if failed else EXIT_OK


def _batch_lines(path: Path) -> Iterator[str]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield line


def _check_local(args: argparse.Namespace, texts: list[str]) -> list[dict[str, object]]:
    from rxsafe.bootstrap import build_service  # noqa: PLC0415 -- loading knowledge is the slow part

    service: SafetyService = build_service(db=args.db, knowledge=args.knowledge, seed=args.db is not None)
    answers: list[dict[str, object]] = []
    for n, text in enumerate(texts):
        try:
            request = convert.check_request_from_pb(_parse_request(text, n))
            answers.append(_to_json(convert.report_to_pb(service.check(request))))
        except RxsafeError as error:
            answers.append({"error": _error_json(error)})
    return answers


async def _check_remote(target: str, texts: list[str]) -> list[dict[str, object]]:
    answers: list[dict[str, object]] = []
    async with grpc.aio.insecure_channel(target) as channel:
        stub = pb_grpc.MedicationSafetyStub(channel)
        for n, text in enumerate(texts):
            try:
                request = _parse_request(text, n)
            except InvalidRequest as error:
                answers.append({"error": _error_json(error)})
                continue
            try:
                response = await stub.CheckPrescription(request, timeout=CLI_DEADLINE_SECONDS)
            except grpc.aio.AioRpcError as error:
                answers.append({"error": {"code": error.code().name, "message": error.details() or ""}})
                continue
            answers.append(_to_json(response))
    return answers


def _parse_request(text: str, n: int) -> pb.CheckPrescriptionRequest:
    request = pb.CheckPrescriptionRequest()
    try:
        json_format.Parse(text, request)
    except json_format.ParseError as error:
        raise InvalidRequest(f"request {n + 1}", f"not a CheckPrescriptionRequest: {error}") from None
    return request


# --- commit and get ---------------------------------------------------------------------------------------------


def _commit(args: argparse.Namespace) -> int:
    overrides = [_parse_override(text) for text in args.override]
    request = pb.CommitPrescriptionRequest(
        check_id=args.check_id, overrides=overrides, idempotency_key=args.key, prescriber_id=args.prescriber
    )
    return asyncio.run(_call(args.server, "CommitPrescription", request))


def _get(args: argparse.Namespace) -> int:
    return asyncio.run(_call(args.server, "GetCheck", pb.GetCheckRequest(check_id=args.check_id)))


def _parse_override(text: str) -> pb.Override:
    conflict_id, _, rest = text.partition("=")
    reason, _, comment = rest.partition(":")
    name = "OVERRIDE_REASON_" + reason.strip().upper().removeprefix("OVERRIDE_REASON_")
    if not conflict_id or name not in pb.OverrideReason.keys():  # noqa: SIM118 -- an EnumTypeWrapper, not a dict
        raise InvalidRequest("--override", f"expected CONFLICT_ID=REASON[:COMMENT], got {text!r}")
    return pb.Override(conflict_id=conflict_id, reason=name, comment=comment)


async def _call(target: str, method: str, request: Message) -> int:
    async with grpc.aio.insecure_channel(target) as channel:
        stub = pb_grpc.MedicationSafetyStub(channel)
        try:
            response = await getattr(stub, method)(request, timeout=CLI_DEADLINE_SECONDS)
        except grpc.aio.AioRpcError as error:
            print(json.dumps({"error": {"code": error.code().name, "message": error.details() or ""}}), file=sys.stderr)
            return EXIT_FAILED
    print(json.dumps(_to_json(response), ensure_ascii=False, indent=2))
    return EXIT_OK


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
