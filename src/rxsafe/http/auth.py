"""Who is calling over HTTP: an rxsafe API key (the access file, the same roles), or the EMR's CDS Hooks JWT.

CDS Hooks clients sign a JWT per call (``Authorization: Bearer <jwt>``) with ``iss`` (the EMR), ``aud`` (the
service URL called), ``exp``, ``iat`` and ``jti``. With a JWT configuration (``rxsafe serve --cds-jwt FILE``) such
a token is verified against the issuer's public keys (a JWKS, read from a file, never fetched), its audience and
expiry, and a ``jti`` seen before is refused as a replay. The configuration file (JSON)::

    {"audience": "https://rxsafe.bv.example/cds-services",
     "clients": [{"iss": "https://emr.bv.example", "jwks_file": "emr-jwks.json",
                  "roles": ["prescriber", "pharmacist"], "client": "EMR BV X"}]}

Without ``audience`` the token's ``aud`` must be the URL of the endpoint called, as the specification says.
The access file is read again when it changes on disk, so a revoked key stops working without a restart.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt

from rxsafe.core.errors import InvalidRequest
from rxsafe.http.outcome import HttpProblem
from rxsafe.service.access import KEY_PREFIX, AccessFile, Principal, Role

# Asymmetric algorithms only: the EMR signs with its private key, rxsafe holds only the public one. CDS Hooks 2.0
# names ES384 and RS384; the 256-bit variants are accepted for EMRs that use them.
ALGORITHMS = ("ES384", "RS384", "ES256", "RS256", "PS384", "PS256")
# Tokens are minted per call with a short life; a jti is remembered until its token expires (bounded).
MAX_REMEMBERED_JTI = 100_000
LEEWAY_SECONDS = 30


@dataclass(frozen=True)
class JwtClient:
    """One EMR allowed to call with its own JWTs: its issuer, public keys and the roles it acts with."""

    issuer: str
    keys: jwt.PyJWKSet
    roles: frozenset[Role]
    client: str


@dataclass
class JwtVerifier:
    """Verifies CDS Hooks JWTs from the configured issuers."""

    clients: dict[str, JwtClient]
    audience: str = ""
    _seen: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def load(cls, path: Path) -> JwtVerifier:
        """Reads the configuration; a bad file is refused at start-up, naming the key."""
        try:
            data: Any = json.loads(path.read_text(encoding="utf-8"))
            clients: dict[str, JwtClient] = {}
            for i, entry in enumerate(data.get("clients", [])):
                where = f"{path}: clients[{i}]"
                jwks_file = Path(entry["jwks_file"])
                if not jwks_file.is_absolute():
                    jwks_file = path.parent / jwks_file
                keys = jwt.PyJWKSet.from_dict(json.loads(jwks_file.read_text(encoding="utf-8")))
                roles = frozenset(Role(r) for r in entry.get("roles", ["prescriber"]))
                issuer = str(entry["iss"])
                clients[issuer] = JwtClient(issuer, keys, roles, str(entry.get("client") or issuer))
                if not keys.keys:
                    raise InvalidRequest(where, "the JWKS holds no usable key")
        except (OSError, ValueError, KeyError, TypeError, jwt.PyJWTError) as error:
            raise InvalidRequest(str(path), f"cannot read the CDS Hooks JWT configuration: {error}") from None
        return cls(clients=clients, audience=str(data.get("audience", "")))

    def verify(self, token: str, url: str) -> Principal:
        """The EMR the token stands for; ``HttpProblem`` 401 naming what is wrong otherwise."""
        try:
            header = jwt.get_unverified_header(token)
            issuer = str(jwt.decode(token, options={"verify_signature": False}).get("iss", ""))
        except jwt.PyJWTError:
            raise _unauthorized("the bearer token is neither an rxsafe API key nor a JWT") from None
        client = self.clients.get(issuer)
        if client is None:
            raise _unauthorized("the JWT's issuer (iss) is not a registered CDS client")
        key = next((k for k in client.keys.keys if k.key_id == header.get("kid")), None)
        if key is None and len(client.keys.keys) == 1 and not header.get("kid"):
            key = client.keys.keys[0]
        if key is None:
            raise _unauthorized("the JWT's key id (kid) is not in the issuer's key set")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=list(ALGORITHMS),
                audience=self.audience or url,
                issuer=issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["iss", "aud", "exp", "iat", "jti"]},
            )
        except jwt.PyJWTError as error:
            raise _unauthorized(f"the JWT was refused: {error}") from None
        self._first_use(str(claims["jti"]), float(claims["exp"]))
        subject = str(claims.get("sub", ""))
        return Principal(client=client.client, roles=client.roles, authenticated_by="jwt", user=subject)

    def _first_use(self, jti: str, expires: float) -> None:
        now = time.time()
        with self._lock:
            if jti in self._seen and self._seen[jti] > now - LEEWAY_SECONDS:
                raise _unauthorized("the JWT's jti was used before (replay)")
            if len(self._seen) >= MAX_REMEMBERED_JTI:
                self._seen = {k: v for k, v in self._seen.items() if v > now - LEEWAY_SECONDS}
                if len(self._seen) >= MAX_REMEMBERED_JTI:
                    raise HttpProblem(503, "transient", "", "too many tokens in flight; retry")
            self._seen[jti] = expires


class AccessReader:
    """The access file as it is on disk now: read again when its modification time changes."""

    def __init__(self, access: AccessFile, path: Path | None) -> None:
        self._access = access
        self._path = path
        self._stamp = self._mtime()

    def _mtime(self) -> int:
        try:
            return self._path.stat().st_mtime_ns if self._path else 0
        except OSError:
            return 0

    def current(self) -> AccessFile:
        stamp = self._mtime()
        if stamp != self._stamp and self._path is not None:
            self._access, self._stamp = AccessFile.load(self._path), stamp
        return self._access


def authenticate(authorization: str, access: AccessFile, verifier: JwtVerifier | None, url: str) -> Principal:
    """The caller behind an ``Authorization`` header; ``HttpProblem`` 401 when there is none or it is invalid."""
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise _unauthorized("credentials required: Authorization: Bearer <rxsafe API key or CDS Hooks JWT>")
    if token.startswith(KEY_PREFIX):
        principal = access.verify_key(token)
        if principal is None:
            raise _unauthorized("the API key is not valid")
        return principal
    if verifier is None:
        raise _unauthorized("this service accepts rxsafe API keys only (no CDS Hooks JWT issuer is configured)")
    return verifier.verify(token, url)


def require_role(principal: Principal, allowed: frozenset[Role], what: str) -> None:
    """``HttpProblem`` 403 unless the caller holds one of the roles."""
    if not principal.roles & allowed:
        needed = ", ".join(sorted(r.value for r in allowed))
        raise HttpProblem(403, "forbidden", "", f"{what} needs the role: {needed}")


def _unauthorized(message: str) -> HttpProblem:
    return HttpProblem(401, "login", "", message)
