"""The order confirmation email: sent once, after the webhook, retried by the background loop if SMTP failed.

A real SMTP server (aiosmtpd) listens on a free local port.
"""

from __future__ import annotations

import email
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from email.policy import default as default_policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask

from chat import tasks
from extensions import db
from payments import emails
from shop.models import Order, utcnow

SHOP_URL = "https://shop.example.com"


@dataclass
class Mailbox:
    """The aiosmtpd handler: keeps every message it accepts."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd calls handle_<COMMAND>
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted"

    def start(self) -> Controller:
        controller = Controller(self, hostname="127.0.0.1", port=self.port)
        controller.start()
        return controller


@pytest.fixture
def mailbox(stripe_app: Flask, monkeypatch: pytest.MonkeyPatch) -> Mailbox:
    """The app mails a local SMTP server, which is *not* started: `mail_server` starts it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        box = Mailbox(sock.getsockname()[1])
    for key, value in {
        "MAIL_ENABLED": True,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": box.port,
        "MAIL_TIMEOUT": 5,
        "SHOP_URL": SHOP_URL,
    }.items():
        monkeypatch.setitem(stripe_app.config, key, value)
    return box


@pytest.fixture
def mail_server(mailbox: Mailbox) -> Iterator[Mailbox]:
    controller = mailbox.start()
    yield mailbox
    controller.stop()


@pytest.fixture
def stored(stripe_app: Flask):
    def read(order_id: int) -> Order:
        with stripe_app.app_context():
            row = db.session.get(Order, order_id)
            db.session.expunge(row)
            return row

    return read


def text_part(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def html_part(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()


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
    text = text_part(message)
    assert "Hello Ana Silva," in text
    assert "2 × Terracotta Pot   €50.00" in text
    assert "Total: €54.90" in text
    assert "12 rue des Lilas\n69001 Lyon\nFrance" in text
    assert f"{SHOP_URL}/orders/{row.token}" in text
    assert f"{SHOP_URL}/orders/{row.token}" in html_part(message)
    assert "€54.90" in html_part(message)
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
