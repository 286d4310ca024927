"""The order confirmation email: sent once, after the webhook, retried by the background loop if SMTP failed.

A real SMTP server (aiosmtpd) listens on a free local port.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from chat import tasks
from extensions import db
from payments import emails
from shop.models import Order, utcnow
from tests.conftest import MAIL_SHOP_URL, Mailbox

SHOP_URL = MAIL_SHOP_URL


@pytest.fixture
def stored(stripe_app: Flask):
    def read(order_id: int) -> Order:
        with stripe_app.app_context():
            row = db.session.get(Order, order_id)
            db.session.expunge(row)
            return row

    return read


def test_the_confirmation_is_sent_once(stripe_app, paid_order, webhook, mail_server, stored) -> None:
    order = paid_order([({"price": 2500}, 2)])

    assert len(mail_server.messages) == 1
    message = mail_server.messages[0]
    row = stored(order.id)
    assert mail_server.recipients == [["ana@example.com"]]
    assert message["To"] == "ana@example.com"
    assert message["From"] == "Maison Verte <shop@localhost>"
    assert message["Subject"] == f"Order #{row.number} confirmed"
    assert message["Auto-Submitted"] == "auto-generated"
    text = Mailbox.text(message)
    assert "Hello Ana Silva," in text
    assert "2 × Terracotta Pot   €50.00" in text
    assert "Total: €54.90" in text
    assert "12 rue des Lilas\n69001 Lyon\nFrance" in text
    assert f"{SHOP_URL}/orders/{row.token}" in text
    assert f"{SHOP_URL}/orders/{row.token}" in Mailbox.html(message)
    assert "€54.90" in Mailbox.html(message)
    assert row.confirmation_sent_at is not None

    webhook(order.intent_id)  # Stripe tells again
    with stripe_app.app_context():
        assert emails.send_pending() == 0
        assert emails.send_confirmation(order.id) is False
    tasks.run_once(stripe_app)
    assert len(mail_server.messages) == 1


def test_smtp_down_at_payment_then_sent_by_the_background_loop(
    stripe_app, paid_order, mailbox, stored, caplog
) -> None:
    order = paid_order()  # nothing listens on the port: the webhook still succeeds

    assert stored(order.id).status == "paid"
    assert stored(order.id).confirmation_sent_at is None
    assert "not sent; retrying later" in caplog.text
    assert mailbox.messages == []

    controller = mailbox.start()
    try:
        tasks.run_once(stripe_app)
        tasks.run_once(stripe_app)
    finally:
        controller.stop()

    assert len(mailbox.messages) == 1
    assert stored(order.id).confirmation_sent_at is not None


def test_no_email_when_mail_is_disabled(stripe_app, paid_order, mail_server, monkeypatch, stored) -> None:
    monkeypatch.setitem(stripe_app.config, "MAIL_ENABLED", False)
    order = paid_order()
    tasks.run_once(stripe_app)
    assert mail_server.messages == []
    assert stored(order.id).confirmation_sent_at is None


def test_old_unsent_confirmations_are_not_sent(stripe_app, paid_order, mail_server, monkeypatch) -> None:
    """A shop turning mail on later does not email every past order."""
    monkeypatch.setitem(stripe_app.config, "MAIL_ENABLED", False)
    paid_order()
    monkeypatch.setitem(stripe_app.config, "MAIL_ENABLED", True)
    with stripe_app.app_context():
        db.session.execute(sa.update(Order).values(paid_at=utcnow() - timedelta(days=3)))
        db.session.commit()
        assert emails.send_pending() == 0
        db.session.execute(sa.update(Order).values(paid_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
        assert emails.send_pending() == 1
    assert mail_server.recipients == [["ana@example.com"]]


@pytest.mark.parametrize("_app", ["postgresql"], indirect=True)
def test_processes_sending_at_once_send_one_email(stripe_app, paid_order, mail_server, monkeypatch) -> None:
    monkeypatch.setitem(stripe_app.config, "MAIL_ENABLED", False)
    paid_order()
    monkeypatch.setitem(stripe_app.config, "MAIL_ENABLED", True)
    barrier = threading.Barrier(4)

    def process() -> None:
        barrier.wait()
        tasks.run_once(stripe_app)

    threads = [threading.Thread(target=process) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert len(mail_server.messages) == 1
