"""What a shopper's message means: its intent and slots (price bounds, colours, sizes, quantity, words).

English and French, accents optional, typos tolerated: each unknown word is corrected to the closest word
the bot knows (its lexicons and the catalog's vocabulary) with rapidfuzz, then intents are recognised by the
phrases of `bot.lexicon`. Pure functions: no database, no Flask.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import fuzz, process

from bot import lexicon
from shop.text import fold, words

#: Intents `understand` can return; "unknown" when nothing matched.
INTENTS = (*lexicon.INTENT_PRECEDENCE, "unknown")
#: Minimum rapidfuzz ratio (0-100) for a typo to be corrected to a known word. One wrong letter in five.
FUZZY_CUTOFF = 80
#: A correction that changes the first letter must be closer than that ("weather" is not "leather").
FUZZY_CUTOFF_OTHER_INITIAL = 90
#: Messages are cut to this many characters (a pasted essay is not an error, nor a slow reply).
MAX_MESSAGE_LENGTH = 300

_CURRENCY = (
    r"(?:eur|euro|euros|e|usd|dollar|dollars|bucks|gbp|pound|pounds|inr|rs|rupee|rupees|roupies|balles)"
)
_UNIT = r"(?:cm|mm|m|metre|metres|meter|meters|kg|g|l|litre|litres|x|ans|years|pieces|pcs|personnes|people|places|seats|plants|plantes)"  # noqa: E501
_NUM = r"(\d+(?:p\d{1,2})?)"
_MAX_WORDS = (
    r"(?:under|below|less than|less then|cheaper than|no more than|not more than|max|maximum|up to|at most|"
    r"within|moins de|moins que|sous|en dessous de|en dessous|au dessous de|inferieur a|inferieure a|"
    r"pas plus de|jusqu a|maxi|budget|budget de|budget of|budget is|my budget is|mon budget est de|"
    r"mon budget est|a moins de|pour moins de|lower than)"
)
_MIN_WORDS = (
    r"(?:over|above|more than|at least|min|minimum|starting at|plus de|au moins|superieur a|a partir de|"
    r"des|from|higher than)"
)
_AROUND_WORDS = r"(?:around|about|approximately|roughly|environ|autour de|vers|near|approx|dans les)"
_NOT_UNIT = rf"(?![\dp])(?!\s+{_UNIT}\b)"  # whole numbers only: not "8" of "80 cm"
_RANGE = re.compile(
    rf"\b(?:between|entre|from|de)\s+(?:{_CURRENCY}\s+)?{_NUM}\s+(?:{_CURRENCY}\s+)?(?:and|et|to|a)\s+"
    rf"(?:{_CURRENCY}\s+)?{_NUM}{_NOT_UNIT}"
)
_RANGE_BARE = re.compile(rf"\b{_NUM}\s+(?:to|a)?\s*{_NUM}\s+{_CURRENCY}\b")
_MAX = re.compile(rf"\b{_MAX_WORDS}\s+(?:than\s+|of\s+|de\s+|a\s+)?(?:{_CURRENCY}\s+)?{_NUM}{_NOT_UNIT}")
_MIN = re.compile(rf"\b{_MIN_WORDS}\s+(?:than\s+|of\s+|de\s+)?(?:{_CURRENCY}\s+)?{_NUM}{_NOT_UNIT}")
_AROUND = re.compile(rf"\b{_AROUND_WORDS}\s+(?:{_CURRENCY}\s+)?{_NUM}{_NOT_UNIT}")
_AMOUNT = re.compile(rf"\b(?:{_CURRENCY}\s+{_NUM}|{_NUM}\s+{_CURRENCY})\b")
_DIMENSION = re.compile(r"\b(\d+(?:p\d)?)\s+(cm|mm|m)\b")
_SIZE_LETTER = re.compile(r"\b(?:size|taille|in|en)\s+(xs|s|m|l|xl)\b")
_QUANTITY = re.compile(rf"\b(\d{{1,2}})\b(?!\s+(?:{_UNIT}|{_CURRENCY})\b)(?!p\d)")
_DECIMAL = re.compile(r"(\d+)[.,](\d{1,2})\b")
_SYMBOLS = {"€": " eur ", "$": " usd ", "£": " gbp ", "₹": " inr ", "<": " under ", ">": " over "}
_SYMBOL_RE = re.compile("|".join(re.escape(s) for s in _SYMBOLS))
_GLUED_UNIT = re.compile(r"\b(\d+)(eur|e|cm|mm|m|euros?)\b")


def stem(word: str) -> str:
    """Plural-insensitive form used by search on both sides: "tables" -> "table", "pots" -> "pot"."""
    if len(word) > 3 and word[-1] in "sx" and word[-2] != "s":
        return word[:-1]
    return word


@dataclass(frozen=True)
class Vocabulary:
    """Words of the catalog (stemmed), for typo correction and to tell a search from small talk."""

    #: Stems of titles, types, tags and option values: a message containing one is about products.
    content: frozenset[str] = frozenset()
    #: Stem -> product type names it belongs to (folded), e.g. "pot" -> {"pot"}.
    types: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: Stem -> tag names (folded).
    tags: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: Content stems by first letter, to look for a typo's correction among few words.
    by_initial: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @classmethod
    def build(cls, content: Iterable[str], types: Iterable[str] = (), tags: Iterable[str] = ()) -> Vocabulary:
        content_set = frozenset(stem(w) for w in content if len(w) > 1 and not w.isdigit())
        by_initial: dict[str, list[str]] = {}
        for word in sorted(content_set):
            by_initial.setdefault(word[0], []).append(word)
        return cls(
            content=content_set,
            types=_stems_to_names(types),
            tags=_stems_to_names(tags),
            by_initial={k: tuple(v) for k, v in by_initial.items()},
        )


def _stems_to_names(names: Iterable[str]) -> dict[str, frozenset[str]]:
    result: dict[str, set[str]] = {}
    for name in names:
        for word in words(name):
            result.setdefault(stem(word), set()).add(fold(name))
    return {k: frozenset(v) for k, v in result.items()}


@dataclass(frozen=True)
class Slots:
    #: Price bounds in minor units (cents), inclusive.
    price_min: int | None = None
    price_max: int | None = None
    #: Canonical colours ("blue"), see lexicon.COLOURS.
    colours: tuple[str, ...] = ()
    #: Canonical size letters ("S", "M", "L") and measurements ("80 cm").
    sizes: tuple[str, ...] = ()
    dimensions: tuple[str, ...] = ()
    #: Content words (typo-corrected, stemmed) that describe the products wanted.
    terms: tuple[str, ...] = ()
    #: Product types and tags (folded names) that the message names.
    product_types: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    quantity: int | None = None
    #: For a product question: price, stock, material, dimensions or options.
    topic: str | None = None
    #: The message points at a product already in view ("this", "it", "celui-ci", "the medium one").
    refers_to_current: bool = False


@dataclass(frozen=True)
class Understanding:
    text: str
    intent: str
    language: str
    slots: Slots
    #: The message's words after typo correction (not stemmed), space-separated.
    normalized: str


_REFERENCES = set("this it that these them one ones ce cette cet celui celle ceux celles ca le la".split())


def _phrases() -> dict[str, list[tuple[str, bool]]]:
    return {
        intent: [(p.lstrip("~"), p.startswith("~")) for p in phrases]
        for intent, phrases in lexicon.INTENT_PHRASES.items()
    }


_INTENT_PHRASES = _phrases()
_TOPICS = {t: [p.lstrip("~") for p in ps] for t, ps in lexicon.QUESTION_TOPICS.items()}
_PRICE_WORDS = set(
    "under below less then cheaper than more max maximum most within moins sous dessous inferieur superieur "
    "budget over above least minimum starting plus partir between entre around about environ euros euro "
    "dollars pounds rupees".split()
)
_LEXICON_WORDS: frozenset[str] = frozenset(
    w
    for group in (
        *(p for ps in lexicon.INTENT_PHRASES.values() for p in ps),
        *lexicon.COLOUR_OF,
        *lexicon.SIZE_OF,
        *(w for g in lexicon.SYNONYMS for w in g),
        *lexicon.NUMBER_WORDS,
        *_PRICE_WORDS,
    )
    for w in group.lstrip("~").split()
)
#: Known words long enough to be the target of a typo correction.
_CORRECTABLE = tuple(sorted(w for w in _LEXICON_WORDS if len(w) >= 4))


def _prepare(text: str) -> list[str]:
    """Folded words, with prices kept whole ("49.90" -> "49p90") and currency symbols as words."""
    folded = fold(text[:MAX_MESSAGE_LENGTH])
    folded = _SYMBOL_RE.sub(lambda m: _SYMBOLS[m.group(0)], folded)
    folded = _DECIMAL.sub(r"\1p\2", folded)
    folded = _GLUED_UNIT.sub(r"\1 \2", folded)
    return words(folded)


@lru_cache(maxsize=4096)
def _correct_lexicon(word: str) -> tuple[str, float] | None:
    match = process.extractOne(word, _CORRECTABLE, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
    if match is None:
        return None
    candidate, score = match[0], match[1]
    if candidate[0] != word[0] and score < FUZZY_CUTOFF_OTHER_INITIAL:
        return None
    return candidate, score


def correct(word: str, vocabulary: Vocabulary) -> str:
    """The known word closest to `word` ("shiping" -> "shipping"), or `word` itself."""
    if (
        len(word) < 4
        or word in _LEXICON_WORDS
        or word in lexicon.STOPWORDS
        or stem(word) in vocabulary.content
        or any(ch.isdigit() for ch in word)
    ):
        return word
    best = _correct_lexicon(word)
    bucket = vocabulary.by_initial.get(word[0], ())
    if bucket:
        match = process.extractOne(word, bucket, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
        if match is not None and (best is None or match[1] > best[1]):
            best = (match[0], match[1])
    return best[0] if best else word


def _amount(raw: str) -> int:
    whole, _, cents = raw.partition("p")
    return int(whole) * 100 + (int(cents.ljust(2, "0")) if cents else 0)


def price_bounds(normalized: str) -> tuple[int | None, int | None]:
    """(min, max) in minor units from "under 100", "moins de 50 €", "between 20 and 40", "around 80"."""
    if m := _RANGE.search(normalized) or _RANGE_BARE.search(normalized):
        low, high = sorted((_amount(m.group(1)), _amount(m.group(2))))
        return low, high
    low = high = None
    if m := _MAX.search(normalized):
        high = _amount(m.group(1))
    if m := _MIN.search(normalized):
        low = _amount(m.group(1))
    if low is None and high is None and (m := _AROUND.search(normalized) or _AMOUNT.search(normalized)):
        raw = next(g for g in m.groups() if g)
        value = _amount(raw)
        if m.re is _AROUND:
            return value * 3 // 4, value * 5 // 4
        return None, value
    return low, high


def _matched(normalized: str, phrases: Iterable[str]) -> list[str]:
    padded = f" {normalized} "
    return [p for p in phrases if f" {p} " in padded]


def classify(normalized: str) -> tuple[str | None, set[str]]:
    """The intent whose phrases the message contains (by precedence), and the words of those phrases."""
    strong: list[str] = []
    weak: list[str] = []
    used: set[str] = set()
    padded = f" {normalized} "
    for intent in lexicon.INTENT_PRECEDENCE:
        for phrase, is_weak in _INTENT_PHRASES[intent]:
            if f" {phrase} " in padded:
                (weak if is_weak else strong).append(intent)
                used.update(phrase.split())
    if strong:
        if "product_question" in strong and "search" in strong and not _refers(normalized):
            strong.remove("product_question")
        return min(strong, key=lexicon.INTENT_PRECEDENCE.index), used
    if weak:
        return min(weak, key=lexicon.INTENT_PRECEDENCE.index), used
    return None, used


def _refers(normalized: str) -> bool:
    return any(w in _REFERENCES for w in normalized.split())


def detect_language(tokens: list[str], default: str = "en") -> str:
    fr = sum(t in lexicon.FRENCH_MARKERS for t in tokens)
    en = sum(t in lexicon.ENGLISH_MARKERS for t in tokens)
    if fr == en:
        return default
    return "fr" if fr > en else "en"


def _sizes(normalized: str) -> list[str]:
    phrases = _matched(normalized, lexicon.SIZE_OF)
    # "extra large" is XL, not also the L of "large".
    phrases = [p for p in phrases if not any(p != q and f" {p} " in f" {q} " for q in phrases)]
    found = [lexicon.SIZE_OF[p] for p in phrases]
    found += [m.group(1).upper() for m in _SIZE_LETTER.finditer(normalized)]
    return list(dict.fromkeys(found))


def _quantity(normalized: str, price_text: set[str]) -> int | None:
    for m in _QUANTITY.finditer(normalized):
        if m.group(1) not in price_text and 0 < int(m.group(1)) <= 99:
            return int(m.group(1))
    for phrase in _matched(normalized, lexicon.NUMBER_WORDS):
        return lexicon.NUMBER_WORDS[phrase]
    return None


def understand(text: str, vocabulary: Vocabulary | None = None, language: str = "en") -> Understanding:
    """Intent and slots of one shopper message. `vocabulary` comes from the catalog index."""
    vocabulary = vocabulary or Vocabulary()
    tokens = [correct(t, vocabulary) for t in _prepare(text)]
    normalized = " ".join(tokens)
    intent, phrase_words = classify(normalized)
    price_min, price_max = price_bounds(normalized)
    has_price = price_min is not None or price_max is not None
    price_text = set(re.findall(r"\d+(?:p\d+)?", normalized)) if has_price else set()
    colours = list(dict.fromkeys(lexicon.COLOUR_OF[t] for t in tokens if t in lexicon.COLOUR_OF))
    sizes = _sizes(normalized)
    size_words = {w for p in _matched(normalized, lexicon.SIZE_OF) for w in p.split()}
    dimensions = [f"{m.group(1).replace('p', '.')} {m.group(2)}" for m in _DIMENSION.finditer(normalized)]
    terms = [
        stem(t)
        for t in tokens
        if t not in lexicon.STOPWORDS
        and t not in lexicon.COLOUR_OF
        and t not in size_words
        and not t[0].isdigit()
        and (t not in phrase_words or stem(t) in vocabulary.content)
        and t not in _PRICE_WORDS
        and not re.fullmatch(_CURRENCY, t)
        and not re.fullmatch(_UNIT, t)
    ]
    terms = list(dict.fromkeys(terms))
    if intent is None and (has_price or any(t in vocabulary.content or t in _SYNONYM_STEMS for t in terms)):
        intent = "search"
    topic = None
    if intent == "product_question":
        topic = next((t for t, ps in _TOPICS.items() if _matched(normalized, ps)), None)
    slots = Slots(
        price_min=price_min,
        price_max=price_max,
        colours=tuple(colours),
        sizes=tuple(sizes),
        dimensions=tuple(dimensions),
        terms=tuple(terms),
        product_types=tuple(sorted({n for t in terms for n in vocabulary.types.get(t, ())})),
        tags=tuple(sorted({n for t in terms for n in vocabulary.tags.get(t, ())})),
        quantity=_quantity(normalized, price_text) if intent == "add_to_cart" else None,
        topic=topic,
        refers_to_current=_refers(normalized) or (bool(sizes or colours) and intent == "add_to_cart"),
    )
    return Understanding(
        text=text,
        intent=intent or "unknown",
        language=detect_language(tokens, language),
        slots=slots,
        normalized=normalized,
    )


#: Stems of the synonym lexicon: words that are about products even before a catalog is loaded.
_SYNONYM_STEMS = frozenset(stem(w) for group in lexicon.SYNONYMS for w in group)
