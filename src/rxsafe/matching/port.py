"""The resolver's contract, as the application layer uses it."""

from __future__ import annotations

from typing import Protocol

from rxsafe.core.models import PrescriptionLine, Resolution, ResolvedAllergen


class Resolver(Protocol):
    def resolve_line(self, line: PrescriptionLine) -> Resolution:
        """A prescription line (text plus optional structured fields) to its ingredients, or why not."""
        ...

    def resolve_text(self, text: str) -> Resolution:
        """Free drug text (a recorded medication) to its ingredients, or why not."""
        ...

    def resolve_allergen(self, text: str) -> ResolvedAllergen:
        """Allergy text to an ingredient, a drug class, a non-drug allergen, or UNRESOLVED."""
        ...
