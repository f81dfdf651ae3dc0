"""``rxsafe report CHECK_ID``: the clinician's report of a stored check, written to a file.

    rxsafe report CHECK_ID [--format html|pdf] [--lang vi|en] [--out FILE] [--db PATH | --server HOST:PORT]

In-process it opens the record store itself (``--db``, default var/rxsafe.duckdb). DuckDB lets one process open a
file, so while a server holds the store, ask the server instead (``--server``): it renders and returns the bytes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import grpc
from google.protobuf.message import Message

from rxsafe.core.errors import InvalidRequest, Unavailable
from rxsafe.private_files import make_private
from rxsafe.report.i18n import LANGUAGES
from rxsafe.report.inputs import RenderOptions, render_options

EXIT_OK, EXIT_FAILED = 0, 1
DEADLINE_SECONDS = 60.0
DEFAULT_OUT_DIR = Path("var") / "reports"


# The main CLI's way to call the server (channel, TLS, credentials, errors), so this command needs no copy of it.
RemoteCall = Callable[[argparse.Namespace, str, Message], Awaitable[Message]]


def register(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    *,
    client_options: Callable[[argparse.ArgumentParser], None] | None = None,
    call: RemoteCall | None = None,
) -> None:
    """Adds the ``report`` command to the ``rxsafe`` command line.

    ``client_options`` adds the main CLI's connection options (API key, user, purpose, TLS) and ``call`` makes
    the call with them; without them ``--server`` uses a plain loopback channel.
    """
    report = subparsers.add_parser(
        "report",
        help="render a stored check as the clinician's report (HTML or PDF); `report alerts` for alert figures",
    )
    report.add_argument("check_id", help="a check id, or `alerts` for alert and override figures from the store")
    report.add_argument("--since", default="", help="with `alerts`: only checks made on or after this ISO date")
    report.add_argument(
        "--workload",
        action="store_true",
        help="with `alerts`: alert counts per prescription by tier, before and after, on the fixed workload",
    )
    report.add_argument("--policy", type=Path, default=None, help="with `alerts --workload`: a facility policy")
    report.add_argument("--format", choices=("html", "pdf"), default="html", help="html (default) or pdf")
    report.add_argument("--lang", choices=LANGUAGES, default="vi", help="vi (default) or en")
    report.add_argument("--out", type=Path, default=None, help="file to write (default var/reports/ID.LANG.FORMAT)")
    where = report.add_mutually_exclusive_group()
    where.add_argument("--db", type=Path, default=None, help="record store to read (default var/rxsafe.duckdb)")
    where.add_argument("--server", help="HOST:PORT of a running rxsafe server (GetCheck renders it)")
    where.add_argument("--store", default=None, help="with `alerts`: a PostgreSQL record store (postgresql://…)")
    if client_options is not None:
        client_options(report)
    report.set_defaults(run=run, remote_call=call)


def run(args: argparse.Namespace) -> int:
    """Renders the report and writes it; prints the file's path (or, for ``alerts``, prints the alert figures)."""
    if args.check_id == "alerts" and args.workload:
        return _alert_workload(args.policy)
    if args.check_id == "alerts":
        return _alerts(args.db, args.since, getattr(args, "store", None))
    options = render_options(args.format, args.lang)
    if options is None:  # argparse allows only html or pdf; kept so a caller of run() cannot get "no file"
        raise InvalidRequest("--format", "expected html or pdf")
    out: Path = args.out or DEFAULT_OUT_DIR / f"{args.check_id}.{options.lang}.{options.fmt}"
    if args.server:
        content = asyncio.run(_remote(args, options))
        if content is None:
            return EXIT_FAILED
    else:
        content = _local(args.db, args.check_id, options)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(content)
    make_private(out)  # the report names the patient; an existing file keeps its old mode otherwise
    sys.stdout.write(f"{out}\n")
    return EXIT_OK


def _alerts(db: Path | None, since: str, store_url: str | None = None) -> int:
    from rxsafe.app.alert_report import format_alerts, summarize_alerts  # noqa: PLC0415 -- only this command
    from rxsafe.app.feedback_summary import format_feedback, summarize_feedback  # noqa: PLC0415
    from rxsafe.bootstrap import DEFAULT_DB, open_postgres_store  # noqa: PLC0415
    from rxsafe.ehr.duckdb_store import DuckDBRecordStore  # noqa: PLC0415

    # A PostgreSQL store is read while the service runs (it has no single-process lock, unlike a DuckDB file).
    opened = open_postgres_store(store_url, pool_size=2) if store_url else DuckDBRecordStore(db or DEFAULT_DB)
    with opened as store:
        checks = store.checks_since(since)
        summary = summarize_alerts(checks)
        feedback = summarize_feedback(store.audit_events(), checks, since)
    sys.stdout.write(format_alerts(summary, since) + "\n\n" + format_feedback(feedback) + "\n")
    return EXIT_OK


def _alert_workload(policy: Path | None) -> int:
    from rxsafe.app.alert_workload import format_figures, load_workload, measure  # noqa: PLC0415 -- only this
    from rxsafe.bootstrap import build_service  # noqa: PLC0415

    figures = measure(build_service(db=None, policy=policy), load_workload())
    sys.stdout.write("\n".join(format_figures(figures)) + "\n")
    return EXIT_OK


def _local(db: Path | None, check_id: str, options: RenderOptions) -> bytes:
    # Imported here: loading the knowledge base and WeasyPrint is the slow part, and --server needs neither.
    from rxsafe.bootstrap import DEFAULT_DB, build_service  # noqa: PLC0415
    from rxsafe.report.inputs import load_report_inputs  # noqa: PLC0415
    from rxsafe.report.render import render_report  # noqa: PLC0415

    path = db or DEFAULT_DB
    if not path.is_file():
        raise Unavailable(f"no record store at {path}: give --db PATH, or --server HOST:PORT")
    try:
        service = build_service(db=path, seed=False)
    except Unavailable as error:
        raise Unavailable(f"{error} (if a server is using it, ask the server: --server HOST:PORT)") from error
    try:
        report, patient = load_report_inputs(service, check_id)
        return render_report(report, patient, options.fmt, options.lang).content
    finally:
        if service.store is not None:
            service.store.close()


async def _remote(args: argparse.Namespace, options: RenderOptions) -> bytes | None:
    from rxsafe.gen import medication_safety_pb2 as pb  # noqa: PLC0415
    from rxsafe.gen import medication_safety_pb2_grpc as pb_grpc  # noqa: PLC0415

    request = pb.GetCheckRequest(check_id=args.check_id, render_format=options.fmt, language=options.lang)
    response = pb.CheckPrescriptionResponse()
    call: RemoteCall | None = args.remote_call
    if call is not None:
        # The main CLI's call raises its own error for a failed call, which it reports.
        response.MergeFromString((await call(args, "GetCheck", request)).SerializeToString())
    else:
        async with grpc.aio.insecure_channel(args.server) as channel:
            stub = pb_grpc.MedicationSafetyStub(channel)
            try:
                response = await stub.GetCheck(request, timeout=DEADLINE_SECONDS)
            except grpc.aio.AioRpcError as error:
                message = {"error": {"code": error.code().name, "message": error.details() or ""}}
                sys.stderr.write(json.dumps(message, ensure_ascii=False) + "\n")
                return None
    if not response.rendered_report.content:
        sys.stderr.write('{"error": {"code": "UNIMPLEMENTED", "message": "the server did not render the report"}}\n')
        return None
    content: bytes = response.rendered_report.content
    return content
