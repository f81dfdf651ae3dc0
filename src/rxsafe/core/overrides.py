"""Which conflicts a commit must override, and whether the overrides given do it."""

from __future__ import annotations

from collections.abc import Sequence

from rxsafe.core.errors import InvalidRequest, OverrideMissing
from rxsafe.core.models import ConflictReport, Override


def verify_overrides(report: ConflictReport, overrides: Sequence[Override]) -> None:
    """Raises ``OverrideMissing`` when an interruptive conflict has no override with a reason.

    An override naming a conflict the report does not hold is bad input (``InvalidRequest``).
    """
    known = {c.id for c in report.conflicts}
    for i, override in enumerate(overrides):
        if override.conflict_id not in known:
            raise InvalidRequest(f"overrides[{i}].conflict_id", f"no conflict {override.conflict_id!r} in this check")
    given = {o.conflict_id for o in overrides}
    missing = [c for c in report.conflicts if c.interruptive and c.id not in given]
    if missing:
        names = "; ".join(f"{c.id} ({c.title.en})" for c in missing)
        raise OverrideMissing(f"interruptive conflicts need an override reason before commit: {names}")
