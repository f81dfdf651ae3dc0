"""``rxsafe ehr``: import records, show a patient as the checker sees it, export a check as FHIR.

    rxsafe ehr import FILE… [--db PATH] [--allow-partial] [--json]
    rxsafe ehr show PERSONAL_ID [--db PATH] [--as-of YYYY-MM-DD] [--lookback-days N] [--json]
    rxsafe ehr export CHECK_ID [--db PATH]

``src/rxsafe/cli.py`` calls ``register`` once; everything heavy is imported when a command runs, so
``rxsafe --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rxsafe.ehr.duckdb_store import DuckDBRecordStore
    from rxsafe.ehr.importer import ImportSummary

EXIT_OK, EXIT_FAILED = 0, 1
# Below this many files the summary is enough; above it, a progress bar on stderr shows the batch is moving.
PROGRESS_FROM_FILES = 5


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Adds ``ehr`` with its sub-commands to the ``rxsafe`` parser."""
    ehr = subparsers.add_parser("ehr", help="patient records: import XML 130/4750 or FHIR, show, export FHIR")
    sub = ehr.add_subparsers(required=True, metavar="ACTION")

    imp = sub.add_parser("import", help="import XML 130/4750 envelopes or FHIR R4 Bundles (one transaction per file)")
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE")
    _db_option(imp)
    imp.add_argument(
        "--allow-partial", action="store_true", help="import a file's valid rows even when some rows are rejected"
    )
    imp.add_argument("--json", action="store_true", help="print the summary as JSON")
    imp.add_argument("--progress", action="store_true", help="show a progress bar whatever the batch size")
    imp.set_defaults(run=_import)

    show = sub.add_parser("show", help="the patient as the checker sees it")
    show.add_argument("patient_id", metavar="PERSONAL_ID")
    _db_option(show)
    show.add_argument("--knowledge", type=Path, default=None, help="compiled knowledge folder (default knowledge/)")
    show.add_argument("--as-of", type=date.fromisoformat, default=None, help="check date (default today, Vietnam)")
    show.add_argument("--lookback-days", type=int, default=None, help="days an ended medication still counts")
    show.add_argument("--json", action="store_true", help="print as JSON")
    show.set_defaults(run=_show)

    export = sub.add_parser("export", help="a stored check as FHIR: DetectedIssue, and MedicationRequest if committed")
    export.add_argument("check_id")
    _db_option(export)
    export.set_defaults(run=_export)


def _db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=None, help="DuckDB record store (default var/rxsafe.duckdb)")
    parser.add_argument("--store", default=None, help="a PostgreSQL record store instead (postgresql://…)")


def _open(args: argparse.Namespace, db: Path) -> DuckDBRecordStore:
    """The store the options name: ``--store postgresql://…``, else the DuckDB file."""
    if args.store:
        from rxsafe.bootstrap import open_postgres_store  # noqa: PLC0415 -- psycopg only when asked for

        return open_postgres_store(args.store, pool_size=2)
    from rxsafe.ehr.duckdb_store import DuckDBRecordStore  # noqa: PLC0415 -- keep `rxsafe --help` fast

    return DuckDBRecordStore(db)


def _out(text: str) -> None:
    sys.stdout.write(text + "\n")


def _import(args: argparse.Namespace) -> int:
    from rxsafe.bootstrap import DEFAULT_DB  # noqa: PLC0415 -- keep `rxsafe --help` fast
    from rxsafe.ehr.importer import import_paths  # noqa: PLC0415

    db: Path = args.db or DEFAULT_DB
    db.parent.mkdir(parents=True, exist_ok=True)
    show_progress = args.progress or len(args.files) >= PROGRESS_FROM_FILES

    def progress(done: int, total: int, name: str) -> None:
        width = 30
        filled = width * done // total
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name[:40]:<40}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    with _open(args, db) as store:
        summary = import_paths(
            store, args.files, allow_partial=args.allow_partial, progress=progress if show_progress else None
        )
    if args.json:
        _out(json.dumps(_summary_json(summary), ensure_ascii=False, indent=2))
    else:
        for line in summary.lines():
            _out(line)
    return EXIT_FAILED if summary.failed else EXIT_OK


def _summary_json(summary: ImportSummary) -> dict[str, object]:
    return {
        "patients": summary.patients,
        "allergies": summary.total("allergies"),
        "medications": summary.total("medications"),
        "results": summary.total("observations"),
        "conditions": summary.total("conditions"),
        "files": [
            {
                "file": f.name,
                "format": f.format,
                "outcome": f.outcome,
                "reason": f.reason,
                "added": f.counts.added,
                "updated": f.counts.updated,
                "unchanged": f.counts.unchanged,
                "rejected": [
                    {"file": r.file, "table": r.table, "row": r.row, "field": r.field, "reason": r.reason}
                    for r in f.rejections
                ],
                "warnings": f.warnings,
            }
            for f in summary.files
        ],
    }


def _show(args: argparse.Namespace) -> int:
    from rxsafe.app.service import vietnam_now  # noqa: PLC0415
    from rxsafe.bootstrap import DEFAULT_DB, knowledge_dir  # noqa: PLC0415
    from rxsafe.core.errors import InvalidRequest, PatientNotFound  # noqa: PLC0415
    from rxsafe.core.policy import Policy  # noqa: PLC0415
    from rxsafe.ehr.identifiers import is_personal_id  # noqa: PLC0415
    from rxsafe.ehr.show import patient_view  # noqa: PLC0415
    from rxsafe.matching.resolver import NameResolver  # noqa: PLC0415
    from rxsafe.matching.vocabulary import load_vocabulary  # noqa: PLC0415

    if not is_personal_id(args.patient_id):
        raise InvalidRequest("patient_id", "must be the 12-digit personal identification number")
    resolver = NameResolver(load_vocabulary(knowledge_dir(args.knowledge)))
    with _open(args, args.db or DEFAULT_DB) as store:
        record = store.get_patient(args.patient_id)
        if record is None:
            raise PatientNotFound("no patient with this personal ID in the record store")
        provenance = store.provenance(args.patient_id)
    lookback = args.lookback_days if args.lookback_days is not None else Policy().lookback_days
    view = patient_view(
        record,
        resolver,
        as_of=args.as_of or vietnam_now().date(),
        lookback_days=lookback,
        provenance=provenance,
    )
    if args.json:
        _out(json.dumps(view.as_json(), ensure_ascii=False, indent=2))
    else:
        for line in view.lines():
            _out(line)
    return EXIT_OK


def _export(args: argparse.Namespace) -> int:
    from rxsafe.bootstrap import DEFAULT_DB  # noqa: PLC0415
    from rxsafe.core.errors import CheckNotFound  # noqa: PLC0415
    from rxsafe.ehr.fhir_io import prescription_bundle, report_bundle  # noqa: PLC0415

    with _open(args, args.db or DEFAULT_DB) as store:
        stored = store.get_check(args.check_id)
    if stored is None:
        raise CheckNotFound(f"no check {args.check_id!r}")
    bundle = prescription_bundle(stored) if stored.report.prescription_id else report_bundle(stored.report)
    _out(json.dumps(bundle, ensure_ascii=False, indent=2))
    return EXIT_OK
