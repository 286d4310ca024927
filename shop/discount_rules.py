"""The owner's discount rules: whether a rule would offer a shopper a discount now, and making that offer.

Plain database reads; the bot decides the moment to ask (bot/discounts.py: after its answers, on a price
objection, from the proactive loop) and posts the card. Each rule is on only when the owner turned it on
(shop.discounts.Settings) and offers a personal, single-use percent off the whole order, expiring after
`default_expiry_hours`, with a note saying why in the shopper's language:

- first_order: a shopper who never ordered (no order paid, even one refunded since): once per shopper, ever;
- loyalty: a shopper with at least `loyalty_min_orders` paid orders or `loyalty_min_spent` spent (either
  test, 0 turns that test off);
- price_objection: the shopper said the price is too high;
- abandoned_cart: the shopper's cart has not changed for `abandoned_cart_minutes` while they are on the site.

Once per period: loyalty and price objection offer a shopper, and abandoned cart offers a cart, at most
once in any `rule_period_days` (the offers' `created_at`). The offer's dedupe key carries the number of
earlier offers of that rule ("loyalty:42:3"), so two processes deciding at the same moment insert it once.

No stacking: a rule offers nothing to a shopper who already holds an active, unexpired, unused personal
offer that gives at least as much (a whole-order percent at least as high; any other offer when it gives at
least as much on their cart), or whose cart has a discount applied that gives at least as much.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import force_locale

from extensions import db
from shop import discounts, pricing
from shop.cart import open_cart
from shop.models import OFFER_RULES, Cart, CartLine, Customer, Offer, Order, utcnow

RULES = OFFER_RULES
#: Orders that count as bought (refunds aside): what loyalty counts, and what a first order is not after.
PAID_STATUSES = ("paid", "fulfilled", "partially_refunded")
#: A shopper with one of these has ordered before (a refunded order was still an order).
ORDERED_STATUSES = (*PAID_STATUSES, "refunded")

#: Why the offer is made, on its card, in the shopper's language ({percent}: the rule's percent).
NOTES: dict[str, dict[str, str]] = {
    "first_order": {
        "en": "Welcome! {percent}% off your first order",
        "fr": "Bienvenue ! {percent} % de réduction sur votre première commande",
    },
    "loyalty": {
        "en": "Thank you for your loyalty! {percent}% off your next order",
        "fr": "Merci de votre fidélité ! {percent} % de réduction sur votre prochaine commande",
    },
    "price_objection": {
        "en": "A little help with the price: {percent}% off your order",
        "fr": "Un petit geste sur le prix : {percent} % de réduction sur votre commande",
    },
    "abandoned_cart": {
        "en": "Still thinking it over? {percent}% off the cart you left",
        "fr": "Vous hésitez encore ? {percent} % de réduction sur votre panier",
    },
}


def note(rule: str, percent: int, language: str) -> str:
    """Why the offer is made, in French for French shoppers, else in English."""
    return NOTES[rule]["fr" if language == "fr" else "en"].format(percent=percent)


def enabled(rule: str, settings: discounts.Settings) -> bool:
    return bool(getattr(settings, f"{rule}_enabled"))


def percent(rule: str, settings: discounts.Settings) -> int:
    return int(getattr(settings, f"{rule}_percent"))


# --- Who the rules are for ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class History:
    """A shopper's paid orders: how many, and what they spent on them (minor units, refunds deducted)."""

    orders: int
    spent: int


def history(customer: Customer) -> History:
    orders, spent = db.session.execute(
        sa.select(
            sa.func.count(Order.id), sa.func.coalesce(sa.func.sum(Order.total - Order.refunded_total), 0)
        ).where(Order.customer_id == customer.id, Order.status.in_(PAID_STATUSES))
    ).one()
    return History(int(orders), int(spent))


def has_ordered(customer: Customer) -> bool:
    """Did the shopper ever order (paid), as this shopper or under the email they gave us?"""
    who = Order.customer_id == customer.id
    if customer.email:
        who = sa.or_(who, Order.email == customer.email)
    found = sa.select(Order.id).where(who, Order.status.in_(ORDERED_STATUSES)).limit(1)
    return db.session.scalar(found) is not None


def loyal(customer: Customer, settings: discounts.Settings) -> bool:
    """At least `loyalty_min_orders` paid orders, or at least `loyalty_min_spent` spent (0: test off)."""
    if settings.loyalty_min_orders <= 0 and settings.loyalty_min_spent <= 0:
        return False
    past = history(customer)
    return (0 < settings.loyalty_min_orders <= past.orders) or (0 < settings.loyalty_min_spent <= past.spent)


def first_order_due(customer: Customer, settings: discounts.Settings) -> bool:
    """The first-order rule is on, never offered this shopper, and they never ordered."""
    if not settings.first_order_enabled:
        return False
    key = first_order_key(customer)
    if db.session.scalar(sa.select(Offer.id).where(Offer.dedupe_key == key)) is not None:
        return False
    return not has_ordered(customer)


def first_order_key(customer: Customer) -> str:
    return f"first_order:{customer.id}"


def open_cart_with_lines(customer: Customer) -> Cart | None:
    """The shopper's open cart when it holds something they can buy, else None."""
    cart = open_cart(customer)
    if cart is None or not any(line.variant.product.is_visible for line in cart.lines):
        return None
    return cart


def abandoned_carts(
    customer_ids: list[int], settings: discounts.Settings, now: datetime
) -> dict[int, tuple[int, datetime]]:
    """Of these shoppers, those whose non-empty open cart has not changed for `abandoned_cart_minutes` and was
    not offered the abandoned-cart discount in the period: customer id -> (cart id, when it last changed).
    Two queries whatever the number of shoppers (the proactive loop asks every few seconds)."""
    if not customer_ids:
        return {}
    rows = db.session.execute(
        sa.select(Cart.customer_id, Cart.id, Cart.updated_at, sa.func.max(CartLine.added_at))
        .join(CartLine, CartLine.cart_id == Cart.id)
        .where(Cart.status == "open", Cart.customer_id.in_(customer_ids))
        .group_by(Cart.customer_id, Cart.id, Cart.updated_at)
    )
    newest: dict[int, tuple[int, datetime]] = {}
    for customer_id, cart_id, updated, added in rows:
        if customer_id not in newest or cart_id > newest[customer_id][0]:  # open_cart's: the newest
            newest[customer_id] = (cart_id, max(updated, added))
    idle_since = now - timedelta(minutes=settings.abandoned_cart_minutes)
    idle = {cid: found for cid, found in newest.items() if found[1] <= idle_since}
    if not idle:
        return {}
    offered = db.session.scalars(
        sa.select(Offer.dedupe_key).where(
            Offer.customer_id.in_(list(idle)),
            Offer.rule == "abandoned_cart",
            Offer.created_at > now - timedelta(days=max(settings.rule_period_days, 1)),
        )
    )
    offered_carts = {key.split(":")[1] for key in offered if key}
    return {cid: found for cid, found in idle.items() if str(found[0]) not in offered_carts}


# --- Once per period, no stacking --------------------------------------------------------------------------


def _earlier(rule: str, customer: Customer, cart: Cart | None) -> list[tuple[str, datetime]]:
    """The rule's earlier offers to this shopper (to this cart, for abandoned carts): key, created_at."""
    rows = db.session.execute(
        sa.select(Offer.dedupe_key, Offer.created_at).where(
            Offer.customer_id == customer.id, Offer.rule == rule
        )
    ).all()
    if rule == "abandoned_cart":
        prefix = f"abandoned_cart:{cart.id if cart else 0}:"
        rows = [row for row in rows if (row.dedupe_key or "").startswith(prefix)]
    return [(row.dedupe_key or "", row.created_at) for row in rows]


def period_key(rule: str, customer: Customer, cart: Cart | None = None) -> str:
    """The dedupe key of the rule's next offer: the shopper (or cart) and how many came before."""
    subject = cart.id if rule == "abandoned_cart" and cart is not None else customer.id
    return f"{rule}:{subject}:{len(_earlier(rule, customer, cart))}"


def offered_within(
    rule: str, customer: Customer, settings: discounts.Settings, now: datetime, cart: Cart | None = None
) -> bool:
    """Did the rule offer this shopper (this cart) a discount in the last `rule_period_days`?"""
    since = now - timedelta(days=max(settings.rule_period_days, 1))
    return any(created_at > since for _key, created_at in _earlier(rule, customer, cart))


def _cart_lines(cart: Cart | None) -> list[pricing.Line]:
    return [
        discounts.pricing_line(line.variant, line.quantity)
        for line in (cart.lines if cart else [])
        if line.variant.product.is_visible
    ]


def holds_as_good(customer: Customer, percent_: int, now: datetime | None = None) -> bool:
    """Does the shopper already have a discount giving at least `percent_`% off their order: an unused,
    unexpired personal offer, or the discount applied to their cart? (The rule then offers nothing.)"""
    now = now or utcnow()
    cart = open_cart(customer)
    lines = _cart_lines(cart)
    wanted = pricing.compute(lines, pricing.Terms("percent", percent_)).amount if lines else 0
    applied = discounts.evaluate(cart, lines)
    if applied is not None and applied.problem is None and lines and applied.amount >= wanted:
        return True
    held = db.session.scalars(
        sa.select(Offer).where(
            Offer.customer_id == customer.id,
            Offer.status == "active",
            sa.or_(Offer.expires_at.is_(None), Offer.expires_at > now),
            sa.or_(Offer.usage_limit.is_(None), Offer.times_used < Offer.usage_limit),
        )
    )
    for offer in held:
        terms = discounts.terms_of(offer)
        if terms is None:
            continue
        if terms.kind == "percent" and terms.scope == "order" and not terms.min_subtotal:
            if terms.value >= percent_:
                return True
        elif lines:
            given = pricing.compute(lines, terms)
            if given.applies and given.amount >= wanted:
                return True
    return False


# --- Offering ----------------------------------------------------------------------------------------------


def due(
    rule: str, customer: Customer, settings: discounts.Settings | None = None, now: datetime | None = None
) -> bool:
    """Would `rule` offer `customer` a discount now? (The moment is the bot's to choose; abandoned carts
    are also timed by the caller, from when the shopper is on the site.)"""
    if rule not in RULES:
        raise ValueError(f"unknown discount rule {rule!r}")
    settings = settings or discounts.load_settings()
    now = now or utcnow()
    if not enabled(rule, settings):
        return False
    if rule == "first_order":
        if not first_order_due(customer, settings):
            return False
    else:
        cart = open_cart_with_lines(customer) if rule == "abandoned_cart" else None
        if rule == "abandoned_cart" and cart is None:
            return False
        if rule == "loyalty" and not loyal(customer, settings):
            return False
        if offered_within(rule, customer, settings, now, cart):
            return False
    return not holds_as_good(customer, percent(rule, settings), now)


def offer_for(
    rule: str,
    customer: Customer,
    conversation_id: int | None,
    language: str,
    now: datetime | None = None,
    settings: discounts.Settings | None = None,
) -> Offer | None:
    """The rule's offer to this shopper, made now (committed) when due; None when not due or when another
    process made it first."""
    settings = settings or discounts.load_settings()
    if not due(rule, customer, settings, now):
        return None
    cart = open_cart_with_lines(customer) if rule == "abandoned_cart" else None
    key = first_order_key(customer) if rule == "first_order" else period_key(rule, customer, cart)
    value = percent(rule, settings)
    with force_locale(language):  # often outside any request (the proactive loop): the log's label
        return discounts.rule_offer(customer, rule, value, note(rule, value, language), key, conversation_id)
