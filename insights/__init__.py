"""Seller insights: chat-attributed revenue, conversion, response times, discounts."""

from flask import Blueprint

bp = Blueprint("insights", __name__)

from insights import routes  # noqa: E402,F401  (the views register themselves)
