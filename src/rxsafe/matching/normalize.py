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

__all__ = [
    "SALT_TOKENS",
    "base_key",
    "base_tokens",
    "fold",
    "key_candidates",
    "key_tokens",
    "match_key",
    "moiety_key",
    "salt_acid_key",
    "salt_only",
]

# One character in, one character out, so positions in the folded text are positions in the original
# (the line parser relies on that to report the brand as written).
_CHAR_MAP = {"đ": "d", "Đ": "d", "µ": "u", "μ": "u", "×": "x", "\u00a0": " "}

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_APOSTROPHE = re.compile(r"['’`]")
_DOUBLE_LETTER = re.compile(r"([a-z])\1+")
_ROMAN = re.compile(r"[ivx]+")
_WATER = re.compile(r"\d*h2o")

# Whole-token synonyms applied after the spelling rules: the Vietnamese word is the canonical form.
_TOKEN_SYNONYMS = {
    "sodium": "natri",
    "disodium": "dinatri",
    "potasium": "kali",  # "potassium" after double letters are simplified
    "calcium": "calci",
    "magnesium": "magnesi",
    "lithium": "lithi",  # Vietnamese drops the -um of element names: Lithi carbonat
    "hcl": "hidroclorid",
    "hbr": "hidrobromid",
    "axit": "acid",
    "acide": "acid",
    "acidum": "acid",
    # The element of a salt or mineral in Vietnamese (kẽm, sắt, nhôm): the Vietnamese word is canonical.
    # "kem" is also "cream"; the line parser tells them apart by the diacritics (see line_parser).
    "zinc": "kem",
    "iron": "sat",
    "aluminium": "nhom",
    "aluminum": "nhom",
    "alumin": "nhom",
}

# Salt, ester and hydrate words (SALT_TOKENS holds them as the spelling rules leave them). Removed only as
# a fallback (see key_candidates, base_key): "natri clorid" is itself an ingredient.
_SALT_WORDS = frozenset(
    {
        "acetat", "anhidrat", "anhidrous", "axetil", "base", "benzoat", "besilat", "bisulfat", "bitartrat",
        "bromid", "butirat", "calci", "carbonat", "cilexetil", "cipionat", "citrat", "clorid", "decanoat",
        "diacetat", "diethylamin", "dihidrat", "dihidroclorid", "dimesilat", "dinatri", "dipropionat",
        "embonat", "enantat", "erbumin", "estolat", "etabonat", "fosfat", "fumarat", "furoat", "gluconat",
        "hemifumarat", "hemihidrat", "hiclat", "hidrat", "hidrobromid", "hidroclorid", "hidrogen", "kali",
        "khan", "lactat", "lysinat", "magnesi", "malat", "maleat", "medoxomil", "meglumin", "mesilat",
        "monohidrat", "mononitrat", "natri", "nitrat", "olamin", "oxalat", "palmitat", "pamoat", "pentahidrat",
        "pivoxil", "propionat", "proxetil", "sesquihidrat", "stearat", "succinat", "sulfat", "tartrat", "tetrahidrat",
        "tosilat", "trihidrat",
        # Vietnamese (French-derived) spellings of the hydrochloride and hydrobromide: "Drotaverin clohydrat".
        "tromethamin", "trometamol", "clohidrat", "clorhidrat", "hidroclorat", "bromhidrat", "dihidroclorat",
        "valerat", "xinafoat",
    }
)  # fmt: skip


# The cation of a salt, written first in Vietnamese (natri valproat, kali clavulanat).
_ELEMENT_TOKENS = frozenset({"calci", "dinatri", "kali", "magnesi", "natri"})


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
    if _WATER.fullmatch(token):
        # "magnesi clorid.6H2O": water of crystallisation, a hydrate like "hexahidrat".
        return "hidrat"
    token = token.replace("ph", "f").replace("chl", "cl").replace("y", "i")
    if len(token) > 2:
        # Not in short tokens: "Vitamin PP" (nicotinamide) is not "Vitamin P" (rutoside).
        token = _DOUBLE_LETTER.sub(r"\1", token)
    # Final -e is dropped in Vietnamese (furosemide -> furosemid, codeine -> codein); short tokens
    # ("e" in "vitamin e") carry meaning and are kept.
    if len(token) > 3 and token.endswith("e"):
        token = token[:-1]
    return _TOKEN_SYNONYMS.get(token, token)


# The salt words as the spelling rules leave them ("succinat" -> "sucinat"), so lists stay readable.
SALT_TOKENS: frozenset[str] = frozenset(_spell(w) for w in _SALT_WORDS)


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

    Trailing salt words go (``amlodipin besilat``), and a leading element word before a non-salt word
    (``natri valproat``). Salt words elsewhere stay: in ``calci carbonat vitamin d`` they name a second
    ingredient, and dropping them would answer vitamin D alone.

    >>> base_tokens("Amlodipine besylate")
    ['amlodipin']
    >>> base_tokens("Natri clorid") is None, base_tokens("Calci carbonat vitamin D") is None
    (True, True)
    """
    tokens = key_tokens(text)
    kept = list(tokens)
    while kept and kept[-1] in SALT_TOKENS:
        kept.pop()
    if len(kept) > 1 and kept[0] in _ELEMENT_TOKENS and kept[1] not in SALT_TOKENS:
        kept = kept[1:]
    if not kept or len(kept) == len(tokens) or any(t in SALT_TOKENS for t in kept):
        return None
    return kept


def base_key(text: str) -> str | None:
    """:func:`base_tokens` as a key: ``base_key("Amlodipin besilat") == match_key("amlodipine")``.

    >>> base_key("Amlodipin besilat")
    'amlodipin'
    """
    kept = base_tokens(text)
    return "".join(kept) if kept else None


# Elements whose salts are named "<element> <anion>"; the element is the salt's active moiety.
_MINERAL_TOKENS = _ELEMENT_TOKENS | {"kem", "sat", "nhom"}


def moiety_key(text: str) -> str | None:
    """The key of the active moiety a salt name names, or None when the name is not a salt of something.

    The base without salt words (``amlodipin besilat`` -> amlodipin), or the element of a mineral salt
    (``kẽm citrat`` -> kẽm, ``kali clorid`` -> kali). Used to tell "the same drug as another salt" from
    "another drug" when resolution is judged; never to resolve a name.

    >>> moiety_key("Zinc citrate"), moiety_key("Potassium chloride"), moiety_key("Arginine hydrochloride")
    ('kem', 'kali', 'arginin')
    >>> moiety_key("Amoxicillin") is None
    True
    """
    base = base_key(text)
    if base:
        return base
    tokens = key_tokens(text)
    if len(tokens) >= 2 and tokens[0] in _MINERAL_TOKENS and all(t in SALT_TOKENS for t in tokens[1:]):
        return tokens[0]
    return None


def key_candidates(text: str) -> list[str]:
    """Keys to try for an exact lookup, most literal first (the knowledge build maps products the same way).

    The whole name; then salt and hydrate words dropped one at a time from the end (``magnesi lactat
    dihidrat`` reaches magnesium lactate before lactate); then every salt word; then the acid a lone salt
    names (``natri valproat`` -> valproic acid).

    >>> key_candidates("Magnesi lactat dihydrat")
    ['magnesilactatdihidrat', 'magnesilactat']
    """
    tokens = key_tokens(text)
    out = ["".join(tokens)]
    trimmed = list(tokens)
    # Never down to a lone salt word: "magnesi lactat" is magnesium lactate, "magnesi" alone is not it.
    while len(trimmed) > 1 and trimmed[-1] in SALT_TOKENS and not (len(trimmed) == 2 and trimmed[0] in SALT_TOKENS):
        trimmed.pop()
        out.append("".join(trimmed))
    base = base_key(text)
    if base:
        out.append(base)
    acid = salt_acid_key(text)
    if acid:
        out.append(acid)
    return [k for i, k in enumerate(out) if k and k not in out[:i]]


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
