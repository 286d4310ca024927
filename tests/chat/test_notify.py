"""Reply emails to shoppers who left: when, how often, by which process, and the link they carry.

A real SMTP server (aiosmtpd) listens on a free local port; time is moved by passing `now` explicitly.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

import pytest
import sqlalchemy as sa
from flask import Flask
from itsdangerous import TimestampSigner

from chat import notify, tasks
from chat.models import Conversation
from extensions import db, socketio
from shop.models import Customer, utcnow
from tests.chat.conftest import call
from tests.conftest import MAIL_SHOP_URL, Mailbox

SHOP_URL = MAIL_SHOP_URL
RESUME_LINK = re.compile(re.escape(SHOP_URL) + r"/chat/resume/[\w.-]+")


@pytest.fixture(autouse=True)
def only_this_tests_sockets(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The shopper namespace forgets sockets other tests left connected (customer ids get reused)."""
    monkeypatch.setattr(socketio.server.namespace_handlers["/shopper"], "connected", {})


@pytest.fixture
def mailbox(mailbox: Mailbox, app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Mailbox]:
    """The shared mailbox, with the reply-email timing these tests assume and no background loop."""
    monkeypatch.setitem(app.config, "CHAT_EMAIL_DELAY_SECONDS", 180)
    monkeypatch.setitem(app.config, "CHAT_EMAIL_WINDOW_MINUTES", 60)
    app.extensions.pop("chat_tasks", None)
    yield mailbox
    app.extensions.pop("chat_tasks", None)


def later(**delta: float) -> datetime:
    """A moment after the email delay has passed (plus `delta`)."""
    return utcnow() + timedelta(seconds=181) + timedelta(**delta)


@pytest.fixture
def chat(app: Flask, shopper, seller_client) -> Callable[..., Chat]:
    """A shopper who wrote (and maybe left an email), and a signed-in seller who can reply."""

    def make(email_address: str | None = "lea@example.com", leave: bool = True) -> Chat:
        http, sock = shopper()
        if email_address:
            assert call(sock, "email", {"email": email_address})["ok"]
        sent = call(sock, "send", {"client_id": "s-1", "text": "Is the oak table in stock?"})
        _seller_http, seller_sock = seller_client()
        chat = Chat(app, http, sock, seller_sock, sent["message"]["conversation_id"])
        if leave:
            chat.leave()
        return chat

    return make


@dataclass
class Chat:
    app: Flask
    http: object
    sock: object
    seller_sock: object
    conversation_id: int
    replies: int = 0

    def reply(self, text: str) -> dict:
        self.replies += 1
        ack = call(
            self.seller_sock,
            "send",
            {"conversation_id": self.conversation_id, "client_id": f"r-{self.replies}", "text": text},
            namespace="/seller",
        )
        assert ack["ok"], ack
        return ack["message"]

    def leave(self) -> None:
        self.sock.disconnect(namespace="/shopper")

    def conversation(self) -> Conversation:
        with self.app.app_context():
            conversation = db.session.get(Conversation, self.conversation_id)
            db.session.expunge(conversation)
            return conversation


# --- When an email is sent -------------------------------------------------------------------------------


def test_one_email_with_the_reply_and_a_resume_link(app, chat, mail_server) -> None:
    conversation = chat()
    conversation.reply("Yes, the 120 cm table is in stock.")

    tasks.run_once(app, now=utcnow() + timedelta(seconds=60))  # not yet: the delay has not passed
    assert mail_server.messages == []

    tasks.run_once(app, now=later())
    assert len(mail_server.messages) == 1
    message = mail_server.messages[0]
    assert mail_server.recipients == [["lea@example.com"]]
    assert message["Subject"] == "New reply from Maison Verte"
    assert message["To"] == "lea@example.com"
    assert message["From"] == "Maison Verte <shop@localhost>"
    assert "Yes, the 120 cm table is in stock." in Mailbox.text(message)
    assert "Yes, the 120 cm table is in stock." in Mailbox.html(message)
    assert RESUME_LINK.search(Mailbox.text(message))
    assert RESUME_LINK.search(Mailbox.html(message))
    assert "Is the oak table in stock?" not in Mailbox.text(message)  # the shopper's own words are not quoted

    tasks.run_once(app, now=later(seconds=30))
    assert len(mail_server.messages) == 1
    stored = conversation.conversation()
    assert stored.notify_pending_since is None
    assert stored.last_emailed_at is not None


def test_one_email_per_window_however_many_replies(app, chat, mail_server) -> None:
    conversation = chat()
    conversation.reply("First answer.")
    first = later()
    tasks.run_once(app, now=first)
    assert len(mail_server.messages) == 1

    conversation.reply("Second answer.")
    conversation.reply("Third answer.")
    tasks.run_once(app, now=first + timedelta(minutes=5))
    tasks.run_once(app, now=first + timedelta(minutes=59))
    assert len(mail_server.messages) == 1

    conversation.reply("Fourth answer.")
    tasks.run_once(app, now=first + timedelta(minutes=61))
    assert len(mail_server.messages) == 2
    body = Mailbox.text(mail_server.messages[1])
    assert "Second answer." in body
    assert "Fourth answer." in body


def test_no_email_while_the_widget_is_open(app, chat, mail_server) -> None:
    conversation = chat(leave=False)
    conversation.reply("Here is the link to the table.")
    tasks.run_once(app, now=later())  # the round first marks this process's connected shoppers as seen
    assert mail_server.messages == []
    stored = conversation.conversation()
    assert stored.shopper_seen_at > stored.notify_pending_since


def test_no_email_once_the_shopper_read_the_reply(app, chat, mail_server) -> None:
    conversation = chat(leave=False)
    reply = conversation.reply("It ships tomorrow.")
    assert call(conversation.sock, "read", {"seq": reply["seq"]})["ok"]
    conversation.leave()
    assert conversation.conversation().notify_pending_since is None
    tasks.run_once(app, now=later())
    assert mail_server.messages == []


def test_no_email_without_an_address(app, chat, mail_server) -> None:
    conversation = chat(email_address=None)
    conversation.reply("Anyone there?")
    tasks.run_once(app, now=later())
    assert mail_server.messages == []


def test_no_email_when_mail_is_disabled(app, chat, mail_server, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "MAIL_ENABLED", False)
    chat().reply("Hello?")
    tasks.run_once(app, now=later())
    assert mail_server.messages == []


# --- Several processes, failures -------------------------------------------------------------------------


def test_two_processes_claiming_the_same_conversation(app, chat, mail_server) -> None:
    conversation = chat()
    conversation.reply("Yes.")
    now = later()
    with app.app_context(), sa.orm.Session(db.engine) as other_process:
        [mine] = notify.due_conversations(now)
        theirs = other_process.get(Conversation, mine.id)  # what the other process read, in its own session
        assert theirs.notify_pending_since == mine.notify_pending_since

        assert notify.claim(mine, now) is not None
        assert notify.claim(theirs, now) is None
        assert notify.due_conversations(now) == []


# PostgreSQL only: the in-memory SQLite of the test app shares one connection between threads.
@pytest.mark.parametrize("_app", ["postgresql"], indirect=True)
def test_concurrent_rounds_send_one_email(app, chat, mail_server) -> None:
    chat().reply("Yes.")
    now = later()
    barrier = threading.Barrier(4)

    def process() -> None:
        barrier.wait()
        tasks.run_once(app, now=now)

    threads = [threading.Thread(target=process) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(mail_server.messages) == 1


def test_smtp_down_is_retried_next_round(app, chat, mailbox, caplog) -> None:
    conversation = chat()
    conversation.reply("Your order is ready.")

    tasks.run_once(app, now=later())  # nothing listens on the port: connection refused
    assert mailbox.messages == []
    assert "not sent, retrying later" in caplog.text
    stored = conversation.conversation()
    assert stored.notify_pending_since is not None
    assert stored.last_emailed_at is None

    controller = mailbox.start()
    try:
        tasks.run_once(app, now=later(seconds=15))
        tasks.run_once(app, now=later(seconds=30))
    finally:
        controller.stop()
    assert len(mailbox.messages) == 1
    assert "Your order is ready." in Mailbox.text(mailbox.messages[0])


def test_a_refused_recipient_is_not_retried_every_round(app, chat, mail_server, monkeypatch) -> None:
    async def refuse(server, session, envelope, address, rcpt_options) -> str:
        return "550 No such user"

    monkeypatch.setattr(mail_server, "handle_RCPT", refuse, raising=False)
    conversation = chat()
    conversation.reply("Hello")
    tasks.run_once(app, now=later())
    tasks.run_once(app, now=later(seconds=15))
    stored = conversation.conversation()
    assert stored.notify_pending_since is None  # kept claimed: tried again after the window only
    assert stored.last_emailed_at is not None


# --- The email's content ---------------------------------------------------------------------------------


def test_html_email_escapes_the_sellers_text(app, chat, mail_server) -> None:
    chat().reply('<script>alert("x")</script> & <b>bold</b>')
    tasks.run_once(app, now=later())
    [message] = mail_server.messages
    html = Mailbox.html(message)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert '<script>alert("x")</script> & <b>bold</b>' in Mailbox.text(message)  # plain text stays plain


# --- The resume link -------------------------------------------------------------------------------------


def resume_path(message: EmailMessage) -> str:
    match = RESUME_LINK.search(Mailbox.text(message))
    assert match
    return match.group(0).removeprefix(SHOP_URL)


def test_resume_link_restores_cart_and_conversation_on_another_device(
    app, chat, mail_server, make_product
) -> None:
    make_product(title="Oak Table", handle="oak-table", variants=[{"price": 45000}])
    conversation = chat()
    response = conversation.http.post("/products/oak-table/add", data={"quantity": "2"})
    assert response.status_code == 302
    conversation.reply("It is in stock.")
    tasks.run_once(app, now=later())
    [message] = mail_server.messages
    original_cart = conversation.http.get("/cart.json").get_json()
    assert [line["quantity"] for line in original_cart["lines"]] == [2]

    other_device = app.test_client()  # no cookies at all
    response = other_device.get(resume_path(message))
    assert response.status_code == 302
    assert response.headers["Location"] == "/?chat=open"
    assert any(c.startswith("shopper=") for c in response.headers.getlist("Set-Cookie"))

    assert other_device.get("/cart.json").get_json()["lines"] == original_cart["lines"]
    sock = socketio.test_client(app, namespace="/shopper", flask_test_client=other_device)
    assert sock.is_connected("/shopper")
    hello = call(sock, "hello", {"after_seq": None})
    assert hello["conversation"]["id"] == conversation.conversation_id
    assert [m["text"] for m in hello["messages"] if m["sender"]["kind"] in ("shopper", "seller")] == [
        "Is the oak table in stock?",
        "It is in stock.",
    ]
    sock.disconnect(namespace="/shopper")


def _token(app: Flask, customer_token: str) -> str:
    with app.app_context():
        customer = db.session.scalar(sa.select(Customer).filter_by(token=customer_token))
        return notify.resume_token(customer)


@pytest.fixture
def customer_token(app: Flask) -> str:
    with app.app_context():
        customer = Customer(email="lea@example.com")
        db.session.add(customer)
        db.session.commit()
        return customer.token


def test_resume_link_expires(app, client, customer_token, monkeypatch) -> None:
    days = app.config["CHAT_RESUME_LINK_DAYS"]
    with monkeypatch.context() as m:
        m.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - (days + 1) * 86400)
        token = _token(app, customer_token)
    response = client.get(f"/chat/resume/{token}")
    assert response.status_code == 400
    assert "This link has expired or is not valid." in response.get_data(as_text=True)
    assert not any(c.startswith("shopper=") for c in response.headers.getlist("Set-Cookie"))


def test_tampered_resume_link_is_refused(app, client, customer_token) -> None:
    token = _token(app, customer_token)
    assert client.get(f"/chat/resume/{token}").status_code == 302
    payload, _, rest = token.partition(".")
    forged = payload[:-1] + ("A" if payload[-1] != "A" else "B") + "." + rest
    fresh = app.test_client()
    response = fresh.get(f"/chat/resume/{forged}")
    assert response.status_code == 400
    assert "This link has expired or is not valid." in response.get_data(as_text=True)
    assert fresh.get("/chat/resume/not-a-token").status_code == 400


def test_resume_token_of_a_deleted_shopper_is_refused(app, client, customer_token) -> None:
    token = _token(app, customer_token)
    with app.app_context():
        db.session.execute(sa.delete(Customer))
        db.session.commit()
    assert client.get(f"/chat/resume/{token}").status_code == 400
