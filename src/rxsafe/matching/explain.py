"""``rxsafe names resolve TEXT …``: what each text resolves to, how, and why not (the pharmacist's look-up)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rxsafe.core.enums import AllergenKind, ResolutionStatus
from rxsafe.core.models import PrescriptionLine, Resolution, ResolvedAllergen
from rxsafe.matching.resolver import NameResolver
from rxsafe.matching.vocabulary import load_vocabulary

__all__ = ["explain_allergen", "explain_line", "resolve_command"]


def _status(res: Resolution) -> str:
    return "PARTIAL" if res.partial else res.status.value


def explain_line(text: str, res: Resolution) -> dict[str, Any]:
    """One prescription text's resolution as plain data (the ``--json`` object)."""
    why = ""
    if res.status is ResolutionStatus.UNRESOLVED:
        why = res.product or "no ingredient, brand, family or code matched exactly, and no near match was safe"
    elif res.status is ResolutionStatus.AMBIGUOUS:
        why = "several drugs fit: " + "; ".join(res.candidates)
    return {
        "text": text,
        "status": _status(res),
        "ingredients": [
            {"inn": i.inn, "vi_name": i.vi_name, "strength": i.strength.text if i.strength else ""}
            for i in res.ingredients
        ],
        "method": res.method.value,
        "score": res.score,
        "product": res.product if res.status is not ResolutionStatus.UNRESOLVED else "",
        "candidates": list(res.candidates),
        "unidentified": list(res.unidentified),
        "ignored": list(res.ignored),
        "code_note": res.code_note,
        "why_not": why,
    }


def explain_allergen(text: str, res: ResolvedAllergen) -> dict[str, Any]:
    """One allergy text's resolution as plain data."""
    return {
        "text": text,
        "kind": res.kind.value,
        "concept": res.concept,
        "components": list(res.components),
        "label": res.label,
        "method": res.method.value,
        "why_not": res.label if res.kind is AllergenKind.UNRESOLVED else "",
    }


def _line_text(d: dict[str, Any]) -> str:
    parts = [f"{d['text']!r}: {d['status']}"]
    if d["ingredients"]:
        parts.append(" + ".join(f"{i['inn']} {i['strength']}".strip() for i in d["ingredients"]))
        parts.append(f"by {d['method']}" + (f" ({d['product']})" if d["product"] else ""))
    for label in ("unidentified", "ignored", "candidates"):
        if d[label]:
            parts.append(f"{label}: " + "; ".join(d[label]))
    if d["code_note"]:
        parts.append(d["code_note"])
    if d["why_not"]:
        parts.append(f"why not: {d['why_not']}")
    return "  ".join(parts[:1]) + " — " + "; ".join(parts[1:]) if len(parts) > 1 else parts[0]


def resolve_command(
    knowledge: Path, texts: Sequence[str], code: str = "", allergy: bool = False, as_json: bool = False
) -> str:
    """The text ``rxsafe names resolve`` prints: one line (or JSON object) per text."""
    resolver = NameResolver(load_vocabulary(knowledge))
    out: list[str] = []
    for text in texts:
        if allergy:
            data = explain_allergen(text, resolver.resolve_allergen(text))
            shown = (
                json.dumps(data, ensure_ascii=False)
                if as_json
                else (
                    f"{text!r}: {data['kind']} {data['concept']}"
                    + (f" (components: {' + '.join(data['components'])})" if data["components"] else "")
                    + (f" by {data['method']}" if data["method"] != "none" else "")
                    + (f" — why not: {data['why_not']}" if data["why_not"] else "")
                )
            )
        else:
            res = resolver.resolve_line(PrescriptionLine(text=text, national_drug_code=code))
            data = explain_line(text, res)
            shown = json.dumps(data, ensure_ascii=False) if as_json else _line_text(data)
        out.append(shown)
    return "\n".join(out)
