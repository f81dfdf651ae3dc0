"""JSON (de)serialisation of what the store keeps whole: reports, prescriptions and commit answers.

The JSON is pydantic's own (``model_dump_json`` / ``model_validate_json``) of the domain models, so a stored
report reads back equal to the one written. A stored document that no longer validates (a schema drift, a
damaged file) means the store cannot be read: it raises ``Unavailable``, never a half-read object.
"""

from __future__ import annotations

import base64
import zlib
from collections.abc import Sequence

from pydantic import ValidationError

from rxsafe.core.errors import Unavailable
from rxsafe.core.models import CommitResult, Conflict, ConflictReport, Prescription, StoredCheck
from rxsafe.memo import WeakIdentityMemo

# Reports are stored compressed: a polypharmacy report is ~100 KB of JSON that zlib at level 1 shrinks about
# tenfold in ~0.1 ms, which is a tenth of the bytes DuckDB has to write and keep per check.
_COMPRESSED = "z1:"


_SPLICE_AT = '"conflicts":['
# Each conflict's JSON while the conflict lives: a patient's conflicts recur across checks (core.patient_index).
_conflict_json: WeakIdentityMemo[Conflict, str] = WeakIdentityMemo(lambda conflict: conflict.model_dump_json())


def dump_report(report: ConflictReport) -> str:
    raw = report_json(report).encode("utf-8")
    return _COMPRESSED + base64.b64encode(zlib.compress(raw, 1)).decode("ascii")


def dump_conflict(conflict: Conflict) -> str:
    """One conflict's stored form (compressed JSON), made once per conflict object."""
    return _dumped_conflict(conflict)


def _compressed(text: str) -> str:
    return _COMPRESSED + base64.b64encode(zlib.compress(text.encode("utf-8"), 1)).decode("ascii")


# Made once per conflict object; its JSON is not kept (only a whole report dumped again would need it).
_dumped_conflict: WeakIdentityMemo[Conflict, str] = WeakIdentityMemo(lambda c: _compressed(c.model_dump_json()))


def join_report(head: str, conflicts: Sequence[str]) -> str:
    """The report JSON from its stored parts, as :func:`report_json` made it.

    ``head`` is ``dump_report`` of the report without its conflicts, ``conflicts`` each conflict's
    ``dump_conflict``, in order.
    """
    text = _text(_report_json(head))
    cut = text.index(_SPLICE_AT + "]") + len(_SPLICE_AT)
    return text[:cut] + ",".join(_text(_report_json(c)) for c in conflicts) + text[cut:]


def _text(data: str | bytes) -> str:
    return data.decode("utf-8") if isinstance(data, bytes) else data


def report_json(report: ConflictReport) -> str:
    """``report.model_dump_json()``, with each conflict's JSON made once per conflict object.

    A new prescription's report mostly holds conflicts that earlier checks of the patient already had, as the same
    objects; serialising them again was most of the cost of storing a check (~0.8 ms for 72 conflicts).
    """
    if not report.conflicts:
        return report.model_dump_json()
    rest = report.model_copy(update={"conflicts": ()}).model_dump_json()
    # The top-level key: inside a JSON string the same characters would have escaped quotes.
    cut = rest.index(_SPLICE_AT + "]") + len(_SPLICE_AT)
    return rest[:cut] + ",".join(_conflict_json(c) for c in report.conflicts) + rest[cut:]


def _report_json(stored: str) -> str | bytes:
    if stored.startswith(_COMPRESSED):
        try:
            return zlib.decompress(base64.b64decode(stored.removeprefix(_COMPRESSED)))
        except (ValueError, zlib.error) as exc:
            raise Unavailable("record store: a stored check cannot be read (damaged compression)") from exc
    return stored  # written before compression was introduced


def dump_prescription(prescription: Prescription) -> str:
    return prescription.model_dump_json()


def dump_commit_result(result: CommitResult) -> str:
    # The stored answer is the first one; ``replayed`` is set when it is read back for a retry.
    return result.model_copy(update={"replayed": False}).model_dump_json()


def load_stored_check(
    report_json: str,
    prescription_json: str,
    *,
    inline_patient: bool,
    prescription_id: str = "",
    check_id: str = "",
    checked_at: str = "",
) -> StoredCheck:
    """The stored check; ``prescription_id`` (once committed) is set on its report.

    A report body stored without its id and time (one body shared by every check with the same result) takes
    them from ``check_id`` and ``checked_at``, which the store keeps in columns of their own.
    """
    try:
        report = ConflictReport.model_validate_json(_report_json(report_json))
        prescription = Prescription.model_validate_json(prescription_json)
    except ValidationError as exc:
        raise Unavailable(f"record store: a stored check cannot be read ({exc.error_count()} errors)") from exc
    if not report.check_id:
        if not check_id or not checked_at:
            raise Unavailable("record store: a stored check has no id or time")
        report = report.model_copy(update={"check_id": check_id, "checked_at": checked_at})
    if prescription_id:
        report = report.model_copy(update={"prescription_id": prescription_id})
    return StoredCheck(report=report, prescription=prescription, inline_patient=inline_patient)


def load_commit_result(result_json: str) -> CommitResult:
    """The stored answer of a commit, marked ``replayed=True``: the caller is getting it a second time."""
    try:
        result = CommitResult.model_validate_json(result_json)
    except ValidationError as exc:
        raise Unavailable(f"record store: a stored commit cannot be read ({exc.error_count()} errors)") from exc
    return result.model_copy(update={"replayed": True})
