"""Which language a text is written in, so untranslated source text is shown as a quotation in its own language.

The knowledge carries texts as its sources wrote them: Vietnamese (QĐ 5948), English (DDInter, FDA), French
(the ANSM thesaurus), Korean (the DUR lists). A report is in one language; a text that is not in it is quoted
source text, marked with its real language (``lang`` attribute in HTML), never labelled as the other report
language. The guess uses scripts and letters first (Hangul; Vietnamese letters such as ă, đ, ơ, ư, ạ, ế) and
then French letters and function words; short ambiguous text counts as English (drug names, INNs).
"""

from __future__ import annotations

import re

# Letters only Vietnamese uses (among the languages here): ă â đ ơ ư and the stacked tone marks U+1EA0–U+1EF9.
_VIETNAMESE = re.compile(r"[ăĂđĐơƠưƯ\u1ea0-\u1ef9]")
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")
_FRENCH_LETTERS = re.compile(r"[éèêëàâçœùûîïÉÈÊÀÇŒ]")
_FRENCH_WORDS = re.compile(
    r"\b(?:le|la|les|des|du|de|avec|par|pour|une|et|ou|est|sont|risque|association|contre-indiqu\w*|"
    r"précaution|déconseillée|surveillance)\b|\b[ld]'",
    re.IGNORECASE,
)

LANGUAGE_NAMES: dict[str, tuple[str, str]] = {
    "vi": ("tiếng Việt", "Vietnamese"),
    "en": ("tiếng Anh", "English"),
    "fr": ("tiếng Pháp", "French"),
    "ko": ("tiếng Hàn", "Korean"),
}


def text_language(text: str) -> str:
    """The language of ``text``: "vi", "ko", "fr" or "en" (a best guess from its letters and words).

    >>> text_language("Tăng nguy cơ chảy máu"), text_language("Risque hémorragique majoré")
    ('vi', 'fr')
    >>> text_language("병용금기"), text_language("Increased bleeding risk")
    ('ko', 'en')
    """
    if _HANGUL.search(text):
        return "ko"
    if _VIETNAMESE.search(text):
        return "vi"
    if _FRENCH_LETTERS.search(text) or len(_FRENCH_WORDS.findall(text)) >= 2:
        return "fr"
    return "en"


def language_name(code: str, report_lang: str) -> str:
    """The language's name in the report's language ("tiếng Pháp", "French")."""
    vi, en = LANGUAGE_NAMES.get(code, (code, code))
    return vi if report_lang == "vi" else en
