"""Reads a facility policy from a TOML file: versioned, and named in every report it shapes.

name = "BV Đa khoa tỉnh — dược lâm sàng"
version = 3
lookback_days = 60

[interrupt_at]          # the lowest severity that blocks, per conflict kind
ALLERGY = "major"
INTERACTION = "contraindicated"   # "block interactions at formulary level 4"

[override_roles]        # who may override an interruptive conflict, by severity
contraindicated = ["prescriber"]
major = ["prescriber", "pharmacist"]
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from rxsafe.core.enums import ConflictKind, Severity
from rxsafe.core.errors import InvalidRequest
from rxsafe.core.policy import Policy


def load_policy(path: Path) -> Policy:
    """The policy the file describes; unknown keys, kinds or severities are refused, naming the key."""
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise InvalidRequest(str(path), f"cannot read the policy file: {error}") from None
    fields: dict[str, Any] = {k: v for k, v in data.items() if k not in {"interrupt_at", "override_roles"}}
    if "interrupt_at" in data:
        fields["interrupt_at"] = {
            _member(ConflictKind, kind, f"interrupt_at.{kind}"): _severity(level, f"interrupt_at.{kind}")
            for kind, level in data["interrupt_at"].items()
        }
    if "override_roles" in data:
        fields["override_roles"] = {
            _severity(level, f"override_roles.{level}"): tuple(roles) for level, roles in data["override_roles"].items()
        }
    try:
        return Policy(**fields)
    except ValidationError as error:
        first = error.errors()[0]
        raise InvalidRequest(".".join(str(p) for p in first["loc"]), first["msg"]) from None


def _severity(value: object, key: str) -> Severity:
    return _member(Severity, str(value), key)


E = TypeVar("E", ConflictKind, Severity)


def _member(enum: type[E], value: str, key: str) -> E:
    try:
        return enum[value.strip().upper()]
    except KeyError:
        allowed = ", ".join(m.name.lower() for m in enum)
        raise InvalidRequest(key, f"{value!r} is not one of {allowed}") from None
