"""Dosage-form families: what route a written form word ("gel", "thuốc tiêm", "viên nén") belongs to.

Used for one decision only: a brand written with a form that none of its known products has is a
different product than the one we know ("Antalgine gel" is diclofenac + menthol + methyl salicylate;
the "Antalgine" we know is a diclofenac injection). Such a line is not resolved through the brand.

Generic oral words ("viên", "tab", "nang") count only when no more specific route is written, so
"viên nén đặt âm đạo" is vaginal, not oral; an explicit "uống" / "oral" always counts.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from enum import StrEnum

from rxsafe.matching.normalize import fold

__all__ = ["FormFamily", "form_families", "forms_contradict"]


class FormFamily(StrEnum):
    ORAL = "oral"
    INJECTION = "injection"
    SKIN = "skin"
    EYE = "eye"
    NOSE = "nose"
    EAR = "ear"
    INHALED = "inhaled"
    VAGINAL_RECTAL = "vaginal or rectal"


def _words(*words: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(words) + r")\b")


# Folded text (no diacritics, lower case). "kem" (cream) is told from "kẽm" (zinc) before folding.
_VAGINAL_RECTAL = ("am dao", "phu khoa", "vien dan", "thuoc dan", "supp", "truc trang", "hau mon", "suppository")
_SKIN = ("gel", "kem", "cream", "ointment", "thuoc mo", "mo boi", "boi", "ngoai da", "dung ngoai", "mieng dan",
         "qua da", "lotion", "patch")  # fmt: skip
_SPECIFIC: tuple[tuple[FormFamily, re.Pattern[str]], ...] = (
    (FormFamily.INJECTION, _words("tiem", "tiem truyen", "truyen tinh mach", "inj", "injection", "infusion")),
    (FormFamily.EYE, _words("nho mat", "tra mat", "eye drops", "eye")),
    (FormFamily.NOSE, _words("nho mui", "xit mui", "nasal")),
    (FormFamily.EAR, _words("nho tai", "ear drops")),
    (FormFamily.INHALED, _words("inhal", "khi dung", "hit", "turbohaler", "inhaler")),
    (FormFamily.VAGINAL_RECTAL, _words(*_VAGINAL_RECTAL)),
    (FormFamily.SKIN, _words(*_SKIN)),
    (FormFamily.ORAL, _words("uong", "oral")),
)
_ORAL_WORDS = ("vien", "nang", "tab", "tabs", "tablet", "tablets", "caps", "capsule", "capsules", "caplet", "siro",
               "si ro", "xiro", "syrup", "sachet", "sachets", "nhai", "ngam", "sui", "com", "granules",
               "mixt")  # fmt: skip
_GENERIC_ORAL = _words(*_ORAL_WORDS)
_ZINC = re.compile(r"kẽm", re.IGNORECASE)


@functools.lru_cache(maxsize=4096)  # products' forms repeat (559 distinct in 4,431 products): read each once
def form_families(text: str) -> frozenset[FormFamily]:
    """The routes the form words in ``text`` name; empty when it names none (or only "dung dịch", "bột").

    >>> sorted(form_families("Antalgine gel")), sorted(form_families("Thuốc tiêm"))
    (['skin'], ['injection'])
    >>> sorted(form_families("Viên nén đặt âm đạo")), sorted(form_families("Viên nén bao phim"))
    (['vaginal or rectal'], ['oral'])
    >>> form_families("Kẽm gluconat 70mg"), form_families("Dung dịch")
    (frozenset(), frozenset())
    """
    folded = fold(_ZINC.sub("zn", text))
    found = frozenset(family for family, pattern in _SPECIFIC if pattern.search(folded))
    if not found and _GENERIC_ORAL.search(folded):
        return frozenset({FormFamily.ORAL})
    return found


def forms_contradict(written: frozenset[FormFamily], known_forms: Iterable[str]) -> bool:
    """True when the written routes share nothing with the known products' routes, all of them known.

    A product whose form names no route ("Dung dịch", blank) could be anything, so it contradicts nothing.

    >>> forms_contradict(frozenset({FormFamily.SKIN}), ["Thuốc tiêm"])
    True
    >>> forms_contradict(frozenset({FormFamily.SKIN}), ["Thuốc tiêm", ""])
    False
    """
    if not written:
        return False
    known: set[FormFamily] = set()
    for form in known_forms:
        families = form_families(form)
        if not families:
            return False
        known |= families
    return bool(known) and not (written & known)
