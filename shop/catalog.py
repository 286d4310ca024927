"""Reading the catalog: what shoppers may see, collections, search."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from extensions import db
from shop.models import Collection, Product, Tag, Variant, product_collection, product_tag
from shop.text import fold, words

#: Words considered in a search query; the rest is ignored (a 10,000-character query is not an error).
MAX_QUERY_WORDS = 8
#: Matches ranked for one search; a query matching more is too vague to page through anyway.
MAX_SEARCH_RESULTS = 1000
SORTS = {
    "featured": None,
    "title": Product.title.asc(),
    "newest": Product.created_at.desc(),
}
PRICE_SORTS = {"price-asc", "price-desc"}


@dataclass(frozen=True)
class Page:
    items: list[Product]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def visible() -> sa.ColumnElement[bool]:
    """SQL condition for products shoppers may see: active and published."""
    return sa.and_(Product.status == "active", Product.published.is_(True))


def _with_details(stmt: sa.Select) -> sa.Select:
    return stmt.options(selectinload(Product.variants), selectinload(Product.images))


def get_visible_product(handle: str) -> Product | None:
    stmt = _with_details(sa.select(Product).where(Product.handle == handle, visible()))
    stmt = stmt.options(selectinload(Product.tags), selectinload(Product.collections))
    return db.session.scalar(stmt)


def in_collection(collection_id: int) -> sa.ColumnElement[bool]:
    """SQL condition: the product belongs to the collection (uses the association table's index)."""
    members = sa.select(product_collection.c.product_id).where(
        product_collection.c.collection_id == collection_id
    )
    return Product.id.in_(members)


def tagged(slug: str) -> sa.ColumnElement[bool]:
    members = (
        sa.select(product_tag.c.product_id).join(Tag, Tag.id == product_tag.c.tag_id).where(Tag.slug == slug)
    )
    return Product.id.in_(members)


def featured_products(limit: int = 8) -> list[Product]:
    """Products of the `frontpage` collection or tagged `featured` (Shopify's conventions), else newest."""
    frontpage = (
        sa.select(product_collection.c.product_id)
        .join(Collection, Collection.id == product_collection.c.collection_id)
        .where(Collection.handle == "frontpage")
    )
    featured = sa.or_(Product.id.in_(frontpage), tagged("featured"))
    stmt = _with_details(sa.select(Product).where(visible(), featured).order_by(Product.id).limit(limit))
    products = list(db.session.scalars(stmt))
    if len(products) < limit:
        seen = [p.id for p in products]
        stmt = sa.select(Product).where(visible(), Product.id.not_in(seen) if seen else sa.true())
        stmt = _with_details(stmt.order_by(Product.created_at.desc(), Product.id.desc()))
        products += db.session.scalars(stmt.limit(limit - len(products)))
    return products


def collections_with_counts() -> list[tuple[Collection, int]]:
    """Collections that hold at least one visible product, with that count, by title."""
    count = sa.func.count(Product.id)
    stmt = (
        sa.select(Collection, count)
        .join(product_collection, product_collection.c.collection_id == Collection.id)
        .join(Product, Product.id == product_collection.c.product_id)
        .where(visible())
        .group_by(Collection.id)
        .order_by(Collection.title)
    )
    return [(collection, n) for collection, n in db.session.execute(stmt)]


def get_collection(handle: str) -> Collection | None:
    return db.session.scalar(sa.select(Collection).filter_by(handle=handle))


def tags_in(collection: Collection | None) -> list[Tag]:
    """Tags used by visible products (of a collection, when given), for the tag filter."""
    stmt = (
        sa.select(Tag)
        .join(product_tag, product_tag.c.tag_id == Tag.id)
        .join(Product, Product.id == product_tag.c.product_id)
        .where(visible())
    )
    if collection is not None:
        stmt = stmt.where(in_collection(collection.id))
    return list(db.session.scalars(stmt.distinct().order_by(Tag.name)))


def _min_price():
    return sa.select(sa.func.min(Variant.price)).where(Variant.product_id == Product.id).scalar_subquery()


def list_products(
    collection: Collection | None = None,
    tag: str | None = None,
    sort: str = "featured",
    page: int = 1,
    per_page: int = 24,
) -> Page:
    """A page of visible products, optionally in a collection and with a tag, in the chosen order."""
    stmt = sa.select(Product).where(visible())
    if collection is not None:
        stmt = stmt.where(in_collection(collection.id))
    if tag:
        stmt = stmt.where(tagged(tag))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery())) or 0
    if sort == "price-asc":
        stmt = stmt.order_by(_min_price().asc(), Product.id)
    elif sort == "price-desc":
        stmt = stmt.order_by(_min_price().desc(), Product.id)
    elif (order := SORTS.get(sort)) is not None:
        stmt = stmt.order_by(order, Product.id)
    else:
        stmt = stmt.order_by(Product.id)
    page = max(1, page)
    stmt = _with_details(stmt.offset((page - 1) * per_page).limit(per_page))
    return Page(list(db.session.scalars(stmt)), page, per_page, total)


def query_words(query: str, max_length: int = 200) -> list[str]:
    """The folded words of a search query, de-duplicated and bounded."""
    return list(dict.fromkeys(words(query[:max_length])))[:MAX_QUERY_WORDS]


def _like_word(word: str) -> sa.ColumnElement[bool]:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    # search_text is " word word ... ": matching " <prefix>" finds words starting with the query word.
    return Product.search_text.like(f"% {escaped}%", escape="\\")


def search(query: str, page: int = 1, per_page: int = 24, max_length: int = 200) -> Page:
    """Visible products whose title, description, tags, vendor, type or options contain every query word
    (as a word prefix, ignoring case and accents), best matches first: title hits rank above the rest."""
    terms = query_words(query, max_length)
    if not terms:
        return Page([], 1, per_page, 0)
    # Rank on (id, title) only, then load the details of the one page shown.
    stmt = sa.select(Product.id, Product.title).where(visible(), *[_like_word(t) for t in terms])
    matches = db.session.execute(stmt.limit(MAX_SEARCH_RESULTS)).all()

    def rank(row: sa.Row) -> tuple[int, int, str]:
        title = fold(row.title)
        title_words = set(words(row.title))
        exact = sum(t in title_words for t in terms)
        partial = sum(t in title for t in terms)
        return (-exact, -partial, title)

    matches.sort(key=rank)
    page = max(1, page)
    ids = [row.id for row in matches[(page - 1) * per_page : page * per_page]]
    loaded = {
        p.id: p for p in db.session.scalars(_with_details(sa.select(Product).where(Product.id.in_(ids))))
    }
    return Page([loaded[i] for i in ids], page, per_page, len(matches))
