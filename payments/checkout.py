"""The checkout: from a cart in a conversation to a paid order, with the stock held while the card is charged.

Shared by the widget's HTTP calls, the seller view and (later) the bot. Amounts always come from the
database: the browser sends a payment method and the fingerprint of the total it was shown, never a price.

States (payments.models.CHECKOUT_STATUSES):

    open ──pay──▶ paying ──▶ processing ──webhook──▶ paid
      ▲              │  └──▶ requires_action ──3DS──▶ processing
      └── declined, failed, 3-D Secure abandoned, hold expired ◀──┘

Each transition is a conditional UPDATE (`WHERE status = ...`), so that concurrent requests, webhooks and
the expiry task agree on one outcome on SQLite and PostgreSQL alike. Stock under the `deny` policy is taken
when the payment starts (a conditional decrement: never below zero) and given back when the attempt fails.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _

from extensions import db
from payments import shipping
from payments import stripe_gateway as gateway
from payments.models import HOLDING_STATUSES, Checkout
from shop import cart as carts
from shop import discounts
from shop.formatting import money
from shop.models import Cart, Customer, Offer, Order, Variant, utcnow

log = logging.getLogger(__name__)

_PAYMENT_METHOD = re.compile(r"^pm_[A-Za-z0-9_]{1,200}$")
DETAIL_FIELDS = ("email", "name", "address1", "address2", "city", "postal_code", "country")


class CheckoutError(Exception):
    """A checkout step refused; `code` for code, str(error) for people, maybe the checkout's new state."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int = 400,
        fields: dict[str, str] | None = None,
        checkout: Checkout | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.fields = fields or {}
        self.checkout = checkout


# --- Quotes ----------------------------------------------------------------------------------------------


@dataclass
class QuoteLine:
    variant_id: int
    title: str
    variant_title: str
    sku: str
    handle: str
    image: str | None
    unit_price: int
    quantity: int
    #: Stock is counted for this variant (tracked, policy deny): it is held during payment.
    limited: bool
    available: bool
    requires_shipping: bool
    #: This line's share of the discount.
    discount: int = 0

    @property
    def total(self) -> int:
        return self.unit_price * self.quantity


@dataclass
class Quote:
    """What the shopper would pay now: computed from the database, never from the browser."""

    currency: str
    lines: list[QuoteLine] = field(default_factory=list)
    subtotal: int = 0
    discount: int = 0
    shipping: int = 0
    #: The applied offer the discount comes from (None: no discount).
    offer_id: int | None = None
    #: "10% off Teak table" and its code; `discount_problem` says why an applied offer gives nothing now.
    discount_label: str = ""
    discount_code: str = ""
    discount_problem: str | None = None

    @property
    def total(self) -> int:
        return max(0, self.subtotal - self.discount) + self.shipping

    @property
    def unavailable(self) -> list[QuoteLine]:
        return [line for line in self.lines if not line.available]

    @property
    def fingerprint(self) -> str:
        """Changes whenever anything the shopper agreed to pay changes (lines, prices, shipping, total)."""
        parts = [[line.variant_id, line.quantity, line.unit_price] for line in self.lines]
        raw = json.dumps(
            [parts, self.subtotal, self.offer_id, self.discount, self.shipping, self.total, self.currency]
        )
        return hashlib.sha256(raw.encode()).hexdigest()[:20]


def _image(variant: Variant) -> str | None:
    image = variant.image or (variant.product.images[0] if variant.product.images else None)
    return image.src if image else None


def live_quote(checkout: Checkout) -> Quote:
    """The checkout's cart as it is now: its applied discount on the lines that can be bought, and shipping
    to the address given (or the shop's country)."""
    currency = checkout.currency
    cart = db.session.get(Cart, checkout.cart_id)
    summary = carts.summarize(cart, currency, discount=False)  # priced below, on the lines one can buy
    quote = Quote(currency=currency)
    for view in summary.lines:
        variant = view.variant
        quote.lines.append(
            QuoteLine(
                variant_id=variant.id,
                title=variant.product.title,
                variant_title=" / ".join(variant.options),
                sku=variant.sku,
                handle=variant.product.handle,
                image=_image(variant),
                unit_price=view.unit_price,
                quantity=view.quantity,
                limited=variant.stock_limit is not None,
                available=view.available,
                requires_shipping=variant.requires_shipping,
            )
        )
    buyable = [(line, view) for line, view in zip(quote.lines, summary.lines, strict=True) if line.available]
    quote.subtotal = sum(line.total for line, _view in buyable)
    applied = discounts.evaluate(
        cart, [discounts.pricing_line(v.variant, v.quantity) for _line, v in buyable]
    )
    if applied is not None:
        quote.discount_label = discounts.label(applied.offer)
        quote.discount_code = applied.offer.code
        quote.discount_problem = applied.problem
        if applied.problem is None and applied.amount > 0:  # one that rounds to nothing is not used up
            quote.offer_id = applied.offer.id
            quote.discount = applied.amount
            for (line, _view), share in zip(buyable, applied.discount.per_line, strict=True):
                line.discount = share
    quote.shipping = shipping.rate(
        checkout.country,
        max(0, quote.subtotal - quote.discount),
        any(line.requires_shipping for line, _view in buyable),
    )
    return quote


def frozen_quote(checkout: Checkout) -> Quote:
    """The amounts of the current payment attempt, as they were when it started."""
    quote = Quote(
        currency=checkout.currency,
        subtotal=checkout.subtotal,
        discount=checkout.discount,
        shipping=checkout.shipping,
        offer_id=checkout.offer_id,
    )
    if checkout.offer_id is not None and checkout.discount:
        offer = db.session.get(Offer, checkout.offer_id)
        quote.discount_label = discounts.label(offer) if offer else ""
        quote.discount_code = offer.code if offer else ""
    for line in checkout.lines or []:
        quote.lines.append(
            QuoteLine(
                variant_id=line["variant_id"],
                title=line["title"],
                variant_title=line["variant_title"],
                sku=line.get("sku", ""),
                handle=line.get("handle", ""),
                image=line.get("image"),
                unit_price=line["unit_price"],
                quantity=line["quantity"],
                limited=bool(line.get("limited")),
                available=True,
                requires_shipping=bool(line.get("requires_shipping", True)),
                discount=int(line.get("discount", 0)),
            )
        )
    return quote


def quote_of(checkout: Checkout) -> Quote:
    return live_quote(checkout) if checkout.status == "open" else frozen_quote(checkout)


# --- Serialising -----------------------------------------------------------------------------------------


def _line_data(line: QuoteLine, currency: str) -> dict[str, Any]:
    return {
        "variant_id": line.variant_id,
        "title": line.title,
        "variant_title": line.variant_title,
        "quantity": line.quantity,
        "unit_price": line.unit_price,
        "unit_price_text": money(line.unit_price, currency),
        "total": line.total,
        "total_text": money(line.total, currency),
        "image": line.image,
        "url": url_for("shop.product", handle=line.handle) if line.handle else None,
        "available": line.available,
    }


def details_of(checkout: Checkout) -> dict[str, str]:
    return {name: getattr(checkout, name) or "" for name in DETAIL_FIELDS}


def details_complete(checkout: Checkout) -> bool:
    required = ("email", "name", "address1", "city", "postal_code", "country")
    return all(getattr(checkout, name) for name in required)


def order_link(order: Order) -> dict[str, Any]:
    return {
        "number": order.number,
        "name": order.name,
        "status": order.status,
        "url": url_for("shop.order_status", token=order.token),
    }


def serialize(checkout: Checkout, quote: Quote | None = None) -> dict[str, Any]:
    """The protocol's Checkout object (docs/checkout.md)."""
    quote = quote or quote_of(checkout)
    currency = checkout.currency
    return {
        "token": checkout.token,
        "status": checkout.status,
        "currency": currency,
        "item_count": sum(line.quantity for line in quote.lines if line.available),
        "lines": [_line_data(line, currency) for line in quote.lines],
        "subtotal": quote.subtotal,
        "discount": quote.discount,
        "shipping": quote.shipping,
        "total": quote.total,
        "subtotal_text": money(quote.subtotal, currency),
        "discount_text": money(quote.discount, currency),
        "discount_label": quote.discount_label,
        "discount_code": quote.discount_code,
        "discount_problem": quote.discount_problem,
        "shipping_text": money(quote.shipping, currency),
        "total_text": money(quote.total, currency),
        "quote": quote.fingerprint,
        "details": details_of(checkout),
        "details_complete": details_complete(checkout),
        "pay_label": _("Pay %(amount)s", amount=money(quote.total, currency)),
        "last_error": checkout.last_error or None,
        "order": order_link(checkout.order) if checkout.order else None,
    }


def card_data(checkout: Checkout, quote: Quote) -> dict[str, Any]:
    """What a `checkout` message carries: enough to draw the card for the shopper and the seller."""
    full = serialize(checkout, quote)
    keys = ("token", "currency", "item_count", "subtotal_text", "discount_text", "shipping_text",
            "discount_label", "discount_code", "discount_problem")  # fmt: skip
    data = {key: full[key] for key in keys}
    data.update(total=full["total"], total_text=full["total_text"], discount=full["discount"])
    data["lines"] = [
        {key: line[key] for key in ("title", "variant_title", "quantity", "total_text", "image", "url")}
        for line in full["lines"]
        if line["available"]
    ]
    return data


# --- Starting a checkout ---------------------------------------------------------------------------------


def _prefill(checkout: Checkout, customer: Customer) -> None:
    """A returning shopper's details: from their last checkout that had them, else their email."""
    previous = db.session.scalar(
        sa.select(Checkout)
        .where(Checkout.customer_id == customer.id, Checkout.address1 != "", Checkout.id != checkout.id)
        .order_by(Checkout.updated_at.desc())
        .limit(1)
    )
    if previous is not None:
        for name in DETAIL_FIELDS:
            setattr(checkout, name, getattr(previous, name))
    checkout.email = checkout.email or customer.email or ""
    checkout.name = checkout.name or customer.name or ""
    if not checkout.country and shipping.ships_to(current_app.config["SHOP_COUNTRY"]):
        checkout.country = current_app.config["SHOP_COUNTRY"]  # most shoppers live where the shop is


def start(customer: Customer, conversation: Any) -> tuple[Checkout, Quote]:
    """The checkout of the shopper's open cart (reused while open), posted as a `checkout` message."""
    from chat import broadcast
    from chat.messages import Draft

    cart = carts.open_cart(customer)
    if cart is None or not cart.lines:
        raise CheckoutError("empty_cart", _("Your cart is empty: add a product first."))
    checkout = db.session.scalar(
        sa.select(Checkout)
        .where(Checkout.cart_id == cart.id, Checkout.status != "paid", Checkout.status != "cancelled")
        .order_by(Checkout.id.desc())
        .limit(1)
    )
    if checkout is None:
        checkout = Checkout(
            customer_id=customer.id, cart_id=cart.id, currency=current_app.config["SHOP_CURRENCY"]
        )
        db.session.add(checkout)
        db.session.flush()
        _prefill(checkout, customer)
    checkout.conversation_id = conversation.id
    db.session.commit()
    quote = quote_of(checkout)
    if not [line for line in quote.lines if line.available]:
        raise CheckoutError("empty_cart", _("Nothing in your cart is available any more."))
    count = sum(line.quantity for line in quote.lines if line.available)
    broadcast.post(
        Draft(
            conversation_id=conversation.id,
            sender_kind="system",
            type="checkout",
            sender_name=current_app.config["SHOP_NAME"],
            text=f"Checkout: {count} item(s), total {money(quote.total, checkout.currency)}",
            data={"checkout": card_data(checkout, quote)},
        )
    )
    return checkout, quote


def for_customer(token: object, customer: Customer | None) -> Checkout:
    """A checkout the calling shopper owns (another shopper's token is simply not found)."""
    checkout = None
    if isinstance(token, str) and 0 < len(token) <= 64 and customer is not None:
        checkout = db.session.scalar(sa.select(Checkout).where(Checkout.token == token))
    if checkout is None or checkout.customer_id != customer.id:
        raise CheckoutError("not_found", _("This checkout does not exist."), status=404)
    return checkout


# --- Details ---------------------------------------------------------------------------------------------


def save_details(checkout: Checkout, values: dict[str, str]) -> None:
    """Store validated details (payments.forms.DetailsForm); the shopper's email and name are kept too."""
    if checkout.status not in ("open",):
        raise CheckoutError("closed", _("This checkout can no longer be changed."), status=409)
    for name in DETAIL_FIELDS:
        setattr(checkout, name, values.get(name, "").strip())
    customer = checkout.customer
    if not customer.email:
        customer.email = checkout.email
    if not customer.name:
        customer.name = checkout.name
    db.session.commit()


def payment_info(checkout: Checkout) -> dict[str, str] | None:
    """What the browser needs to collect a card: a fresh SetupIntent each time (one per card tried)."""
    if checkout.status != "open" or not details_complete(checkout):
        return None
    config = current_app.config
    try:
        secret = gateway.create_setup_intent({"checkout": checkout.token})
    except gateway.GatewayError as error:
        raise CheckoutError(
            "payment_error", _("Payments are unavailable right now. Please try again."), status=503
        ) from error
    return {
        "publishable_key": config["STRIPE_PUBLISHABLE_KEY"],
        "js_url": config["STRIPE_JS_URL"],
        "setup_client_secret": secret,
    }


# --- Stock holds -----------------------------------------------------------------------------------------


def _take_stock(variant_id: int, quantity: int) -> bool:
    """Conditional decrement: succeeds only while enough units are left (correct under concurrency)."""
    result = db.session.execute(
        sa.update(Variant)
        .where(
            Variant.id == variant_id,
            Variant.inventory_tracked.is_(True),
            Variant.inventory_policy == "deny",
            Variant.inventory_quantity >= quantity,
        )
        .values(inventory_quantity=Variant.inventory_quantity - quantity)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _give_back(lines: list[dict[str, Any]]) -> None:
    for line in lines:
        if line.get("held"):
            db.session.execute(
                sa.update(Variant)
                .where(Variant.id == line["variant_id"])
                .values(inventory_quantity=Variant.inventory_quantity + line["quantity"])
                .execution_options(synchronize_session=False)
            )


def _hold(quote: Quote) -> tuple[list[dict[str, Any]], QuoteLine | None]:
    """Take the quote's limited lines out of stock, in variant order (no deadlocks between checkouts).

    Returns the snapshot lines, and the first line that could not be held (the caller rolls back).
    """
    snapshot = []
    for line in sorted(quote.lines, key=lambda item: item.variant_id):
        held = False
        if line.limited:
            if not _take_stock(line.variant_id, line.quantity):
                return snapshot, line
            held = True
        snapshot.append(
            {
                "variant_id": line.variant_id,
                "title": line.title,
                "variant_title": line.variant_title,
                "sku": line.sku,
                "handle": line.handle,
                "image": line.image,
                "unit_price": line.unit_price,
                "quantity": line.quantity,
                "limited": line.limited,
                "requires_shipping": line.requires_shipping,
                "discount": line.discount,
                "held": held,
            }
        )
    return snapshot, None


def _out_of_stock_message(line: QuoteLine) -> str:
    variant = db.session.get(Variant, line.variant_id)
    left = max(0, variant.inventory_quantity) if variant is not None else 0
    name = f"{line.title} ({line.variant_title})" if line.variant_title else line.title
    if left == 0:
        return _("Sorry, %(title)s has just sold out. Remove it from your cart to continue.", title=name)
    return ngettext(
        "Sorry, only %(num)d of %(title)s is left. Change the quantity in your cart to continue.",
        "Sorry, only %(num)d of %(title)s are left. Change the quantity in your cart to continue.",
        left,
        title=name,
    )


# --- Paying ----------------------------------------------------------------------------------------------


@dataclass
class PayResult:
    status: str  # processing | requires_action | paid
    client_secret: str | None = None


def _transition(checkout_id: int, from_statuses: tuple[str, ...], **values: Any) -> bool:
    """UPDATE checkout ... WHERE status IN from_statuses; True when this caller made the change."""
    result = db.session.execute(
        sa.update(Checkout)
        .where(Checkout.id == checkout_id, Checkout.status.in_(from_statuses))
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def pay(checkout: Checkout, payment_method: object, quote_id: object) -> PayResult:
    """Charge the card for what the cart costs now, holding its stock; only the webhook marks it paid."""
    if not isinstance(payment_method, str) or not _PAYMENT_METHOD.match(payment_method):
        raise CheckoutError("invalid", _("The card could not be read. Please enter it again."))
    if checkout.status == "paid":
        return PayResult("paid")
    if not details_complete(checkout):
        raise CheckoutError("invalid", _("Please fill in your details first."))
    # 1. Take the checkout (one attempt at a time), check the total, hold the stock: one transaction.
    if not _transition(checkout.id, ("open",), status="paying", attempt=Checkout.attempt + 1):
        db.session.rollback()
        db.session.refresh(checkout)
        if checkout.status == "paid":
            return PayResult("paid")
        raise CheckoutError("in_progress", _("A payment for this order is already in progress."), status=409)
    db.session.refresh(checkout)
    quote = live_quote(checkout)
    problem: CheckoutError | None = None
    if not quote.lines:
        problem = CheckoutError("empty_cart", _("Your cart is empty: add a product first."), status=409)
    elif quote.unavailable:
        problem = CheckoutError("out_of_stock", _out_of_stock_message(quote.unavailable[0]), status=409)
    elif not isinstance(quote_id, str) or quote_id != quote.fingerprint:
        problem = CheckoutError(
            "quote_changed",
            _(
                "Your order changed since the total was shown. The new total is %(total)s.",
                total=money(quote.total, checkout.currency),
            ),
            status=409,
        )
    else:
        snapshot, missing = _hold(quote)
        if missing is not None:
            problem = CheckoutError("out_of_stock", _out_of_stock_message(missing), status=409)
        elif quote.offer_id is not None:
            refused = discounts.hold(quote.offer_id, checkout.customer_id, checkout.id, checkout.attempt,
                                     quote.discount)  # fmt: skip
            if refused is not None:
                problem = CheckoutError("discount_unavailable", str(refused), status=409)
    if problem is not None:
        db.session.rollback()  # the checkout is open again, nothing held
        db.session.refresh(checkout)
        problem.checkout = checkout
        raise problem
    conversation = _conversation(checkout)
    checkout.lines = snapshot
    checkout.subtotal, checkout.discount, checkout.shipping = quote.subtotal, quote.discount, quote.shipping
    checkout.total = quote.total
    checkout.offer_id = quote.offer_id
    checkout.holds_active = True
    checkout.hold_expires_at = utcnow() + timedelta(minutes=current_app.config["CHECKOUT_HOLD_MINUTES"])
    checkout.payment_intent_id = None
    checkout.last_error = ""
    checkout.seller_id = conversation.assignee_id if conversation is not None else None
    attempt = checkout.attempt
    db.session.commit()

    # 2. Stripe: create the intent (idempotent per attempt), remember it, give it the card, confirm.
    key = f"checkout-{checkout.token}-{attempt}"
    try:
        intent = gateway.create_payment_intent(
            checkout.total, checkout.currency, {"checkout": checkout.token, "attempt": str(attempt)}, key
        )
        checkout.payment_intent_id = intent.id
        db.session.commit()
        intent = gateway.confirm_payment_intent(intent.id, payment_method, f"{key}-confirm")
    except gateway.CardDeclined as error:
        fail_attempt(checkout.id, attempt, str(error))
        raise CheckoutError("card_declined", str(error), status=402, checkout=checkout) from error
    except gateway.GatewayError as error:
        if checkout.payment_intent_id:
            gateway.cancel_payment_intent(checkout.payment_intent_id)
        fail_attempt(checkout.id, attempt, _("The payment could not be made. Please try again."))
        raise CheckoutError(
            "payment_error",
            _("The payment could not be made. Please try again."),
            status=502,
            checkout=checkout,
        ) from error
    return _after_confirm(checkout, attempt, intent)


def _after_confirm(checkout: Checkout, attempt: int, intent: gateway.Intent) -> PayResult:
    if intent.status in ("succeeded", "processing"):
        _transition(checkout.id, ("paying", "requires_action"), status="processing")
        db.session.commit()
        db.session.refresh(checkout)
        return PayResult("paid" if checkout.status == "paid" else "processing")
    if intent.status == "requires_action":
        _transition(checkout.id, ("paying",), status="requires_action")
        db.session.commit()
        return PayResult("requires_action", client_secret=intent.client_secret)
    reason = intent.error_message or _("Your card was declined.")
    fail_attempt(checkout.id, attempt, reason)
    raise CheckoutError("card_declined", reason, status=402, checkout=checkout)


def sync(checkout: Checkout) -> PayResult:
    """After the browser's 3-D Secure step (completed, failed or closed): read the intent from Stripe.

    Never marks the checkout paid (the webhook does): a succeeded intent only moves it to processing.
    """
    if checkout.status != "requires_action" or not checkout.payment_intent_id:
        if checkout.status == "open" and checkout.last_error:
            raise CheckoutError("card_declined", checkout.last_error, status=402, checkout=checkout)
        return PayResult("paid" if checkout.status == "paid" else checkout.status)
    attempt = checkout.attempt
    try:
        intent = gateway.retrieve_payment_intent(checkout.payment_intent_id)
    except gateway.GatewayError as error:
        raise CheckoutError(
            "payment_error", _("We could not check the payment. Please try again."), status=502
        ) from error
    if intent.status == "requires_action":  # the shopper closed the bank's window
        if gateway.cancel_payment_intent(intent.id) is None:
            return PayResult("requires_action", client_secret=intent.client_secret)
        reason = _("The card's security check was not completed.")
        fail_attempt(checkout.id, attempt, reason)
        raise CheckoutError("card_declined", reason, status=402, checkout=checkout)
    return _after_confirm(checkout, attempt, intent)


def release_attempt(checkout_id: int, attempt: int, reason: str, status: str = "open") -> Checkout | None:
    """In the caller's transaction: end a holding attempt (reopen the checkout) and give its stock back.

    Returns the checkout when this call made the transition, None when someone else already did.
    """
    result = db.session.execute(
        sa.update(Checkout)
        .where(
            Checkout.id == checkout_id,
            Checkout.attempt == attempt,
            Checkout.status.in_(HOLDING_STATUSES),
        )
        .values(status=status, holds_active=False, last_error=reason[:500], updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return None
    checkout = db.session.get(Checkout, checkout_id)
    db.session.refresh(checkout)
    _give_back(checkout.lines or [])
    discounts.release(checkout_id, attempt)
    return checkout


def announce_failure(checkout: Checkout, reason: str) -> None:
    """Say in the conversation why the payment failed (after the transition has committed)."""
    from chat import broadcast
    from chat.messages import Draft

    if checkout.conversation_id:
        broadcast.post(
            Draft(
                conversation_id=checkout.conversation_id,
                sender_kind="system",
                type="system",
                text=f"Payment declined: {reason}",
                data={"event": "payment_failed", "name": reason, "checkout": checkout.token},
            )
        )


def fail_attempt(checkout_id: int, attempt: int, reason: str) -> bool:
    """The attempt failed: give its stock back, reopen the checkout, say why in the conversation.

    Whoever makes the transition (the pay request, the webhook, the expiry task) does it, once.
    """
    db.session.rollback()
    checkout = release_attempt(checkout_id, attempt, reason)
    if checkout is None:
        db.session.rollback()
        return False
    db.session.commit()
    announce_failure(checkout, reason)
    return True


def _conversation(checkout: Checkout) -> Any:
    from chat.models import Conversation

    return db.session.get(Conversation, checkout.conversation_id) if checkout.conversation_id else None


# --- Expiry ----------------------------------------------------------------------------------------------


def expire_holds(now: datetime | None = None) -> int:
    """Give back the stock of attempts left waiting (3-D Secure never finished, a request that died).

    Attempts already charged (processing) keep their stock: the webhook will turn them into orders.
    """
    now = now or utcnow()
    stale = list(
        db.session.scalars(
            sa.select(Checkout).where(
                Checkout.status.in_(("paying", "requires_action")),
                Checkout.hold_expires_at < now,
            )
        )
    )
    # The background loop has no request, hence no browser language to pick (gettext would fail).
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        reason = _("The payment took too long and was cancelled.")
    released = 0
    for checkout in stale:
        if checkout.payment_intent_id:
            intent = gateway.cancel_payment_intent(checkout.payment_intent_id)
            if intent is None or intent.status != "canceled":
                continue  # paid meanwhile (or Stripe unreachable): leave it to the webhook / next round
        if fail_attempt(checkout.id, checkout.attempt, reason):
            released += 1
    return released
