"""Template filters: money and dates formatted for the shopper's locale."""

from __future__ import annotations

from babel.numbers import format_currency
from flask import Flask, current_app
from flask_babel import get_locale

from shop.money import to_major


def money(amount: int | None, currency: str | None = None) -> str:
    """12,50 € in French, €12.50 in English; amounts are minor units."""
    if amount is None:
        return ""
    currency = currency or current_app.config["SHOP_CURRENCY"]
    return format_currency(to_major(amount, currency), currency, locale=str(get_locale() or "en"))


def register(app: Flask) -> None:
    app.add_template_filter(money, "money")
