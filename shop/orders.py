"""Orders: created from a cart (by the checkout), looked up by their secret token."""

from __future__ import annotations

import sqlalchemy as sa

from extensions import db
from shop.cart import CartError, summarize
from shop.models import Cart, Order, OrderLine

#: The first order number a shop hands out (Shopify also starts at #1001).
FIRST_ORDER_NUMBER = 1001


def get_by_token(token: str) -> Order | None:
    if not token or len(token) > 64:
        return None
    return db.session.scalar(sa.select(Order).filter_by(token=token))


def next_order_number() -> int:
    highest = db.session.scalar(sa.select(sa.func.max(Order.number)))
    return max(FIRST_ORDER_NUMBER, (highest or 0) + 1)


def create_order(cart: Cart, *, email: str, currency: str) -> Order:
    """Turn a cart into a pending order, copying names and prices as they are now.

    The order number is unique in the database; two checkouts racing for the same number retry.
    The checkout issue adds payment, stock holds, discounts and shipping on top of this.
    """
    summary = summarize(cart, currency)
    if summary.is_empty:
        raise CartError("The cart is empty.")
    if not all(line.available for line in summary.lines):
        raise CartError("Some items in the cart are no longer available.")
    for _attempt in range(5):
        order = Order(
            number=next_order_number(),
            customer_id=cart.customer_id,
            email=email,
            currency=currency,
            subtotal=summary.totals.subtotal,
            total=summary.totals.total,
        )
        for line in summary.lines:
            order.lines.append(
                OrderLine(
                    variant_id=line.variant.id,
                    product_handle=line.product.handle,
                    product_title=line.product.title,
                    variant_title=" / ".join(line.variant.options),
                    sku=line.variant.sku,
                    unit_price=line.unit_price,
                    quantity=line.quantity,
                )
            )
        try:
            with db.session.begin_nested():
                db.session.add(order)
        except sa.exc.IntegrityError:
            continue
        cart.status = "ordered"
        db.session.commit()
        return order
    raise RuntimeError("could not allocate an order number")
