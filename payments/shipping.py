"""Shipping: which countries the shop ships to and what it costs (flat rates set by the owner).

Rates are configured in major units (SHIPPING_DOMESTIC=4.90) and computed in minor units:
domestic (SHOP_COUNTRY) or international, free from SHIPPING_FREE_OVER (subtotal after discount), and
nothing when no line needs shipping.
"""

from __future__ import annotations

from babel import Locale
from flask import current_app
from flask_babel import get_locale

from shop.money import parse_price

#: Babel territory codes that are not countries one ships to.
_NOT_COUNTRIES = {"EU", "EZ", "UN", "QO", "XA", "XB", "XK", "ZZ"}


def countries() -> list[tuple[str, str]]:
    """(code, name in the shopper's language) of the countries the shop ships to, sorted by name."""
    locale = get_locale() or Locale("en")
    names = locale.territories
    allowed = current_app.config["SHIP_TO_COUNTRIES"]
    codes = allowed or [c for c in names if len(c) == 2 and c.isalpha() and c not in _NOT_COUNTRIES]
    return sorted(((c, names.get(c, c)) for c in codes), key=lambda item: item[1])


def ships_to(country: str) -> bool:
    return country in {code for code, _name in countries()}


def _amount(setting: str) -> int:
    config = current_app.config
    value = config[setting]
    return parse_price(str(value), config["SHOP_CURRENCY"]) if value not in (None, "") else 0


def rate(country: str, subtotal_after_discount: int, needs_shipping: bool) -> int:
    """Shipping for an order of this value to this country (the shop's own country when not known yet)."""
    if not needs_shipping:
        return 0
    free_over = current_app.config["SHIPPING_FREE_OVER"]
    if free_over not in (None, "") and subtotal_after_discount >= _amount("SHIPPING_FREE_OVER"):
        return 0
    domestic = (country or current_app.config["SHOP_COUNTRY"]) == current_app.config["SHOP_COUNTRY"]
    return _amount("SHIPPING_DOMESTIC" if domestic else "SHIPPING_INTERNATIONAL")
