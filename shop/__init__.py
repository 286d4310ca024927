"""The storefront: catalog, search, cart, orders, Shopify import."""

from flask import Blueprint

bp = Blueprint("shop", __name__)

from shop import discount_routes, models, routes  # noqa: E402,F401  (models register tables, the others views)
