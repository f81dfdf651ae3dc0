"""Facility policy: which conflicts interrupt (block until overridden) and which only warn.

Interruptive is a policy on top of severity, not a second scale (design §Knowledge base). The default
interrupts only at formulary level 4 (contraindicated / nguy hiểm), because alerts that interrupt for
everything teach prescribers to click through all of them.
"""

from __future__ import annotations

import hashlib
from functools import cached_property

from pydantic import BaseModel, ConfigDict, Field

from rxsafe.core.enums import ConflictKind, Severity
from rxsafe.core.tier_policy import SuppressionList, TierRules


def _default_interrupts() -> dict[ConflictKind, Severity]:
    return {kind: Severity.CONTRAINDICATED for kind in ConflictKind if kind is not ConflictKind.OMISSION}


class Policy(BaseModel):
    """A named, versioned facility policy.

    >>> Policy().is_interruptive(ConflictKind.INTERACTION, Severity.MAJOR)
    False
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = "rxsafe-default"
    version: int = 1
    # The lowest severity that interrupts, per conflict kind.
    interrupt_at: dict[ConflictKind, Severity] = Field(
        # Every kind interrupts at contraindicated only; an omission (START) never interrupts.
        default_factory=_default_interrupts
    )
    # START omissions (a drug indicated and absent) are information for a medication review: off by default.
    start_omissions: bool = False
    # Days after a recorded medication's end during which it still counts (long half-lives, late refills).
    lookback_days: int = 60
    # ATC groups whose members are routinely given together (fluids and electrolytes, vitamins, mineral
    # supplements): two of them are not reported as duplicate therapy. A policy choice, not a clinical fact.
    duplicate_class_exemptions: tuple[str, ...] = ("atc:A11", "atc:A12", "atc:B05", "atc:V")
    # Which roles may override an interruptive conflict of each severity. By default a pharmacist may not
    # override a contraindication: only the prescriber who takes responsibility for the prescription may.
    override_roles: dict[Severity, tuple[str, ...]] = Field(
        default_factory=lambda: {
            Severity.CONTRAINDICATED: ("prescriber",),
            Severity.MAJOR: ("prescriber", "pharmacist"),
            Severity.MODERATE: ("prescriber", "pharmacist"),
            Severity.MINOR: ("prescriber", "pharmacist"),
        }
    )

    # What is shown first (issue 18): the tier rules' thresholds and the committee's suppression list.
    tiers: TierRules = TierRules()
    suppressions: SuppressionList = SuppressionList()

    def may_override(self, severity: Severity, roles: tuple[str, ...]) -> bool:
        """Whether a caller with these roles may override a conflict of this severity."""
        return bool(set(self.override_roles.get(severity, ())) & set(roles))

    def is_interruptive(self, kind: ConflictKind, severity: Severity) -> bool:
        threshold = self.interrupt_at.get(kind)
        return threshold is not None and severity >= threshold

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}"

    @property
    def tier_label(self) -> str:
        """The tier rules and suppression list that shaped a report: ``tiers rxsafe-default v1; suppressions v0``."""
        entries = len(self.suppressions.entries)
        reviewed = f", reviewed {self.suppressions.reviewed_on.isoformat()}" if self.suppressions.reviewed_on else ""
        return (
            f"tiers {self.tiers.name} v{self.tiers.version}; suppressions v{self.suppressions.version} "
            f"({entries} entr{'y' if entries == 1 else 'ies'}{reviewed})"
        )

    @cached_property
    def fingerprint(self) -> str:
        """First 12 hex digits of the SHA-256 of the whole policy: two files with one version still differ."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:12]

    def describe(self) -> str:
        """The policy for the audit trail: its label, the tier label and the fingerprint."""
        return f"{self.label}; {self.tier_label}; {self.fingerprint}"
