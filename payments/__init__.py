"""Paying in the chat: checkouts, Stripe (through payments/stripe_gateway.py only), webhooks, refunds."""

from flask import Blueprint

bp = Blueprint("payments", __name__, url_prefix="/payments")

from payments import models, routes  # noqa: E402,F401  (tables and views register themselves)


def init_app(app) -> None:
    """Periodic work for each server process's background loop (chat/tasks.py)."""
    from payments import checkout, emails

    tasks = app.extensions.setdefault("periodic_tasks", {})
    tasks["release expired stock holds"] = checkout.expire_holds
    tasks["send order confirmations"] = lambda: app.config["MAIL_ENABLED"] and emails.send_pending()
