"""The build's name bridge: every source's drug name to one English INN key, by exact matching only.

The vocabulary is WHO ATC substance names (preferred keys: WHO INN spelling) joined to the DrugBank open
vocabulary (common names and synonyms). A name is matched after normalisation: case, diacritics, whitespace,
punctuation, salt words, and the Vietnamese spelling rules (final -e dropped, so -ine→-in, -one→-on, -ide→-id;
double consonants simplified; ph→f; chl→cl; "acid X"→"X acid"; calci/kali/natri…→calcium/potassium/sodium…).
The rules are applied to both sides, so a Vietnamese spelling meets its INN on a shared "skeleton"; a skeleton
that two different ingredients share is ambiguous and matches nothing. There is no fuzzy matching: anything the
rules cannot bridge goes through ``data/name_exceptions.csv``, a reviewed table with a reason on every row.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

SOURCE_ATC = "WHO ATC/DDD"
SOURCE_DRUGBANK = "DrugBank open vocabulary"
SOURCE_EXCEPTIONS = "rxsafe reviewed name exceptions"

EXCEPTIONS_FILE = Path(__file__).parent / "data" / "name_exceptions.csv"
MERGES_FILE = Path(__file__).parent / "data" / "ingredient_merges.csv"

# Vietnamese words that name the element of a salt or mineral; translated before matching.
_VI_WORDS = {
    "calci": "calcium",
    "kali": "potassium",
    "natri": "sodium",
    "magnesi": "magnesium",
    "nhom": "aluminium",
    "kem": "zinc",
    "sat": "iron",
    "bac": "silver",
    "amoni": "ammonium",
    "mangan": "manganese",
    "iod": "iodine",
}

# Salt, ester and hydrate words (English; Vietnamese spellings meet them through the skeleton). Removed only
# when the full name matched nothing, so "potassium chloride" stays itself while "rosuvastatin calcium" becomes
# rosuvastatin. "butylbromide" is deliberately absent: hyoscine butylbromide is not hyoscine.
_SALT_WORDS = """
hydrochloride dihydrochloride hydrobromide hcl sulfate sulphate bisulfate bisulphate hydrogensulfate phosphate
sodium disodium potassium dipotassium calcium magnesium maleate hydrogen mesylate mesilate dimesylate besylate
besilate tartrate bitartrate citrate acetate diacetate fumarate hemifumarate succinate valerate propionate
dipropionate butyrate benzoate lactate nitrate bromide chloride iodide tosylate malate embonate pamoate
trihydrate dihydrate monohydrate hemihydrate pentahydrate sesquihydrate tetrahydrate hydrate anhydrous anhydrat
hyclate disoproxil meglumine trometamol estolate ethylsuccinate stearate palmitate decanoate enanthate
cypionate furoate xinafoate base monosodium edisylate napadisilate dinitrate mononitrate carbonate
hbr proxetil axetil pivoxil acetonide tromethamine erbumine diethylamine lysinate usp oxalate
""".split()  # noqa: SIM905 - a word list reads better as text

_PAREN = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_DOUBLE = re.compile(r"([a-z])\1+")


# An optical-rotation descriptor names a different substance from the racemate ("(+)-menthol" is not "menthol"):
# it is kept as a word, since the punctuation that carries it is removed below.
_ROTATION = (("(+/-)", " racemic "), ("(±)", " racemic "), ("(+)", " dextro "), ("(-)", " levo "))


def fold(text: str) -> str:
    """Lowercase, strip diacritics (đ→d), and turn every run of non-alphanumerics into one space."""
    text = text.replace("đ", "d").replace("Đ", "D")
    for descriptor, word in _ROTATION:
        text = text.replace(descriptor, word)
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_ALNUM.sub(" ", ascii_only.lower()).strip()


def _skeleton_word(word: str) -> str:
    word = _VI_WORDS.get(word, word)
    if len(word) <= 2:
        # Abbreviations are not spellings: "pp" (vitamin PP, nicotinamide) is not "p" (vitamin P, rutoside).
        return word
    word = word.replace("oe", "e").replace("ae", "e").replace("ph", "f").replace("chl", "cl").replace("y", "i")
    word = _DOUBLE.sub(r"\1", word)
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]
    return word


def skeleton(text: str) -> str:
    """The spelling-insensitive form shared by an INN and its Vietnamese spelling.

    ``skeleton("Amoxicilin") == skeleton("amoxicillin")``; ``skeleton("Acid tranexamic") ==
    skeleton("tranexamic acid")``; ``skeleton("Kali clorid") == skeleton("potassium chloride")``.
    """
    words = fold(text).split()
    # Vietnamese puts "acid" first ("Acid mefenamic"); INN puts it last.
    if len(words) > 1 and words[0] in ("acid", "axit"):
        words = [*words[1:], "acid"]
    return " ".join(_skeleton_word(w) for w in words)


def _nospace(text: str) -> str:
    # PDF extraction lost spaces in some names ("Ethinylestradiol" vs "ethinyl estradiol").
    return skeleton(text).replace(" ", "")


_SALT_SKELETONS = frozenset(_skeleton_word(w) for w in _SALT_WORDS)


def strip_salts(text: str) -> str:
    """The name without salt/ester/hydrate words, or "" when nothing else is left."""
    words = [w for w in fold(text).split() if _skeleton_word(w) not in _SALT_SKELETONS]
    return " ".join(words)


def candidates(name: str) -> list[str]:
    """Forms of a name to try, most literal first; later forms only run when earlier ones match nothing."""
    out = [name]
    bare = _PAREN.sub(" ", name)
    out.append(bare)
    # Salt words dropped one at a time from the end ("tenofovir disoproxil fumarate" reaches
    # "tenofovir disoproxil" before "tenofovir"), then all of them wherever they stand.
    words = fold(bare).split()
    while len(words) > 1 and _skeleton_word(words[-1]) in _SALT_SKELETONS:
        words = words[:-1]
        out.append(" ".join(words))
    stripped = strip_salts(bare)
    if stripped:
        out.append(stripped)
        # A salt written as its anion ("ioxaglic natri", "ioxitalamat natri") names the acid.
        words = stripped.split()
        last = words[-1]
        if last.endswith("ic"):
            out.append(" ".join([*words, "acid"]))
        elif last.endswith(("at", "ate")) and len(words) == 1:
            out.append(last[: -2 if last.endswith("at") else -3] + "ic acid")
    seen: set[str] = set()
    unique: list[str] = []
    for form in out:
        if form.strip() and form not in seen:
            seen.add(form)
            unique.append(form)
    return unique


@dataclass(frozen=True)
class AtcSubstance:
    """A WHO ATC level-5 code that names one substance."""

    code: str
    name: str


@dataclass(frozen=True)
class DrugBankEntry:
    """One DrugBank vocabulary row: id, common name, usable synonyms."""

    drugbank_id: str
    common_name: str
    synonyms: tuple[str, ...]


@dataclass
class Concept:
    """One ingredient of the vocabulary, keyed by its INN (lowercase)."""

    inn: str
    atc_codes: list[str] = field(default_factory=list)
    atc_names: list[str] = field(default_factory=list)
    drugbank: DrugBankEntry | None = None
    # DrugBank entries ATC folds into this one substance ("insulin (human)", "(pork)", "(beef)" are all the key
    # "insulin"): their names are names of this concept, but no single DrugBank id stands for it.
    absorbed: list[DrugBankEntry] = field(default_factory=list)

    def drugbank_entries(self) -> list[DrugBankEntry]:
        """The joined DrugBank entry (if any), then the absorbed ones."""
        return [*([self.drugbank] if self.drugbank else []), *self.absorbed]


@dataclass(frozen=True)
class NameException:
    """A reviewed name → INN mapping the spelling rules cannot derive, with its reason."""

    name: str
    inn: str
    reason: str


def read_exceptions(path: Path = EXCEPTIONS_FILE) -> list[NameException]:
    """The reviewed exceptions table: ``name,inn,reason``."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [NameException(r["name"], r["inn"], r["reason"]) for r in csv.DictReader(handle)]


@dataclass(frozen=True)
class IngredientMerge:
    """A reviewed statement that two WHO ATC substance names are one substance, with its reason."""

    name: str
    into: str
    reason: str


def read_merges(path: Path = MERGES_FILE) -> list[IngredientMerge]:
    """The reviewed merges table: ``name,into,reason``."""
    with path.open(encoding="utf-8", newline="") as handle:
        return [IngredientMerge(r["name"], r["into"], r["reason"]) for r in csv.DictReader(handle)]


def atc_key(name: str) -> str:
    """The INN key of an ATC substance name: lowercase, qualifier in parentheses removed."""
    bare = " ".join(_PAREN.sub(" ", name).split()).lower()
    return bare or name.lower()


_KeyFn = Callable[[str], str]
_KEY_FUNCTIONS: tuple[_KeyFn, ...] = (fold, skeleton, _nospace)


class VocabularyIndex:
    """The ``NameIndex`` of the build: ATC + DrugBank + reviewed exceptions, exact (normalised) matching only."""

    # Tiers, most trusted first: INN keys and ATC names, DrugBank common names, DrugBank synonyms.
    _TIERS = 3

    def __init__(self, concepts: dict[str, Concept], exceptions: Iterable[NameException] = ()) -> None:
        """Index every name of every concept under each normalisation, by trust tier."""
        self.concepts = concepts
        self.exceptions: dict[str, NameException] = {}
        self.problems: list[str] = []
        self._index: list[list[dict[str, set[str]]]] = [[{} for _ in range(self._TIERS)] for _ in _KEY_FUNCTIONS]
        for concept in concepts.values():
            # A DrugBank-only key is as trusted as DrugBank's common name, not as an ATC (INN) name.
            self._add(0 if concept.atc_codes else 1, concept.inn, concept.inn)
            for atc_name in concept.atc_names:
                self._add(0, atc_name, concept.inn)
            for entry in concept.drugbank_entries():
                self._add(1, entry.common_name, concept.inn)
                for synonym in entry.synonyms:
                    self._add(2, synonym, concept.inn)
        for exc in exceptions:
            if exc.inn not in concepts:
                self.problems.append(f"name exception {exc.name!r} → {exc.inn!r}: not an ingredient key")
                continue
            self.exceptions[fold(exc.name)] = exc
        self._cache: dict[str, str | None] = {}

    def _add(self, tier: int, name: str, inn: str) -> None:
        for fn_index, key_fn in enumerate(_KEY_FUNCTIONS):
            key = key_fn(name)
            if key:
                self._index[fn_index][tier].setdefault(key, set()).add(inn)

    def to_inn(self, name: str) -> str | None:
        """The INN the name means, or None when no rule bridges it to exactly one ingredient."""
        if name in self._cache:
            return self._cache[name]
        result = self._lookup(name)
        self._cache[name] = result
        return result

    def _lookup(self, name: str) -> str | None:
        forms = candidates(name)
        exc = self.exception_for(name)
        if exc is not None:
            return exc.inn
        # Trusted tiers first across every form: "estradiol valerat" reaches the ATC substance estradiol
        # before DrugBank's separate ester entry.
        for tier in range(self._TIERS):
            for form in forms:
                for fn_index, key_fn in enumerate(_KEY_FUNCTIONS):
                    hits = self._index[fn_index][tier].get(key_fn(form))
                    if not hits:
                        continue
                    if len(hits) == 1:
                        return next(iter(hits))
                    # Two ingredients share this spelling: refuse rather than guess.
                    return None
        return None

    def knows(self, inn: str) -> bool:
        """Whether the INN is an ingredient key of the vocabulary."""
        return inn in self.concepts

    def exception_for(self, name: str) -> NameException | None:
        """The reviewed exception that maps this name (or it without parentheses), if any."""
        for form in candidates(name)[:2]:
            exc = self.exceptions.get(fold(form))
            if exc is not None:
                return exc
        return None


def build_vocabulary(  # noqa: PLR0912 -- one pass over both sources reads more plainly than split helpers
    atc: Iterable[AtcSubstance], drugbank: Iterable[DrugBankEntry], merges: Iterable[IngredientMerge] = ()
) -> tuple[dict[str, Concept], list[str]]:
    """Join ATC substances to DrugBank entries; the ATC (INN) spelling is the key where both exist.

    ``merges`` (reviewed) fold one ATC spelling of a substance into another before the join. An ATC name is
    joined to the DrugBank entry whose common name equals it, else to the one entry listing it as a synonym.
    When several entries match by common name, ATC has folded several DrugBank substances into one (insulin
    human/pork/beef): the concept keeps no DrugBank id but absorbs their names, so they never become separate
    ingredients. Several entries matching by synonym only stay unjoined (reported) rather than guessed.
    """
    problems: list[str] = []
    concepts: dict[str, Concept] = {}
    for sub in sorted(atc, key=lambda s: (s.code, s.name)):
        key = atc_key(sub.name)
        concept = concepts.setdefault(key, Concept(inn=key))
        if sub.code not in concept.atc_codes:
            concept.atc_codes.append(sub.code)
        if sub.name.lower() not in concept.atc_names:
            concept.atc_names.append(sub.name.lower())

    for merge in merges:
        source, target = concepts.get(merge.name), concepts.get(merge.into)
        if source is None or target is None or source is target:
            problems.append(f"ingredient merge {merge.name!r} → {merge.into!r}: not two ATC substances; not applied")
            continue
        target.atc_codes.extend(c for c in source.atc_codes if c not in target.atc_codes)
        target.atc_names.extend(n for n in source.atc_names if n not in target.atc_names)
        del concepts[merge.name]

    entries = sorted(drugbank, key=lambda e: e.drugbank_id)
    by_common: dict[str, list[DrugBankEntry]] = {}
    by_synonym: dict[str, list[DrugBankEntry]] = {}
    for entry in entries:
        by_common.setdefault(fold(entry.common_name), []).append(entry)
        for synonym in {fold(s) for s in entry.synonyms}:
            by_synonym.setdefault(synonym, []).append(entry)

    linked: set[str] = set()
    for key in sorted(concepts):
        concept = concepts[key]
        names = [key, *concept.atc_names]
        match: DrugBankEntry | None = None
        for lookup in (by_common, by_synonym):
            found = {e.drugbank_id: e for n in names for e in lookup.get(fold(n), [])}
            free = [e for i, e in sorted(found.items()) if i not in linked]
            if len(free) == 1:
                match = free[0]
                break
            if len(free) > 1 and lookup is by_common:
                concept.absorbed = free
                linked.update(e.drugbank_id for e in free)
                problems.append(f"ATC {key!r}: several DrugBank entries {sorted(found)}; names absorbed, no id")
                break
            if len(free) > 1:
                problems.append(f"ATC {key!r}: several DrugBank entries {sorted(found)}; not joined")
                break
        if match is not None:
            concept.drugbank = match
            linked.add(match.drugbank_id)

    for entry in entries:
        if entry.drugbank_id in linked:
            continue
        key = " ".join(entry.common_name.lower().split())
        if key in concepts:
            problems.append(f"DrugBank {entry.drugbank_id} {key!r}: key taken by another concept; skipped")
            continue
        concepts[key] = Concept(inn=key, drugbank=entry)
    return concepts, problems


# A strength as written in product texts: "500mg", "0,5 mg", "10000 IU", "1%", "125mcg/5ml", "2g".
STRENGTH = re.compile(
    r"\d[\d.,]*\s*(?:mg|g|mcg|µg|μg|microgram|mmol|ml|iu|ui|u|mu|tu|đvqt|dvqt|%)"
    r"(?:\s*/\s*(?:\d[\d.,]*\s*)?(?:ml|g|l|viên|liều|gói|ống|lọ))?(?![a-z])",
    re.IGNORECASE,
)


def split_strength(text: str) -> tuple[str, str]:
    """A product ingredient text to (name, strength): ``"Paracetamol 500 mg"`` → ``("Paracetamol", "500 mg")``."""
    found = STRENGTH.search(text)
    if found is None:
        return " ".join(text.split()), ""
    name = (text[: found.start()] + " " + text[found.end() :]).strip(" ,;:")
    return " ".join(name.split()), " ".join(found.group(0).split())


def exception_aliases(index: VocabularyIndex) -> list[tuple[str, str]]:
    """(name, INN) of every reviewed exception the index accepted: prescribers write these names too."""
    return sorted((exc.name, exc.inn) for exc in index.exceptions.values())
