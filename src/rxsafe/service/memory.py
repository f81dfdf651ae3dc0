"""Memory returned to the system after large calls (glibc ``malloc_trim``), so RSS follows the load down.

A large check allocates tens of MB of short-lived objects (reports, their wire form); CPython frees them, but
glibc keeps the freed pages in its heap, so RSS stays at its high-water mark. ``malloc_trim(0)`` hands the free
pages back. It costs a few ms, so it runs only after calls over a size threshold, at most once a second.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Callable

# Conflicts plus lines in one answer above which the call counts as large (a polypharmacy report is ~100).
LARGE_ANSWER_ITEMS = 300
MIN_SECONDS_BETWEEN_TRIMS = 1.0


class MemoryTrimmer:
    """Calls glibc's ``malloc_trim`` after large answers; a no-op where glibc is not the libc."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = 0.0
        self._trim: Callable[[int], int] | None
        try:
            self._trim = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            self._trim = None

    def after_answer(self, items: int, encoded_bytes: int = 0) -> bool:
        """Trims when the answer was large (``items`` conflicts + lines, or over 1 MB); True if it trimmed."""
        if self._trim is None or (items < LARGE_ANSWER_ITEMS and encoded_bytes < 1_000_000):
            return False
        now = time.monotonic()
        with self._lock:
            if now - self._last < MIN_SECONDS_BETWEEN_TRIMS:
                return False
            self._last = now
        self._trim(0)
        return True
