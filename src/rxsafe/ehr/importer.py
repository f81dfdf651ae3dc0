"""``rxsafe ehr import``: files in, a summary out. One transaction per file; a bad file changes nothing.

A file's format is recognised from its content: an XML document is an XML 130/4750 ``GIAMDINHHS`` envelope, a
JSON document a FHIR R4 Bundle. By default a file with any rejected row is rejected whole (strict): a partly
imported medication list is a record that looks complete and is not. ``allow_partial`` imports the valid rows and
still lists every rejected one (file, table, row, field, reason).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from rxsafe.ehr.duckdb_store import DuckDBRecordStore
from rxsafe.ehr.fhir_io import parse_fhir_bundle
from rxsafe.ehr.import_writer import Counts
from rxsafe.ehr.imported import ParsedFile, Rejection
from rxsafe.ehr.xml130 import MAX_FILE_BYTES, parse_xml130

Outcome = Literal["imported", "unchanged", "already imported", "rejected"]
Progress = Callable[[int, int, str], None]


@dataclass
class FileResult:
    """What happened to one file."""

    name: str
    format: str
    outcome: Outcome
    reason: str = ""
    counts: Counts = field(default_factory=Counts)
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rows_read: int = 0


@dataclass
class ImportSummary:
    """All files of one ``rxsafe ehr import`` run."""

    files: list[FileResult] = field(default_factory=list)

    def total(self, table: str) -> int:
        """Rows of ``table`` added or updated over all files."""
        return sum(f.counts.added.get(table, 0) + f.counts.updated.get(table, 0) for f in self.files)

    @property
    def patients(self) -> int:
        return sum(f.counts.patients_new + f.counts.patients_changed for f in self.files)

    @property
    def failed(self) -> bool:
        return any(f.outcome == "rejected" for f in self.files)

    def lines(self) -> list[str]:
        """The human summary: totals, then each file, each rejected row and each warning."""
        out = [
            f"files: {len(self.files)} ({sum(f.outcome == 'imported' for f in self.files)} imported, "
            f"{sum(f.outcome in ('unchanged', 'already imported') for f in self.files)} unchanged, "
            f"{sum(f.outcome == 'rejected' for f in self.files)} rejected)",
            f"patients new or changed: {self.patients}; allergies: {self.total('allergies')}; "
            f"medications: {self.total('medications')}; results: {self.total('observations')}; "
            f"conditions: {self.total('conditions')}; visits: {self.total('visits')}; "
            f"vaccinations: {self.total('vaccinations')}",
        ]
        for f in self.files:
            out.append(f"{f.name} [{f.format}]: {f.outcome}" + (f" — {f.reason}" if f.reason else ""))
            out += [f"  rejected: {r}" for r in f.rejections]
            out += [f"  warning: {w}" for w in f.warnings]
        return out


def detect_and_parse(data: bytes, name: str) -> ParsedFile:
    """Parses ``data`` as XML 130 or FHIR, by its first meaningful byte."""
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return parse_xml130(data, name)
    if head.startswith(b"{"):
        return parse_fhir_bundle(data, name)
    parsed = ParsedFile(name=name, sha256="", format="unknown")
    parsed.fatal = f"{name}: neither XML (XML 130/4750) nor JSON (FHIR Bundle)"
    return parsed


def import_file(store: DuckDBRecordStore, path: Path, *, allow_partial: bool = False) -> FileResult:
    """Reads, parses, validates and writes one file (one transaction). Never raises for bad content."""
    name = path.name
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return FileResult(name, "unknown", "rejected", f"larger than {MAX_FILE_BYTES} bytes")
        data = path.read_bytes()
    except OSError as exc:
        return FileResult(name, "unknown", "rejected", f"cannot be read ({exc.strerror or type(exc).__name__})")
    parsed = detect_and_parse(data, name)
    return write_parsed(store, parsed, allow_partial=allow_partial)


def write_parsed(store: DuckDBRecordStore, parsed: ParsedFile, *, allow_partial: bool = False) -> FileResult:
    """Writes a parsed file unless it is fatally broken, or (strict) has any rejected row."""
    result = FileResult(
        parsed.name,
        parsed.format,
        "rejected",
        rejections=list(parsed.rejections),
        warnings=list(parsed.warnings),
        rows_read=sum(p.row_count() for p in parsed.patients.values()),
    )
    if parsed.fatal:
        result.reason = parsed.fatal
        return result
    if parsed.rejections and not allow_partial:
        result.reason = (
            f"{len(parsed.rejections)} rejected rows; nothing imported (use --allow-partial to import the rest)"
        )
        return result
    if not parsed.patients:
        result.reason = "no importable patient in the file"
        return result
    counts = store.import_file(parsed)
    if counts is None:
        result.outcome = "already imported"
        return result
    result.counts = counts
    changed = counts.patients_new or counts.patients_changed or counts.added or counts.updated
    result.outcome = "imported" if changed else "unchanged"
    return result


def import_paths(
    store: DuckDBRecordStore,
    paths: Sequence[Path],
    *,
    allow_partial: bool = False,
    progress: Progress | None = None,
) -> ImportSummary:
    """Imports each file in turn (one transaction each); ``progress(done, total, name)`` after every file."""
    summary = ImportSummary()
    for done, path in enumerate(paths, start=1):
        summary.files.append(import_file(store, path, allow_partial=allow_partial))
        if progress is not None:
            progress(done, len(paths), path.name)
    return summary
