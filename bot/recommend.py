"""Recommendations: similar products, products that go well together, personal picks, popular products.

All return ProductDocs from the catalog index (visible products only). The same functions feed the bot's
replies and the "You may also like" block of product pages (`you_may_also_like`).
"""

from __future__ import annotations

import heapq
import itertools
import math
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from bot import lexicon
from bot.search import VOCABULARY_WEIGHT, CatalogIndex, ProductDoc, get_index
from chat.models import PageView
from extensions import db
from shop.catalog import visible
from shop.models import Cart, CartLine, Order, OrderLine, Product, Variant, utcnow

#: Orders that count as bought (a pending or cancelled order is not a purchase).
BOUGHT_STATUSES = ("paid", "fulfilled", "partially_refunded")
#: How far back "popular" and personal history look.
POPULAR_WINDOW = timedelta(days=90)
HISTORY_VIEWS = 30
POPULAR_CACHE_SECONDS = 300.0
#: Kinds of product (concepts of `bot.search.CONCEPT_OF`) that "what goes with" rules are about.
KINDS = frozenset(lexicon.GOES_WITH) | {kind for kinds in lexicon.GOES_WITH.values() for kind in kinds}
#: How many products of the kinds that go with a product's are kept per kind (more than any reply shows).
GOES_WITH_KEPT = 32
#: Weight of each signal of interest in a product for personal picks.
INTEREST = {"bought": 3.0, "carted": 2.0, "viewed": 1.0}


def similar(product_id: int, limit: int = 4, index: CatalogIndex | None = None) -> list[ProductDoc]:
    """Products like this one: same words (weighted by field and rarity), type, colours, price range.
    Kept on the index until the catalog changes."""
    index = index or get_index()
    return list(index.derived(("similar", product_id, limit), lambda: _similar(index, product_id, limit)))


def _similar(index: CatalogIndex, product_id: int, limit: int) -> list[ProductDoc]:
    doc = index.docs.get(product_id)
    if doc is None:
        return []
    # The product's most telling words: title, type, tags and attributes, rarest first.
    telling = [t for t, w in doc.terms.items() if w >= VOCABULARY_WEIGHT]
    # Words on more than a fifth of the catalog say little and cost much (on a large catalog).
    rare = [t for t in telling if len(index.postings.get(t, ())) * 5 <= len(index)]
    words: dict[int, float] = {}
    for chosen in (rare, telling):  # the common words only when the rare ones find too few products
        own = sorted(chosen, key=lambda t: -index.idf(t) * doc.terms[t])[:8]
        words = index.total_scores(own)
        words.pop(product_id, None)
        if len(words) >= limit:
            break
    related = {o.id for h in doc.related if (o := index.by_handle.get(h)) is not None and o.id != product_id}
    for other_id in related:  # the shop says so, whatever the words
        words.setdefault(other_id, 0.0)
    # The type, colours and price add at most `most` to the words' score: only the products whose words
    # may still reach the top `limit` are scored in full (and those the shop relates to this one).
    most = 2.0 + len(doc.colours) + 1.5
    floor = heapq.nlargest(limit, words.values())[-1] - most - 1e-9 if 0 < limit < len(words) else -math.inf
    own_type, own_colours, own_price = doc.product_type, doc.colours, doc.price_min or 1
    ranked = []
    for other_id, score in words.items():
        if score < floor and other_id not in related:
            continue
        other = index.docs[other_id]
        if own_type and other.product_type == own_type:
            score += 2.0
        if own_colours:
            score += 1.0 * len(own_colours & other.colours)
        price = other.price_min or 1
        low, high = (own_price, price) if own_price <= price else (price, own_price)
        score += 1.5 * low / high  # close prices are more alike
        if other_id in related:
            score += 10.0
        ranked.append((-score, other_id))
    return [index.docs[i] for _, i in heapq.nsmallest(limit, ranked)]


def bought_together(handle: str, limit: int = 8) -> list[tuple[str, int]]:
    """(handle, number of orders) of products bought in the same orders as this one, most often first."""
    orders = (
        sa.select(OrderLine.order_id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(OrderLine.product_handle == handle, Order.status.in_(BOUGHT_STATUSES))
    )
    count = sa.func.count(sa.distinct(OrderLine.order_id))
    stmt = (
        sa.select(OrderLine.product_handle, count)
        .where(OrderLine.order_id.in_(orders), OrderLine.product_handle != handle)
        .group_by(OrderLine.product_handle)
        .order_by(count.desc(), OrderLine.product_handle)
        .limit(limit)
    )
    return [(handle, n) for handle, n in db.session.execute(stmt)]


def complementary(product_id: int, limit: int = 4, index: CatalogIndex | None = None) -> list[ProductDoc]:
    """Products that go well with this one: the shop's own links (Shopify's complementary products
    metafield, tags naming another product), then what was bought with it, then related kinds of
    product (a table -> chairs and cushions; a plant -> pots)."""
    index = index or get_index()
    doc = index.docs.get(product_id)
    if doc is None:
        return []
    picks: dict[int, ProductDoc] = {}

    def take(candidates: Iterable[ProductDoc | None]) -> None:
        for other in candidates:
            if len(picks) >= limit:
                return
            if other is not None and other.id != product_id:
                picks.setdefault(other.id, other)

    take(index.by_handle.get(h) for h in doc.links)
    # Products whose own links name this one go well with it too.
    take(index.docs[i] for i in index.linked_from.get(doc.handle, ()))
    take(index.by_handle.get(h) for h, _n in bought_together(doc.handle))
    if len(picks) < limit:
        take(index.docs[i] for i in _goes_with(doc, index))
    return list(picks.values())[:limit]


def _goes_with(doc: ProductDoc, index: CatalogIndex) -> list[int]:
    """The first GOES_WITH_KEPT products of the kinds that go with this one's (a table: chairs, cushions),
    best first; kept on the index per kinds of product until the catalog changes."""
    kinds = doc.concepts & KINDS

    def ranked() -> list[int]:
        wanted = sorted({c for kind in kinds for c in lexicon.GOES_WITH.get(kind, [])})
        scores = index.total_scores(wanted)
        # A teak chair goes with a teak table; another table does not.
        found = (i for i in best_first(scores) if not (index.docs[i].concepts & kinds))
        return list(itertools.islice(found, GOES_WITH_KEPT))

    return index.derived(("goes_with", kinds), ranked)


def best_first(scores: dict[int, float]) -> Iterator[int]:
    """Ids by score, highest first, then lowest id."""
    by_score: dict[float, list[int]] = {}
    for doc_id, score in scores.items():
        by_score.setdefault(score, []).append(doc_id)
    for score in sorted(by_score, reverse=True):
        yield from sorted(by_score[score])


def _popular_counts() -> Counter[int]:
    since = utcnow() - POPULAR_WINDOW
    counts: Counter[int] = Counter()
    sold = (
        sa.select(Variant.product_id, sa.func.sum(OrderLine.quantity))
        .join(OrderLine, OrderLine.variant_id == Variant.id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.status.in_(BOUGHT_STATUSES), Order.created_at >= since)
        .group_by(Variant.product_id)
    )
    for product_id, n in db.session.execute(sold):
        counts[product_id] += 3 * int(n)
    viewed = (
        sa.select(PageView.product_id, sa.func.count(PageView.id))
        .where(PageView.product_id.is_not(None), PageView.viewed_at >= since)
        .group_by(PageView.product_id)
    )
    for product_id, n in db.session.execute(viewed):
        counts[product_id] += int(n)
    return counts


_POPULAR_CACHE: dict[int, tuple[float, Counter[int]]] = {}


def popular(
    limit: int = 4, exclude: Iterable[int] = (), index: CatalogIndex | None = None
) -> list[ProductDoc]:
    """Best sellers and most viewed of the last 90 days; then featured and newest products."""
    index = index or get_index()
    key = id(current_app._get_current_object())
    cached = _POPULAR_CACHE.get(key)
    if cached is None or time.monotonic() - cached[0] > POPULAR_CACHE_SECONDS:
        cached = _POPULAR_CACHE[key] = (time.monotonic(), _popular_counts())
    counts = cached[1]

    def order() -> list[ProductDoc]:
        featured = {d.id for d in index if "featured" in {t.lower() for t in d.tags}}
        return sorted(index, key=lambda d: (-counts.get(d.id, 0), d.id not in featured, -d.id))

    excluded = set(exclude)
    ranked = index.derived("popular", order, stamp=cached[0])
    return list(itertools.islice((d for d in ranked if d.id not in excluded), limit))


def interests(customer_id: int) -> dict[int, float]:
    """Product id -> how much this shopper showed interest (bought > carted > viewed, recent views more)."""
    weights: Counter[int] = Counter()
    views = db.session.scalars(
        sa.select(PageView.product_id)
        .where(PageView.customer_id == customer_id, PageView.product_id.is_not(None))
        .order_by(PageView.viewed_at.desc(), PageView.id.desc())
        .limit(HISTORY_VIEWS)
    )
    for rank, product_id in enumerate(views):
        weights[product_id] += INTEREST["viewed"] / (1 + rank / 5)
    carted = sa.select(Variant.product_id).join(CartLine, CartLine.variant_id == Variant.id)
    carted = carted.join(Cart, Cart.id == CartLine.cart_id).where(
        Cart.customer_id == customer_id, Cart.status == "open"
    )
    for product_id in db.session.scalars(carted):
        weights[product_id] += INTEREST["carted"]
    bought = (
        sa.select(Variant.product_id)
        .join(OrderLine, OrderLine.variant_id == Variant.id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.customer_id == customer_id, Order.status.in_(BOUGHT_STATUSES))
    )
    for product_id in db.session.scalars(bought):
        weights[product_id] += INTEREST["bought"]
    return dict(weights)


def owned(customer_id: int) -> set[int]:
    """Products this shopper has in the cart or bought: not worth recommending again."""
    carted = (
        sa.select(Variant.product_id)
        .join(CartLine, CartLine.variant_id == Variant.id)
        .join(Cart, Cart.id == CartLine.cart_id)
        .where(Cart.customer_id == customer_id, Cart.status == "open")
    )
    bought = (
        sa.select(Variant.product_id)
        .join(OrderLine, OrderLine.variant_id == Variant.id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.customer_id == customer_id, Order.status.in_(BOUGHT_STATUSES))
    )
    return set(db.session.scalars(carted.union(bought)))


def personalised(
    customer_id: int,
    limit: int = 4,
    index: CatalogIndex | None = None,
    fallback: bool = True,
    skip: set[int] | None = None,
) -> list[ProductDoc]:
    """Picks for this shopper from what they viewed, carted and bought: things like what they looked at
    and things that go with what they own; popular products to fill (unless `fallback` is False).
    `skip`: what they own, when the caller knows it already."""
    index = index or get_index()
    seeds = sorted(interests(customer_id).items(), key=lambda kv: -kv[1])[:5]
    skip = owned(customer_id) if skip is None else skip
    scores: Counter[int] = Counter()
    for product_id, weight in seeds:
        for rank, doc in enumerate(similar(product_id, 6, index)):
            scores[doc.id] += weight / (1 + rank)
        if product_id in skip:  # owned: what goes with it is the better suggestion
            for rank, doc in enumerate(complementary(product_id, 4, index)):
                scores[doc.id] += 1.5 * weight / (1 + rank)
    for product_id in skip:
        scores.pop(product_id, None)
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    picks = [index.docs[i] for i, _ in ranked if i in index.docs][:limit]
    if fallback and len(picks) < limit:
        picks += popular(limit - len(picks), exclude=skip | {d.id for d in picks}, index=index)
    return picks


def available(product_ids: Iterable[int]) -> set[int]:
    """Those of these products that can be bought now: a variant in stock, untracked or on backorder."""
    stmt = (
        sa.select(Variant.product_id)
        .where(
            Variant.product_id.in_(list(product_ids)),
            sa.or_(
                Variant.inventory_tracked.is_(False),
                Variant.inventory_policy == "continue",
                Variant.inventory_quantity > 0,
            ),
        )
        .distinct()
    )
    return set(db.session.scalars(stmt))


def you_may_also_like(
    product_id: int, customer_id: int | None = None, limit: int = 4, index: CatalogIndex | None = None
) -> list[ProductDoc]:
    """The product page's "You may also like": up to half what goes with it, for a known shopper a
    quarter of personal picks, the rest what is like it, then popular products to fill; never the product
    itself, what the shopper owns, a draft or unpublished product (not in the index) or one sold out."""
    index = index or get_index()
    mine = owned(customer_id) if customer_id else set()
    skip = {product_id} | mine
    sources = [(complementary(product_id, limit, index), (limit + 1) // 2)]
    if customer_id:
        picks = personalised(customer_id, limit, index, fallback=False, skip=mine)
        sources.append((picks, max(1, limit // 4)))
    sources.append((similar(product_id, limit, index), limit))
    sources.append((popular(limit * 3, exclude=skip, index=index), limit))
    for_sale = available({doc.id for docs, _quota in sources for doc in docs} - skip)
    picks: dict[int, ProductDoc] = {}
    for quota in (True, False):  # each source up to its share, then any to fill
        for docs, share in sources:
            taken = 0
            for doc in docs:
                if len(picks) >= limit or (quota and taken >= share):
                    break
                if doc.id in for_sale and doc.id not in picks:
                    picks[doc.id] = doc
                    taken += 1
    return list(picks.values())


def products_you_may_also_like(
    product_id: int, customer_id: int | None = None, limit: int = 4
) -> list[Product]:
    """`you_may_also_like` as Product rows with their variants and images, for the storefront's cards."""
    ids = [doc.id for doc in you_may_also_like(product_id, customer_id, limit)]
    if not ids:
        return []
    stmt = (
        sa.select(Product)
        .where(Product.id.in_(ids), visible())
        .options(selectinload(Product.variants), selectinload(Product.images))
    )
    found = {product.id: product for product in db.session.scalars(stmt)}
    return [found[i] for i in ids if i in found]
