"""Seller insights: chat-attributed revenue, conversion, response times, discounts."""

from flask import Blueprint

bp = Blueprint("insights", __name__)
