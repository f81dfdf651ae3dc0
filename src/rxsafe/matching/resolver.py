"""``NameResolver``: prescription lines and allergy text to knowledge-base concepts (the Resolver port).

Order of evidence, strongest first: a registration number; an exact name (INN, Vietnamese spelling,
synonym) on the normalised key; an exact brand; then a fuzzy fallback that prefers "cannot verify"
to a guess. A wrong match is worse than none: an unresolved line is reported, a wrong one silently
checks the wrong drug. Every result says how it was reached (``method``, ``score``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rxsafe.core.enums import AllergenKind, MatchMethod, ResolutionStatus
from rxsafe.core.models import PrescriptionLine, Resolution, ResolvedAllergen, ResolvedIngredient, Strength
from rxsafe.matching.dosage_form import FormFamily, forms_contradict
from rxsafe.matching.fuzzy import ALLERGY_POLICY, NAME_POLICY, FuzzyPolicy
from rxsafe.matching.line_parser import NamePart, ParsedLine, clean_name, parse_line
from rxsafe.matching.normalize import base_tokens, fold, key_candidates, key_tokens, match_key, salt_only
from rxsafe.matching.vocabulary import TIER_WEAK, Product, Vocabulary, registration_key

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

    # --- prescription lines -----------------------------------------------------------------------------

    def resolve_line(self, line: PrescriptionLine) -> Resolution:
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

    def resolve_text(self, text: str) -> Resolution:
        """Free drug text: ``"Amoxicilin 875mg + Acid clavulanic 125mg"``, ``"Augmentin 625mg"``.

        The names outside brackets are the line's drug; a bracketed name is usually the brand. When the
        line names ingredients and a brand, the ingredients as written win and the brand is the product.
        """
        parsed = parse_line(text)
        outside = self._group(parsed.names, parsed) if parsed.names else None
        inside = self._group(parsed.bracket, parsed) if parsed.bracket else None

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
            return self._resolution(outside[0], outside[1], outside[0].products)
        if outside is None and inside and inside[0].status is _RESOLVED:
            return self._resolution(inside[0], inside[1], inside[0].products)
        # The written drug name could not be read; a bracketed brand alone does not vouch for it.
        failed = outside or inside
        if failed is None:
            return Resolution(status=_UNRESOLVED)
        return Resolution(status=failed[0].status, method=failed[0].method, score=failed[0].score,
                          candidates=failed[0].candidates)  # fmt: skip

    def _resolution(
        self, match: _Match, ingredients: tuple[ResolvedIngredient, ...], products: tuple[Product, ...]
    ) -> Resolution:
        return Resolution(
            status=_RESOLVED,
            ingredients=ingredients,
            method=match.method,
            score=match.score,
            product=_product_label(products),
        )

    def _group(self, parts: Sequence[NamePart], parsed: ParsedLine) -> tuple[_Match, tuple[ResolvedIngredient, ...]]:
        """Names joined by "+": RESOLVED only if every one resolves."""
        matches = [self._match_name(p.name, parsed.forms) for p in parts]
        status = _RESOLVED
        if any(m.status is _UNRESOLVED for m in matches):
            status = _UNRESOLVED
        elif any(m.status is _AMBIGUOUS for m in matches):
            status = _AMBIGUOUS
        candidates = tuple(c for m in matches for c in m.candidates)
        methods = [m.method for m in matches]
        combined = _Match(
            status=status,
            inns=tuple(i for m in matches for i in m.inns),
            method=_weakest(methods) if status is _RESOLVED else MatchMethod.NONE,
            score=min(m.score for m in matches) if status is _RESOLVED else 0.0,
            candidates=candidates if status is _AMBIGUOUS else (),
            products=matches[0].products if len(matches) == 1 else (),
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
            if brand is not None and (exact is None or brand.status is _RESOLVED):
                return brand
        if exact is not None:
            return exact
        # Brands are never matched fuzzily: Vietnamese brands one letter apart are routinely different
        # drugs, and on the labelled set every fuzzy brand match of an unknown brand was a wrong drug.
        return self._fuzzy_name(name, NAME_POLICY) or _NO_MATCH

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
        match = (self._exact_ingredient(name, key) or self._exact_brand(name, key)) if key else None
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
        if len(match.inns) != 1:
            # A combination brand names several ingredients; one allergy entry cannot say which one.
            return _unresolved_allergen("brand with several ingredients: " + " + ".join(match.inns))
        inn = match.inns[0]
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


def _product_label(products: Sequence[Product]) -> str:
    """The brand to report, without the strength or form of whichever product the name matched.

    "Klacid 500mg" matches the brand of the product "Klacid 250mg": the report says "Klacid", not a strength the
    prescriber did not write. Several brands that share the name report their shared first word.
    """
    if not products:
        return ""
    brands = {clean_name(p.brand) or p.brand for p in products}
    if len(brands) == 1:
        return brands.pop()
    return clean_name(products[0].brand).split()[0]
