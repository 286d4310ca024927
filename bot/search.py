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
import math
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
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

    def in_budget(self, low: int | None, high: int | None) -> bool:
        if low is None and high is None:
            return True
        return any(
            (low is None or v.price >= low) and (high is None or v.price <= high) for v in self.variants
        )

    def has_size(self, sizes: Iterable[str]) -> bool:
        wanted = set(sizes)
        return any(v.sizes & wanted for v in self.variants)


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
    for name, text in fields.items():
        for word in words(text):
            key = stem(word)
            if len(key) > 1 and terms.get(key, 0.0) < FIELD_WEIGHTS[name]:
                terms[key] = FIELD_WEIGHTS[name]
    colour_text = " ".join([product.title, " ".join(tags), fields["options"], attributes])
    colours = frozenset(lexicon.COLOUR_OF[w] for w in words(colour_text) if w in lexicon.COLOUR_OF)
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
    """Inverted index over ProductDocs; patched in place when products change."""

    def __init__(self, docs: Iterable[ProductDoc] = ()) -> None:
        self.docs: dict[int, ProductDoc] = {}
        self.by_handle: dict[str, ProductDoc] = {}
        self.postings: dict[str, dict[int, float]] = {}
        self._vocabulary: Vocabulary | None = None
        for doc in docs:
            self.add(doc)

    def __len__(self) -> int:
        return len(self.docs)

    def __iter__(self) -> Iterator[ProductDoc]:
        return iter(self.docs.values())

    def add(self, doc: ProductDoc) -> None:
        self.remove(doc.id)
        self.docs[doc.id] = doc
        self.by_handle[doc.handle] = doc
        for term, weight in doc.terms.items():
            self.postings.setdefault(term, {})[doc.id] = weight
        self._vocabulary = None

    def remove(self, product_id: int) -> None:
        doc = self.docs.pop(product_id, None)
        if doc is None:
            return
        self.by_handle.pop(doc.handle, None)
        for term in doc.terms:
            posting = self.postings.get(term)
            if posting is not None:
                posting.pop(product_id, None)
                if not posting:
                    del self.postings[term]
        self._vocabulary = None

    @property
    def vocabulary(self) -> Vocabulary:
        """Words of titles, types, tags, options and attributes (what `understand` corrects typos to)."""
        if self._vocabulary is None:
            content = {t for doc in self.docs.values() for t, w in doc.terms.items() if w >= 1.2}
            self._vocabulary = Vocabulary.build(
                content,
                types={d.product_type for d in self.docs.values() if d.product_type},
                tags={t for d in self.docs.values() for t in d.tags},
            )
        return self._vocabulary

    def idf(self, term: str) -> float:
        df = len(self.postings.get(term, ()))
        return math.log(1 + len(self.docs) / df) if df else 0.0

    def score_terms(self, terms: Iterable[str]) -> dict[int, tuple[int, float]]:
        """Product id -> (words matched, score) for the words that occur in the catalog at all."""
        matched: dict[int, int] = {}
        total: dict[int, float] = {}
        groups = {expand(term): term for term in terms}  # "terre cuite" is one word for search
        for group, term in groups.items():
            best: dict[int, float] = {}
            get = best.get
            own_idf = self.idf(term) if term in self.postings else math.inf
            for alternative in group:
                posting = self.postings.get(alternative)
                if not posting:
                    continue
                # The word as typed counts more than its synonyms (a rare synonym is no better a match).
                factor = min(self.idf(alternative), own_idf) * (1.0 if alternative == term else 0.8)
                for doc_id, weight in posting.items():
                    value = weight * factor
                    if value > get(doc_id, 0.0):
                        best[doc_id] = value
            matched_get, total_get = matched.get, total.get
            for doc_id, value in best.items():
                matched[doc_id] = matched_get(doc_id, 0) + 1
                total[doc_id] = total_get(doc_id, 0.0) + value
        return {doc_id: (n, total[doc_id]) for doc_id, n in matched.items()}

    def search(self, slots: Slots, limit: int = 6, exclude: Iterable[int] = ()) -> list[Hit]:
        """Products for a search's slots, best first (see the module's docstring for the ranking)."""
        excluded = set(exclude)
        terms = [t for t in slots.terms if any(a in self.postings for a in expand(t))]
        if terms:
            scores = self.score_terms(terms)
        elif slots.terms and not (slots.colours or slots.price_min or slots.price_max):
            return []  # only words the catalog does not know: no honest result
        else:
            scores = dict.fromkeys(self.docs, (0, 0.0))
        candidates = [
            (self.docs[i], m, s)
            for i, (m, s) in scores.items()
            if i not in excluded and self.docs[i].in_budget(slots.price_min, slots.price_max)
        ]
        if slots.colours:
            wanted = set(slots.colours)
            coloured = [c for c in candidates if c[0].colours & wanted]
            if coloured:
                candidates = coloured
            else:  # no product says so in its attributes: fall back to the description
                colour_words = {w for c in wanted for w in lexicon.COLOURS[c]}
                candidates = [c for c in candidates if colour_words & set(words(c[0].body_text))] or []
        sizes = set(slots.sizes)
        if sizes or slots.dimensions:
            candidates = [(doc, m, s + self._fit(doc, sizes, slots.dimensions)) for doc, m, s in candidates]
        best = heapq.nsmallest(limit, candidates, key=lambda c: (-c[1], -c[2], c[0].price_min, c[0].id))
        return [Hit(doc, score, matched) for doc, matched, score in best]

    @staticmethod
    def _fit(doc: ProductDoc, sizes: set[str], dimensions: tuple[str, ...]) -> float:
        bonus = 1.0 if sizes and doc.has_size(sizes) else 0.0
        if dimensions and any(d.replace(" ", "") in _compact(doc) for d in dimensions):
            bonus += 1.0
        return bonus


def _compact(doc: ProductDoc) -> str:
    return " ".join(o.replace(" ", "").lower() for v in doc.variants for o in v.options)


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
        return holder.index
