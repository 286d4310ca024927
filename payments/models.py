"""Checkouts (a cart on its way to becoming an order), Stripe events already handled, and refunds."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from extensions import db
from shop.models import Cart, Customer, Order, new_token, utcnow

#: open: the shopper may pay; paying: a payment attempt holds the stock and talks to Stripe;
#: requires_action: waiting for 3-D Secure in the browser; processing: charged, waiting for the webhook;
#: paid: the webhook turned it into an order; cancelled: paid too late for the stock and refunded.
CHECKOUT_STATUSES = ("open", "paying", "requires_action", "processing", "paid", "cancelled")
#: Statuses in which the checkout's stock is held.
HOLDING_STATUSES = ("paying", "requires_action", "processing")


class Checkout(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    #: Public id used by the widget (/payments/checkout/<token>).
    token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_token)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    cart_id: Mapped[int] = mapped_column(sa.ForeignKey("cart.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("conversation.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(24), default="open")
    currency: Mapped[str] = mapped_column(sa.String(3))

    # What the order needs, typed by the shopper (prefilled from their last checkout).
    email: Mapped[str] = mapped_column(sa.String(255), default="")
    name: Mapped[str] = mapped_column(sa.String(255), default="")
    address1: Mapped[str] = mapped_column(sa.String(255), default="")
    address2: Mapped[str] = mapped_column(sa.String(255), default="")
    city: Mapped[str] = mapped_column(sa.String(255), default="")
    postal_code: Mapped[str] = mapped_column(sa.String(32), default="")
    country: Mapped[str] = mapped_column(sa.String(2), default="")

    # The current payment attempt: what is charged, frozen when the attempt starts.
    attempt: Mapped[int] = mapped_column(default=0)
    #: [{"variant_id", "title", "variant_title", "sku", "handle", "unit_price", "quantity", "held"}]
    lines: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)
    subtotal: Mapped[int] = mapped_column(default=0)
    discount: Mapped[int] = mapped_column(default=0)
    shipping: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    payment_intent_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    #: True while the attempt's units are taken out of stock (released on failure or expiry).
    holds_active: Mapped[bool] = mapped_column(default=False)
    hold_expires_at: Mapped[datetime | None] = mapped_column(index=True)
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    #: The seller who had the conversation when the payment started.
    seller_id: Mapped[int | None] = mapped_column(sa.ForeignKey("seller.id", ondelete="SET NULL"))
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("order.id", ondelete="SET NULL"))
    #: The discount of the current attempt (its use is held in offer_redemption while the attempt lasts).
    offer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("offer.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    customer: Mapped[Customer] = relationship()
    cart: Mapped[Cart] = relationship()
    order: Mapped[Order | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(f"status IN {CHECKOUT_STATUSES!r}", name="status"),
        sa.CheckConstraint(
            "subtotal >= 0 AND discount >= 0 AND shipping >= 0 AND total >= 0", name="amounts"
        ),
    )


class StripeEvent(db.Model):
    """A webhook event already handled: a second delivery of the same id does nothing."""

    __tablename__ = "stripe_event"

    id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(100))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


REFUND_STATUSES = ("pending", "succeeded", "failed")


class Refund(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("order.id", ondelete="CASCADE"), index=True)
    amount: Mapped[int]
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    stripe_refund_id: Mapped[str | None] = mapped_column(sa.String(255))
    #: Who refunded (None: the shop itself, e.g. an order paid after its stock was sold).
    seller_id: Mapped[int | None] = mapped_column(sa.ForeignKey("seller.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(sa.String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship()

    __table_args__ = (
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.CheckConstraint(f"status IN {REFUND_STATUSES!r}", name="status"),
    )
