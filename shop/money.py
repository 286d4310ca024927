"""Money in integer minor units: parsing and pricing, as pure functions.

Nothing here knows about requests, sessions or Stripe. Amounts are `int` counts of the currency's minor
unit (cents for EUR, paise for INR, yen for JPY); formatting for people happens only in the `money`
template filter (`shop.formatting`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from babel.numbers import get_currency_precision

#: Highest price accepted for one unit: 10 million in major units, far above any real product.
MAX_UNIT_MAJOR = Decimal(10_000_000)


class MoneyError(ValueError):
    """A price that cannot be turned into minor units; the message is shown to people."""


def currency_exponent(currency: str) -> int:
    """Number of decimal places of the currency's minor unit (2 for EUR, 0 for JPY)."""
    return get_currency_precision(currency.upper())


def parse_price(text: str, currency: str) -> int:
    """Parse a decimal price such as "19.99" (or "19,99") into minor units.

    Rejects text that is not a number, negative numbers, more decimals than the currency has, and absurd
    amounts, each with a message a shop owner understands.
    """
    raw = (text or "").strip().replace("\u00a0", "").replace(" ", "")
    if "," in raw and "." not in raw:
        raw = raw.replace(",", ".")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise MoneyError(f"{text!r} is not a price") from None
    if not value.is_finite():
        raise MoneyError(f"{text!r} is not a price")
    if value < 0:
        raise MoneyError(f"price {text!r} is negative")
    if value > MAX_UNIT_MAJOR:
        raise MoneyError(f"price {text!r} is too large")
    exponent = currency_exponent(currency)
    minor = value.scaleb(exponent)
    if minor != minor.to_integral_value():
        raise MoneyError(f"price {text!r} has more than {exponent} decimals for {currency}")
    return int(minor)


def to_major(amount: int, currency: str) -> Decimal:
    """Minor units back to a Decimal in major units (for display and for CSV export)."""
    return Decimal(amount).scaleb(-currency_exponent(currency))


@dataclass(frozen=True)
class LinePrice:
    unit_price: int
    quantity: int
    compare_at_price: int | None = None

    @property
    def total(self) -> int:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class CartTotals:
    """Totals of a cart; `discount` and `shipping` are filled by the checkout and discount issues."""

    currency: str
    subtotal: int
    item_count: int
    discount: int = 0
    shipping: int = 0

    @property
    def total(self) -> int:
        return max(0, self.subtotal - self.discount) + self.shipping


def cart_totals(lines: list[LinePrice], currency: str) -> CartTotals:
    """Sum cart lines into totals; an empty cart is zero."""
    return CartTotals(
        currency=currency,
        subtotal=sum(line.total for line in lines),
        item_count=sum(line.quantity for line in lines),
    )
