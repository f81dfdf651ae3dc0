"""A conflict report as CDS Hooks 2.0 cards: one card per conflict to act on or review, the rest collapsed.

Indicator by display tier: ``act`` (interruptive under the facility policy) → critical, ``review`` → warning,
``info`` → one collapsed info card that lists them (never dropped). What could not be verified (an unresolved
line, an unrecorded allergy history) gets a warning card of its own: no cards must never mean "not checked".

``suggestions`` are never sent: no source in the knowledge base gives a structured alternative (their management
advice is prose, shown in ``detail``), and a suggestion rxsafe made up would be an invented clinical fact.

Card ids carry their check, so feedback finds the conflict without any extra write when the cards are answered:
the check id is ``chk-`` and a UUID4 in hex; a card's UUID keeps its first 112 bits (with version 8, "custom",
in place of the constant 4) and puts the card's position in the last 16 (``card_uuid``, ``card_reference``).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rxsafe.app.caching import BoundedCache
from rxsafe.core.enums import ConflictKind, DisplayTier, NoticeKind, OverrideReason
from rxsafe.core.models import Conflict, ConflictReport, LocalizedText, Notice
from rxsafe.memo import IdentityMemo
from rxsafe.report.i18n import Lang, kind_label, notice_label, override_label, severity_label

SUMMARY_MAX = 139  # CDS Hooks: a summary of fewer than 140 characters
OVERRIDE_SYSTEM = "urn:rxsafe:override-reason"
KIND_SYSTEM = "urn:rxsafe:conflict-kind"
EXTENSION = "vn.rxsafe"
# Card positions: a conflict's own index in the report; notices after 0x8000; the two collapsed cards last.
NOTICE_BASE = 0x8000
NOTICES_CARD = 0xFFFE
INFO_CARD = 0xFFFF
_CHECK_ID = re.compile(r"chk-([0-9a-f]{12})4([0-9a-f]{19})$")
# Notices that leave part of the prescription unchecked: each is a warning card of its own.
_WARNING_NOTICES = frozenset(
    {
        NoticeKind.UNRESOLVED_LINE,
        NoticeKind.AMBIGUOUS_LINE,
        NoticeKind.ALLERGY_STATUS_UNKNOWN,
        NoticeKind.UNRESOLVED_ALLERGY,
        NoticeKind.UNRESOLVED_MEDICATION,
        NoticeKind.NOT_COVERED,
    }
)
# Reasons that only make sense for some kinds of conflict; every other reason is offered on every card.
_REASON_KINDS: dict[OverrideReason, frozenset[ConflictKind]] = {
    OverrideReason.ALLERGY_HISTORY_DOUBTFUL: frozenset({ConflictKind.ALLERGY}),
    OverrideReason.DOSE_ADJUSTED: frozenset({ConflictKind.DOSE, ConflictKind.RENAL, ConflictKind.AGE}),
}


def card_tier(conflict: Conflict) -> DisplayTier:
    """The conflict's display tier (issue 18: set by the engine from severity, evidence and the facility policy)."""
    return conflict.tier


_INDICATOR = {"act": "critical", "review": "warning", "info": "info"}


def indicator(tier: DisplayTier) -> str:
    """The CDS Hooks indicator for a tier (by the tier's name, so issue 18's enum maps the same way)."""
    return _INDICATOR[tier.name.lower()]


def card_uuid(check_id: str, position: int) -> str:
    """The UUID of the card at ``position`` of the answer to ``check_id`` (see the module docstring)."""
    match = _CHECK_ID.match(check_id)
    if match is None:
        # Not a check id this scheme can carry: a plain name-based UUID (its feedback will not be found).
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:rxsafe:{check_id}/{position}"))
    return str(uuid.UUID(hex=f"{match.group(1)}8{match.group(2)[:15]}{position:04x}"))


@dataclass(frozen=True)
class CardReference:
    """What a card UUID points at: the start of its check's id (all but 16 bits) and the card's position."""

    check_id_prefix: str
    position: int


def card_reference(card: str) -> CardReference | None:
    """The check and position a card UUID came from, or None if rxsafe did not make it."""
    try:
        value = uuid.UUID(card.removeprefix("urn:uuid:"))
    except ValueError:
        return None
    if value.version != 8:
        return None
    hex_ = value.hex
    return CardReference(f"chk-{hex_[:12]}4{hex_[13:28]}", int(hex_[28:], 16))


# --- the answer ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardsAnswer:
    """The JSON answer, and what it held (for the metrics)."""

    body: dict[str, Any]
    indicators: tuple[str, ...]


@dataclass(frozen=True)
class CardsTemplate:
    """The cards of a result, without what changes with every check made on it (the check id, the card UUIDs)."""

    cards: tuple[tuple[int, dict[str, Any]], ...]
    extension: dict[str, Any]

    @property
    def indicators(self) -> tuple[str, ...]:
        return tuple(str(card["indicator"]) for _, card in self.cards)


def cards_template(report: ConflictReport, order_refs: Sequence[str], lang: Lang) -> CardsTemplate:
    """Each card with its position (which its UUID carries), and the ``vn.rxsafe`` extension without the check id."""
    cards: list[tuple[int, dict[str, Any]]] = []
    tiers = [(i, c, card_tier(c)) for i, c in enumerate(report.conflicts)]
    for wanted in (DisplayTier.ACT, DisplayTier.REVIEW):
        cards.extend(
            (i, _conflict_card(report, c, t, order_refs=order_refs, lang=lang)) for i, c, t in tiers if t is wanted
        )
    quiet: list[Notice] = []
    for i, notice in enumerate(report.notices):
        if notice.kind in _WARNING_NOTICES:
            cards.append((NOTICE_BASE + i, _notice_card(report, notice, order_refs, lang)))
        else:
            quiet.append(notice)
    info = [c for _, c, t in tiers if t is DisplayTier.INFO]
    if info:
        cards.append((INFO_CARD, _info_card(report, info, lang)))
    if quiet:
        cards.append((NOTICES_CARD, _quiet_notices_card(report, quiet, lang)))
    extension = {
        "verdict": report.verdict.value,
        "knowledgeVersion": report.knowledge_version,
        "policy": report.policy,
        "conflicts": [
            {
                "id": c.id,
                "kind": c.kind.value,
                "severity": c.severity.name,
                "interruptive": c.interruptive,
                "tier": t.value,
                "orders": _refs(c.line_indexes, order_refs),
            }
            for _, c, t in tiers
        ],
    }
    return CardsTemplate(tuple(cards), extension)


def cards_response(report: ConflictReport, order_refs: Sequence[str], lang: Lang) -> CardsAnswer:
    """The CDS Hooks response for a check: cards, and the check itself in the ``vn.rxsafe`` extension."""
    template = cards_template(report, order_refs, lang)
    cards = [{"uuid": card_uuid(report.check_id, n), **card} for n, card in template.cards]
    extension = {"checkId": report.check_id, **template.extension}
    return CardsAnswer({"cards": cards, "extension": {EXTENSION: extension}}, template.indicators)


@dataclass(frozen=True)
class _Encoded:
    notices: tuple[Notice, ...]
    cards: tuple[tuple[int, str], ...]
    extension: str
    indicators: tuple[str, ...]


class CardsEncoder:
    """The response as JSON bytes, its cards encoded once per memoised result.

    A check answered from the service's result memo shares the result's conflicts (the same tuple object); its
    cards differ only in their UUIDs and the check id, which are spliced into the encoded text.
    """

    def __init__(self) -> None:
        # Per conflicts tuple (RESULT_MEMO_SIZE results are memoised): the encodings by what else shapes the cards.
        self._memo: IdentityMemo[tuple[Conflict, ...], BoundedCache[Hashable, _Encoded]] = IdentityMemo(
            lambda _: BoundedCache(8), maxsize=64
        )

    def encode(
        self, report: ConflictReport, order_refs: Sequence[str], lang: Lang, extra: Mapping[str, Any] | None = None
    ) -> tuple[bytes, tuple[str, ...]]:
        """The response body and the indicators of its cards; ``extra`` adds keys to the ``vn.rxsafe`` extension."""
        key = (
            # By identity (checked on a hit below): hashing every notice model costs more than the lookup saves.
            id(report.notices),
            report.verdict,
            report.knowledge_version,
            report.policy,
            tuple(order_refs),
            lang,
            json.dumps(extra, sort_keys=True) if extra else "",
        )
        encodings = self._memo(report.conflicts)
        encoded = encodings.get(key)
        if encoded is None or encoded.notices is not report.notices:
            template = cards_template(report, order_refs, lang)
            encoded = _Encoded(
                report.notices,
                tuple((n, _json(card)[1:]) for n, card in template.cards),
                _json({**template.extension, **(extra or {})})[1:],
                template.indicators,
            )
            encodings.put(key, encoded)
        cards = ",".join(f'{{"uuid":"{card_uuid(report.check_id, n)}",{rest}' for n, rest in encoded.cards)
        body = (
            f'{{"cards":[{cards}],"extension":{{"{EXTENSION}":{{"checkId":"{report.check_id}",{encoded.extension}}}}}'
        )
        return body.encode("utf-8"), encoded.indicators


def _json(value: Mapping[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _conflict_card(
    report: ConflictReport, c: Conflict, tier: DisplayTier, *, order_refs: Sequence[str], lang: Lang
) -> dict[str, Any]:
    title = _pick(c.title, lang) or kind_label(c.kind, lang)
    detail: list[str] = []
    for label, text in (
        ("", c.detail),
        (("Cơ chế", "Mechanism"), c.mechanism),
        (("Hậu quả", "Consequence"), c.consequence),
        (("Xử trí", "Management"), c.management),
    ):
        value = _pick(text, lang)
        if value:
            detail.append(f"**{_one(label, lang)}:** {value}" if label else value)
    if c.record_entries:
        detail.append(_one(("**Trong hồ sơ:**", "**In the record:**"), lang))
        for e in c.record_entries:
            when = f" ({e.start_date.isoformat()})" if e.start_date else ""
            detail.append(f"- {e.text}{when}" + (f" — {e.window_text}" if e.window_text else ""))
    detail.append(_one(("**Bằng chứng:**", "**Evidence:**"), lang))
    for ev in c.evidence:
        extra = ", ".join(x for x in (ev.reference, ev.source_level, ev.via) if x)
        detail.append(f"- {ev.source}" + (f" ({extra})" if extra else ""))
    if not c.evidence:
        detail.append("- " + _one(("không có", "none given"), lang))
    detail.append(_footer(report, lang))
    sources = "; ".join(dict.fromkeys(e.source for e in c.evidence))
    source: dict[str, Any] = {
        "label": _clip(f"rxsafe {report.knowledge_version}" + (f" — {sources}" if sources else "")),
        "topic": {"system": KIND_SYSTEM, "code": c.kind.value, "display": kind_label(c.kind, lang)},
    }
    url = next((e.reference for e in c.evidence if e.reference.startswith(("https://", "http://"))), "")
    if url:
        source["url"] = url
    return {
        "summary": _clip(f"{severity_label(c.severity, lang)}: {title}"),
        "indicator": indicator(tier),
        "detail": "\n\n".join(detail),
        "source": source,
        "overrideReasons": [
            {"system": OVERRIDE_SYSTEM, "code": r.value, "display": override_label(r, lang)} for r in _reasons(c.kind)
        ],
        "extension": {
            EXTENSION: {
                "conflictId": c.id,
                "kind": c.kind.value,
                "severity": c.severity.name,
                "interruptive": c.interruptive,
                "tier": tier.value,
                "orders": _refs(c.line_indexes, order_refs),
            }
        },
    }


def _notice_card(report: ConflictReport, n: Notice, order_refs: Sequence[str], lang: Lang) -> dict[str, Any]:
    what = notice_label(n.kind, lang)
    message = _pick(n.message, lang)
    orders = _refs((n.line_index,), order_refs) if n.line_index >= 0 else []
    return {
        "summary": _clip(f"{what}: {message}" if message else what),
        "indicator": "warning",
        "detail": "\n\n".join(x for x in (message, _footer(report, lang)) if x),
        "source": {"label": _clip(f"rxsafe {report.knowledge_version}")},
        "extension": {EXTENSION: {"notice": n.kind.value, "orders": orders}},
    }


def _info_card(report: ConflictReport, conflicts: Iterable[Conflict], lang: Lang) -> dict[str, Any]:
    listed = list(conflicts)
    rows = [f"- {severity_label(c.severity, lang)}: {_pick(c.title, lang) or kind_label(c.kind, lang)}" for c in listed]
    count = len(listed)
    return {
        "summary": _clip(_one((f"{count} cảnh báo để tham khảo", f"{count} finding(s) for information"), lang)),
        "indicator": "info",
        "detail": "\n".join(rows) + "\n\n" + _footer(report, lang),
        "source": {"label": _clip(f"rxsafe {report.knowledge_version}")},
        "extension": {EXTENSION: {"conflictIds": [c.id for c in listed]}},
    }


def _quiet_notices_card(report: ConflictReport, notices: Sequence[Notice], lang: Lang) -> dict[str, Any]:
    rows = [f"- {notice_label(n.kind, lang)}: {_pick(n.message, lang)}" for n in notices]
    return {
        "summary": _clip(
            _one((f"{len(notices)} ghi chú về phạm vi kiểm tra", f"{len(notices)} note(s) on what was checked"), lang)
        ),
        "indicator": "info",
        "detail": "\n".join(rows) + "\n\n" + _footer(report, lang),
        "source": {"label": _clip(f"rxsafe {report.knowledge_version}")},
        "extension": {EXTENSION: {"notices": [n.kind.value for n in notices]}},
    }


def _reasons(kind: ConflictKind) -> list[OverrideReason]:
    return [r for r in OverrideReason if kind in _REASON_KINDS.get(r, frozenset({kind}))]


def _refs(indexes: Iterable[int], order_refs: Sequence[str]) -> list[str]:
    return [order_refs[i] for i in indexes if 0 <= i < len(order_refs)]


def _footer(report: ConflictReport, lang: Lang) -> str:
    knowledge = _one(("Cơ sở tri thức", "Knowledge"), lang)
    policy = _one(("chính sách", "policy"), lang)
    return f"_{knowledge} {report.knowledge_version}; {policy} {report.policy}_"


def _pick(text: LocalizedText, lang: Lang) -> str:
    first, second = (text.vi, text.en) if lang == "vi" else (text.en, text.vi)
    return first or second


def _one(pair: tuple[str, str] | str, lang: Lang) -> str:
    if isinstance(pair, str):
        return pair
    return pair[0] if lang == "vi" else pair[1]


def _clip(text: str, limit: int = SUMMARY_MAX) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
