"""Reading knowledge/evidence_strength.tsv's ``support`` cells back into models (written by build/evidence.py)."""

from __future__ import annotations

from rxsafe.core.enums import EvidenceSourceKind, Severity
from rxsafe.core.models import EvidenceStrength, SourceSupport

LIST_SEPARATOR = " | "


def parse_support(cell: str) -> tuple[SourceSupport, ...]:
    """``source;family;kind;level;severity;text`` entries, `` | ``-separated; an empty severity is ungraded."""
    entries = []
    for item in cell.split(LIST_SEPARATOR) if cell else ():
        source, family, kind, level, severity, text = [*item.split(";"), "", "", "", "", ""][:6]
        entries.append(
            SourceSupport(
                source=source,
                family=family or source,
                kind=EvidenceSourceKind(kind) if kind else EvidenceSourceKind.CURATED,
                level=level,
                severity=Severity[severity.upper()] if severity else None,
                has_text=text == "1",
            )
        )
    return tuple(entries)


def strength_of(support: str, has_mechanism: str, has_management: str) -> EvidenceStrength:
    """One rule's strength from its table cells."""
    return EvidenceStrength(
        support=parse_support(support), has_mechanism=has_mechanism == "1", has_management=has_management == "1"
    )
