"""Orders made by the checkout: created when the webhook says the payment succeeded, and their messages."""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext as _

from extensions import db
from payments.models import Checkout
from shop import discounts
from shop.formatting import money
from shop.models import Cart, Customer, Offer, Order, OrderLine, utcnow
from shop.orders import next_order_number

log = logging.getLogger(__name__)


def status_text(order: Order) -> str:
    texts = {
        "pending": _("Awaiting payment"),
        "paid": _("Paid — being prepared"),
        "fulfilled": _("Shipped"),
        "cancelled": _("Cancelled"),
        "refunded": _("Refunded"),
        "partially_refunded": _("Partially refunded"),
    }
    return texts.get(order.status, order.status)


#: PostgreSQL advisory lock taken while a paid order gets its number (any constant shared by all processes).
ORDER_NUMBER_LOCK = 0x6F72646572


def _lock_order_numbers() -> None:
    """Concurrent webhooks take numbers one after the other, until their transactions end: without it, each
    of many concurrent payments reads the same highest number and all but one retry, again and again.
    (SQLite lets one writer at a time already.)"""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(sa.func.pg_advisory_xact_lock(ORDER_NUMBER_LOCK)))


def _discount_code(checkout: Checkout) -> str:
    if checkout.offer_id is None or not checkout.discount:
        return ""
    offer = db.session.get(Offer, checkout.offer_id)
    return offer.code if offer is not None else ""


def create_from_checkout(checkout: Checkout) -> Order:
    """The paid order of a checkout, from the attempt's frozen lines and amounts (caller commits)."""
    _lock_order_numbers()
    for _attempt in range(10):
        order = Order(
            number=next_order_number(),
            customer_id=checkout.customer_id,
            email=checkout.email,
            currency=checkout.currency,
            status="paid",
            subtotal=checkout.subtotal,
            discount_total=checkout.discount,
            shipping_total=checkout.shipping,
            total=checkout.total,
            paid_at=utcnow(),
            conversation_id=checkout.conversation_id,
            seller_id=checkout.seller_id,
            payment_intent_id=checkout.payment_intent_id,
            shipping_name=checkout.name,
            address1=checkout.address1,
            address2=checkout.address2,
            city=checkout.city,
            postal_code=checkout.postal_code,
            country=checkout.country,
            offer_id=checkout.offer_id if checkout.discount else None,
            discount_code=_discount_code(checkout),
        )
        for line in checkout.lines:
            order.lines.append(
                OrderLine(
                    variant_id=line["variant_id"],
                    product_handle=line.get("handle", ""),
                    product_title=line["title"],
                    variant_title=line["variant_title"],
                    sku=line.get("sku", ""),
                    unit_price=line["unit_price"],
                    quantity=line["quantity"],
                    discount=int(line.get("discount", 0)),
                )
            )
        try:
            with db.session.begin_nested():  # a concurrent order took the number: take the next one
                db.session.add(order)
        except sa.exc.IntegrityError:
            continue
        checkout.order_id = order.id
        if order.offer_id is not None:
            discounts.link_order(checkout.id, checkout.attempt, order.id)
        db.session.execute(sa.update(Cart).where(Cart.id == checkout.cart_id).values(status="ordered"))
        customer = db.session.get(Customer, checkout.customer_id)
        if customer is not None and not customer.email:
            customer.email = checkout.email
        return order
    raise RuntimeError("could not allocate an order number")


def order_data(order: Order) -> dict[str, Any]:
    """An order as `order` messages carry it."""
    currency = order.currency
    return {
        "id": order.id,
        "number": order.number,
        "name": order.name,
        "status": order.status,
        "status_text": status_text(order),
        "lines": [
            {
                "title": line.product_title,
                "variant_title": line.variant_title,
                "quantity": line.quantity,
                "total_text": money(line.total, currency),
            }
            for line in order.lines
        ],
        "subtotal_text": money(order.subtotal, currency),
        "discount_text": money(order.discount_total, currency) if order.discount_total else "",
        "discount_code": order.discount_code,
        "shipping_text": money(order.shipping_total, currency),
        "total_text": money(order.total, currency),
        "refunded_text": money(order.refunded_total, currency) if order.refunded_total else "",
        "created_at": order.created_at.isoformat(timespec="seconds") + "Z",
        "url": url_for("shop.order_status", token=order.token),
    }


def post_order_message(order: Order, event: str, text: str, **extra: Any) -> None:
    """An `order` card in the conversation the order came from (shopper and sellers see it live)."""
    from chat import broadcast
    from chat.messages import Draft

    if order.conversation_id is None:
        return
    broadcast.post(
        Draft(
            conversation_id=order.conversation_id,
            sender_kind="system",
            type="order",
            sender_name=current_app.config["SHOP_NAME"],
            text=text,
            data={"event": event, "order": order_data(order), **extra},
        )
    )
    customer = db.session.get(Customer, order.customer_id) if order.customer_id else None
    if customer is not None:
        broadcast.push_context(customer)  # the seller's panel: orders and total spent


def confirmation_text(order: Order) -> str:
    url = current_app.config["SHOP_URL"] + url_for("shop.order_status", token=order.token)
    return f"Order {order.name} confirmed: {money(order.total, order.currency)}. {url}"


def recent_orders(customer: Customer, limit: int = 3) -> list[Order]:
    return list(
        db.session.scalars(
            sa.select(Order)
            .where(Order.customer_id == customer.id, Order.status != "pending")
            .order_by(Order.id.desc())
            .limit(limit)
        )
    )


def post_status(customer: Customer, conversation_id: int) -> list[Order]:
    """The shopper asked about their orders: an `order` card per recent order, or a note if there is none."""
    from chat import broadcast
    from chat.messages import Draft

    orders = recent_orders(customer)
    for order in reversed(orders):
        broadcast.post(
            Draft(
                conversation_id=conversation_id,
                sender_kind="system",
                type="order",
                sender_name=current_app.config["SHOP_NAME"],
                text=f"Order {order.name}: {order.status} ({money(order.total, order.currency)})",
                data={"event": "status", "order": order_data(order)},
            )
        )
    if not orders:
        broadcast.post(
            Draft(
                conversation_id=conversation_id,
                sender_kind="system",
                type="system",
                text="No orders yet",
                data={"event": "no_orders", "name": ""},
            )
        )
    return orders
