"""HTTP side of payments: the widget's checkout calls, the seller's checkout and refund calls, the webhook.

Thin views over payments.checkout / refunds / webhooks. Answers are JSON, `{"ok": true, ...}` or
`{"ok": false, "error": {"code", "message", "fields"?}}` (docs/checkout.md).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import jsonify, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from chat import service as chat_service
from chat.models import Conversation, Seller
from extensions import csrf, db
from payments import bp, refunds, shipping, webhooks
from payments import checkout as checkouts
from payments import stripe_gateway as gateway
from payments.checkout import CheckoutError
from payments.forms import DetailsForm
from payments.orders import order_data, post_status
from shop.customers import current_customer
from shop.models import Order

log = logging.getLogger(__name__)


def fail(code: str, message: str, status: int = 400, **extra: Any):
    return jsonify(ok=False, error={"code": code, "message": message, **extra}), status


@bp.errorhandler(CheckoutError)
def checkout_error(error: CheckoutError):
    db.session.rollback()
    extra: dict[str, Any] = {}
    if error.fields:
        extra["fields"] = error.fields
    body: dict[str, Any] = {"ok": False, "error": {"code": error.code, "message": str(error), **extra}}
    if error.checkout is not None:
        db.session.refresh(error.checkout)
        body["checkout"] = checkouts.serialize(error.checkout)
        if error.code == "card_declined":
            body["payment"] = checkouts.payment_info(error.checkout)
    return jsonify(body), error.status


@bp.errorhandler(CSRFError)
def csrf_error(error: CSRFError):
    return fail("csrf", _("Your session expired. Please reload the page and try again."), 400)


@bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    return fail(error.name.lower().replace(" ", "_"), error.description or error.name, error.code or 500)


def _customer():
    customer = current_customer()
    if customer is None:
        raise CheckoutError("not_found", _("Open the chat from the shop first."), status=404)
    return customer


def _payments_ready() -> None:
    if not gateway.configured():
        raise CheckoutError("unavailable", _("Payments are not set up in this shop yet."), status=503)


# --- Shopper ---------------------------------------------------------------------------------------------


@bp.post("/checkout")
def start_checkout():
    """The widget's "Checkout" button: post the checkout card for the shopper's cart."""
    _payments_ready()
    customer = _customer()
    conversation = chat_service.open_conversation(customer)
    checkout, quote = checkouts.start(customer, conversation)
    return jsonify(ok=True, checkout=checkouts.serialize(checkout, quote))


@bp.get("/checkout/<token>")
def show_checkout(token: str):
    checkout = checkouts.for_customer(token, current_customer())
    return jsonify(
        ok=True,
        checkout=checkouts.serialize(checkout),
        payment=checkouts.payment_info(checkout) if gateway.configured() else None,
        countries=shipping.countries(),
    )


@bp.post("/checkout/<token>/details")
def checkout_details(token: str):
    _payments_ready()
    checkout = checkouts.for_customer(token, current_customer())
    form = DetailsForm.from_json(request.get_json(silent=True))
    if not form.validate():
        raise CheckoutError(
            "invalid", _("Please correct the highlighted fields."), fields=form.errors_by_field()
        )
    checkouts.save_details(checkout, {name: form[name].data or "" for name in checkouts.DETAIL_FIELDS})
    checkout.customer.locale = str(get_locale() or "")[:8] or None  # emails in the shopper's language
    db.session.commit()
    return jsonify(ok=True, checkout=checkouts.serialize(checkout), payment=checkouts.payment_info(checkout))


@bp.post("/checkout/<token>/pay")
def checkout_pay(token: str):
    _payments_ready()
    checkout = checkouts.for_customer(token, current_customer())
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise CheckoutError("invalid", _("This request is not valid."))
    result = checkouts.pay(checkout, data.get("payment_method"), data.get("quote"))
    db.session.refresh(checkout)
    return jsonify(
        ok=True,
        status=result.status,
        client_secret=result.client_secret,
        checkout=checkouts.serialize(checkout),
    )


@bp.post("/checkout/<token>/sync")
def checkout_sync(token: str):
    _payments_ready()
    checkout = checkouts.for_customer(token, current_customer())
    result = checkouts.sync(checkout)
    db.session.refresh(checkout)
    return jsonify(
        ok=True,
        status=result.status,
        client_secret=result.client_secret,
        checkout=checkouts.serialize(checkout),
        payment=checkouts.payment_info(checkout),
    )


@bp.post("/orders/status")
def orders_status():
    """The shopper asks about their orders in the chat: the answer is posted into the conversation."""
    customer = _customer()
    conversation = chat_service.open_conversation(customer)
    orders = post_status(customer, conversation.id)
    return jsonify(ok=True, orders=[order_data(order) for order in orders])


# --- Seller ----------------------------------------------------------------------------------------------


def _seller() -> Seller:
    if not current_user.is_authenticated or not isinstance(current_user._get_current_object(), Seller):
        raise CheckoutError("not_signed_in", _("Sign in as a seller first."), status=401)
    return current_user._get_current_object()


@bp.post("/seller/conversations/<int:conversation_id>/checkout")
def seller_checkout(conversation_id: int):
    """A seller sends the checkout card for the shopper's cart."""
    _seller()
    _payments_ready()
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None:
        raise CheckoutError("not_found", _("This conversation does not exist."), status=404)
    checkout, quote = checkouts.start(conversation.customer, conversation)
    return jsonify(ok=True, checkout=checkouts.serialize(checkout, quote))


@bp.post("/seller/orders/<int:order_id>/refund")
def seller_refund(order_id: int):
    seller = _seller()
    order = db.session.get(Order, order_id)
    if order is None:
        raise CheckoutError("not_found", _("This order does not exist."), status=404)
    data = request.get_json(silent=True)
    amount = data.get("amount") if isinstance(data, dict) else None
    refunds.refund(order, amount, seller)
    db.session.refresh(order)
    return jsonify(ok=True, order={**order_data(order), "refundable": refunds.refundable(order)})


# --- Stripe ----------------------------------------------------------------------------------------------


@bp.post("/webhook")
@csrf.exempt
def webhook():
    """Stripe's events, verified on the raw body; 400 for a bad signature, 200 once recorded."""
    try:
        event = gateway.parse_event(request.get_data(), request.headers.get("Stripe-Signature"))
    except gateway.InvalidSignature as error:
        log.warning("webhook refused: %s", error)
        return jsonify(ok=False, error={"code": "bad_signature", "message": "Invalid signature."}), 400
    outcome = webhooks.handle(event)
    return jsonify(ok=True, duplicate=outcome.duplicate)
