"""CDS Hooks feedback: what the user did with each card (accepted, or overridden with a coded reason), recorded.

Each entry is written to the hash-chained audit trail (action ``cds_feedback``: who, which patient as a pseudonym,
``<check id>/<conflict id>``, ``overridden:<REASON>``) as a commit's override is, and counted in the metrics and
in ``rxsafe report alerts``. The user's free-text comment stays in the EMR: the audit trail carries no free text.
Every entry is checked before anything is written, so a bad entry writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from rxsafe.app.actor import Actor
from rxsafe.app.service import SafetyService
from rxsafe.core.enums import OverrideReason
from rxsafe.core.errors import InvalidRequest, Unavailable
from rxsafe.core.models import StoredCheck
from rxsafe.ehr.audit import AuditAction, AuditEvent
from rxsafe.ehr.store import RecordStore
from rxsafe.http.cards import NOTICE_BASE, OVERRIDE_SYSTEM, CardReference, card_reference
from rxsafe.http.metrics import CdsMetrics

ACCEPTED = "accepted"
OVERRIDDEN = "overridden"
MAX_ENTRIES = 100


@runtime_checkable
class CardLookup(Protocol):
    """What the record store must offer for feedback: check ids in a range (``DuckDBRecordStore`` does)."""

    def check_ids_between(self, low: str, high: str, limit: int = 2) -> list[str]: ...


@dataclass(frozen=True)
class FeedbackEntry:
    card: str
    outcome: str
    reason: OverrideReason | None
    at: str


@dataclass(frozen=True)
class Recorded:
    """One feedback entry, found and ready to write."""

    event: AuditEvent
    outcome: str
    reason: str
    kind: str
    severity: str


def parse_feedback(body: Any) -> tuple[FeedbackEntry, ...]:
    """Reads ``{"feedback": [...]}``; ``InvalidRequest`` names the first bad element."""
    if not isinstance(body, dict) or not isinstance(body.get("feedback"), list) or not body["feedback"]:
        raise InvalidRequest("feedback", "required: a non-empty list of feedback entries")
    entries = body["feedback"]
    if len(entries) > MAX_ENTRIES:
        raise InvalidRequest("feedback", f"at most {MAX_ENTRIES} entries per call")
    return tuple(_entry(e, f"feedback[{i}]") for i, e in enumerate(entries))


def _entry(raw: Any, at: str) -> FeedbackEntry:
    if not isinstance(raw, dict):
        raise InvalidRequest(at, "must be a JSON object")
    card = raw.get("card")
    if not isinstance(card, str) or card_reference(card) is None:
        raise InvalidRequest(f"{at}.card", "must be the uuid of a card rxsafe answered")
    outcome = raw.get("outcome")
    if outcome not in (ACCEPTED, OVERRIDDEN):
        raise InvalidRequest(f"{at}.outcome", "must be 'accepted' or 'overridden'")
    timestamp = raw.get("outcomeTimestamp")
    if not isinstance(timestamp, str) or len(timestamp) < 10:
        raise InvalidRequest(f"{at}.outcomeTimestamp", "required: an ISO 8601 instant")
    reason: OverrideReason | None = None
    override = raw.get("overrideReason")
    if override is not None:
        if outcome != OVERRIDDEN:
            raise InvalidRequest(f"{at}.overrideReason", "only for the outcome 'overridden'")
        reason = _reason(override, f"{at}.overrideReason")
    return FeedbackEntry(card=card, outcome=outcome, reason=reason, at=timestamp[:64])


def _reason(override: Any, at: str) -> OverrideReason | None:
    if not isinstance(override, dict):
        raise InvalidRequest(at, "must be a JSON object with reason (a Coding)")
    coding = override.get("reason")
    if coding is None:
        return None  # a comment alone: overridden, without a coded reason
    if not isinstance(coding, Mapping):
        raise InvalidRequest(f"{at}.reason", "must be a Coding")
    if coding.get("system", OVERRIDE_SYSTEM) != OVERRIDE_SYSTEM:
        raise InvalidRequest(f"{at}.reason.system", f"must be {OVERRIDE_SYSTEM} (the card's overrideReasons)")
    try:
        return OverrideReason(str(coding.get("code", "")))
    except ValueError:
        allowed = ", ".join(r.value for r in OverrideReason)
        raise InvalidRequest(f"{at}.reason.code", f"must be one of {allowed}") from None


def record_feedback(
    service: SafetyService, entries: tuple[FeedbackEntry, ...], actor: Actor, metrics: CdsMetrics
) -> int:
    """Finds every entry's card, then writes one audit row per entry; returns how many were written."""
    store = service.store
    if store is None:
        raise Unavailable("no record store is configured: feedback cannot be recorded")
    if not isinstance(store, CardLookup):
        raise Unavailable("this record store cannot look CDS cards up (check_ids_between)")
    found = [_find(service, store, entry, actor, f"feedback[{i}]") for i, entry in enumerate(entries)]
    for item in found:
        store.record_audit(item.event)
        metrics.record_feedback(item.outcome, item.reason, item.kind, item.severity)
    return len(found)


def _find(service: SafetyService, lookup: CardLookup, entry: FeedbackEntry, actor: Actor, at: str) -> Recorded:
    ref = card_reference(entry.card)
    if ref is None:  # parse_feedback lets only decodable card ids through
        raise InvalidRequest(f"{at}.card", "must be the uuid of a card rxsafe answered")
    stored = _check(service.store, lookup, ref, f"{at}.card")
    report = stored.report
    kind, severity, subject = "notice", "", f"{report.check_id}/card-{ref.position:04x}"
    allowed = True
    if ref.position < NOTICE_BASE:
        if ref.position >= len(report.conflicts):
            raise InvalidRequest(f"{at}.card", "the check holds no such card")
        conflict = report.conflicts[ref.position]
        kind, severity, subject = conflict.kind.value, conflict.severity.name, f"{report.check_id}/{conflict.id}"
        allowed = not conflict.interruptive or service.policy.may_override(conflict.severity, actor.roles)
    reason = entry.reason.value if entry.reason else "none"
    outcome = entry.outcome if entry.outcome == ACCEPTED else f"{OVERRIDDEN}:{reason}"
    if entry.outcome == OVERRIDDEN and not allowed:
        # The EMR let someone override whom the facility policy does not allow: recorded, and marked as such.
        outcome += ":role-not-allowed"
    event = AuditEvent(
        at=service.clock().isoformat(timespec="seconds"),
        client=actor.client,
        user=actor.user,
        roles=",".join(actor.roles),
        purpose=actor.purpose,
        action=AuditAction.CDS_FEEDBACK,
        patient_id=report.patient_id,
        subject=subject,
        outcome=outcome,
    )
    return Recorded(event, entry.outcome, reason if entry.outcome == OVERRIDDEN else "", kind, severity)


def _check(store: RecordStore | None, lookup: CardLookup, ref: CardReference, at: str) -> StoredCheck:
    ids = lookup.check_ids_between(ref.check_id_prefix + "0000", ref.check_id_prefix + "ffff")
    if len(ids) != 1 or store is None:
        raise InvalidRequest(at, "no check (or more than one) answered with this card")
    stored = store.get_check(ids[0])
    if stored is None:
        raise InvalidRequest(at, "the card's check is no longer stored")
    return stored
