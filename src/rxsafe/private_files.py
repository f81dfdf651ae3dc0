"""Private files: what rxsafe writes is readable and writable by its owner only.

The record store, its write-ahead log, rendered reports and exports all hold patient data.

``private_umask()`` makes every file the process creates from then on 0600 (and folders 0700), which also covers
files a library creates (DuckDB's ``.wal``); ``make_private`` narrows files that already exist (a store created
by an older rxsafe, a report written over).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE_UMASK = 0o077


def private_umask() -> None:
    """From now on, files this process creates are its owner's only."""
    os.umask(PRIVATE_UMASK)


def make_private(*paths: Path) -> None:
    """Removes group and other permissions from each existing file (a missing one is skipped)."""
    for path in paths:
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            continue
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            path.chmod(stat.S_IMODE(mode) & ~(stat.S_IRWXG | stat.S_IRWXO))


def store_files(db: Path) -> tuple[Path, ...]:
    """The DuckDB store and its write-ahead log."""
    return db, db.with_name(db.name + ".wal")
