"""Match keys: Vietnamese, English and French drug names reduced to one canonical spelling.

Both the vocabulary (at load) and the input (per request) go through :func:`match_key`, so an exact
dictionary lookup tolerates the spelling conventions of the Vietnamese pharmacopoeia
(``Amoxicilin``/``amoxicillin``, ``Cefuroxim``/``cefuroxime``, ``Acid clavulanic``/``clavulanic acid``,
``Kali clorid``/``potassium chloride``). Keys are for matching only; display text keeps the original.

The rules are deliberately symmetric string rewrites (applied to both sides), not a translation table:
a rewrite can merge two names only if they differ by the rewritten detail alone, which the
vocabulary checks at load (a key that maps to two ingredients is reported as ambiguous, never guessed).
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["SALT_TOKENS", "base_key", "base_tokens", "fold", "key_tokens", "match_key", "salt_acid_key", "salt_only"]

# One character in, one character out, so positions in the folded text are positions in the original
# (the line parser relies on that to report the brand as written).
_CHAR_MAP = {"đ": "d", "Đ": "d", "µ": "u", "μ": "u", "×": "x", "\u00a0": " "}

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_APOSTROPHE = re.compile(r"['’`]")
_DOUBLE_LETTER = re.compile(r"([a-z])\1+")
_ROMAN = re.compile(r"[ivx]+")

# Whole-token synonyms applied after the spelling rules: the Vietnamese word is the canonical form.
_TOKEN_SYNONYMS = {
    "sodium": "natri",
    "disodium": "dinatri",
    "potasium": "kali",  # "potassium" after double letters are simplified
    "calcium": "calci",
    "magnesium": "magnesi",
    "hcl": "hidroclorid",
    "axit": "acid",
    "acide": "acid",
    "acidum": "acid",
}

# Salt, ester and hydrate words, as they read after the rules (e.g. "hydrochloride" -> "hidroclorid").
# Removed only as a fallback (see base_key): "natri clorid" is itself an ingredient.
SALT_TOKENS: frozenset[str] = frozenset(
    {
        "acetat", "anhidrous", "anhidrat", "axetil", "besilat", "bisulfat", "bitartrat", "bromid",
        "calci", "carbonat", "citrat", "clorid", "dihidrat", "dihidroclorid", "dinatri", "dipropionat",
        "estolat", "etabonat", "fosfat", "fumarat", "gluconat", "hemihidrat", "hiclat", "hidrat",
        "hidrobromid", "hidroclorid", "kali", "lactat", "magnesi", "maleat", "meglumin", "mesilat",
        "monohidrat", "natri", "nitrat", "pivoxil", "propionat", "proxetil", "sesquihidrat", "stearat",
        "succinat", "sulfat", "tartrat", "tosilat", "trihidrat", "valerat",
    }
)  # fmt: skip


def fold(text: str) -> str:
    """Lower-case and strip Vietnamese diacritics, keeping every character's position.

    >>> fold("Amoxicilin dưới dạng Đường 5µg")
    'amoxicilin duoi dang duong 5ug'
    """
    out = []
    for ch in text:
        mapped = _CHAR_MAP.get(ch)
        if mapped is None:
            # NFD splits a letter from its diacritics; the base letter comes first.
            mapped = unicodedata.normalize("NFD", ch)[0].lower()[:1] or " "
        out.append(mapped)
    return "".join(out)


def _spell(token: str) -> str:
    """Apply the VI/INN spelling rules to one folded token."""
    if token.isdigit() or _ROMAN.fullmatch(token):
        # Numbers and roman numerals ("factor vii" / "factor viii") are identifiers, not spellings.
        return token
    token = token.replace("ph", "f").replace("chl", "cl").replace("y", "i")
    token = _DOUBLE_LETTER.sub(r"\1", token)
    # Final -e is dropped in Vietnamese (furosemide -> furosemid, codeine -> codein); short tokens
    # ("e" in "vitamin e") carry meaning and are kept.
    if len(token) > 3 and token.endswith("e"):
        token = token[:-1]
    return _TOKEN_SYNONYMS.get(token, token)


def key_tokens(text: str) -> list[str]:
    """The canonical tokens of a name, with "acid" moved last (``acid valproic`` -> valproic acid).

    >>> key_tokens("Acid acetylsalicylic")
    ['acetilsalicilic', 'acid']
    """
    folded = _APOSTROPHE.sub("", fold(text))
    tokens = [_spell(t) for t in _NON_ALNUM.split(folded) if t]
    if "acid" in tokens and tokens[-1] != "acid":
        tokens = [t for t in tokens if t != "acid"] + ["acid"]
    return tokens


def match_key(text: str) -> str:
    """The canonical match key of a drug name: spelling rules applied, spaces and punctuation removed.

    Spaces are dropped so that "Methyl prednisolon" and "methylprednisolone" meet.

    >>> match_key("Amoxicillin") == match_key("Amoxicilin")
    True
    >>> match_key("Acid clavulanic") == match_key("clavulanic acid")
    True
    >>> match_key("Kali clorid") == match_key("potassium chloride")
    True
    """
    return "".join(key_tokens(text))


def base_tokens(text: str) -> list[str] | None:
    """The key tokens without salt, ester and hydrate words, or None if there are none or nothing else is left.

    >>> base_tokens("Amlodipine besylate")
    ['amlodipin']
    >>> base_tokens("Natri clorid") is None
    True
    """
    tokens = key_tokens(text)
    kept = [t for t in tokens if t not in SALT_TOKENS]
    if not kept or len(kept) == len(tokens):
        return None
    return kept


def base_key(text: str) -> str | None:
    """:func:`base_tokens` as a key: ``base_key("Amlodipin besilat") == match_key("amlodipine")``.

    >>> base_key("Amlodipin besilat")
    'amlodipin'
    """
    kept = base_tokens(text)
    return "".join(kept) if kept else None


def salt_only(tokens: list[str]) -> bool:
    """True when every token is a salt word (``kali clorid``).

    Such names are matched exactly, never fuzzily: two salts differ by one short word (potassium
    lactate / potassium acetate).

    >>> salt_only(key_tokens("Kali clorid")), salt_only(key_tokens("Kali clavulanat"))
    (True, False)
    """
    return all(t in SALT_TOKENS for t in tokens)


def salt_acid_key(text: str) -> str | None:
    """The acid a salt name stands for: ``kali clavulanat`` -> clavulanic acid, ``natri valproat``.

    Only for a single remaining word ending in -at (-ate); None otherwise.

    >>> salt_acid_key("Natri valproat") == match_key("valproic acid")
    True
    """
    kept = [t for t in key_tokens(text) if t not in SALT_TOKENS]
    if len(kept) != 1 or not kept[0].endswith("at") or len(kept[0]) < 6:
        return None
    return kept[0][:-2] + "icacid"
