"""Cart operations shared by the storefront pages and (later) the chat bot.

Each function validates, changes the database and commits, or raises `CartError` with a message for the
shopper and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from extensions import db
from shop import discounts
from shop.models import Cart, CartLine, Customer, Product, Variant, utcnow
from shop.money import CartTotals, LinePrice, cart_totals
from shop.signals import cart_changed

#: Most units of one variant a single cart line may hold.
MAX_LINE_QUANTITY = 999


class CartError(ValueError):
    """A cart change that cannot be made; str(error) is the message shown to the shopper."""


@dataclass(frozen=True)
class CartLineView:
    line_id: int
    variant: Variant
    quantity: int
    unit_price: int
    available: bool

    @property
    def product(self) -> Product:
        return self.variant.product

    @property
    def total(self) -> int:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class CartSummary:
    lines: list[CartLineView]
    totals: CartTotals
    #: The applied discount (`totals.discount` is its amount), or None.
    discount: discounts.Applied | None = None
    #: Each line's share of the discount, by line id.
    line_discounts: dict[int, int] | None = None

    @property
    def is_empty(self) -> bool:
        return not self.lines


def open_cart(customer: Customer | None, *, create: bool = False) -> Cart | None:
    """The customer's open cart (the newest one), created on demand."""
    if customer is None:
        return None
    cart = db.session.scalar(
        sa.select(Cart).filter_by(customer_id=customer.id, status="open").order_by(Cart.id.desc()).limit(1)
    )
    if cart is None and create:
        cart = Cart(customer=customer)
        db.session.add(cart)
        db.session.flush()
    return cart


def validate_quantity(quantity: object, *, allow_zero: bool = False) -> int:
    """A quantity typed by a shopper, as an int within bounds, or CartError."""
    try:
        value = int(str(quantity).strip())
    except ValueError:
        raise CartError(_("Quantity must be a whole number.")) from None
    lowest = 0 if allow_zero else 1
    if value < lowest:
        raise CartError(_("Quantity must be at least %(n)d.", n=lowest))
    if value > MAX_LINE_QUANTITY:
        raise CartError(_("You can order at most %(n)d of one item.", n=MAX_LINE_QUANTITY))
    return value


def sellable_variant(variant_id: object) -> Variant:
    """A variant that exists and belongs to a visible product, or CartError."""
    try:
        vid = int(str(variant_id))
    except ValueError:
        raise CartError(_("This product option does not exist.")) from None
    variant = db.session.get(Variant, vid) if 0 < vid < 2**63 else None
    if variant is None or not variant.product.is_visible:
        raise CartError(_("This product option does not exist."))
    return variant


def _check_stock(variant: Variant, wanted: int) -> None:
    limit = variant.stock_limit
    if limit is None or wanted <= limit:
        return
    if limit == 0:
        raise CartError(_("%(title)s is sold out.", title=_variant_name(variant)))
    raise CartError(
        ngettext(
            "Only %(num)d of %(title)s is left in stock.",
            "Only %(num)d of %(title)s are left in stock.",
            limit,
            title=_variant_name(variant),
        )
    )


def _variant_name(variant: Variant) -> str:
    options = variant.options
    return f"{variant.product.title} ({' / '.join(options)})" if options else variant.product.title


def add_item(customer: Customer, variant_id: object, quantity: object = 1) -> CartLine:
    """Add units of a variant to the customer's cart (merging with an existing line)."""
    qty = validate_quantity(quantity)
    variant = sellable_variant(variant_id)
    cart = open_cart(customer, create=True)
    assert cart is not None
    line = next((line for line in cart.lines if line.variant_id == variant.id), None)
    new_quantity = qty + (line.quantity if line else 0)
    if new_quantity > MAX_LINE_QUANTITY:
        raise CartError(_("You can order at most %(n)d of one item.", n=MAX_LINE_QUANTITY))
    _check_stock(variant, new_quantity)
    if line is None:
        line = CartLine(variant=variant, quantity=new_quantity)
        cart.lines.append(line)
    else:
        line.quantity = new_quantity
    cart.updated_at = utcnow()
    db.session.commit()
    cart_changed.send(customer)
    return line


def _own_line(customer: Customer | None, line_id: object) -> CartLine:
    cart = open_cart(customer)
    try:
        lid = int(str(line_id))
    except ValueError:
        lid = -1
    line = next((line for line in cart.lines if line.id == lid), None) if cart else None
    if line is None:
        raise CartError(_("This item is no longer in your cart."))
    return line


def set_quantity(customer: Customer | None, line_id: object, quantity: object) -> CartLine | None:
    """Change a line's quantity; 0 removes the line (returns None then)."""
    qty = validate_quantity(quantity, allow_zero=True)
    line = _own_line(customer, line_id)
    if qty == 0:
        return remove_line(customer, line_id)
    _check_stock(line.variant, qty)
    line.quantity = qty
    line.cart.updated_at = utcnow()
    db.session.commit()
    cart_changed.send(line.cart.customer)
    return line


def remove_line(customer: Customer | None, line_id: object) -> None:
    line = _own_line(customer, line_id)
    cart = line.cart
    cart.lines.remove(line)
    cart.updated_at = utcnow()
    db.session.commit()
    cart_changed.send(cart.customer)
    return None


def summarize(cart: Cart | None, currency: str, *, discount: bool = True) -> CartSummary:
    """Lines with their current prices, the applied discount and the cart totals (prices always come from
    the catalog, the discount from shop.discounts). `discount=False` skips the discount (a caller that only
    counts items, or prices the discount on its own lines like the checkout): totals without it."""
    views = []
    for line in cart.lines if cart else []:
        variant = line.variant
        limit = variant.stock_limit
        available = variant.product.is_visible and (limit is None or line.quantity <= limit)
        views.append(CartLineView(line.id, variant, line.quantity, variant.price, available))
    priced = [LinePrice(v.unit_price, v.quantity) for v in views if v.product.is_visible]
    totals = cart_totals(priced, currency)
    applied = discounts.evaluate(cart) if discount else None
    line_discounts: dict[int, int] = {}
    if applied is not None and applied.problem is None:
        visible = [v for v in views if v.product.is_visible]
        line_discounts = dict(zip((v.line_id for v in visible), applied.discount.per_line, strict=True))
        totals = replace(totals, discount=applied.amount)
    return CartSummary(views, totals, applied, line_discounts)
