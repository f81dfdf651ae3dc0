"""Structured JSON logs. Callers pass ids and counts in ``extra``; never names, ID numbers or record text."""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import datetime
from typing import Any

from rxsafe.service.request_ids import RequestIdFilter

# Attributes every LogRecord has; anything else came in through ``extra``.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            # ISO 8601 with the UTC offset: logs from several hosts (and zones) line up.
            "ts": datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            entry["exc_type"] = record.exc_info[0].__name__ if record.exc_info[0] else ""
            entry["traceback"] = traceback_frames(record.exc_info[2])
        return json.dumps(entry, ensure_ascii=False, default=str)


def traceback_frames(tb: Any) -> list[str]:
    """Where an error happened (file, line, function), without the exception's message or locals.

    The message of an unexpected error may quote the request (a drug name, a patient's name): it stays out of the
    log; the frames are enough to find the bug, and the request id ties the line to the caller's answer.
    """
    return [f"{f.filename}:{f.lineno} in {f.name}" for f in traceback.extract_tb(tb)]


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
