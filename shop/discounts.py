"""Discounts: offers made by sellers and by the owner's rules, shop codes, applying one to a cart, and its
use by a payment. The arithmetic is in shop/pricing.py; this module reads and writes the database.

Each operation validates, changes the database and commits, or raises `DiscountError` (a code for code, a
message for people) and changes nothing. Nothing here posts to the chat: callers (the seller's routes, the
widget's events, the bot) say in the conversation what happened, from what these functions return.

Rules that always hold:

- a personal offer can only be used by its shopper (another cookie is "not yours", even with the code);
- one discount per cart: applying a better one replaces the current one, a worse one is refused;
- a use is *held* when a payment starts (a conditional UPDATE: never more uses than the limit, even when
  payments race), *redeemed* by the order, *released* when the attempt fails;
- the amount is computed again from the cart at every step: the browser never sends one.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _

from extensions import db
from shop import pricing
from shop.formatting import money
from shop.models import Cart, Collection, Customer, DiscountSettings, Offer, OfferRedemption, Product, utcnow

log = logging.getLogger(__name__)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed back
CODE_MAX = 40
NOTE_MAX = 200


class DiscountError(ValueError):
    """A discount operation refused; `code` for code, str(error) for people."""

    def __init__(self, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.extra = extra


# --- The owner's settings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    seller_max_percent: int = 10
    seller_max_amount: int = 2000
    manager_max_percent: int = 25
    manager_max_amount: int = 10000
    default_expiry_hours: int = 48
    first_order_enabled: bool = False
    first_order_percent: int = 5
    loyalty_enabled: bool = False
    loyalty_percent: int = 10
    loyalty_min_orders: int = 3
    loyalty_min_spent: int = 0
    price_objection_enabled: bool = False
    price_objection_percent: int = 5
    abandoned_cart_enabled: bool = False
    abandoned_cart_percent: int = 5
    abandoned_cart_minutes: int = 15
    rule_period_days: int = 30

    def cap(self, role: str, kind: str) -> int:
        """The highest value `role` may offer in `kind` (percent, or minor units)."""
        who = "manager" if role == "manager" else "seller"
        return getattr(self, f"{who}_max_{'percent' if kind == 'percent' else 'amount'}")


SETTING_FIELDS = tuple(f.name for f in fields(Settings))


def load_settings() -> Settings:
    row = db.session.get(DiscountSettings, 1)
    if row is None:
        return Settings()
    return Settings(**{name: getattr(row, name) for name in SETTING_FIELDS})


def save_settings(**values: object) -> Settings:
    """Store new values (validated by the settings form) and return the settings as stored."""
    unknown = set(values) - set(SETTING_FIELDS)
    if unknown:
        raise TypeError(f"unknown discount settings: {', '.join(sorted(unknown))}")
    row = db.session.get(DiscountSettings, 1)
    if row is None:
        row = DiscountSettings(id=1, **asdict(Settings()))
        db.session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    db.session.commit()
    return load_settings()


# --- Describing offers -----------------------------------------------------------------------------------


def terms_of(offer: Offer) -> pricing.Terms | None:
    """The offer's terms, or None when its product or collection was deleted (it then gives nothing)."""
    target = {"product": offer.product_id, "collection": offer.collection_id}.get(offer.scope)
    if offer.scope != "order" and target is None:
        return None
    return pricing.Terms(offer.kind, offer.value, offer.scope, target, offer.min_subtotal)


def amount_text(offer: Offer) -> str:
    return f"{offer.value}%" if offer.kind == "percent" else money(offer.value, offer.currency)


def target_text(offer: Offer) -> str:
    if offer.scope == "product" and offer.product is not None:
        return offer.product.title
    if offer.scope == "collection" and offer.collection is not None:
        return _("the %(title)s collection", title=offer.collection.title)
    return _("your order")


def label(offer: Offer) -> str:
    """ "10% off Teak table", "€5.00 off your order"."""
    return _("%(amount)s off %(target)s", amount=amount_text(offer), target=target_text(offer))


def until_text(offer: Offer) -> str:
    """ "until Sunday 23 November, 18:00" in the shop's time zone, or '' when it never expires."""
    if offer.expires_at is None:
        return ""
    return _("until %(date)s", date=format_datetime(offer.expires_at, "EEEE d MMMM, HH:mm"))


def offer_data(offer: Offer) -> dict[str, Any]:
    """An offer as `offer` messages and the seller view carry it (no amount the browser could send back)."""
    return {
        "id": offer.id,
        "code": offer.code,
        "label": label(offer),
        "until": until_text(offer),
        "expires_at": offer.expires_at.isoformat() + "Z" if offer.expires_at else None,
        "note": offer.note,
        "min_subtotal_text": money(offer.min_subtotal, offer.currency) if offer.min_subtotal else "",
        "status": offer.status,
        "source": offer.source,
        "rule": offer.rule,
    }


# --- Making offers ---------------------------------------------------------------------------------------


def new_code(prefix: str = "OFFER") -> str:
    return f"{prefix}-" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def clean_code(code: object) -> str:
    """A typed code as stored: trimmed, upper-case; '' when it cannot be one."""
    if not isinstance(code, str):
        return ""
    cleaned = code.strip().upper()
    return cleaned if 0 < len(cleaned) <= CODE_MAX else ""


def _check_terms(kind: str, value: int, scope: str, target_id: int | None, min_subtotal: int) -> None:
    if kind not in pricing.KINDS:
        raise DiscountError("invalid", _("Choose a percent or a fixed amount."))
    if kind == "percent" and not 1 <= value <= 100:
        raise DiscountError("invalid", _("A percent discount is between 1 and 100."))
    if kind == "fixed" and value <= 0:
        raise DiscountError("invalid", _("The amount must be more than zero."))
    if scope not in pricing.SCOPES:
        raise DiscountError("invalid", _("Choose what the discount applies to."))
    if scope == "product" and (target_id is None or db.session.get(Product, target_id) is None):
        raise DiscountError("invalid", _("Choose the product the discount is for."))
    if scope == "collection" and (target_id is None or db.session.get(Collection, target_id) is None):
        raise DiscountError("invalid", _("Choose the collection the discount is for."))
    if min_subtotal < 0:
        raise DiscountError("invalid", _("The minimum order cannot be negative."))


def _insert(offer: Offer) -> Offer:
    """Add with a fresh code (a clash with an existing code draws another)."""
    for _attempt in range(5):
        try:
            with db.session.begin_nested():
                db.session.add(offer)
            return offer
        except sa.exc.IntegrityError:
            if offer.source == "shop" or offer.dedupe_key:
                raise
            offer.code = new_code()
    raise RuntimeError("could not draw a unique offer code")


def seller_offer(
    seller: Any,
    conversation: Any,
    *,
    kind: str,
    value: int,
    scope: str = "order",
    target_id: int | None = None,
    min_subtotal: int = 0,
    expires_in_hours: int | None = None,
    note: str = "",
) -> Offer:
    """A seller's offer to the conversation's shopper: active within the seller's cap, pending (waiting for a
    manager) above it and within a manager's, refused above a manager's. Committed."""
    _check_terms(kind, value, scope, target_id, min_subtotal)
    settings = load_settings()
    if value > settings.cap("manager", kind):
        raise DiscountError("over_cap", _over_cap_text(settings, "manager", kind))
    pending = value > settings.cap(seller.role, kind)
    hours = expires_in_hours or settings.default_expiry_hours
    if not 1 <= hours <= 24 * 365:
        raise DiscountError("invalid", _("The offer must last between 1 hour and a year."))
    offer = Offer(
        code=new_code(),
        kind=kind,
        value=value,
        scope=scope,
        product_id=target_id if scope == "product" else None,
        collection_id=target_id if scope == "collection" else None,
        min_subtotal=min_subtotal,
        currency=current_app.config["SHOP_CURRENCY"],
        customer_id=conversation.customer_id,
        conversation_id=conversation.id,
        source="seller",
        created_by_id=seller.id,
        status="pending" if pending else "active",
        expires_at=utcnow() + timedelta(hours=hours),
        usage_limit=1,
        note=(note or "").strip()[:NOTE_MAX],
    )
    _insert(offer)
    db.session.commit()
    log.info("offer %s (%s) by seller %s in conversation %s: %s", offer.id, label(offer), seller.id,
             conversation.id, offer.status)  # fmt: skip
    return offer


def _over_cap_text(settings: Settings, role: str, kind: str) -> str:
    cap = settings.cap(role, kind)
    limit = f"{cap}%" if kind == "percent" else money(cap)
    if role == "manager":
        return _("The shop allows discounts of at most %(limit)s.", limit=limit)
    return _("Sellers may offer up to %(limit)s: a manager must approve this one.", limit=limit)


def rule_offer(
    customer: Customer,
    rule: str,
    percent: int,
    note: str,
    dedupe_key: str,
    conversation_id: int | None = None,
) -> Offer | None:
    """An offer one of the owner's rules makes; None when the rule already made this one (`dedupe_key`,
    e.g. "first_order:42": inserted once, even by two processes at the same time). Committed."""
    offer = Offer(
        code=new_code(),
        kind="percent",
        value=percent,
        scope="order",
        currency=current_app.config["SHOP_CURRENCY"],
        customer_id=customer.id,
        conversation_id=conversation_id,
        source="bot",
        rule=rule,
        status="active",
        expires_at=utcnow() + timedelta(hours=load_settings().default_expiry_hours),
        usage_limit=1,
        note=note[:NOTE_MAX],
        dedupe_key=dedupe_key,
    )
    try:
        _insert(offer)
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        return None
    log.info("offer %s (%s) by rule %s for shopper %s", offer.id, label(offer), rule, customer.id)
    return offer


def shop_code(
    seller: Any,
    *,
    code: str,
    kind: str,
    value: int,
    scope: str = "order",
    target_id: int | None = None,
    min_subtotal: int = 0,
    expires_at: datetime | None = None,
    usage_limit: int | None = None,
    note: str = "",
) -> Offer:
    """A code the owner publishes (any shopper, once each; `seller` None: the shop itself). Committed."""
    cleaned = clean_code(code)
    if not cleaned or not all(c.isalnum() or c in "-_" for c in cleaned):
        raise DiscountError("invalid", _("A code is 1 to 40 letters, digits, - or _."))
    _check_terms(kind, value, scope, target_id, min_subtotal)
    if usage_limit is not None and usage_limit < 1:
        raise DiscountError("invalid", _("The usage limit must be at least 1."))
    if db.session.scalar(sa.select(Offer.id).where(Offer.code == cleaned)) is not None:
        raise DiscountError("code_taken", _("The code %(code)s already exists.", code=cleaned))
    offer = Offer(
        code=cleaned,
        kind=kind,
        value=value,
        scope=scope,
        product_id=target_id if scope == "product" else None,
        collection_id=target_id if scope == "collection" else None,
        min_subtotal=min_subtotal,
        currency=current_app.config["SHOP_CURRENCY"],
        source="shop",
        created_by_id=seller.id if seller is not None else None,
        status="active",
        expires_at=expires_at,
        usage_limit=usage_limit,
        note=(note or "").strip()[:NOTE_MAX],
    )
    db.session.add(offer)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise DiscountError("code_taken", _("The code %(code)s already exists.", code=cleaned)) from None
    return offer


def decide(offer_id: object, manager: Any, approve: bool) -> Offer:
    """A manager approves or declines a pending offer; a second decision finds it decided. Committed."""
    if not getattr(manager, "is_manager", False):
        raise DiscountError("forbidden", _("Only a manager can approve discounts."))
    offer = get_offer(offer_id)
    if approve and offer.value > load_settings().cap("manager", offer.kind):
        raise DiscountError("over_cap", _over_cap_text(load_settings(), "manager", offer.kind))
    now = utcnow()
    values: dict[str, Any] = {"status": "active" if approve else "declined", "decided_by_id": manager.id,
                              "decided_at": now}  # fmt: skip
    if approve and offer.expires_at is not None and offer.created_at is not None:
        values["expires_at"] = now + (offer.expires_at - offer.created_at)  # the shopper gets the full time
    result = db.session.execute(
        sa.update(Offer)
        .where(Offer.id == offer.id, Offer.status == "pending")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    db.session.refresh(offer)
    if result.rowcount != 1:
        raise DiscountError("already_decided", _("This offer was already approved or declined."))
    log.info("offer %s %s by manager %s", offer.id, offer.status, manager.id)
    return offer


def get_offer(offer_id: object) -> Offer:
    try:
        oid = int(str(offer_id))
    except ValueError:
        oid = 0
    offer = db.session.get(Offer, oid) if 0 < oid < 2**63 else None
    if offer is None:
        raise DiscountError("not_found", _("This offer does not exist."))
    return offer


def pending_offers() -> list[Offer]:
    return list(db.session.scalars(sa.select(Offer).where(Offer.status == "pending").order_by(Offer.id)))


# --- Applying to a cart ----------------------------------------------------------------------------------


def pricing_line(variant: Any, quantity: int) -> pricing.Line:
    """A cart line of `quantity` units of `variant`, as the pricing sees it."""
    product = variant.product
    return pricing.Line(variant.price, quantity, product.id, frozenset(c.id for c in product.collections))


def _pricing_lines(cart: Cart | None) -> list[pricing.Line]:
    """The cart's lines the shopper can buy (visible products), in cart order."""
    return [
        pricing_line(line.variant, line.quantity)
        for line in (cart.lines if cart else [])
        if line.variant.product.is_visible
    ]


def usable_error(offer: Offer, customer: Customer, now: datetime | None = None) -> DiscountError | None:
    """Why `customer` may not use `offer` now (whatever the cart), or None."""
    now = now or utcnow()
    if offer.customer_id is not None and offer.customer_id != customer.id:
        return DiscountError("not_yours", _("This offer was made for another shopper."))
    if offer.status == "pending":
        return DiscountError("pending", _("This offer is waiting for a manager's approval."))
    if offer.status != "active":
        return DiscountError("invalid", _("This offer is no longer valid."))
    if offer.expires_at is not None and offer.expires_at <= now:
        when = format_datetime(offer.expires_at, "d MMMM, HH:mm")
        return DiscountError("expired", _("This code expired on %(date)s.", date=when))
    if offer.personal:
        if offer.usage_limit is not None and offer.times_used >= offer.usage_limit:
            return DiscountError("used", _("This offer has already been used."))
    else:
        if _used_by(offer.id, customer.id):
            return DiscountError("used", _("You have already used this code."))
        if offer.usage_limit is not None and offer.times_used >= offer.usage_limit:
            return DiscountError("used", _("This code has been used as many times as allowed."))
    if terms_of(offer) is None:
        return DiscountError("invalid", _("This offer is no longer valid."))
    return None


def _used_by(offer_id: int, customer_id: int, exclude_checkout: int | None = None) -> bool:
    query = sa.select(OfferRedemption.id).where(
        OfferRedemption.offer_id == offer_id,
        OfferRedemption.customer_id == customer_id,
        OfferRedemption.status.in_(("held", "redeemed")),
    )
    if exclude_checkout is not None:
        query = query.where(OfferRedemption.checkout_id != exclude_checkout)
    return db.session.scalar(query.limit(1)) is not None


def problem_error(offer: Offer, discount: pricing.Discount, lines: list[pricing.Line]) -> DiscountError:
    """The message for a discount that gives nothing on this cart."""
    if discount.problem == "below_minimum":
        subtotal = sum(line.total for line in lines)
        return DiscountError(
            "below_minimum",
            _(
                "This code needs an order of at least %(minimum)s (your cart: %(subtotal)s).",
                minimum=money(offer.min_subtotal, offer.currency),
                subtotal=money(subtotal, offer.currency),
            ),
        )
    return DiscountError(
        "not_eligible",
        _("This code is for %(target)s: add it to your cart first.", target=target_text(offer)),
    )


@dataclass(frozen=True)
class Applied:
    """The discount a cart gets now: `discount.amount` off, or `problem` (a message) when it gives nothing."""

    offer: Offer
    discount: pricing.Discount
    problem: str | None = None

    @property
    def amount(self) -> int:
        return self.discount.amount if self.problem is None else 0


def evaluate(cart: Cart | None, lines: list[pricing.Line] | None = None) -> Applied | None:
    """The cart's applied discount on its current lines (None when it has none)."""
    if cart is None or cart.offer_id is None:
        return None
    offer = cart.offer
    lines = _pricing_lines(cart) if lines is None else lines
    error = usable_error(offer, cart.customer)
    if error is not None and error.code == "used" and _held_for_cart(offer.id, cart.id):
        error = None  # its use is held by this cart's own payment under way (a 3-D Secure wait)
    terms = terms_of(offer)
    if error is None and terms is not None:
        discount = pricing.compute(lines, terms)
        if discount.applies:
            return Applied(offer, discount)
        error = problem_error(offer, discount, lines)
    return Applied(offer, pricing.Discount(0, tuple(0 for _ in lines), "invalid"), str(error))


def _held_for_cart(offer_id: int, cart_id: int) -> bool:
    # The checkout table by name: payments builds on the shop, not the other way round.
    checkout = sa.table("checkout", sa.column("id"), sa.column("cart_id"))
    held = (
        sa.select(OfferRedemption.id)
        .join(checkout, checkout.c.id == OfferRedemption.checkout_id)
        .where(
            OfferRedemption.offer_id == offer_id,
            OfferRedemption.status == "held",
            checkout.c.cart_id == cart_id,
        )
    )
    return db.session.scalar(held.limit(1)) is not None


def find(customer: Customer, *, offer_id: object = None, code: object = None) -> Offer:
    """The offer a shopper names by its id (the card's Apply button) or by its code (typed)."""
    if offer_id is not None:
        try:
            offer = get_offer(offer_id)
        except DiscountError:
            raise DiscountError("invalid", _("This offer does not exist.")) from None
        if offer.customer_id != customer.id:  # an id is not a code: only one's own cards have Apply
            raise DiscountError("not_yours", _("This offer was made for another shopper."))
        return offer
    cleaned = clean_code(code)
    if not cleaned:
        raise DiscountError("invalid", _("Please type a discount code."))
    offer = db.session.scalar(sa.select(Offer).where(Offer.code == cleaned))
    if offer is None:
        raise DiscountError("invalid", _("The code %(code)s does not exist.", code=cleaned))
    return offer


@dataclass(frozen=True)
class ApplyResult:
    offer: Offer
    amount: int
    #: The offer this one replaced (it gave less), if any.
    replaced: Offer | None = None
    already: bool = False

    def message(self) -> str:
        amount = money(self.amount, self.offer.currency)
        if self.already:
            return _("%(label)s is already applied (−%(amount)s).", label=label(self.offer), amount=amount)
        if self.replaced is not None:
            return _(
                "%(label)s applied (−%(amount)s). It replaces %(old)s, which gave less.",
                label=label(self.offer),
                amount=amount,
                old=label(self.replaced),
            )
        return _("%(label)s applied: −%(amount)s.", label=label(self.offer), amount=amount)


def apply(customer: Customer, *, offer_id: object = None, code: object = None) -> ApplyResult:
    """Apply an offer to the shopper's open cart (one per cart: a better one replaces the current one)."""
    from shop.cart import open_cart  # cart imports this module for its totals

    offer = find(customer, offer_id=offer_id, code=code)
    error = usable_error(offer, customer)
    if error is not None:
        raise error
    cart = open_cart(customer)
    lines = _pricing_lines(cart)
    if cart is None or not lines:
        raise DiscountError("empty_cart", _("Add a product to your cart before using a discount."))
    discount = pricing.compute(lines, terms_of(offer))
    if not discount.applies:
        raise problem_error(offer, discount, lines)
    current = evaluate(cart, lines)
    if current is not None and current.offer.id == offer.id:
        cart.offer_applies = True
        db.session.commit()
        return ApplyResult(offer, discount.amount, already=True)
    replaced = None
    if current is not None and current.problem is None:
        if current.amount >= discount.amount:
            raise DiscountError(
                "not_better",
                _(
                    "Your current discount (%(label)s, −%(amount)s) gives at least as much, so it stays.",
                    label=label(current.offer),
                    amount=money(current.amount, offer.currency),
                ),
            )
        replaced = current.offer
    cart.offer_id = offer.id
    cart.offer_applies = True
    if offer.applied_at is None:
        offer.applied_at = utcnow()
    db.session.commit()
    log.info(
        "offer %s applied to cart %s (replaces %s)", offer.id, cart.id, replaced.id if replaced else None
    )
    return ApplyResult(offer, discount.amount, replaced)


def remove(customer: Customer) -> Offer | None:
    """Take the applied discount off the shopper's cart; the offer it was (None: there was none)."""
    from shop.cart import open_cart

    cart = open_cart(customer)
    if cart is None or cart.offer_id is None:
        return None
    offer = cart.offer
    cart.offer_id = None
    cart.offer_applies = False
    db.session.commit()
    return offer


def recheck(customer: Customer) -> str | None:
    """After a cart change: the message to tell the shopper when their discount stopped applying (else None).

    Remembered on the cart (`offer_applies`), so each change of state is told once.
    """
    from shop.cart import open_cart

    cart = open_cart(customer)
    applied = evaluate(cart)
    if cart is None or applied is None:
        return None
    applies = applied.problem is None
    if applies == cart.offer_applies:
        return None
    result = db.session.execute(
        sa.update(Cart)
        .where(Cart.id == cart.id, Cart.offer_applies.is_(not applies))
        .values(offer_applies=applies)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount != 1 or applies:
        return None  # told by a concurrent change / applies again: the totals show it
    return _("Your discount %(label)s no longer applies: %(reason)s", label=label(applied.offer),
             reason=applied.problem)  # fmt: skip


# --- Payments --------------------------------------------------------------------------------------------


def hold(
    offer_id: int, customer_id: int, checkout_id: int, attempt: int, amount: int
) -> DiscountError | None:
    """In the caller's transaction: take one use of the offer for a payment attempt. Returns why not, or None.

    The conditional UPDATE locks the offer row until the caller's transaction ends, so two payments using
    the last use of an offer cannot both get it (and a shop code's "once per shopper" is checked under it).
    """
    now = utcnow()
    result = db.session.execute(
        sa.update(Offer)
        .where(
            Offer.id == offer_id,
            Offer.status == "active",
            sa.or_(Offer.usage_limit.is_(None), Offer.times_used < Offer.usage_limit),
            sa.or_(Offer.expires_at.is_(None), Offer.expires_at > now),
        )
        .values(times_used=Offer.times_used + 1)
        .execution_options(synchronize_session=False)
    )
    offer = db.session.get(Offer, offer_id)
    if result.rowcount != 1:
        customer = db.session.get(Customer, customer_id)
        if offer is not None:
            db.session.refresh(offer)
        return (usable_error(offer, customer, now) if offer and customer else None) or DiscountError(
            "used", _("This offer has already been used.")
        )
    if not offer.personal and _used_by(offer_id, customer_id, exclude_checkout=checkout_id):
        return DiscountError("used", _("You have already used this code."))
    db.session.add(
        OfferRedemption(
            offer_id=offer_id,
            customer_id=customer_id,
            checkout_id=checkout_id,
            attempt=attempt,
            amount=amount,
        )
    )
    db.session.flush()
    return None


def release(checkout_id: int, attempt: int) -> bool:
    """In the caller's transaction: give back the use an attempt held (it failed). True when one was held."""
    offer_id = db.session.scalar(
        sa.update(OfferRedemption)
        .where(
            OfferRedemption.checkout_id == checkout_id,
            OfferRedemption.attempt == attempt,
            OfferRedemption.status == "held",
        )
        .values(status="released")
        .returning(OfferRedemption.offer_id)
    )
    if offer_id is None:
        return False
    db.session.execute(
        sa.update(Offer)
        .where(Offer.id == offer_id, Offer.times_used > 0)
        .values(times_used=Offer.times_used - 1)
        .execution_options(synchronize_session=False)
    )
    return True


def redeem(checkout_id: int, attempt: int, offer_id: int) -> bool:
    """In the webhook's transaction: the attempt's held use becomes redeemed. False when it cannot be had any
    more (the attempt had been given up and the last use went to someone else): the caller refunds."""
    now = utcnow()
    result = db.session.execute(
        sa.update(OfferRedemption)
        .where(
            OfferRedemption.checkout_id == checkout_id,
            OfferRedemption.attempt == attempt,
            OfferRedemption.status == "held",
        )
        .values(status="redeemed", redeemed_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 1:
        return True
    # Released meanwhile (declined then paid after all, expiry): take a use again, if one is left. The
    # shopper was shown this price before it expired, so expiry does not count here.
    taken = db.session.execute(
        sa.update(Offer)
        .where(
            Offer.id == offer_id, sa.or_(Offer.usage_limit.is_(None), Offer.times_used < Offer.usage_limit)
        )
        .values(times_used=Offer.times_used + 1)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        return False
    result = db.session.execute(
        sa.update(OfferRedemption)
        .where(
            OfferRedemption.checkout_id == checkout_id,
            OfferRedemption.attempt == attempt,
            OfferRedemption.status == "released",
        )
        .values(status="redeemed", redeemed_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def link_order(checkout_id: int, attempt: int, order_id: int) -> None:
    """In the webhook's transaction: the redeemed use points at the order it ended in."""
    db.session.execute(
        sa.update(OfferRedemption)
        .where(OfferRedemption.checkout_id == checkout_id, OfferRedemption.attempt == attempt)
        .values(order_id=order_id)
        .execution_options(synchronize_session=False)
    )
