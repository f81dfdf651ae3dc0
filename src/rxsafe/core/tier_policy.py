"""The facility's tier rules and suppression list: part of the policy, versioned, named in every report.

The rules decide which conflicts a prescriber sees first (``rxsafe.core.tiers``); the suppression list is the
drug and therapeutics committee's reviewed demotions (a rule or a drug pair, who approved it, when and why).
Defaults and their reasons: knowledge/SEVERITY.md §Display tiers.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rxsafe.core.enums import ConflictKind, DisplayTier, Severity


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _default_review_kinds() -> tuple[ConflictKind, ...]:
    # Moderate findings about this patient (a duplicate, a dose, the kidneys, a pregnancy, a diagnosis) are worth a
    # look; AGE's moderate findings are STOPP criteria that hold for every older patient on the drug (screening
    # material for a medication review), and OMISSION is START: both collapse.
    return (
        ConflictKind.ALLERGY,
        ConflictKind.DUPLICATE_THERAPY,
        ConflictKind.DOSE,
        ConflictKind.RENAL,
        ConflictKind.PREGNANCY,
        ConflictKind.DRUG_DISEASE,
    )


class TierRules(_Frozen):
    """When a non-interruptive conflict is ``review`` rather than ``info``.

    Contraindicated and major are always at least ``review``; minor is ``info`` unless it interrupts. A moderate
    interaction is ``review`` when its evidence is solid: an official source grades it moderate or higher, or
    ``min_sources`` independent sources do and one of them gives a mechanism or management text, or
    ``min_sources_without_text`` independent sources do.
    """

    name: str = "rxsafe-default"
    version: int = 1
    official_suffices: bool = True
    min_sources: int = Field(default=2, ge=1)
    needs_text: bool = True
    min_sources_without_text: int = Field(default=3, ge=1)
    # Kinds other than INTERACTION whose moderate findings are ``review`` (the rest are ``info``).
    moderate_review_kinds: tuple[ConflictKind, ...] = Field(default_factory=_default_review_kinds)


class Suppression(_Frozen):
    """One committee decision: conflicts of this rule (or this drug pair) are shown no higher than ``to``.

    Never below ``review`` for contraindicated or major, and never for a conflict that interrupts (to stop an
    interruption, change the policy's ``interrupt_at``): a suppression lowers what is shown, not what blocks.
    """

    kind: ConflictKind = ConflictKind.INTERACTION
    rule_id: str = ""
    drugs: tuple[str, ...] = ()
    to: DisplayTier = DisplayTier.INFO
    approved_by: str = Field(min_length=1)
    approved_on: date
    reason: str = Field(min_length=1)

    @model_validator(mode="after")
    def _names_what(self) -> Suppression:
        if not self.rule_id and len(self.drugs) < 2:
            raise ValueError("a suppression names a rule_id or at least two drugs")
        if self.to is DisplayTier.ACT:
            raise ValueError("a suppression demotes: 'to' is review or info")
        return self

    def matches(self, kind: ConflictKind, drugs: tuple[str, ...], rule_ids: frozenset[str]) -> bool:
        """Whether the entry is about this conflict."""
        if kind is not self.kind:
            return False
        if self.rule_id:
            return self.rule_id in rule_ids
        return tuple(sorted(self.drugs)) == drugs

    def describe(self, number: int, version: int) -> str:
        """One line for the report: ``suppression list v3 #1: <what> → info; approved by … on …: <reason>``."""
        what = self.rule_id or " + ".join(sorted(self.drugs))
        return (
            f"suppression list v{version} #{number}: {what} → {self.to.value}; approved by {self.approved_by} "
            f"on {self.approved_on.isoformat()}: {self.reason}"
        )


class SuppressionList(_Frozen):
    """The reviewed demotions, versioned as a whole (the version goes up with every change)."""

    version: int = 0
    reviewed_on: date | None = None
    entries: tuple[Suppression, ...] = ()

    def find(
        self, kind: ConflictKind, drugs: tuple[str, ...], rule_ids: frozenset[str]
    ) -> tuple[int, Suppression] | None:
        """The first entry about the conflict, with its 1-based number."""
        return next(((n, s) for n, s in enumerate(self.entries, start=1) if s.matches(kind, drugs, rule_ids)), None)


# A conflict of this severity or higher is never shown as ``info``, whatever the rules or the suppressions say.
REVIEW_FLOOR = Severity.MAJOR
