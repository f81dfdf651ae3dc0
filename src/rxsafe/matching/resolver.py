"""``NameResolver``: prescription lines and allergy text to knowledge-base concepts (the Resolver port).

Order of evidence, strongest first: a registration number; an exact name (INN, Vietnamese spelling,
synonym) on the normalised key; an exact brand; then a fuzzy fallback that prefers "cannot verify"
to a guess. A wrong match is worse than none: an unresolved line is reported, a wrong one silently
checks the wrong drug. Every result says how it was reached (``method``, ``score``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from rxsafe.core.enums import AllergenKind, MatchMethod, ResolutionStatus
from rxsafe.core.models import PrescriptionLine, Resolution, ResolvedAllergen, ResolvedIngredient, Strength
from rxsafe.matching.dosage_form import FormFamily, forms_contradict
from rxsafe.matching.fuzzy import ALLERGY_POLICY, NAME_POLICY, FuzzyPolicy
from rxsafe.matching.line_parser import NamePart, ParsedLine, clean_name, parse_line
from rxsafe.matching.normalize import base_tokens, fold, key_candidates, key_tokens, match_key, salt_only
from rxsafe.matching.strength import find_strengths
from rxsafe.matching.vocabulary import INSURANCE_CODE, TIER_WEAK, Product, Vocabulary, registration_key

__all__ = ["NATIONAL_CODE_NOT_MAPPABLE", "NameResolver"]

# Reported in Resolution.product (the model has no reason field) when only a national drug code was given.
NATIONAL_CODE_NOT_MAPPABLE = "national drug code not mappable: no DMDC table"

_RESOLVED, _AMBIGUOUS, _UNRESOLVED = ResolutionStatus.RESOLVED, ResolutionStatus.AMBIGUOUS, ResolutionStatus.UNRESOLVED
# Weakest first: a line made of several parts reports its weakest evidence.
_METHOD_ORDER = (
    MatchMethod.FUZZY,
    MatchMethod.BRAND,
    MatchMethod.SYNONYM,
    MatchMethod.VI_SPELLING,
    MatchMethod.EXACT_INN,
    MatchMethod.REGISTRATION_NUMBER,
)
_EXACT = 100.0

# Allergy text: leading words that say "allergy to", "the group of", "the drug" (folded).
_ALLERGY_LEAD = re.compile(
    r"^(?:di ung(?: voi)?|tien su di ung|nhom|thuoc|khang sinh|hoat chat|cac|loai|voi|allergy to|allergic to"
    r"|allergy|allergies|hypersensitivity to|class|group)\b[\s:,.-]*"
)
_ALLERGY_UNKNOWN = re.compile(r"\b(?:khong ro|chua ro|khong nho|khong biet|chua xac dinh|unknown|not known)\b")
_ALLERGY_NONE = re.compile(r"^(?:khong|khong co|none|no|nil|nkda|khong di ung)$")
_ALLERGY_TAIL = re.compile(r"\s(?:-|:)\s|[(\[]")
_ALLERGY_LIST = re.compile(r"[,;+/]|\bva\b|\band\b")
# A pack or volume printed after the strength ("x5ml", "15ML", "lọ15ml", "60liều", "(0,3%+0,1%)x5ml"): how
# much is in the pack, never a drug name.
_PACK_TOKEN = re.compile(
    r"^[(\[]?(?:x|lo|chai|ong|tuyp|hop)?[\d.,/^%+()x-]*\d[\d.,/^%+()x-]*"
    r"(?:ml|l|g|mg|mcg|cfu|lieu|vien|lo|chai|ong|goi|tuyp|x|/)*[)\]]?$"
)
# A strength glued to a name by a hyphen ("Cefuroxim-500", "NOVOXIM-500"): read without it when the whole
# name matches nothing.
_GLUED_NUMBER = re.compile(r"^(?P<name>.*[^\W\d_])\s*-\s*(?P<number>\d+(?:[.,]\d+)?)$")


@dataclass(frozen=True, slots=True)
class _Match:
    """What one name matched: ingredients (directly or via a brand's products), or why not."""

    status: ResolutionStatus
    inns: tuple[str, ...] = ()
    method: MatchMethod = MatchMethod.NONE
    score: float = 0.0
    candidates: tuple[str, ...] = ()
    products: tuple[Product, ...] = ()
    # Only a DrugBank synonym gave this name (see NameEntry.tiers): a Vietnamese brand of that name wins.
    weak: bool = False
    # Issue 15: what the name holds that was not identified, and words read as manufacturer/country/pack.
    unidentified: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()

    @property
    def via_brand(self) -> bool:
        return bool(self.products)


_NO_MATCH = _Match(_UNRESOLVED)


def _weakest(methods: Sequence[MatchMethod]) -> MatchMethod:
    return min(methods, key=lambda m: _METHOD_ORDER.index(m) if m in _METHOD_ORDER else -1)


class NameResolver:
    """Resolves drug and allergy text against a :class:`Vocabulary`; implements ``matching.port.Resolver``.

    >>> resolver = NameResolver(load_vocabulary(Path("knowledge")))  # doctest: +SKIP
    >>> r = resolver.resolve_text("Amoxicilin 500mg (Hagimox)")  # doctest: +SKIP
    >>> r.status, r.ingredients[0].inn, r.ingredients[0].strength.value, r.product  # doctest: +SKIP
    (<ResolutionStatus.RESOLVED: 'RESOLVED'>, 'amoxicillin', 500.0, 'Hagimox')
    """

    def __init__(self, vocabulary: Vocabulary) -> None:
        self._v = vocabulary
        # Per product group of the vocabulary (its tuples live as long as it does): the label to report and the
        # strengths its products have, made once; a brand can have dozens of products across the sources.
        self._labels: dict[int, tuple[tuple[Product, ...], str]] = {}
        self._known: dict[int, tuple[tuple[Product, ...], frozenset[float]]] = {}

    def _label(self, products: tuple[Product, ...]) -> str:
        held = self._labels.get(id(products))
        if held is None or held[0] is not products:
            held = (products, _product_label(products))
            self._labels[id(products)] = held
        return held[1]

    def _known_strengths(self, products: tuple[Product, ...]) -> frozenset[float]:
        held = self._known.get(id(products))
        if held is None or held[0] is not products:
            held = (products, known_strengths(products))
            self._known[id(products)] = held
        return held[1]

    # --- prescription lines -----------------------------------------------------------------------------

    def resolve_line(self, line: PrescriptionLine) -> Resolution:
        """A line by registration number and text (:meth:`_resolve_line`), then its insurance code, if any."""
        res = self._resolve_line(line)
        code = line.national_drug_code.strip()
        if INSURANCE_CODE.match(code):
            return self._with_insurance_code(res, code, has_text=bool(line.text.strip()))
        return res

    def _with_insurance_code(self, res: Resolution, code: str, has_text: bool) -> Resolution:
        """The insurance active-ingredient code (XML 130 MA_THUOC "40.227"), matched with the name where given.

        The code's row number shifts by a few rows between circulars (Thông tư 30/2018 → 20/2022), so a name
        that resolved is never overridden: the code confirms it, or the disagreement is stated. A line with no
        name resolves by the code when the sources list one composition for it; an unknown code is stated.
        """
        products = self._v.insurance_codes.get(code, ())
        compositions = sorted({tuple(sorted(p.ingredients)) for p in products})
        if not compositions:
            return res.model_copy(update={"code_note": f"insurance code {code}: no source lists it"})
        if res.status is _RESOLVED:
            moiety = self._v.moiety
            got = {moiety(i.inn) for i in res.ingredients}
            if any({moiety(i) for i in c} == got for c in compositions):
                return res
            listed = "; ".join(" + ".join(c) for c in compositions)
            return res.model_copy(update={"code_note": f"insurance code {code} lists {listed}, not this line's drug"})
        if has_text and res.status is _AMBIGUOUS:
            # The code picks among the name's candidates only when exactly one composition fits.
            fits = [c for c in compositions if " + ".join(c) in res.candidates]
            compositions = fits or compositions
            if len(fits) != 1:
                return res
        if len(compositions) != 1:
            return Resolution(status=_AMBIGUOUS, method=MatchMethod.INSURANCE_CODE,
                              candidates=tuple(" + ".join(c) for c in compositions))  # fmt: skip
        return Resolution(
            status=_RESOLVED,
            ingredients=self._ingredients(compositions[0], None, ()),
            method=MatchMethod.INSURANCE_CODE,
            score=_EXACT,
            product=f"insurance code {code}",
            # A name that could not be read is still said to be unchecked.
            unidentified=("name not identified; resolved by the insurance code alone",) if has_text else (),
        )

    def _resolve_line(self, line: PrescriptionLine) -> Resolution:
        """A line: its registration number first (if known), checked against its text.

        The national drug code (MA_THUOC) is not used: no DMDC table maps it. A line with only that code
        is UNRESOLVED with :data:`NATIONAL_CODE_NOT_MAPPABLE` as the reason.

        A registration number that names other ingredients than the text is AMBIGUOUS, never silently
        preferred: one of the two is wrong and a person must say which.
        """
        text_res = self.resolve_text(line.text) if line.text.strip() else None
        product = self._v.registrations.get(registration_key(line.registration_number))
        if product is None:
            if text_res is None and line.national_drug_code.strip():
                # The MoH active-ingredient code (MA_THUOC, "40.229") needs the DMDC catalogue, which no
                # source provides; a guess from the code's shape would be a wrong match waiting to happen.
                return Resolution(status=_UNRESOLVED, product=NATIONAL_CODE_NOT_MAPPABLE)
            return text_res or Resolution(status=_UNRESOLVED)
        parsed = parse_line(line.text)
        strengths = parsed.strengths or tuple(p.strength for p in parsed.names if p.strength)
        by_reg = Resolution(
            status=_RESOLVED,
            ingredients=self._ingredients(product.ingredients, None, strengths),
            method=MatchMethod.REGISTRATION_NUMBER,
            score=_EXACT,
            product=product.brand,
        )
        if text_res is None or text_res.status is not _RESOLVED:
            return by_reg
        if {i.inn for i in text_res.ingredients} == set(product.ingredients):
            return text_res.model_copy(update={"product": product.brand})
        return Resolution(
            status=_AMBIGUOUS,
            method=MatchMethod.REGISTRATION_NUMBER,
            candidates=tuple(sorted({i.inn for i in text_res.ingredients} | set(product.ingredients))),
            product=product.brand,
        )

    def resolve_text(self, text: str) -> Resolution:  # noqa: PLR0911 -- one answer per reading, in order
        """Free drug text: ``"Amoxicilin 875mg + Acid clavulanic 125mg"``, ``"Augmentin 625mg"``.

        The names outside brackets are the line's drug; a bracketed name is usually the brand. When the
        line names ingredients and a brand, the ingredients as written win and the brand is the product.
        """
        parsed = parse_line(text)
        outside = self._group(parsed.names, parsed) if parsed.names else None
        inside = self._group(parsed.bracket, parsed) if parsed.bracket else None
        written = (*(p.strength for p in (*parsed.names, *parsed.bracket) if p.strength), *parsed.strengths)

        if (
            outside
            and outside[0].unidentified
            and inside
            and inside[0].status is _RESOLVED
            and not inside[0].unidentified
            and set(outside[0].inns) <= set(inside[0].inns)
        ):
            # "Amoxicilin 500mg + Xyz (Augmentin)": the bracketed brand accounts for the whole line.
            return self._resolution(inside[0], inside[1], inside[0].products, written)
        if outside and outside[0].status is _RESOLVED and not outside[0].via_brand:
            brand = inside[0].products if inside and inside[0].status is _RESOLVED else ()
            return self._resolution(outside[0], outside[1], brand)
        if inside and inside[0].status is _RESOLVED and not inside[0].via_brand:
            # "Hagimox 500mg (Amoxicilin)": the ingredient is in brackets, the strength outside them.
            if not any(p.strength for p in parsed.bracket):
                loose = tuple(p.strength for p in parsed.names if p.strength) + parsed.strengths
                inside = self._group(parsed.bracket, ParsedLine(names=(), strengths=loose))
            brand = outside[0].products if outside and outside[0].status is _RESOLVED else ()
            return self._resolution(inside[0], inside[1], brand)
        if outside and outside[0].status is _RESOLVED:
            return self._resolution(outside[0], outside[1], outside[0].products, written)
        if outside is None and inside and inside[0].status is _RESOLVED:
            return self._resolution(inside[0], inside[1], inside[0].products, written)
        # The written drug name could not be read; a bracketed brand alone does not vouch for it.
        failed = outside or inside
        if failed is None:
            return Resolution(status=_UNRESOLVED)
        return Resolution(status=failed[0].status, method=failed[0].method, score=failed[0].score,
                          candidates=failed[0].candidates)  # fmt: skip

    def _resolution(
        self,
        match: _Match,
        ingredients: tuple[ResolvedIngredient, ...],
        products: tuple[Product, ...],
        written: Sequence[Strength] = (),
    ) -> Resolution:
        unidentified = match.unidentified
        if match.via_brand:
            odd = strength_not_known(self._known_strengths(match.products), written)
            if odd:
                # "Klacid 1000mg" when only 250 and 500 mg are registered: not silently taken for them.
                unidentified = (*unidentified, f"strength {odd}: no known product of this brand has it")
        return Resolution(
            status=_RESOLVED,
            ingredients=ingredients,
            method=match.method,
            score=match.score,
            product=self._label(products),
            unidentified=unidentified,
            ignored=match.ignored,
        )

    def _group(self, parts: Sequence[NamePart], parsed: ParsedLine) -> tuple[_Match, tuple[ResolvedIngredient, ...]]:
        """Names joined by "+": RESOLVED only if every one resolves."""
        matches = [self._match_name(p.name, parsed.forms) for p in parts]
        status = _RESOLVED
        unidentified = tuple(u for m in matches for u in m.unidentified)
        if any(m.status is _AMBIGUOUS for m in matches):
            status = _AMBIGUOUS
        elif all(m.status is _UNRESOLVED for m in matches):
            status = _UNRESOLVED
        elif any(m.status is _UNRESOLVED for m in matches):
            # "Paracetamol 500mg + Xyzzy 10mg": the checks run on paracetamol; the line says Xyzzy was not
            # identified (PARTIAL on the wire, never a clean pass).
            failed = [p.name for p, m in zip(parts, matches, strict=True) if m.status is _UNRESOLVED]
            # A pack or volume cut off by a separator ("0,3%x5ml") is not a drug that went unidentified.
            unidentified += tuple(n for n in failed if not _PACK_TOKEN.match(fold(n).replace(" ", "")))
            matches = [m for m in matches if m.status is _RESOLVED]
            parts = [p for p, m in zip(parts, [self._match_name(p.name, parsed.forms) for p in parts], strict=True)
                     if m.status is _RESOLVED]  # fmt: skip
        candidates = tuple(c for m in matches for c in m.candidates)
        methods = [m.method for m in matches]
        combined = _Match(
            status=status,
            inns=tuple(i for m in matches for i in m.inns),
            method=_weakest(methods) if status is _RESOLVED else MatchMethod.NONE,
            score=min(m.score for m in matches) if status is _RESOLVED else 0.0,
            candidates=candidates if status is _AMBIGUOUS else (),
            products=matches[0].products if len(matches) == 1 and not unidentified else (),
            unidentified=unidentified if status is _RESOLVED else (),
            ignored=tuple(i for m in matches for i in m.ignored),
        )
        if status is not _RESOLVED:
            return combined, ()
        ingredients: list[ResolvedIngredient] = []
        seen: set[str] = set()
        for part, m in zip(parts, matches, strict=True):
            for ing in self._ingredients(m.inns, part.strength, parsed.strengths):
                if ing.inn not in seen:
                    seen.add(ing.inn)
                    ingredients.append(ing)
        return combined, tuple(ingredients)

    def _ingredients(
        self, inns: Sequence[str], strength: Strength | None, loose: Sequence[Strength | None]
    ) -> tuple[ResolvedIngredient, ...]:
        """The resolved ingredients with their strengths attached.

        One ingredient takes its strength; n ingredients take n loose strengths in order
        (``Augmentin 875mg/125mg``); a single total (``Augmentin 625mg``) attaches to none.
        """
        strengths: list[Strength | None]
        if len(inns) == 1:
            strengths = [strength or (loose[0] if len(loose) == 1 else None)]
        elif strength is None and len(loose) == len(inns):
            strengths = list(loose)
        else:
            strengths = [None] * len(inns)
        out = []
        for inn, s in zip(inns, strengths, strict=True):
            ing = self._v.ingredients[inn]
            out.append(ResolvedIngredient(inn=inn, vi_name=ing.vi_name, strength=s, atc_codes=ing.atc_codes))
        return tuple(out)

    # --- one name ---------------------------------------------------------------------------------------

    def _match_name(self, name: str, forms: frozenset[FormFamily] = frozenset()) -> _Match:
        """One drug name: exact ingredient, exact brand (in a form it is known in), then fuzzy ingredient."""
        key = match_key(name)
        if not key:
            return _NO_MATCH
        exact = self._exact_ingredient(name, key)
        if exact is None or exact.weak:
            # "Transamin" is a foreign brand of tranylcypromine in DrugBank's synonyms and the Vietnamese
            # brand of tranexamic acid: the Vietnamese product table is the stronger evidence here.
            brand = self._exact_brand(name, key, forms)
            if brand is None and exact is not None:
                # Also when the Vietnamese products carry a suffix ("Transamin Capsules" only): the family.
                brand = self._family(key, forms)
            if brand is not None and (exact is None or brand.status is _RESOLVED):
                return brand
        if exact is not None:
            return exact
        reread = self._reread(name, forms)
        if reread is not None:
            return reread
        # Brands are never matched fuzzily: Vietnamese brands one letter apart are routinely different
        # drugs, and on the labelled set every fuzzy brand match of an unknown brand was a wrong drug.
        return self._fuzzy_name(name, NAME_POLICY) or self._leading_ingredient(name) or _NO_MATCH

    def _exact_name(self, name: str, forms: frozenset[FormFamily]) -> _Match | None:
        """An exact ingredient (not only a DrugBank synonym) or an exact brand; None unless RESOLVED."""
        key = match_key(name)
        if not key:
            return None
        exact = self._exact_ingredient(name, key)
        if exact is not None and exact.status is _RESOLVED and not exact.weak:
            return exact
        brand = self._exact_brand(name, key, forms)
        if brand is not None and brand.status is _RESOLVED:
            return brand
        return None

    def _reread(self, name: str, forms: frozenset[FormFamily]) -> _Match | None:
        """General re-readings of a name that matched nothing exactly (issue 15), each still an exact match.

        A strength glued to the name ("Cefuroxim-500"); manufacturer or country words around it ("Ondansetron
        Kabi", "Cefuroxim Ấn Độ"; the words come from the product sources' manufacturer columns); a brand
        written without its product's suffix, when every product of that family holds the same ingredients.
        """
        glued = _GLUED_NUMBER.match(name)
        if glued:
            # Only an ingredient: a brand with a number is another product ("Stalevo-5" is not Stalevo).
            head = glued["name"]
            found = self._exact_ingredient(head, match_key(head))
            if found is not None and found.status is _RESOLVED and not found.weak:
                return found
        words = name.split()
        kept, dropped = self._without_maker_words(words)
        if dropped and kept:
            found = self._exact_name(" ".join(kept), forms) or self._family(match_key(" ".join(kept)), forms)
            if found is not None:
                return replace(found, ignored=(*found.ignored, *dropped))
        return self._family(match_key(name), forms)

    def _without_maker_words(self, words: list[str]) -> tuple[list[str], list[str]]:
        """The words without the manufacturer and country words at their end (two-word countries too)."""
        makers = self._v.manufacturer_words
        kept = list(words)
        dropped: list[str] = []
        while len(kept) > 1:
            pair = fold(" ".join(kept[-2:])) if len(kept) > 2 else ""
            if pair in makers:
                dropped[:0] = kept[-2:]
                kept = kept[:-2]
            elif fold(kept[-1]).strip(" .,-\"'") in makers or _PACK_TOKEN.match(fold(kept[-1])):
                dropped.insert(0, kept.pop())
            else:
                break
        return kept, dropped

    def _family(self, key: str, forms: frozenset[FormFamily]) -> _Match | None:
        """A brand written without its product's suffix ("Nexium" of "Nexium Mups"), by its family's products.

        RESOLVED (method brand_family) when every product of the family holds the same ingredients; AMBIGUOUS
        with the compositions when they differ; None when no family has this name or the form contradicts.
        """
        products = self._v.families.get(key, ()) if key else ()
        if not products or forms_contradict(forms, (p.dosage_form for p in products)):
            return None
        if not all(_presentation_suffix(p.brand) for p in products):
            # "Bakidol" when only "Bakidol Extra" is known: a suffix that may change the composition (Extra,
            # Plus, Forte, Flu …) makes the family another product; on the labelled set such families were
            # the wrong drug one time in three.
            return None
        found = _from_products(products)
        if found.status is _RESOLVED:
            return replace(found, method=MatchMethod.BRAND_FAMILY)
        return found

    def _leading_ingredient(self, name: str) -> _Match | None:
        """A name that starts with an ingredient and goes on with words that are not one ("Paracetamol Xyz").

        The ingredient is identified and checked; the rest is a second ingredient if it is one exactly,
        ignored if it is manufacturer words, and otherwise said to be unidentified (a partial line).
        """
        words = name.split()
        for cut in range(len(words) - 1, 0, -1):
            head = " ".join(words[:cut])
            first = self._exact_ingredient(head, match_key(head))
            if first is None or first.status is not _RESOLVED or first.weak:
                continue
            rest = words[cut:]
            kept, dropped = self._without_maker_words(["_", *rest])
            if len(kept) == 1:
                return replace(first, ignored=tuple(dropped))
            rest_text = " ".join(rest)
            if salt_only(key_tokens(rest_text)):
                continue
            second = self._exact_ingredient(rest_text, match_key(rest_text))
            if second is not None and second.status is _RESOLVED and not second.weak:
                inns = tuple(dict.fromkeys((*first.inns, *second.inns)))
                return replace(first, inns=inns, method=_weakest([first.method, second.method]))
            return replace(first, unidentified=(rest_text,))
        return None

    def _fuzzy_name(self, name: str, policy: FuzzyPolicy) -> _Match | None:
        """A near match among ingredient names; rivals within the margin make it AMBIGUOUS.

        The whole name is tried, then the name without its salt words ("Amlodipn besilat" looks for
        "amlodipin"); a name made only of salt words ("Kali lactat") is never matched fuzzily.
        """
        names = self._v.names
        hit = None
        # The whole name first ("Rocuornium bromide" is rocuronium bromide), then without its salt words.
        for tokens in (key_tokens(name), base_tokens(name)):
            if tokens and not salt_only(tokens):
                hit = self._v.fuzzy_names.lookup(tokens, lambda k: names[k].best, policy)
                if hit is not None:
                    break
        if hit is None:
            return None
        if hit.rivals:
            return _ambiguous([hit.key, *(k for k, _ in hit.rivals)], self._name_candidates)
        inns = names[hit.key].best
        if len(inns) == 1:
            return _Match(_RESOLVED, inns, MatchMethod.FUZZY, hit.score)
        return _Match(_AMBIGUOUS, candidates=inns)

    def _exact_ingredient(self, name: str, key: str) -> _Match | None:
        """The name's ingredient by exact key: the strongest evidence among the name's key candidates.

        Candidates run from the whole name to the name without its salt words (normalize.key_candidates);
        the most literal candidate wins unless a later one has stronger evidence (see NameEntry.tiers).
        """
        found: tuple[int, str] | None = None
        for candidate in key_candidates(name) if key else ():
            entry = self._v.names.get(candidate)
            if entry is not None and (found is None or entry.tier < found[0]):
                found = (entry.tier, candidate)
        if found is None:
            return None
        entry = self._v.names[found[1]]
        inns = entry.best
        if len(inns) > 1:
            return _Match(_AMBIGUOUS, candidates=inns, weak=found[0] >= TIER_WEAK)
        kind = entry.kinds[inns[0]]
        if kind == "inn":
            as_written = " ".join(fold(name).split())
            method = MatchMethod.EXACT_INN if as_written == inns[0] else MatchMethod.VI_SPELLING
        elif kind == "vi_spelling":
            method = MatchMethod.VI_SPELLING
        else:
            method = MatchMethod.SYNONYM
        return _Match(_RESOLVED, inns, method, _EXACT, weak=found[0] >= TIER_WEAK)

    def _exact_brand(self, name: str, key: str, forms: frozenset[FormFamily] = frozenset()) -> _Match | None:
        """The products whose brand, without strengths and form words, is exactly this name.

        No prefix or family matching: "Hagimox" does not find "Hagimox Extra", and "Panactol" does not
        find "Panactol Flu" (paracetamol + chlorphenamine). An unknown brand that shares its first word
        with a known one is the commonest way to check the wrong drug (see evaluate.py, brand-alone).
        A brand written in a form none of its known products has ("Antalgine gel" when only the
        injection is known) is another product of that name: UNRESOLVED, not the known product.
        """
        products = self._v.brands.get(key, ())
        if not products:
            return None
        if forms_contradict(forms, (p.dosage_form for p in products)):
            return _NO_MATCH
        return _from_products(products)

    def _name_candidates(self, key: str) -> tuple[str, ...]:
        return self._v.names[key].best

    # --- allergy text -----------------------------------------------------------------------------------

    def resolve_allergen(self, text: str) -> ResolvedAllergen:
        """Allergy text to a drug class, a non-drug allergen or an ingredient; UNRESOLVED when unsure.

        Class and non-drug terms are consulted before ingredients, so "Penicilin" is the penicillin
        class, not benzylpenicillin alone. Fuzzy matches use a stricter policy than prescription lines.
        """
        folded = " ".join(fold(text).split())
        if not folded or _ALLERGY_UNKNOWN.search(folded):
            return ResolvedAllergen(kind=AllergenKind.UNRESOLVED, label="allergen not known")
        if _ALLERGY_NONE.match(folded):
            return ResolvedAllergen(kind=AllergenKind.UNRESOLVED, label="no allergen named")
        tail = _ALLERGY_TAIL.search(folded)
        if tail and tail.start() > 0:
            # "Penicilin (nổi mẩn)", "Aspirin - phù mạch": the reaction, not the allergen.
            text, folded = text[: tail.start()], folded[: tail.start()]
        stages = [text]
        while (m := _ALLERGY_LEAD.match(folded)) and m.end() < len(folded):
            text, folded = text[m.end() :], folded[m.end() :]
            stages.append(text)
        for stage in stages:
            concept = self._v.allergens.get(match_key(stage))
            if concept is not None:
                method = MatchMethod.CLASS if concept.kind is AllergenKind.DRUG_CLASS else MatchMethod.SYNONYM
                return ResolvedAllergen(kind=concept.kind, concept=concept.concept, label=concept.label,
                                        method=method, score=_EXACT)  # fmt: skip
        return self._allergen_ingredient(clean_name(text) or text, folded)

    def _allergen_ingredient(self, name: str, folded: str) -> ResolvedAllergen:
        """After the exact term lookup: exact ingredient or brand, then strict fuzzy (terms, then names)."""
        key = match_key(name)
        match = (self._exact_ingredient(name, key) or self._exact_brand(name, key) or self._family(key, frozenset())
                 ) if key else None  # fmt: skip
        if match is None and key:
            term = self._fuzzy_allergen_term(name)
            if term is not None:
                return term
            match = self._fuzzy_name(name, ALLERGY_POLICY)
        if match is None or match.status is not _RESOLVED:
            if _ALLERGY_LIST.search(folded):
                return _unresolved_allergen("several allergens in one entry")
            if match is not None and match.candidates:
                return _unresolved_allergen("ambiguous: " + ", ".join(match.candidates))
            return _unresolved_allergen("not recognised")
        inn = match.inns[0]
        if len(match.inns) > 1:
            # "Bactrim", "Augmentin": an allergy recorded as a combination brand means each of its components
            # (the entry cannot say which one caused the reaction, so every one is avoided).
            return ResolvedAllergen(
                kind=AllergenKind.INGREDIENT,
                concept=inn,
                label=" + ".join(self._v.ingredients[i].vi_name or i for i in match.inns),
                method=match.method,
                score=match.score,
                components=match.inns,
            )
        return ResolvedAllergen(
            kind=AllergenKind.INGREDIENT,
            concept=inn,
            label=self._v.ingredients[inn].vi_name or inn,
            method=match.method,
            score=match.score,
        )

    def _fuzzy_allergen_term(self, name: str) -> ResolvedAllergen | None:
        """A near match on a class or non-drug term; a near tie between two concepts resolves nothing."""
        allergens = self._v.allergens
        hit = self._v.fuzzy_allergens.lookup(key_tokens(name), lambda k: allergens[k].concept, ALLERGY_POLICY)
        if hit is None:
            return None
        if hit.rivals:
            rivals = ", ".join(allergens[k].concept for k in (hit.key, *(k for k, _ in hit.rivals)))
            return _unresolved_allergen("ambiguous: " + rivals)
        concept = allergens[hit.key]
        return ResolvedAllergen(
            kind=concept.kind, concept=concept.concept, label=concept.label, method=MatchMethod.FUZZY, score=hit.score
        )


def _unresolved_allergen(label: str) -> ResolvedAllergen:
    return ResolvedAllergen(kind=AllergenKind.UNRESOLVED, label=label)


def _ingredient_set(products: Sequence[Product]) -> frozenset[frozenset[str]]:
    return frozenset(frozenset(p.ingredients) for p in products)


def _from_products(products: Sequence[Product]) -> _Match:
    """A brand's products: RESOLVED if they all hold the same ingredients, else AMBIGUOUS."""
    sets = _ingredient_set(products)
    if len(sets) == 1:
        return _Match(_RESOLVED, products[0].ingredients, MatchMethod.BRAND, _EXACT, products=tuple(products))
    return _Match(_AMBIGUOUS, candidates=tuple(sorted(" + ".join(sorted(s)) for s in sets)))


def _ambiguous(keys: Sequence[str], candidates_of: Callable[[str], Sequence[str]]) -> _Match:
    found: list[str] = []
    for key in keys:
        for c in candidates_of(key):
            if c not in found:
                found.append(c)
    return _Match(_AMBIGUOUS, candidates=tuple(found))


# Suffixes that name a presentation of the same composition (multiple-unit pellets, orally disintegrating,
# modified release), folded; the line parser already drops form and release words (MR, SR, tab …).
_PRESENTATION_WORDS = frozenset(
    {"mups", "odt", "dt", "xl", "la", "lp", "durules", "zok", "continus", "depot", "ec", "dr", "fc", "inj", "susp",
}
)  # fmt: skip


def _presentation_suffix(brand: str) -> bool:
    """Whether every word after a brand's first is a presentation word or a number."""
    words = fold(clean_name(brand)).split()[1:]
    return all(w in _PRESENTATION_WORDS or w.replace(".", "").isdigit() for w in words)


_MASS = {"mg": 1.0, "g": 1000.0, "mcg": 0.001}
_NUMBER = re.compile(r"(?<![\d.,])\d+(?:[.,]\d+)?(?![\d.,])")


def _amount(value: float, unit: str) -> float:
    return round(value * _MASS.get(unit.lower(), 1.0), 4)


def known_strengths(products: Sequence[Product]) -> frozenset[float]:
    """Every strength the products have, in mg where a mass, one by one and summed.

    ``Augmentin 625mg`` is 500 + 125 mg; a bare number in a name counts in any unit ("Kavasdin 5").
    """
    known: set[float] = set()
    for product in products:
        total = 0.0
        for text in product.strengths:
            for span in find_strengths(text):
                amount = _amount(span.strength.value or 0.0, span.strength.unit)
                known.add(amount)
                total += amount
        known.add(round(total, 4))
        for name in (product.brand, *product.other_names):
            for span in find_strengths(name):
                known.add(_amount(span.strength.value or 0.0, span.strength.unit))
            known.update(round(float(m.group(0).replace(",", ".")), 4) for m in _NUMBER.finditer(name))
    known.discard(0.0)
    return frozenset(known)


def strength_not_known(known: frozenset[float], written: Sequence[Strength]) -> str:
    """A written strength when none of those written is among ``known`` (:func:`known_strengths`), or "".

    Nothing is said when no product gives any strength.
    """
    if not known:
        return ""
    # One fitting strength is enough: "Agimol 80 1g/80mg" writes the sachet's weight beside the dose.
    masses = [s for s in written if s.value and s.unit.lower() in {*_MASS, ""}]
    if masses and not any(_amount(s.value or 0.0, s.unit) in known for s in masses):
        return masses[0].text
    return ""


def _product_label(products: Sequence[Product]) -> str:
    """The brand to report, without the strength or form of whichever product the name matched.

    "Klacid 500mg" matches the brand of the product "Klacid 250mg": the report says "Klacid", not a strength the
    prescriber did not write. Several brands that share the name report their shared first word.
    """
    if not products:
        return ""
    # A WHO ATC combination row lists several brands ("Bactrim, Eusaprim"): the first names it.
    brands = {clean_name(p.brand.split(",")[0]) or p.brand for p in products}
    if len(brands) == 1:
        return brands.pop()
    return clean_name(products[0].brand).split()[0]
