"""Split a prescription line into drug names with their strengths, and a bracketed name (usually the brand).

``Amoxicilin 500mg (Hagimox) x 2 viên/lần`` -> names ``[Amoxicilin 500mg]``, bracket ``[Hagimox]``.
Dose and quantity tails, dosage-form and route words and salt clauses (``dưới dạng …``) are removed; the
parser never decides what a name means (the resolver does).

All pattern matching runs on :func:`normalize.fold` text, which keeps character positions, so the names
are reported as the prescriber wrote them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rxsafe.core.models import Strength
from rxsafe.matching.dosage_form import FormFamily, form_families
from rxsafe.matching.normalize import fold
from rxsafe.matching.strength import find_strengths

__all__ = ["NamePart", "ParsedLine", "clean_name", "parse_line"]

# Where the drug ends and the dose/quantity instructions begin; everything from the first hit is dropped.
_TAIL = re.compile(
    r"|".join(
        [
            r"\s[x*]\s*\d",  # x 2 viên/lần, * 2 lần/ngày
            r"\bsl\s*[:.]",  # SL: 10
            r"\bso luong\b",
            r"\bngay\s+\d+\s*lan\b",  # ngày 2 lần
            r"\b\d+\s*lan\s*/\s*ngay\b",
            r"\b\d+(?:[.,]\d+)?\s*(?:vien|goi|ong|giot|nhat|xit|mieng|lo|chai|tuyp)\s*/\s*(?:lan|ngay)\b",
            r"\blieu(?:\s+dung)?\s*:",
            r"\bcach dung\b",
            r"\b(?:sang|trua|chieu|toi)\s*:?\s*\d",
            r"\b(?:uong|dung)\s+(?:sau|truoc|trong|luc|khi|vao)\b",
            r"\bmoi\s+lan\b",
            r"\bhop\s+\d",  # hộp 3 vỉ x 10 viên: the pack, as HIS catalogues print it
        ]
    )
)
_SEGMENT_END = re.compile(r"[+;&]")
_BRACKET = re.compile(r"[(\[]([^)\]]*)(?:[)\]]|$)")
# "dưới dạng Amlodipin besilat" (English: "as citrate") names the salt of the ingredient already named;
# it runs to the next strength, "+", ";" or ",".
_SALT_CLAUSE = re.compile(r"\b(?:duoi dang|dang muoi|tuong duong(?: voi)?|as)\b[^+;,\d]*")
# "+", ";", " / ", "A/B" between names, and a comma that is not a decimal comma ("A 500mg, B 125mg").
# "&" and a "%" that is no strength's (strengths are hidden before the search) stand for "+" in scanned and HIS
# text ("Telmisartan % hydroclorothiazid 40mg+12,5mg").
_SEPARATOR = re.compile(r"[+;&%]|\s/\s|(?<=[a-z])/(?=[a-z]{3})|,(?!\d)|(?<!\d),|\s(?:va|and)\s")
# A label before the ingredients: "Mỗi viên chứa:", "Hỗn hợp … tương đương:", "Thành phần:".
_LABEL = re.compile(r"^[^()\[\]]*\b(?:chua|tuong duong|tuong ung|gom|thanh phan)\s*:\s*")

# Dosage forms, routes and release modifiers (folded). Longest first so "vien nen bao phim" goes whole.
_FORM_WORDS = sorted(
    {
        "vien nen bao phim", "vien nen bao duong", "vien nen dai", "vien nen sui bot", "vien nen phan tan",
        "vien nen nhai", "vien nen", "vien nang cung", "vien nang mem", "vien nang", "vien sui", "vien bao",
        "vien ngam", "vien dat", "vien", "bao phim", "tan trong ruot", "giai phong cham", "giai phong keo dai",
        "tac dung keo dai", "dung dich tiem truyen", "dung dich tiem", "dung dich uong", "dung dich nho mat",
        "dung dich", "hon dich uong", "hon dich", "nhu tuong", "siro", "sirô", "bot pha tiem",
        "bot pha hon dich uong", "bot pha hon dich", "bot dong kho pha tiem", "thuoc bot", "thuoc mo tra mat",
        "thuoc mo", "thuoc nho mat", "thuoc nho mui", "thuoc tiem", "thuoc", "kem boi da", "kem", "gel",
        "goi", "ong", "lo", "chai", "tuyp", "tiem truyen tinh mach", "tiem truyen", "tiem tinh mach",
        "tiem bap", "tiem duoi da", "tiem", "truyen tinh mach", "truyen", "uong", "ngam", "nhai",
        "dat duoi luoi", "dat am dao", "dat hau mon", "nho mat", "nho mui", "nho tai", "xit mui", "xit hong",
        "khi dung", "dang hit", "dung ngoai", "boi ngoai da", "ngoai da", "vien dan", "thuoc dan", "thuoc com",
        "sui bot", "si ro", "xiro", "khong bao", "gelatin cung", "gelatin mem", "thuoc xit", "dinh lieu",
        "thut truc trang", "tablets", "tablet", "tabs", "tab", "inj", "amp", "ampoule", "vial", "fc", "dt", "odt",
        "caplets", "caplet", "capsules", "capsule", "caps", "cap", "film coated", "coated", "injection",
        "infusion", "for injection", "syrup", "suspension", "solution", "oral", "cream", "ointment",
        "eye drops", "drops", "powder", "sachet", "retard", "sr", "xr", "er", "mr", "cr", "iv", "im",
    },
    key=lambda w: (-len(w), w),
)  # fmt: skip
_FORM = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in _FORM_WORDS) + r")\b")
# A number standing alone; one joined to a word by a hyphen is part of a brand ("Stalevo-5" is not
# "Stalevo", "Eslo-20" is not "Eslo").
_BARE_NUMBER = re.compile(r"(?<![a-z0-9.,])(?<![a-z]-)(\d+(?:[.,]\d+)?)(?![a-z0-9.,])")
_LETTERS = re.compile(r"[a-z]")
# A pack count printed after the strength ("60'S", "30's", "100 v"): how many units, not a strength or a name.
_PACK_COUNT = re.compile(r"\b\d+\s*['’]\s*s\b")


@dataclass(frozen=True, slots=True)
class NamePart:
    """One drug name as written, with the strength written next to it (if any)."""

    name: str
    strength: Strength | None = None


@dataclass(frozen=True, slots=True)
class ParsedLine:
    """A line split into names (outside brackets), bracketed names and leftover strengths.

    ``strengths`` holds strengths that could not be paired one-to-one with the names (``Augmentin
    875mg/125mg``: one name, two strengths); the resolver pairs them with a product's ingredients.
    ``forms`` are the routes the line's form words name (``Antalgine gel``: skin), dose text included.
    """

    names: tuple[NamePart, ...]
    bracket: tuple[NamePart, ...] = ()
    strengths: tuple[Strength, ...] = ()
    forms: frozenset[FormFamily] = frozenset()


def _blank(text: str, start: int, end: int) -> str:
    """Replace a span with spaces, keeping positions."""
    return text[:start] + " " * (end - start) + text[end:]


def clean_name(text: str) -> str:
    """A drug name without strengths, form and route words, or bare numbers; original spelling kept.

    >>> clean_name("Hagimox 500 caplet")
    'Hagimox'
    >>> clean_name("Augmentin 500mg/62,5mg For Adults")
    'Augmentin For Adults'
    """
    return _split_segment(text)[0]


def _split_segment(text: str) -> tuple[str, list[Strength]]:
    """A segment's name (as written) and its strengths, in order."""
    folded = fold(text)
    strengths = []
    for span in find_strengths(text):
        strengths.append(span.strength)
        folded = _blank(folded, span.start, span.end)
    for m in reversed(list(_PACK_COUNT.finditer(folded))):
        folded = _blank(folded, m.start(), m.end())
    for m in reversed(list(_FORM.finditer(folded))):
        if "ẽ" not in text[m.start() : m.end()].lower():
            # "kem" is a cream, but "kẽm" is zinc: only the diacritics tell them apart.
            folded = _blank(folded, m.start(), m.end())
    bare = list(_BARE_NUMBER.finditer(folded))
    for m in reversed(bare):
        folded = _blank(folded, m.start(), m.end())
    if not strengths and len(bare) == 1:
        # "Nootryl 800": a number with no unit is still the strength as written.
        strengths.append(Strength(value=float(bare[0][1].replace(",", ".")), unit="", text=bare[0][1]))
    kept = "".join(ch if f != " " else " " for ch, f in zip(text, folded, strict=True))
    # Punctuation left between removed strengths ("500mg/62,5mg") or at the edges ("Levofloxacin*",
    # "- Paracetamol") is not part of the name.
    name = " ".join(t for t in kept.split() if any(c.isalnum() for c in t)).strip(" .,:;-*_/")
    return (name if _LETTERS.search(fold(name)) else ""), strengths


def _parts(text: str) -> tuple[list[NamePart], list[Strength]]:
    """Names with their strengths; strengths that stand alone (``875mg + 125mg``) are paired in order."""
    names: list[tuple[str, list[Strength]]] = []
    loose: list[Strength] = []
    folded = fold(text)
    for span in find_strengths(text):
        # "500mcg/liều" is one strength, not two names: hide strengths from the separator search.
        folded = folded[: span.start] + "#" * (span.end - span.start) + folded[span.end :]
    start = 0
    pieces = []
    for m in _SEPARATOR.finditer(folded):
        pieces.append(text[start : m.start()])
        start = m.end()
    pieces.append(text[start:])
    for piece in pieces:
        name, strengths = _split_segment(piece)
        if name:
            names.append((name, strengths))
        else:
            loose.extend(strengths)
    all_strengths = [s for _, ss in names for s in ss] + loose
    if len(names) > 1 and len(all_strengths) == len(names) and any(len(ss) != 1 for _, ss in names):
        # "Amoxicilin + Acid clavulanic 875mg + 125mg": pair by position.
        return [NamePart(n, s) for (n, _), s in zip(names, all_strengths, strict=True)], []
    parts = [NamePart(n, ss[0] if len(ss) == 1 else None) for n, ss in names]
    leftover = loose + [s for _, ss in names if len(ss) > 1 for s in ss]
    return parts, leftover


def _keep_strengths(text: str, folded: str, start: int, end: int) -> str:
    """Blank ``folded[start:end]`` except the strengths written there."""
    spans = [(start + sp.start, start + sp.end) for sp in find_strengths(text[start:end])]
    cut = start
    for s_start, s_end in spans:
        folded = _blank(folded, cut, s_start)
        cut = s_end
    return _blank(folded, cut, end)


def _segment_has_strength(text: str, start: int, end: int) -> bool:
    """Whether the ingredient around ``text[start:end]`` (up to the nearest "+" or ";") has a strength."""
    before = max(text.rfind("+", 0, start), text.rfind(";", 0, start)) + 1
    after = min([i for i in (text.find("+", end), text.find(";", end)) if i >= 0] or [len(text)])
    return bool(find_strengths(text[before:start]) or find_strengths(text[end:after]))


def parse_line(text: str) -> ParsedLine:
    """Split one prescription line.

    >>> p = parse_line("Amoxicilin 875mg + Acid clavulanic 125mg x 2 viên/lần")
    >>> [(n.name, n.strength.text if n.strength else None) for n in p.names]
    [('Amoxicilin', '875mg'), ('Acid clavulanic', '125mg')]
    >>> [n.name for n in parse_line("Amoxicilin 500mg (Hagimox)").bracket]
    ['Hagimox']
    """
    forms = form_families(text)
    folded = fold(text)
    tail = _TAIL.search(folded)
    if tail:
        text, folded = text[: tail.start()], folded[: tail.start()]
    label = _LABEL.match(folded)
    if label:
        folded = _blank(folded, 0, label.end())

    brackets = list(_BRACKET.finditer(folded))
    named = [m for m in brackets if not _SALT_CLAUSE.match(m[1].strip()) and _LETTERS.search(m[1])]
    if named and not _SEGMENT_END.search(folded, named[-1].end()):
        # "Paracetamol 150mg (Biragan 150) Thuốc đạn": after the brand comes the form or route, never a
        # drug name; only a strength there still counts ("Amoxicilin (Hagimox) 500mg").
        folded = _keep_strengths(text, folded, named[-1].end(), len(folded))
    bracket_texts: list[str] = []
    for m in reversed(brackets):
        inner = folded[m.start(1) : m.end(1)]
        if not _SALT_CLAUSE.match(inner.strip()):
            bracket_texts.insert(0, text[m.start(1) : m.end(1)])
        elif find_strengths(text[m.start(1) : m.end(1)]) and not _segment_has_strength(text, m.start(), m.end()):
            # "Amoxicilin (dưới dạng trihydrat 500mg)": the last strength inside still belongs to the line;
            # the rest of the clause ("+ dạng vi hạt 8,5%") does not.
            spans = find_strengths(text[m.start(1) : m.end(1)])
            folded = _blank(folded, m.start(), m.start(1) + spans[-1].start)
            folded = _blank(folded, m.start(1) + spans[-1].end, m.end())
            continue
        folded = _blank(folded, m.start(), m.end())
    for m in reversed(list(_SALT_CLAUSE.finditer(folded))):
        folded = _blank(folded, m.start(), m.end())
    main = "".join(ch if f != " " else " " for ch, f in zip(text, folded, strict=True))

    names, leftover = _parts(main)
    bracket: list[NamePart] = []
    for inner in bracket_texts:
        inner_names, inner_left = _parts(inner)
        bracket.extend(inner_names)
        if not names and not inner_names:
            leftover.extend(inner_left)
        elif not inner_names and inner_left:
            # "Paracetamol (500mg)": a bracket holding only a strength.
            leftover.extend(inner_left)
    return ParsedLine(names=tuple(names), bracket=tuple(bracket), strengths=tuple(leftover), forms=forms)
