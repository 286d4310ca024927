"""The Stripe boundary (built in the checkout issue)."""

from flask import Blueprint

bp = Blueprint("payments", __name__, url_prefix="/payments")
