"""Storefront pages (thin: validation here, work in shop.catalog / shop.cart / shop.orders)."""
from shop import bp  # noqa: F401
