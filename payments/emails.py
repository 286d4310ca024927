"""The order confirmation email, sent once per order.

Sent right after the webhook (in a background task, so the webhook answers fast) and, should that fail or
the process stop, by the next round of the background loop (`send_pending`). Each send first *claims* the
order with a conditional UPDATE, so several processes never send it twice; a failed send gives the claim
back for the next round.
"""

from __future__ import annotations

import logging
import smtplib
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

import sqlalchemy as sa
from babel import Locale
from flask import Flask, current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from chat import notify
from extensions import db, socketio
from payments.orders import order_data
from shop.models import Customer, Order, utcnow

log = logging.getLogger(__name__)

#: Orders older than this are not emailed any more (a shop that turned mail on later does not spam).
MAX_AGE = timedelta(days=2)


def compose(order: Order) -> EmailMessage:
    customer = db.session.get(Customer, order.customer_id) if order.customer_id else None
    config = current_app.config
    locale = customer.locale if customer and customer.locale in config["SHOP_LOCALES"] else None
    locale = locale or config["BABEL_DEFAULT_LOCALE"]
    message = EmailMessage()
    with force_locale(locale), current_app.test_request_context(base_url=config["SHOP_URL"]):
        context: dict[str, Any] = {
            "order": order_data(order),
            "locale": locale,
            "shop_name": config["SHOP_NAME"],
            "name": order.shipping_name,
            "address": [
                order.shipping_name,
                order.address1,
                order.address2,
                f"{order.postal_code} {order.city}".strip(),
                Locale.parse(locale).territories.get(order.country, order.country),
            ],
            "status_url": url_for("shop.order_status", token=order.token, _external=True),
        }
        message["Subject"] = _("Order %(name)s confirmed", name=order.name)
        templates = current_app.jinja_env
        message.set_content(templates.get_template("payments/email/confirmation.txt").render(**context))
        message.add_alternative(
            templates.get_template("payments/email/confirmation.html").render(**context), subtype="html"
        )
    message["From"] = notify.sender()
    message["To"] = order.email
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=notify._mail_domain())
    message["Auto-Submitted"] = "auto-generated"
    return message


def _claim(order_id: int) -> bool:
    result = db.session.execute(
        sa.update(Order)
        .where(Order.id == order_id, Order.confirmation_sent_at.is_(None))
        .values(confirmation_sent_at=utcnow())
    )
    db.session.commit()
    return result.rowcount == 1


def send_confirmation(order_id: int) -> bool:
    """Send one order's confirmation unless it went already; True when this call sent it."""
    order = db.session.get(Order, order_id)
    if order is None or not order.email or order.status == "pending" or not _claim(order_id):
        return False
    try:
        notify.send(compose(order))
    except (smtplib.SMTPException, OSError):
        log.warning("confirmation of order %s not sent; retrying later", order.name, exc_info=True)
        db.session.execute(sa.update(Order).where(Order.id == order_id).values(confirmation_sent_at=None))
        db.session.commit()
        return False
    return True


def send_pending() -> int:
    """Confirmations not sent yet (SMTP failed, a process stopped): a step of the background loop."""
    since = utcnow() - MAX_AGE
    ids = db.session.scalars(
        sa.select(Order.id).where(
            Order.confirmation_sent_at.is_(None),
            Order.paid_at.is_not(None),
            Order.paid_at > since,
            Order.email != "",
        )
    ).all()
    return sum(send_confirmation(order_id) for order_id in ids)


def send_soon(app: Flask, order_id: int) -> None:
    """Send the confirmation in the background (SMTP can be slow; the webhook must answer fast)."""
    if not app.config["MAIL_ENABLED"]:
        return

    def task() -> None:
        with app.app_context():
            try:
                send_confirmation(order_id)
            finally:
                db.session.remove()

    if app.config["TESTING"] and not app.config.get("CHAT_TASKS_IN_TESTS"):
        task()  # tests check the email right after the webhook
    else:
        socketio.start_background_task(task)
