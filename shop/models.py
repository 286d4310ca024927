"""Catalog, customers, carts and orders."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from shop.text import html_to_text, words


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def new_token() -> str:
    return secrets.token_urlsafe(24)


product_collection = sa.Table(
    "product_collection",
    db.metadata,
    sa.Column("product_id", sa.ForeignKey("product.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("collection_id", sa.ForeignKey("collection.id", ondelete="CASCADE"), primary_key=True),
    # The primary key serves lookups by product; collection pages look up by collection.
    sa.Index("ix_product_collection_collection_id", "collection_id"),
)

product_tag = sa.Table(
    "product_tag",
    db.metadata,
    sa.Column("product_id", sa.ForeignKey("product.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("tag_id", sa.ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True),
    sa.Index("ix_product_tag_tag_id", "tag_id"),
)


class Product(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Shopify's handle: the stable key the importer updates by, and the product's URL.
    handle: Mapped[str] = mapped_column(sa.String(255), unique=True)
    title: Mapped[str] = mapped_column(sa.String(255))
    #: Description as imported, already sanitised (safe to render with |safe).
    body_html: Mapped[str] = mapped_column(sa.Text, default="")
    vendor: Mapped[str] = mapped_column(sa.String(255), default="")
    product_type: Mapped[str] = mapped_column(sa.String(255), default="")
    #: active | draft | archived (Shopify's Status); only active *and* published products are shown.
    status: Mapped[str] = mapped_column(sa.String(16), default="active")
    published: Mapped[bool] = mapped_column(default=True)
    gift_card: Mapped[bool] = mapped_column(default=False)
    option1_name: Mapped[str | None] = mapped_column(sa.String(255))
    option2_name: Mapped[str | None] = mapped_column(sa.String(255))
    option3_name: Mapped[str | None] = mapped_column(sa.String(255))
    seo_title: Mapped[str] = mapped_column(sa.String(255), default="")
    seo_description: Mapped[str] = mapped_column(sa.Text, default="")
    #: Shopify metafield columns, e.g. {"custom.material": "Teak", "shopify--discovery--...": "..."}.
    metafields: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    #: Accent-folded, lower-cased title, description, tags, vendor and type: what search matches against.
    search_text: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    variants: Mapped[list[Variant]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="Variant.position"
    )
    images: Mapped[list[ProductImage]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="ProductImage.position"
    )
    collections: Mapped[list[Collection]] = relationship(
        secondary=product_collection, back_populates="products"
    )
    tags: Mapped[list[Tag]] = relationship(secondary=product_tag, order_by="Tag.name")

    __table_args__ = (sa.CheckConstraint("status IN ('active', 'draft', 'archived')", name="status"),)

    def refresh_search_text(self) -> None:
        """Recompute `search_text` from the title, description, vendor, type, tags and option values."""
        parts = [
            self.title or "",
            html_to_text(self.body_html or ""),
            self.vendor or "",
            self.product_type or "",
        ]
        parts += [tag.name for tag in self.tags]
        parts += [value for variant in self.variants for value in variant.options]
        self.search_text = " " + " ".join(dict.fromkeys(words(" ".join(parts)))) + " "

    @property
    def is_visible(self) -> bool:
        return self.status == "active" and self.published

    @property
    def option_names(self) -> list[str]:
        """Names of the options that really vary ("Title" alone means a product without options)."""
        names = [n for n in (self.option1_name, self.option2_name, self.option3_name) if n]
        if names == ["Title"] and all(v.option1 == "Default Title" for v in self.variants):
            return []
        return names

    @property
    def featured_image(self) -> ProductImage | None:
        return self.images[0] if self.images else None

    @property
    def price_range(self) -> tuple[int, int]:
        prices = [v.price for v in self.variants] or [0]
        return min(prices), max(prices)

    @property
    def compare_at_price(self) -> int | None:
        """Highest compare-at price of the cheapest variant, when it is really a reduction."""
        if not self.variants:
            return None
        cheapest = min(self.variants, key=lambda v: v.price)
        return cheapest.compare_at_price if cheapest.on_sale else None

    @property
    def available(self) -> bool:
        return any(v.available for v in self.variants)

    def __repr__(self) -> str:
        return f"<Product {self.handle}>"


class Variant(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("product.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=1)
    # Options are '' rather than NULL when unused, so that the unique constraint holds on every database.
    option1: Mapped[str] = mapped_column(sa.String(255), default="")
    option2: Mapped[str] = mapped_column(sa.String(255), default="")
    option3: Mapped[str] = mapped_column(sa.String(255), default="")
    sku: Mapped[str] = mapped_column(sa.String(255), default="")
    barcode: Mapped[str] = mapped_column(sa.String(255), default="")
    #: Price in the shop currency's minor units.
    price: Mapped[int]
    #: "Was" price in minor units; shown struck through when higher than `price`.
    compare_at_price: Mapped[int | None]
    #: False when Shopify does not track inventory for this variant: always available.
    inventory_tracked: Mapped[bool] = mapped_column(default=True)
    inventory_quantity: Mapped[int] = mapped_column(default=0)
    #: deny = cannot sell past zero; continue = can.
    inventory_policy: Mapped[str] = mapped_column(sa.String(16), default="deny")
    grams: Mapped[int] = mapped_column(default=0)
    requires_shipping: Mapped[bool] = mapped_column(default=True)
    taxable: Mapped[bool] = mapped_column(default=True)
    image_id: Mapped[int | None] = mapped_column(sa.ForeignKey("product_image.id", ondelete="SET NULL"))

    product: Mapped[Product] = relationship(back_populates="variants")
    image: Mapped[ProductImage | None] = relationship(foreign_keys=[image_id])

    __table_args__ = (
        sa.UniqueConstraint("product_id", "option1", "option2", "option3", name="uq_variant_options"),
        sa.CheckConstraint("price >= 0", name="price_not_negative"),
        sa.CheckConstraint(
            "compare_at_price IS NULL OR compare_at_price >= 0", name="compare_at_not_negative"
        ),
        sa.CheckConstraint("inventory_policy IN ('deny', 'continue')", name="inventory_policy"),
    )

    @property
    def options(self) -> list[str]:
        return [o for o in (self.option1, self.option2, self.option3) if o]

    @property
    def title(self) -> str:
        """ "Medium / Blue", or "Default Title" for a product without options (as Shopify names it)."""
        return " / ".join(self.options) or "Default Title"

    @property
    def on_sale(self) -> bool:
        return self.compare_at_price is not None and self.compare_at_price > self.price

    @property
    def available(self) -> bool:
        return self.stock_limit is None or self.stock_limit > 0

    @property
    def stock_limit(self) -> int | None:
        """How many units can be sold now; None when unlimited (untracked or policy 'continue')."""
        if not self.inventory_tracked or self.inventory_policy == "continue":
            return None
        return max(0, self.inventory_quantity)

    def __repr__(self) -> str:
        return f"<Variant {self.id} {self.title}>"


class ProductImage(db.Model):
    __tablename__ = "product_image"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("product.id", ondelete="CASCADE"), index=True)
    #: Absolute URL (Shopify CDN) or a path under /static for the demo catalog.
    src: Mapped[str] = mapped_column(sa.String(2048))
    position: Mapped[int] = mapped_column(default=1)
    alt: Mapped[str] = mapped_column(sa.String(512), default="")

    product: Mapped[Product] = relationship(back_populates="images")

    __table_args__ = (sa.UniqueConstraint("product_id", "src", name="uq_product_image_src"),)


class Collection(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    handle: Mapped[str] = mapped_column(sa.String(255), unique=True)
    title: Mapped[str] = mapped_column(sa.String(255))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: Where the collection came from: "type" (one per Shopify product type) or "manual".
    kind: Mapped[str] = mapped_column(sa.String(16), default="type")

    products: Mapped[list[Product]] = relationship(secondary=product_collection, back_populates="collections")


class Tag(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    #: Folded, URL-safe form of the name; two tags that only differ by case or accents are one tag.
    slug: Mapped[str] = mapped_column(sa.String(255), unique=True)


class Customer(db.Model):
    """A shopper: anonymous at first (known by the signed cookie), an email once they give one."""

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Random identity kept in the signed `shopper` cookie.
    token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_token)
    email: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    name: Mapped[str] = mapped_column(sa.String(255), default="")
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    carts: Mapped[list[Cart]] = relationship(back_populates="customer")
    orders: Mapped[list[Order]] = relationship(back_populates="customer", order_by="Order.created_at.desc()")


class Cart(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    #: open while shopping; ordered once checkout turned it into an order.
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: The discount the shopper applied (one per order; shop/discounts.py checks it on every change).
    offer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("offer.id", ondelete="SET NULL"))
    #: Whether the applied discount gave something at the last change (a change that stops it is told).
    offer_applies: Mapped[bool] = mapped_column(default=False)

    customer: Mapped[Customer] = relationship(back_populates="carts")
    offer: Mapped[Offer | None] = relationship()
    lines: Mapped[list[CartLine]] = relationship(
        back_populates="cart", cascade="all, delete-orphan", order_by="CartLine.id"
    )

    __table_args__ = (sa.CheckConstraint("status IN ('open', 'ordered')", name="status"),)


class CartLine(db.Model):
    __tablename__ = "cart_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(sa.ForeignKey("cart.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[int] = mapped_column(sa.ForeignKey("variant.id", ondelete="CASCADE"))
    quantity: Mapped[int]
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    cart: Mapped[Cart] = relationship(back_populates="lines")
    variant: Mapped[Variant] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("cart_id", "variant_id", name="uq_cart_line_variant"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    )


ORDER_STATUSES = ("pending", "paid", "fulfilled", "cancelled", "refunded", "partially_refunded")


class Order(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Human order number shown to shoppers and sellers (#1001, #1002, ...).
    number: Mapped[int] = mapped_column(unique=True)
    #: Secret in the order status page URL (/orders/<token>): whoever has the link may see the order.
    token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_token)
    customer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("customer.id", ondelete="SET NULL"), index=True
    )
    email: Mapped[str] = mapped_column(sa.String(255), default="")
    status: Mapped[str] = mapped_column(sa.String(24), default="pending")
    currency: Mapped[str] = mapped_column(sa.String(3))
    subtotal: Mapped[int] = mapped_column(default=0)
    discount_total: Mapped[int] = mapped_column(default=0)
    shipping_total: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    refunded_total: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(index=True)
    # Where the order came from: the conversation it was paid in and the seller who was in it (if any),
    # the basis for chat-attributed revenue. Names are plain FKs: shop does not import chat.
    conversation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("conversation.id", ondelete="SET NULL"), index=True
    )
    seller_id: Mapped[int | None] = mapped_column(sa.ForeignKey("seller.id", ondelete="SET NULL"), index=True)
    #: The Stripe PaymentIntent that paid it (refunds go through it).
    payment_intent_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    # Shipping address, copied from the checkout.
    shipping_name: Mapped[str] = mapped_column(sa.String(255), default="")
    address1: Mapped[str] = mapped_column(sa.String(255), default="")
    address2: Mapped[str] = mapped_column(sa.String(255), default="")
    city: Mapped[str] = mapped_column(sa.String(255), default="")
    postal_code: Mapped[str] = mapped_column(sa.String(32), default="")
    country: Mapped[str] = mapped_column(sa.String(2), default="")
    #: When the confirmation email went out (None: still to send).
    confirmation_sent_at: Mapped[datetime | None]
    #: The discount the order used (its cost is `discount_total`) and the code as it was.
    offer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("offer.id", ondelete="SET NULL"), index=True)
    discount_code: Mapped[str] = mapped_column(sa.String(40), default="")

    customer: Mapped[Customer | None] = relationship(back_populates="orders")
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )

    __table_args__ = (
        sa.CheckConstraint(f"status IN {ORDER_STATUSES!r}", name="status"),
        sa.CheckConstraint("subtotal >= 0 AND discount_total >= 0 AND shipping_total >= 0", name="amounts"),
        sa.CheckConstraint("total >= 0", name="total_not_negative"),
        sa.CheckConstraint("refunded_total >= 0 AND refunded_total <= total", name="refund_within_total"),
        # Covers the insights' sums over a period's paid orders (read from the index alone on SQLite).
        sa.Index(
            "ix_order_period",
            "paid_at",
            "status",
            "conversation_id",
            "seller_id",
            "offer_id",
            "total",
            "refunded_total",
        ),
    )

    @property
    def name(self) -> str:
        return f"#{self.number}"


class OrderLine(db.Model):
    """What was bought, copied at order time so later catalog edits do not rewrite history."""

    __tablename__ = "order_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("order.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("variant.id", ondelete="SET NULL"))
    product_handle: Mapped[str] = mapped_column(sa.String(255), default="")
    product_title: Mapped[str] = mapped_column(sa.String(255))
    variant_title: Mapped[str] = mapped_column(sa.String(255), default="")
    sku: Mapped[str] = mapped_column(sa.String(255), default="")
    unit_price: Mapped[int]
    quantity: Mapped[int]
    #: This line's share of the order's discount (minor units, never more than the line's total).
    discount: Mapped[int] = mapped_column(default=0)

    order: Mapped[Order] = relationship(back_populates="lines")
    variant: Mapped[Variant | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
        sa.CheckConstraint(
            "discount >= 0 AND discount <= unit_price * quantity", name="discount_within_line"
        ),
    )

    @property
    def total(self) -> int:
        return self.unit_price * self.quantity


# --- Discounts (shop/discounts.py does the work, shop/pricing.py the arithmetic) ---------------------------

DISCOUNT_KINDS = ("percent", "fixed")
DISCOUNT_SCOPES = ("order", "product", "collection")
#: seller: made by a seller in a conversation; bot: made by one of the owner's rules; shop: a code the owner
#: created for anyone (typed by shoppers).
OFFER_SOURCES = ("seller", "bot", "shop")
OFFER_RULES = ("first_order", "loyalty", "price_objection", "abandoned_cart")
#: pending: above the seller's cap, waiting for a manager; active: may be applied (until it expires or is
#: used up); declined: a manager said no; withdrawn: replaced or taken back before use.
OFFER_STATUSES = ("pending", "active", "declined", "withdrawn")
REDEMPTION_STATUSES = ("held", "redeemed", "released")


class Offer(db.Model):
    """A discount: personal (one shopper, single use) or a shop code anyone may type. Its row is the audit
    trail: who or which rule made it, for whom and in which conversation, approval and use."""

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What shoppers type, stored upper-case ("WELCOME10", "OFFER-7KQ2XM").
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    #: Whole percent (1–100) for `percent`, minor units for `fixed`.
    value: Mapped[int]
    scope: Mapped[str] = mapped_column(sa.String(16), default="order")
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("product.id", ondelete="SET NULL"))
    collection_id: Mapped[int | None] = mapped_column(sa.ForeignKey("collection.id", ondelete="SET NULL"))
    #: The cart's subtotal must be at least this (minor units; 0: no minimum).
    min_subtotal: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(sa.String(3))
    #: The only shopper who may use it (None: a shop code for anyone, once per shopper).
    customer_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("customer.id", ondelete="CASCADE"), index=True
    )
    conversation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("conversation.id", ondelete="SET NULL"), index=True
    )
    source: Mapped[str] = mapped_column(sa.String(16))
    #: The owner's rule that made it (source bot).
    rule: Mapped[str | None] = mapped_column(sa.String(24))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("seller.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(sa.String(16), default="active")
    #: The manager who approved or declined (pending offers) or withdrew it, and when.
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("seller.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    #: Uses allowed in all (personal offers: 1; None: no limit), and uses taken (held by a payment under
    #: way, or redeemed by an order).
    usage_limit: Mapped[int | None]
    times_used: Mapped[int] = mapped_column(default=0)
    #: Why, in the shopper's words ("Welcome! 5% off your first order"); shown on the offer card.
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    #: A rule's "once per shopper (per period)": a second offer with the same key is never inserted.
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(80), unique=True)
    #: When a shopper first applied it to a cart.
    applied_at: Mapped[datetime | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    product: Mapped[Product | None] = relationship()
    collection: Mapped[Collection | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(f"kind IN {DISCOUNT_KINDS!r}", name="kind"),
        sa.CheckConstraint(f"scope IN {DISCOUNT_SCOPES!r}", name="scope"),
        sa.CheckConstraint(f"source IN {OFFER_SOURCES!r}", name="source"),
        sa.CheckConstraint(f"status IN {OFFER_STATUSES!r}", name="status"),
        sa.CheckConstraint("value > 0 AND (kind = 'fixed' OR value <= 100)", name="value"),
        sa.CheckConstraint("min_subtotal >= 0", name="min_subtotal"),
        sa.CheckConstraint(
            "times_used >= 0 AND (usage_limit IS NULL OR times_used <= usage_limit)", name="usage"
        ),
        sa.CheckConstraint("source = 'shop' OR customer_id IS NOT NULL", name="personal"),
    )

    @property
    def personal(self) -> bool:
        return self.customer_id is not None


class OfferRedemption(db.Model):
    """One use of an offer by a payment: held while the payment is under way, redeemed by the order, or
    released when the attempt failed."""

    __tablename__ = "offer_redemption"

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(sa.ForeignKey("offer.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    checkout_id: Mapped[int] = mapped_column(sa.ForeignKey("checkout.id", ondelete="CASCADE"))
    attempt: Mapped[int]
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("order.id", ondelete="SET NULL"), index=True)
    #: The discount given (minor units): its cost to the shop.
    amount: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(16), default="held")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    redeemed_at: Mapped[datetime | None] = mapped_column(index=True)

    __table_args__ = (
        sa.UniqueConstraint("checkout_id", "attempt", name="uq_offer_redemption_attempt"),
        sa.CheckConstraint(f"status IN {REDEMPTION_STATUSES!r}", name="status"),
        sa.CheckConstraint("amount >= 0", name="amount"),
    )


class DiscountSettings(db.Model):
    """The owner's discount rules: caps by role, the bot's rules and the default expiry (one row, id 1)."""

    __tablename__ = "discount_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Highest offer a seller may make alone, and a manager at all (percent, and minor units for fixed).
    seller_max_percent: Mapped[int] = mapped_column(default=10)
    seller_max_amount: Mapped[int] = mapped_column(default=2000)
    manager_max_percent: Mapped[int] = mapped_column(default=25)
    manager_max_amount: Mapped[int] = mapped_column(default=10000)
    default_expiry_hours: Mapped[int] = mapped_column(default=48)
    first_order_enabled: Mapped[bool] = mapped_column(default=False)
    first_order_percent: Mapped[int] = mapped_column(default=5)
    loyalty_enabled: Mapped[bool] = mapped_column(default=False)
    loyalty_percent: Mapped[int] = mapped_column(default=10)
    #: Loyal: at least this many paid orders, or at least this much spent (0: that test is off).
    loyalty_min_orders: Mapped[int] = mapped_column(default=3)
    loyalty_min_spent: Mapped[int] = mapped_column(default=0)
    price_objection_enabled: Mapped[bool] = mapped_column(default=False)
    price_objection_percent: Mapped[int] = mapped_column(default=5)
    abandoned_cart_enabled: Mapped[bool] = mapped_column(default=False)
    abandoned_cart_percent: Mapped[int] = mapped_column(default=5)
    #: Minutes a cart stays unchanged, the shopper still on the site, before the abandoned-cart offer.
    abandoned_cart_minutes: Mapped[int] = mapped_column(default=15)
    #: A rule offers a shopper at most one discount per this many days (loyalty, price objection, cart).
    rule_period_days: Mapped[int] = mapped_column(default=30)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.CheckConstraint("id = 1", name="single_row"),
        sa.CheckConstraint(
            "seller_max_percent BETWEEN 0 AND 100 AND manager_max_percent BETWEEN 0 AND 100"
            " AND seller_max_percent <= manager_max_percent",
            name="percent_caps",
        ),
        sa.CheckConstraint(
            "seller_max_amount >= 0 AND seller_max_amount <= manager_max_amount", name="amount_caps"
        ),
        sa.CheckConstraint("default_expiry_hours BETWEEN 1 AND 8760", name="expiry"),
        sa.CheckConstraint(
            "first_order_percent BETWEEN 1 AND 100 AND loyalty_percent BETWEEN 1 AND 100"
            " AND price_objection_percent BETWEEN 1 AND 100 AND abandoned_cart_percent BETWEEN 1 AND 100",
            name="rule_percents",
        ),
        sa.CheckConstraint(
            "loyalty_min_orders >= 0 AND loyalty_min_spent >= 0 AND abandoned_cart_minutes BETWEEN 1 AND 1440"
            " AND rule_period_days BETWEEN 1 AND 365",
            name="rule_bounds",
        ),
    )
