"""Who may call what: roles, API keys (stored hashed) and mutual-TLS clients, from one access file.

The access file (JSON, default ``var/access.json``) holds:

    {"keys": [{"id": "k3f9…", "sha256": "…", "roles": ["prescriber"], "client": "HIS Bạch Mai", "created": "…"}],
     "tls_clients": {"his.bachmai.example": ["prescriber", "pharmacist"]}}

A key is shown once, when created: ``rxsafe_<id>_<secret>``. Only the SHA-256 of the secret is kept (the secret is
32 random bytes, so a fast hash is enough: there is nothing to brute-force).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from rxsafe.core.errors import NotFound

KEY_PREFIX = "rxsafe_"


class Role(StrEnum):
    PRESCRIBER = "prescriber"
    PHARMACIST = "pharmacist"
    REVIEWER = "reviewer"
    IMPORTER = "importer"
    ADMIN = "admin"


class Purpose(StrEnum):
    """Why patient data is being processed (Law 91/2025: processing is tied to a stated purpose)."""

    TREATMENT = "treatment"
    DISPENSING = "dispensing"
    REVIEW = "review"
    AUDIT = "audit"
    IMPORT = "import"
    ADMINISTRATION = "administration"


_SERVICE = "/rxsafe.v1.MedicationSafety/"
# Which roles may call which method. Health is open; anything not listed needs any valid credential.
METHOD_ROLES: dict[str, frozenset[Role]] = {
    _SERVICE + "CheckPrescription": frozenset({Role.PRESCRIBER, Role.PHARMACIST}),
    _SERVICE + "CheckEPrescription": frozenset({Role.PRESCRIBER, Role.PHARMACIST}),
    _SERVICE + "CommitPrescription": frozenset({Role.PRESCRIBER}),
    _SERVICE + "RecheckPrescription": frozenset({Role.PRESCRIBER, Role.PHARMACIST}),
    _SERVICE + "GetCheck": frozenset({Role.PRESCRIBER, Role.PHARMACIST, Role.REVIEWER}),
    _SERVICE + "GetAuditTrail": frozenset({Role.REVIEWER}),
    _SERVICE + "ReloadConfiguration": frozenset({Role.ADMIN}),
}
OPEN_METHODS = frozenset({"/grpc.health.v1.Health/Check", "/grpc.health.v1.Health/Watch"})


@dataclass(frozen=True)
class Principal:
    """The caller: the calling system (client), its roles, and the acting user and purpose it declared."""

    client: str
    roles: frozenset[Role]
    authenticated_by: str
    user: str = ""
    purpose: str = ""


@dataclass(frozen=True)
class ApiKey:
    id: str
    sha256: str
    roles: tuple[Role, ...]
    client: str
    created: str


@dataclass
class AccessFile:
    """The keys and mutual-TLS clients the service accepts."""

    keys: dict[str, ApiKey] = field(default_factory=dict)
    tls_clients: dict[str, tuple[Role, ...]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> AccessFile:
        """Reads the access file; a missing file is an empty configuration."""
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        keys = {
            k["id"]: ApiKey(
                id=k["id"],
                sha256=k["sha256"],
                roles=tuple(Role(r) for r in k["roles"]),
                client=k.get("client", ""),
                created=k.get("created", ""),
            )
            for k in data.get("keys", [])
        }
        tls = {cn: tuple(Role(r) for r in roles) for cn, roles in data.get("tls_clients", {}).items()}
        return cls(keys=keys, tls_clients=tls)

    def save(self, path: Path) -> None:
        """Writes the file atomically, readable by its owner only: it says who may read patient data."""
        data = {
            "keys": [
                {
                    "id": k.id,
                    "sha256": k.sha256,
                    "roles": [r.value for r in k.roles],
                    "client": k.client,
                    "created": k.created,
                }
                for k in sorted(self.keys.values(), key=lambda k: k.id)
            ],
            "tls_clients": {cn: [r.value for r in roles] for cn, roles in sorted(self.tls_clients.items())},
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        tmp.chmod(0o600)
        tmp.replace(path)

    def create_key(self, roles: tuple[Role, ...], client: str) -> str:
        """Adds a key and returns it in full; it is never shown again.

        >>> access = AccessFile()
        >>> key = access.create_key((Role.PRESCRIBER,), "demo HIS")
        >>> access.verify_key(key).roles == frozenset({Role.PRESCRIBER})
        True
        """
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        self.keys[key_id] = ApiKey(
            id=key_id,
            sha256=_digest(secret),
            roles=roles,
            client=client,
            created=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        return f"{KEY_PREFIX}{key_id}_{secret}"

    def revoke_key(self, key_id: str) -> None:
        """Removes a key; an unknown id is ``NotFound`` (a typo must not look like a revocation)."""
        key_id = key_id.removeprefix(KEY_PREFIX).split("_", 1)[0]
        if self.keys.pop(key_id, None) is None:
            raise NotFound(f"no API key with id {key_id!r}")

    def verify_key(self, presented: str) -> Principal | None:
        """The principal a presented key stands for, or None."""
        if not presented.startswith(KEY_PREFIX):
            return None
        key_id, _, secret = presented.removeprefix(KEY_PREFIX).partition("_")
        record = self.keys.get(key_id)
        if record is None or not hmac.compare_digest(record.sha256, _digest(secret)):
            return None
        return Principal(client=record.client or key_id, roles=frozenset(record.roles), authenticated_by="api_key")

    def verify_certificate(self, common_name: str) -> Principal | None:
        """The principal a verified client certificate stands for (mutual TLS), or None."""
        roles = self.tls_clients.get(common_name)
        if roles is None:
            return None
        return Principal(client=common_name, roles=frozenset(roles), authenticated_by="mtls")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
