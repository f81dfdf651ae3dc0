"""Who is acting: the calling system, the user it names and the purpose it declares (for the audit trail)."""

from __future__ import annotations

import getpass

from pydantic import BaseModel, ConfigDict


class Actor(BaseModel):
    """The caller of a use case, as the audit trail records it."""

    model_config = ConfigDict(frozen=True)

    client: str
    user: str
    roles: tuple[str, ...] = ()
    purpose: str = "treatment"


def local_actor(purpose: str = "treatment") -> Actor:
    """The person running the CLI in-process: the operating-system user on this machine."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        user = "unknown"
    return Actor(client="rxsafe CLI (in-process)", user=user, purpose=purpose)
