"""An in-memory index of the visible catalog, for the bot's searches and recommendations.

Built once per process and database (on first use), then kept up to date: products changed through the ORM
are re-read after their transaction commits (see `bot.index_events`), and a cheap fingerprint of the catalog
is compared at most every BOT_INDEX_RECHECK_SECONDS to catch what other processes or bulk SQL changed.

Ranking: every query word (typo-corrected, plural-insensitive, with its French/English synonyms) scores
the products containing it by field (title > type > tags > options > attributes > vendor > description)
times its rarity (IDF); products matching more of the words come first. Price bounds are filters on
variant prices; colours filter on option values, tags, title and colour attributes; sizes boost.
"""

from __future__ import annotations

import heapq
import itertools
import math
import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast
from weakref import WeakKeyDictionary

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from bot import lexicon
from bot.understand import Slots, Vocabulary, stem
from extensions import db
from shop.catalog import visible
from shop.models import Product, Variant
from shop.text import fold, html_to_text, words

#: Weight of a word by the field it is found in.
FIELD_WEIGHTS = {
    "title": 3.0,
    "type": 2.5,
    "tags": 2.0,
    "options": 1.5,
    "attributes": 1.2,
    "vendor": 0.8,
    "body": 0.5,
}
#: Metafields whose values describe the product (material, colour, ...); the rest are settings or links.
ATTRIBUTE_METAFIELDS = ("material", "color", "colour", "pattern", "plant-name", "shape", "features")
#: Metafields that link to products that go well with this one (handles, `;`/`,`/newline separated).
COMPLEMENTARY_METAFIELDS = ("complementary_products",)
RELATED_METAFIELDS = ("related_products",)
#: Beyond this many changed products, the index is rebuilt rather than patched.
MAX_INCREMENTAL = 200
DEFAULT_RECHECK_SECONDS = 30.0
#: Words found in these fields or better (attributes and up) are the vocabulary typos are corrected to.
VOCABULARY_WEIGHT = 1.2
#: Product scores of query words kept per index (summed over the cached words, ~100 bytes each); the
#: oldest words are dropped beyond it. A common word of a 10,000-product catalog holds ~2,000.
GROUP_CACHE_ENTRIES = 300_000
#: Values derived from the docs kept per index (such as each product's similar products); all are
#: dropped beyond it, as on a change.
DERIVED_ENTRIES = 20_000

T = TypeVar("T")

_SYNONYM_OF: dict[str, frozenset[str]] = {}
for _group in lexicon.SYNONYMS:
    _stems = frozenset(stem(w) for w in _group)
    for _w in _stems:
        _SYNONYM_OF[_w] = _SYNONYM_OF.get(_w, frozenset()) | _stems


#: Stem -> the canonical word of its synonym group ("chaise" -> "chair"), for "what goes with" rules.
CONCEPT_OF: dict[str, str] = {}
for _group in reversed(lexicon.SYNONYMS):
    for _w in _group:
        CONCEPT_OF[stem(_w)] = _group[0]


def expand(term: str) -> frozenset[str]:
    """A query word and its synonyms in both languages ("chaise" -> {"chaise", "chair", "seat", ...})."""
    return _SYNONYM_OF.get(term, frozenset()) | {term}


@dataclass(frozen=True)
class VariantDoc:
    id: int
    options: tuple[str, ...]
    price: int
    #: Folded option words, for "the medium one" and colour/size matching.
    option_words: frozenset[str]
    #: Size letters the variant answers to ("M - Ø 45 cm" -> {"M"}).
    sizes: frozenset[str] = frozenset()


@dataclass
class ProductDoc:
    """What the bot knows of a visible product, without touching the database."""

    id: int
    handle: str
    title: str
    product_type: str
    vendor: str
    tags: tuple[str, ...]
    option_names: tuple[str, ...]
    variants: tuple[VariantDoc, ...]
    body_text: str
    metafields: dict[str, str]
    image: str | None
    #: Handles the shop says go well with this product (metafields, and tags naming another product).
    links: tuple[str, ...]
    related: tuple[str, ...]
    #: Canonical colours found in the title, tags, options and colour attributes.
    colours: frozenset[str]
    #: Stemmed word -> best field weight.
    terms: dict[str, float] = field(default_factory=dict)
    #: Canonical product words of the title and type ("chair", "pot"), see CONCEPT_OF.
    concepts: frozenset[str] = frozenset()

    #: Cheapest and dearest variant prices, minor units.
    price_min: int = 0
    price_max: int = 0
    #: Size letters of all variants, canonical colours named in the description, and the option values
    #: without spaces ("100cm"), precomputed for the filters and boosts of `CatalogIndex.search`.
    sizes: frozenset[str] = frozenset()
    body_colours: frozenset[str] = frozenset()
    compact_options: str = ""

    def in_budget(self, low: int | None, high: int | None) -> bool:
        """Some variant's price is within the bounds (inclusive)."""
        if (low is None or self.price_min >= low) and (high is None or self.price_min <= high):
            return True  # the cheapest variant fits: the common case, without a loop
        if (low is not None and self.price_max < low) or (high is not None and self.price_min > high):
            return False
        return any(
            (low is None or v.price >= low) and (high is None or v.price <= high) for v in self.variants
        )

    def has_size(self, sizes: Iterable[str]) -> bool:
        return not self.sizes.isdisjoint(sizes)


def variant_size(options: Iterable[str]) -> frozenset[str]:
    """Size letters a variant answers to: "M", "Medium", "M - Ø 45 cm" -> {"M"}."""
    sizes = set()
    for option in options:
        option_words = words(option)
        if option_words and option_words[0] in lexicon.SIZE_VALUE:
            sizes.add(lexicon.SIZE_VALUE[option_words[0]])
        joined = " ".join(option_words)
        sizes.update(size for phrase, size in lexicon.SIZE_OF.items() if f" {phrase} " in f" {joined} ")
    return frozenset(sizes)


def _split_handles(value: object) -> list[str]:
    text = str(value or "").replace("\n", ";").replace(",", ";")
    return [v.strip().rsplit("/", 1)[-1] for v in text.split(";") if v.strip()]


def _metafield(metafields: dict[str, object], names: Iterable[str]) -> list[tuple[str, str]]:
    return [(k, str(v)) for k, v in metafields.items() if any(k.endswith(n) for n in names) and v]


def make_doc(product: Product, handles: set[str]) -> ProductDoc:
    """The index's view of a product; `handles` (visible products) tells tags that name a product."""
    metafields = dict(product.metafields or {})
    attributes = " ".join(v for _, v in _metafield(metafields, ATTRIBUTE_METAFIELDS))
    tags = tuple(tag.name for tag in product.tags)
    tag_handles = [t for t in (fold(tag).replace(" ", "-") for tag in tags) if t in handles]
    links = [h for _, v in _metafield(metafields, COMPLEMENTARY_METAFIELDS) for h in _split_handles(v)]
    related = [h for _, v in _metafield(metafields, RELATED_METAFIELDS) for h in _split_handles(v)]
    variants = tuple(
        VariantDoc(
            v.id,
            tuple(v.options),
            v.price,
            frozenset(w for o in v.options for w in words(o)),
            variant_size(v.options),
        )
        for v in product.variants
    )
    body = html_to_text(product.body_html or "")
    fields = {
        "title": product.title,
        "type": product.product_type or "",
        "tags": " ".join(t for t in tags if fold(t).replace(" ", "-") not in handles),
        "options": " ".join(o for v in variants for o in v.options if o != "Default Title"),
        "attributes": attributes,
        "vendor": product.vendor or "",
        "body": body,
    }
    terms: dict[str, float] = {}
    field_words = {name: words(text) for name, text in fields.items()}
    for name, found in field_words.items():
        for word in found:
            key = stem(word)
            if len(key) > 1 and terms.get(key, 0.0) < FIELD_WEIGHTS[name]:
                terms[key] = FIELD_WEIGHTS[name]
    colour_text = " ".join([product.title, " ".join(tags), fields["options"], attributes])
    colours = frozenset(lexicon.COLOUR_OF[w] for w in words(colour_text) if w in lexicon.COLOUR_OF)
    body_words = set(field_words["body"])
    body_colours = frozenset(c for c, names in lexicon.COLOURS.items() if body_words.intersection(names))
    return ProductDoc(
        id=product.id,
        handle=product.handle,
        title=product.title,
        product_type=product.product_type or "",
        vendor=product.vendor or "",
        tags=tags,
        option_names=tuple(product.option_names),
        variants=variants,
        body_text=body,
        metafields={k: str(v) for k, v in metafields.items()},
        image=product.images[0].src if product.images else None,
        links=tuple(dict.fromkeys([*links, *tag_handles])),
        related=tuple(related),
        colours=colours,
        terms=terms,
        price_min=min((v.price for v in variants), default=0),
        price_max=max((v.price for v in variants), default=0),
        sizes=frozenset(size for v in variants for size in v.sizes),
        body_colours=body_colours,
        compact_options=" ".join(o.replace(" ", "").lower() for v in variants for o in v.options),
        concepts=frozenset(
            CONCEPT_OF[key]
            for w in (*words(product.title), *words(product.product_type or ""))
            if (key := stem(w)) in CONCEPT_OF
        ),
    )


@dataclass(frozen=True)
class Hit:
    doc: ProductDoc
    score: float
    #: How many of the query's words the product matched.
    matched: int


class CatalogIndex:
    """Inverted index over ProductDocs; patched in place when products change.

    What is derived from the documents (a query word's scores merged over its synonyms, the vocabulary,
    recommenders' orderings) is cached on the index until the next change, so a message reuses the work of
    earlier ones and nothing is rebuilt per message.
    """

    def __init__(self, docs: Iterable[ProductDoc] = ()) -> None:
        self.docs: dict[int, ProductDoc] = {}
        self.by_handle: dict[str, ProductDoc] = {}
        self.postings: dict[str, dict[int, float]] = {}
        #: Handle -> ids of the products whose links name it (in the order of `docs`).
        self.linked_from: dict[str, dict[int, None]] = {}
        #: Canonical colour -> ids of the products of that colour; of those whose description names it.
        self.by_colour: dict[str, set[int]] = {}
        self.by_body_colour: dict[str, set[int]] = {}
        #: Incremented by every change: a value computed before a change is not cached after it.
        self.version = 0
        self._groups: dict[tuple[frozenset[str], str], dict[int, float]] = {}
        self._group_entries = 0
        self._derived: dict[Hashable, tuple[Hashable, Any]] = {}
        self._cache_lock = threading.Lock()
        # How many products have each vocabulary word, type and tag (the vocabulary is rebuilt from these).
        self._content: Counter[str] = Counter()
        self._types: Counter[str] = Counter()
        self._tags: Counter[str] = Counter()
        self._vocabulary: Vocabulary | None = None
        for doc in docs:
            self.remove(doc.id)
            self._add(doc)

    def __len__(self) -> int:
        return len(self.docs)

    def __iter__(self) -> Iterator[ProductDoc]:
        return iter(self.docs.values())

    def add(self, doc: ProductDoc) -> None:
        self.remove(doc.id)
        self._add(doc)
        self._changed()

    def remove(self, product_id: int) -> None:
        doc = self.docs.pop(product_id, None)
        if doc is None:
            return
        self.by_handle.pop(doc.handle, None)
        for term in doc.terms:
            _discard(self.postings, term, product_id)
        for handle in doc.links:
            _discard(self.linked_from, handle, product_id)
        for colour in doc.colours:
            _discard(self.by_colour, colour, product_id)
        for colour in doc.body_colours:
            _discard(self.by_body_colour, colour, product_id)
        for counter, keys in self._counted(doc):
            counter.subtract(keys)
            for key in keys:
                if counter[key] <= 0:
                    del counter[key]
        self._changed()

    def _add(self, doc: ProductDoc) -> None:
        self.docs[doc.id] = doc
        self.by_handle[doc.handle] = doc
        for term, weight in doc.terms.items():
            self.postings.setdefault(term, {})[doc.id] = weight
        for handle in doc.links:
            self.linked_from.setdefault(handle, {})[doc.id] = None
        for colour in doc.colours:
            self.by_colour.setdefault(colour, set()).add(doc.id)
        for colour in doc.body_colours:
            self.by_body_colour.setdefault(colour, set()).add(doc.id)
        for counter, keys in self._counted(doc):
            counter.update(keys)

    def _counted(self, doc: ProductDoc) -> list[tuple[Counter[str], list[str]]]:
        """The vocabulary's counters and what a product adds to each: its telling words, type and tags."""
        return [
            (self._content, [t for t, w in doc.terms.items() if w >= VOCABULARY_WEIGHT]),
            (self._types, [doc.product_type] if doc.product_type else []),
            (self._tags, list(dict.fromkeys(doc.tags))),
        ]

    def _changed(self) -> None:
        with self._cache_lock:
            self.version += 1
            self._groups, self._group_entries, self._derived = {}, 0, {}
            self._vocabulary = None

    @property
    def vocabulary(self) -> Vocabulary:
        """Words of titles, types, tags, options and attributes (what `understand` corrects typos to)."""
        vocabulary = self._vocabulary
        if vocabulary is None:
            vocabulary = Vocabulary.build(self._content, types=self._types, tags=self._tags)
            self._vocabulary = vocabulary
        return vocabulary

    def derived(self, key: Hashable, compute: Callable[[], T], stamp: Hashable = None) -> T:
        """`compute()`, kept until the catalog changes or it is asked for with another `stamp` (for what
        also depends on something else, such as sales)."""
        version = self.version
        found = self._derived.get(key)
        if found is not None and found[0] == stamp:
            return cast(T, found[1])
        value = compute()
        with self._cache_lock:
            if version == self.version:
                if len(self._derived) >= DERIVED_ENTRIES:
                    self._derived = {}
                self._derived[key] = (stamp, value)
        return value

    def idf(self, term: str) -> float:
        df = len(self.postings.get(term, ()))
        return math.log(1 + len(self.docs) / df) if df else 0.0

    def group_scores(self, term: str) -> dict[int, float]:
        """Product id -> score of a query word with its synonyms: the best field weight x rarity among the
        group's words, the word as typed counting more than its synonyms. Cached until the catalog changes."""
        group = expand(term)
        key = (group, term)
        found = self._groups.get(key)
        if found is not None:
            return found
        version = self.version
        best: dict[int, float] = {}
        own_idf = self.idf(term) if term in self.postings else math.inf
        for alternative in group:
            posting = self.postings.get(alternative)
            if not posting:
                continue
            # A rare synonym is no better a match than the word as typed.
            factor = min(self.idf(alternative), own_idf) * (1.0 if alternative == term else 0.8)
            if not best:
                best = {doc_id: weight * factor for doc_id, weight in posting.items()}
                continue
            get = best.get
            for doc_id, weight in posting.items():
                value = weight * factor
                if value > get(doc_id, 0.0):
                    best[doc_id] = value
        with self._cache_lock:
            if version == self.version:
                self._groups[key] = best
                self._group_entries += len(best)
                while self._group_entries > GROUP_CACHE_ENTRIES and len(self._groups) > 1:
                    self._group_entries -= len(self._groups.pop(next(iter(self._groups))))
        return best

    def _group_scores(self, terms: Iterable[str]) -> list[dict[int, float]]:
        # One group per meaning: "terre cuite" is one word for search, counted once.
        return [self.group_scores(term) for term in {expand(term): term for term in terms}.values()]

    def total_scores(self, terms: Iterable[str]) -> dict[int, float]:
        """Product id -> summed score of the words (see `group_scores`), for products matching any."""
        total: dict[int, float] = {}
        for scores in self._group_scores(terms):
            if not total:
                total = dict(scores)
                continue
            get = total.get
            for doc_id, value in scores.items():
                total[doc_id] = get(doc_id, 0.0) + value
        return total

    def score_terms(self, terms: Iterable[str]) -> dict[int, tuple[int, float]]:
        """Product id -> (words matched, score) for the words that occur in the catalog at all."""
        groups = self._group_scores(terms)
        counts: Counter[int] = Counter()
        for scores in groups:
            counts.update(scores.keys())
        return {i: (n, sum(s.get(i, 0.0) for s in groups)) for i, n in counts.items()}

    def search(self, slots: Slots, limit: int = 6, exclude: Iterable[int] = ()) -> list[Hit]:
        """Products for a search's slots, best first (see the module's docstring for the ranking)."""
        terms = [t for t in slots.terms if any(a in self.postings for a in expand(t))]
        if terms:
            groups = self._group_scores(terms)
        elif slots.terms and not (slots.colours or slots.price_min or slots.price_max):
            return []  # only words the catalog does not know: no honest result
        else:
            groups = []
        excluded = set(exclude)
        if not slots.colours:
            return self._rank(groups, limit, slots, excluded)
        wanted = set(slots.colours)
        coloured = self._rank(groups, limit, slots, excluded, _ids(self.by_colour, wanted))
        if coloured:
            return coloured
        # No product says so in its attributes: fall back to the description.
        return self._rank(groups, limit, slots, excluded, _ids(self.by_body_colour, wanted))

    def _rank(
        self,
        groups: list[dict[int, float]],
        limit: int,
        slots: Slots,
        excluded: set[int],
        allowed: set[int] | None = None,
    ) -> list[Hit]:
        """The best `limit` allowed products in the price bounds: most words matched first, then score
        (with the size boosts), cheaper, older. Tiers of words matched are ranked one at a time, from the
        top, and only until `limit` products are found: common words do not score the whole catalog."""
        low, high = slots.price_min, slots.price_max
        budget = low is not None or high is not None
        sizes, dimensions = set(slots.sizes), slots.dimensions
        if not groups and not sizes and not dimensions and allowed is None:
            return self._cheapest(limit, low, high, excluded)
        docs, hits = self.docs, []
        for matched, ids in self._tiers(groups):
            if allowed is not None:
                ids = allowed.intersection(ids)
            candidates = [docs[i] for i in ids if i not in excluded]
            if budget:
                candidates = [d for d in candidates if d.in_budget(low, high)]
            if len(groups) == 1:
                score = groups[0].__getitem__
            else:
                gets = [g.get for g in groups]

                def score(doc_id: int, gets: list = gets) -> float:
                    return sum(get(doc_id, 0.0) for get in gets)

            keyed = [(-score(d.id), d.price_min, d.id, d) for d in candidates]
            if sizes or dimensions:
                keyed = [(s - _fit(d, sizes, dimensions), p, i, d) for s, p, i, d in keyed]
            hits += [Hit(d, -s, matched) for s, _p, _i, d in heapq.nsmallest(limit - len(hits), keyed)]
            if len(hits) >= limit:
                break
        return hits

    def _cheapest(self, limit: int, low: int | None, high: int | None, excluded: set[int]) -> list[Hit]:
        """With nothing to score by: the cheapest products in the price bounds."""
        by_price = self.derived(
            "by_price", lambda: sorted(self.docs.values(), key=lambda d: (d.price_min, d.id))
        )
        found = (d for d in by_price if d.id not in excluded and d.in_budget(low, high))
        return [Hit(d, 0.0, 0) for d in itertools.islice(found, limit)]

    def _tiers(self, groups: list[dict[int, float]]) -> Iterator[tuple[int, Iterable[int]]]:
        """(words matched, product ids) from the most words matched down, each computed when asked for."""
        if not groups:
            yield 0, self.docs.keys()
            return
        if len(groups) == 1:
            yield 1, groups[0].keys()
            return
        smallest = min(groups, key=len)
        all_words = set(smallest).intersection(*(g for g in groups if g is not smallest))
        if all_words:
            yield len(groups), all_words
        counts: Counter[int] = Counter()
        for scores in groups:
            counts.update(scores.keys())
        tiers: dict[int, list[int]] = {}
        for doc_id, n in counts.items():
            if n < len(groups):
                tiers.setdefault(n, []).append(doc_id)
        for n in sorted(tiers, reverse=True):
            yield n, tiers[n]


def _fit(doc: ProductDoc, sizes: set[str], dimensions: tuple[str, ...]) -> float:
    """Boost of a product having the size asked for, and one for the measurement ("80 cm")."""
    bonus = 1.0 if sizes and doc.has_size(sizes) else 0.0
    if dimensions and any(d.replace(" ", "") in doc.compact_options for d in dimensions):
        bonus += 1.0
    return bonus


def _ids(by_key: dict[str, set[int]], keys: Iterable[str]) -> set[int]:
    return set().union(*(by_key.get(k, ()) for k in keys))


def _discard(mapping: dict[str, Any], key: str, doc_id: int) -> None:
    """Take a product out of one posting (a dict or set of ids), and the posting out when empty."""
    ids = mapping.get(key)
    if ids is not None:
        if isinstance(ids, set):
            ids.discard(doc_id)
        else:
            ids.pop(doc_id, None)
        if not ids:
            del mapping[key]


def load_docs(product_ids: Iterable[int] | None = None) -> list[ProductDoc]:
    """ProductDocs of the visible products (all, or those of `product_ids` that are still visible)."""
    handles = set(db.session.scalars(sa.select(Product.handle).where(visible())))
    stmt = (
        sa.select(Product)
        .where(visible())
        .options(selectinload(Product.variants), selectinload(Product.tags), selectinload(Product.images))
        .order_by(Product.id)
    )
    if product_ids is not None:
        stmt = stmt.where(Product.id.in_(list(product_ids)))
    return [make_doc(p, handles) for p in db.session.scalars(stmt)]


def fingerprint() -> tuple:
    """Cheap summary of the catalog that changes whenever a product or variant does."""
    products = db.session.execute(
        sa.select(sa.func.count(Product.id), sa.func.max(Product.updated_at), sa.func.max(Product.id))
    ).one()
    variants = db.session.execute(
        sa.select(sa.func.count(Variant.id), sa.func.sum(Variant.price), sa.func.max(Variant.id))
    ).one()
    return (*products, *variants)


@dataclass
class _Holder:
    index: CatalogIndex | None = None
    fingerprint: tuple | None = None
    checked_at: float = 0.0
    changed: set[int] = field(default_factory=set)
    rebuild: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


_HOLDERS: WeakKeyDictionary[sa.Engine, _Holder] = WeakKeyDictionary()


def _holder(engine: sa.Engine) -> _Holder:
    holder = _HOLDERS.get(engine)
    if holder is None:
        holder = _HOLDERS.setdefault(engine, _Holder())
    return holder


def mark_changed(engine: sa.Engine, product_ids: Iterable[int], rebuild: bool = False) -> None:
    """Tell the index of `engine` that these products changed (called after a commit)."""
    holder = _holder(engine)
    with holder.lock:
        holder.changed.update(product_ids)
        holder.rebuild = holder.rebuild or rebuild


def reset_index() -> None:
    """Forget the index of the current app's database: the next `get_index` rebuilds it."""
    _HOLDERS.pop(db.engine, None)


def get_index() -> CatalogIndex:
    """The catalog index of the current app's database, built on first use and kept current."""
    holder = _holder(db.engine)
    with holder.lock:
        now = time.monotonic()
        recheck = float(current_app.config.get("BOT_INDEX_RECHECK_SECONDS", DEFAULT_RECHECK_SECONDS))
        if holder.index is not None and now - holder.checked_at >= recheck:
            holder.checked_at = now
            current = fingerprint()
            if current != holder.fingerprint:
                holder.rebuild = True
        if holder.index is None or holder.rebuild or len(holder.changed) > MAX_INCREMENTAL:
            holder.index = CatalogIndex(load_docs())
            holder.fingerprint, holder.checked_at = fingerprint(), now
            holder.changed.clear()
            holder.rebuild = False
        elif holder.changed:
            ids = set(holder.changed)
            holder.changed.clear()
            for product_id in ids:
                holder.index.remove(product_id)
            for doc in load_docs(ids):
                holder.index.add(doc)
            holder.fingerprint = fingerprint()
        holder.index.vocabulary  # noqa: B018  (built with the index, not by the next message)
        return holder.index
