"""The matching vocabulary: the knowledge tables' names, normalised once at load into lookup dicts.

Built from ``ingredients.tsv``, ``aliases.tsv``, ``products.tsv``, ``allergen_terms.tsv`` and
``classes.tsv`` (knowledge/SCHEMA.md). Every name goes through :func:`normalize.match_key` here, so a
request only normalises its own text and then does dict lookups (fuzzy matching runs on the
pre-normalised key lists).
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import re
from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rxsafe.core.enums import AllergenKind
from rxsafe.core.errors import Unavailable
from rxsafe.matching.fuzzy import FuzzyIndex
from rxsafe.matching.line_parser import clean_name
from rxsafe.matching.normalize import fold, key_tokens, match_key, moiety_key, salt_only

__all__ = [
    "INSURANCE_CODE",
    "TIER_WEAK",
    "AllergenConcept",
    "Ingredient",
    "NameEntry",
    "Product",
    "Vocabulary",
    "alias_tier",
    "brand_key",
    "family_key",
    "load_vocabulary",
    "registration_key",
]

_LIST_SEP = " | "
# The insurance active-ingredient code of modern medicines ("40.227"; knowledge/build/vn_registry.py).
INSURANCE_CODE = re.compile(r"^40\.\d+(?:\.\d+)?$")

# Lower is stronger: when one key names several ingredients, only the strongest kind counts
# (an INN beats another ingredient's DrugBank synonym that happens to spell the same).
ALIAS_KIND_RANK: Mapping[str, int] = {
    "inn": 0,
    "vi_spelling": 1,
    "reviewed_exception": 2,
    "us_name": 3,
    "french": 4,
    "drugbank_synonym": 5,
}
# DrugBank synonyms include chemical names and codes; fuzzy matching over them would find near-misses
# among strings nobody writes on a prescription, so they are used for exact lookups only.
_FUZZY_KINDS = frozenset({"inn", "vi_spelling", "reviewed_exception", "us_name", "french"})
_STRONG_KINDS = frozenset({"inn", "vi_spelling", "us_name"})
TIER_WEAK = 2  # NameEntry.tier of a name only DrugBank's synonyms give
# DrugBank synonyms this short are abbreviations ("AS" artesunate, "D" aspartic acid, "CC" colecalciferol,
# "CP" captopril) that collide with English words ("(as citrate)"), letters in brand names ("Vitamin A & D")
# and other drugs' abbreviations; ISMP lists drug-name abbreviations as error-prone. Not matched at all:
# such a line is "cannot verify", never a guess.
_SHORTEST_SYNONYM_KEY = 4


@dataclass(frozen=True, slots=True)
class Ingredient:
    inn: str
    vi_name: str = ""
    atc_codes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Product:
    product_id: str
    brand: str
    registration_number: str = ""
    ingredients: tuple[str, ...] = ()
    strengths: tuple[str, ...] = ()
    dosage_form: str = ""
    # The other sources' names for this registration, its insurance codes ("40.732"), and whether the
    # sources' ingredient sets agree ("agree", "single", "disagree:…"; knowledge/build/vn_registry.py).
    other_names: tuple[str, ...] = ()
    insurance_codes: tuple[str, ...] = ()
    agreement: str = ""
    # The match keys of brand and other names, as the build computed them (empty: computed at load).
    brand_keys: tuple[str, ...] = ()
    family_keys: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AllergenConcept:
    """An allergy word that is not a single ingredient (or a reviewed one that is)."""

    kind: AllergenKind
    concept: str
    label: str


@dataclass(frozen=True, slots=True)
class NameEntry:
    """The ingredients one match key names, with the strongest alias kind that gave each.

    ``tiers`` rank the evidence across keys as the knowledge build does when it maps products: 0 for a
    reviewed exception or a WHO ATC ingredient's own names, 1 for other ingredients' names, 2 for
    DrugBank synonyms. A salt name that is only a DrugBank concept ("beclomethasone dipropionate")
    therefore loses to its ATC parent (beclometasone) reached by dropping the salt word.
    """

    kinds: Mapping[str, str]
    tiers: Mapping[str, int] = field(default_factory=dict)

    def _rank(self, inn: str) -> tuple[int, int]:
        kind_rank = ALIAS_KIND_RANK.get(self.kinds[inn], len(ALIAS_KIND_RANK))
        return self.tiers.get(inn, TIER_WEAK), kind_rank

    @property
    def tier(self) -> int:
        """The strongest tier among the ingredients this key names."""
        return min(self._rank(i)[0] for i in self.kinds)

    @property
    def best(self) -> tuple[str, ...]:
        """The ingredients named by the strongest evidence present (usually exactly one)."""
        top = min(self._rank(i) for i in self.kinds)
        return tuple(sorted(i for i in self.kinds if self._rank(i) == top))


def alias_tier(kind: str, has_atc: bool) -> int:
    """The evidence tier of an alias (see :class:`NameEntry`).

    >>> alias_tier("inn", True), alias_tier("inn", False), alias_tier("drugbank_synonym", True)
    (0, 1, 2)
    """
    if kind == "reviewed_exception" or (has_atc and kind in _STRONG_KINDS):
        return 0
    return TIER_WEAK if kind == "drugbank_synonym" else 1


@dataclass(frozen=True)
class Vocabulary:
    """Lookup tables keyed by match key. Build with :func:`load_vocabulary` (or directly in tests)."""

    ingredients: Mapping[str, Ingredient]
    names: Mapping[str, NameEntry]
    brands: Mapping[str, tuple[Product, ...]]
    registrations: Mapping[str, Product]
    allergens: Mapping[str, AllergenConcept]
    fuzzy_names: FuzzyIndex = field(default_factory=lambda: FuzzyIndex(()))
    fuzzy_allergens: FuzzyIndex = field(default_factory=lambda: FuzzyIndex(()))
    # Issue 15: products by insurance active-ingredient code ("40.732"), and the folded words of the
    # sources' manufacturer and country names ("stada", "an do"), which a line may write after an INN.
    insurance_codes: Mapping[str, tuple[Product, ...]] = field(default_factory=dict)
    # Products by the key of their brand's first word ("nexium" -> Nexium Mups, Nexium 40mg …).
    families: Mapping[str, tuple[Product, ...]] = field(default_factory=dict)
    manufacturer_words: frozenset[str] = frozenset()

    @functools.cached_property
    def moieties(self) -> Mapping[str, str]:
        """A salt ingredient's parent ingredient when both are in the knowledge ("zinc citrate" -> "zinc").

        Made on first use (only evaluation asks), so it costs the service's start-up nothing.
        """
        return _moieties(self.ingredients, self.names)

    def moiety(self, inn: str) -> str:
        """The ingredient's active moiety: its parent ingredient if it is a salt of one, else itself."""
        return self.moieties.get(inn, inn)


def brand_key(brand: str) -> str:
    """The match key of a brand, without strengths and form words.

    >>> brand_key("Hagimox 500 caplet") == brand_key("HAGIMOX capsules")
    True
    """
    return match_key(clean_name(brand))


# A family name this short is a word, not a brand ("Vita", "New"): no family.
_SHORTEST_FAMILY = 4


def family_key(brand: str) -> str:
    """The key of a brand's first word when the brand has more words than that ("Nexium Mups" -> "nexium").

    >>> family_key("Nexium Mups 20mg") == match_key("Nexium"), family_key("Nexium")
    (True, '')
    """
    words = clean_name(brand).split()
    if len(words) < 2:
        return ""
    key = match_key(words[0])
    return key if len(key) >= _SHORTEST_FAMILY and key.isalpha() else ""


def _brand_keys(product: Product) -> tuple[str, ...]:
    if product.brand_keys:
        return product.brand_keys
    return tuple(dict.fromkeys(k for k in (brand_key(n) for n in (product.brand, *product.other_names)) if k))


def registration_key(number: str) -> str:
    """A registration number as compared: upper case, no spaces (XML 130 writes it without).

    >>> registration_key(" vd-24604-16 ")
    'VD-24604-16'
    """
    return "".join(number.split()).upper()


def _rows(path: Path) -> Iterator[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            yield from csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
    except OSError as exc:
        raise Unavailable(f"knowledge table {path.name} cannot be read: {exc}") from exc


def _split(cell: str | None) -> tuple[str, ...]:
    return tuple(p.strip() for p in (cell or "").split(_LIST_SEP) if p.strip())


def load_vocabulary(
    knowledge_dir: Path, exclude_products: Collection[str] = (), exclude_brands: Collection[str] = ()
) -> Vocabulary:
    """Read the compiled tables under ``knowledge_dir`` and normalise every name once.

    ``exclude_products`` leaves out products by product id or registration number, and ``exclude_brands``
    every product whose brand (or another source's name for it) has the same brand key, so that an evaluation
    can play real products the table does not know (the held-out part of the labelled set); the tables
    themselves are not changed.

    Raises :class:`~rxsafe.core.errors.Unavailable` if a table is missing: matching against a partial
    vocabulary would report drugs as unknown for the wrong reason.

    >>> vocab = load_vocabulary(Path("knowledge"))  # doctest: +SKIP
    >>> vocab.names[match_key("Amoxicilin")].best  # doctest: +SKIP
    ('amoxicillin',)
    """
    ingredients = {
        r["inn"]: Ingredient(r["inn"], r.get("vi_name") or "", _split(r.get("atc_codes")))
        for r in _rows(knowledge_dir / "ingredients.tsv")
    }
    aliases = [(r["alias"], r["inn"], r["kind"]) for r in _rows(knowledge_dir / "aliases.tsv")]
    products = [
        Product(
            product_id=r["product_id"],
            brand=r["brand"],
            registration_number=r.get("registration_number") or "",
            ingredients=_split(r.get("ingredients")),
            strengths=_split(r.get("strengths")),
            dosage_form=r.get("dosage_form") or "",
            other_names=_split(r.get("other_names")),
            insurance_codes=_split(r.get("insurance_codes")),
            agreement=r.get("agreement") or "",
            brand_keys=_split(r.get("brand_keys")),
            family_keys=_split(r.get("family_keys")),
        )
        for r in _rows(knowledge_dir / "products.tsv")
    ]
    if exclude_brands:
        gone = {brand_key(b) for b in exclude_brands} - {""}
        products = [p for p in products if not gone.intersection(_brand_keys(p))]
    if exclude_products:
        excluded = {registration_key(p) for p in exclude_products} | set(exclude_products)
        products = [
            p
            for p in products
            if p.product_id not in excluded
            and not (p.registration_number and registration_key(p.registration_number) in excluded)
        ]
    class_labels = {
        r["class_id"]: r.get("name_vi") or r.get("name_en") or r["class_id"]
        for r in _rows(knowledge_dir / "classes.tsv")
    }
    terms = [(r["term"], r["concept_kind"], r["concept"]) for r in _rows(knowledge_dir / "allergen_terms.tsv")]
    vocabulary = build_vocabulary(ingredients, aliases, products, terms, class_labels)
    words_file = knowledge_dir / "manufacturer_words.tsv"
    if words_file.exists():
        words = frozenset(fold(r["word"]) for r in _rows(words_file))
        vocabulary = dataclasses.replace(vocabulary, manufacturer_words=words)
    return vocabulary


def build_vocabulary(
    ingredients: Mapping[str, Ingredient],
    aliases: list[tuple[str, str, str]],
    products: list[Product],
    allergen_terms: list[tuple[str, str, str]],
    class_labels: Mapping[str, str] | None = None,
) -> Vocabulary:
    """Build the lookup tables from rows already read (``aliases`` as ``(alias, inn, kind)``).

    Aliases of unknown ingredients are skipped: a name must lead to an ingredient the checks know.
    """
    names: dict[str, dict[str, str]] = defaultdict(dict)
    tiers: dict[str, dict[str, int]] = defaultdict(dict)
    fuzzy: dict[str, list[str]] = {}

    def add(name: str, inn: str, kind: str) -> None:
        tokens = key_tokens(name)
        key = "".join(tokens)
        if not key or inn not in ingredients:
            return
        if kind == "drugbank_synonym" and len(key) < _SHORTEST_SYNONYM_KEY:
            return
        old = names[key].get(inn)
        if old is None or ALIAS_KIND_RANK.get(kind, 99) < ALIAS_KIND_RANK.get(old, 99):
            names[key][inn] = kind
        tier = alias_tier(kind, bool(ingredients[inn].atc_codes))
        tiers[key][inn] = min(tier, tiers[key].get(inn, tier))
        if kind in _FUZZY_KINDS and not salt_only(tokens):
            fuzzy[key] = tokens

    for ing in ingredients.values():
        add(ing.inn, ing.inn, "inn")
        if ing.vi_name:
            add(ing.vi_name, ing.inn, "vi_spelling")
    for alias, inn, kind in aliases:
        add(alias, inn, kind)

    brands: dict[str, list[Product]] = defaultdict(list)
    registrations: dict[str, Product] = {}
    codes: dict[str, list[Product]] = defaultdict(list)
    families: dict[str, list[Product]] = defaultdict(list)
    for product in products:
        if not product.ingredients or any(i not in ingredients for i in product.ingredients):
            continue
        for key in _brand_keys(product):
            brands[key].append(product)
        if product.registration_number:
            registrations[registration_key(product.registration_number)] = product
        for code in product.insurance_codes:
            codes[code].append(product)
        for key in product.family_keys:
            families[key].append(product)

    labels = class_labels or {}
    allergens: dict[str, AllergenConcept] = {}
    allergen_tokens: dict[str, list[str]] = {}
    known_kinds = {k.value for k in AllergenKind} - {AllergenKind.UNRESOLVED.value}
    for term, kind, concept in allergen_terms:
        tokens = key_tokens(term)
        key = "".join(tokens)
        if key and kind in known_kinds:
            label = labels.get(concept, term) if kind == AllergenKind.DRUG_CLASS.value else term
            allergens[key] = AllergenConcept(AllergenKind(kind), concept, label)
            allergen_tokens[key] = tokens

    entries = {k: NameEntry(v, tiers[k]) for k, v in names.items()}
    return Vocabulary(
        ingredients=dict(ingredients),
        names=entries,
        brands={k: tuple(v) for k, v in brands.items()},
        registrations=registrations,
        allergens=allergens,
        fuzzy_names=FuzzyIndex(fuzzy.values()),
        fuzzy_allergens=FuzzyIndex(allergen_tokens.values()),
        insurance_codes={k: tuple(v) for k, v in codes.items()},
        # A family named like an ingredient is that ingredient, unless only DrugBank's synonyms give the name.
        families={k: tuple(v) for k, v in families.items() if k not in entries or entries[k].tier >= TIER_WEAK},
    )


# Prodrugs that the product sources register under either name, with the sources that make them one drug. The
# DAV register lists "Colistin" (VD-19946-13) as colistimethate and "Colistimethate for Injection U.S.P."
# (VN-20727-17) as colistin; DrugBank DB01111 names colistimethate "Colistin sulfomethate" and "Colistin
# methanesulfonic acid"; WHO ATC has one code for both, J01XB01 colistin, its parenteral DDD in MU, the unit
# colistimethate is dosed in. Judging a resolution, one is "another salt" of the other, not another drug.
_PRODRUG_MOIETIES = {"colistimethate": "colistin"}


def _moieties(ingredients: Mapping[str, Ingredient], names: Mapping[str, NameEntry]) -> dict[str, str]:
    """Salt ingredient -> parent ingredient, where the name without its salt words names exactly one.

    Also the prodrugs of :data:`_PRODRUG_MOIETIES`, where both are ingredients of the tables.
    """
    out: dict[str, str] = {k: v for k, v in _PRODRUG_MOIETIES.items() if k in ingredients and v in ingredients}
    for inn in ingredients:
        key = moiety_key(inn)
        entry = names.get(key) if key else None
        if entry is not None and len(entry.best) == 1 and entry.best[0] != inn:
            out[inn] = entry.best[0]
    return out
