"""Which conflicts a commit must override, and whether the overrides given do it."""

from __future__ import annotations

from collections.abc import Sequence

from rxsafe.core.errors import InvalidRequest, OverrideMissing, OverrideNotAllowed
from rxsafe.core.models import ConflictReport, Override
from rxsafe.core.policy import Policy


def verify_overrides(
    report: ConflictReport,
    overrides: Sequence[Override],
    policy: Policy | None = None,
    roles: tuple[str, ...] | None = None,
) -> None:
    """Raises ``OverrideMissing`` when an interruptive conflict has no override with a reason.

    An override naming a conflict the report does not hold is bad input (``InvalidRequest``); an override by a
    role the facility policy does not allow for that severity raises ``OverrideNotAllowed``. ``roles`` None
    means access control is off (in-process use): the role rule is not applied.
    """
    known = {c.id: c for c in report.conflicts}
    for i, override in enumerate(overrides):
        conflict = known.get(override.conflict_id)
        if conflict is None:
            raise InvalidRequest(f"overrides[{i}].conflict_id", f"no conflict {override.conflict_id!r} in this check")
        if policy is not None and roles is not None and not policy.may_override(conflict.severity, roles):
            allowed = ", ".join(policy.override_roles.get(conflict.severity, ())) or "nobody"
            raise OverrideNotAllowed(
                f"overriding a {conflict.severity.name.lower()} conflict ({conflict.id}) needs the role: {allowed}"
            )
    given = {o.conflict_id for o in overrides}
    missing = [c for c in report.conflicts if c.interruptive and c.id not in given]
    if missing:
        names = "; ".join(f"{c.id} ({c.title.en})" for c in missing)
        raise OverrideMissing(f"interruptive conflicts need an override reason before commit: {names}")
