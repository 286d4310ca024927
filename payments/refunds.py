"""Refunds by a manager, fully or partly, never more than was paid.

The amount is reserved on the order first with a conditional UPDATE (`refunded_total + amount <= total`),
so two managers refunding at once cannot exceed the total; Stripe is then asked for exactly that amount
(localstripe would refund the whole charge again without one); a refusal gives the reservation back.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask_babel import gettext as _

from extensions import db
from payments import stripe_gateway as gateway
from payments.checkout import CheckoutError
from payments.models import Refund
from payments.orders import post_order_message
from shop.formatting import money
from shop.models import Order
from shop.money import MoneyError, parse_price

log = logging.getLogger(__name__)

REFUNDABLE_STATUSES = ("paid", "fulfilled", "partially_refunded")


def refundable(order: Order) -> int:
    """What can still be refunded, in minor units."""
    if order.status not in REFUNDABLE_STATUSES or not order.payment_intent_id:
        return 0
    return max(0, order.total - order.refunded_total)


def _amount(order: Order, amount_text: object) -> int:
    remaining = refundable(order)
    if remaining == 0:
        raise CheckoutError("invalid", _("Nothing is left to refund on this order."), status=409)
    if amount_text is None or (isinstance(amount_text, str) and not amount_text.strip()):
        return remaining
    if not isinstance(amount_text, str | int | float):
        raise CheckoutError("invalid", _("Enter the amount to refund, for example 12.50."))
    try:
        amount = parse_price(str(amount_text), order.currency)
    except MoneyError:
        raise CheckoutError("invalid", _("Enter the amount to refund, for example 12.50.")) from None
    if amount <= 0:
        raise CheckoutError("invalid", _("The amount to refund must be more than zero."))
    if amount > remaining:
        raise CheckoutError(
            "too_much",
            _("At most %(amount)s can be refunded on this order.", amount=money(remaining, order.currency)),
        )
    return amount


def _status_after(change: int) -> sa.ColumnElement[str]:
    """SQL for the order status once refunded_total has changed by `change` (evaluated on the locked row)."""
    refunded = Order.refunded_total + change
    return sa.case(
        (refunded >= Order.total, "refunded"),
        (refunded > 0, "partially_refunded"),
        (Order.status.in_(("refunded", "partially_refunded")), "paid"),
        else_=Order.status,
    )


def refund(order: Order, amount_text: object, seller: object) -> Refund:
    """Refund part or all of what remains; the conversation shows it and the order status follows."""
    if not getattr(seller, "is_manager", False):
        raise CheckoutError("forbidden", _("Only a manager can refund an order."), status=403)
    amount = _amount(order, amount_text)
    reserved = db.session.execute(
        sa.update(Order)
        .where(
            Order.id == order.id,
            Order.status.in_(REFUNDABLE_STATUSES),
            Order.refunded_total + amount <= Order.total,
        )
        .values(refunded_total=Order.refunded_total + amount)
        .execution_options(synchronize_session=False)
    )
    if reserved.rowcount != 1:
        db.session.rollback()
        db.session.refresh(order)
        raise CheckoutError(
            "too_much",
            _(
                "At most %(amount)s can be refunded on this order.",
                amount=money(refundable(order), order.currency),
            ),
            status=409,
        )
    record = Refund(order_id=order.id, amount=amount, seller_id=getattr(seller, "id", None))
    db.session.add(record)
    db.session.commit()
    try:
        record.stripe_refund_id = gateway.refund(order.payment_intent_id, amount, f"refund-{record.id}")
    except (gateway.GatewayError, gateway.CardDeclined) as error:
        db.session.execute(
            sa.update(Order)
            .where(Order.id == order.id)
            .values(refunded_total=Order.refunded_total - amount, status=_status_after(-amount))
        )
        record.status = "failed"
        db.session.commit()
        raise CheckoutError(
            "payment_error", _("Stripe did not accept the refund: %(reason)s", reason=str(error)), status=502
        ) from error
    record.status = "succeeded"
    # The status from the row itself, in the UPDATE: right even when another refund commits meanwhile.
    db.session.execute(sa.update(Order).where(Order.id == order.id).values(status=_status_after(0)))
    db.session.commit()
    db.session.refresh(order)
    amount_text_ = money(amount, order.currency)
    post_order_message(
        order,
        "refunded",
        f"Refund of {amount_text_} on order {order.name}",
        amount_text=amount_text_,
    )
    log.info("%s refunded %s on %s", getattr(seller, "name", "?"), amount_text_, order.name)
    return record
