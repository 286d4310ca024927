"""A shopper's send as served: through the group-commit writer (CHAT_GROUP_COMMIT on), which finds the
conversation, numbers, stores and returns the inbox summary in one transaction, while the handler reads
nothing. On a SQLite file and on PostgreSQL, with the Socket.IO test client."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from app import create_app
from chat.models import Conversation, Message, Seller
from config import TestConfig
from extensions import db, socketio
from shop.models import Customer, utcnow
from tests.chat.conftest import call, received
from tests.conftest import _postgres_url, empty_tables, fresh_schema, service_unavailable

S, SELLER = "/shopper", "/seller"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def _writer_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app with the group-commit writer, on a SQLite file (the writer has its own connection) or on
    PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('send') / 'send.db'}"
    else:
        url = _postgres_url()
        if not url:
            service_unavailable("TEST_DATABASE_URL is not set: PostgreSQL tests cannot run")
    config = type(
        "WriterTestConfig",
        (TestConfig,),
        {"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": {}, "CHAT_GROUP_COMMIT": True},
    )
    app = create_app(config)
    assert app.extensions["chat_store"].writer is not None
    fresh_schema(app, request.param)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(_writer_app: Flask) -> Iterator[Flask]:
    """Overrides the suite's app: the shopper and seller_client fixtures connect to the writer's app."""
    yield _writer_app
    empty_tables(_writer_app)


def send(sock, text: str, client_id: str) -> dict:
    reply = call(sock, "send", {"client_id": client_id, "text": text})
    assert reply["ok"], reply
    return reply


def rows(app: Flask, conversation_id: int) -> list[tuple[int, str, str, str]]:
    with app.app_context():
        return [
            (seq, kind, text, client_id)
            for seq, kind, text, client_id in db.session.execute(
                sa.select(Message.seq, Message.sender_kind, Message.text, Message.client_id)
                .where(Message.conversation_id == conversation_id)
                .order_by(Message.seq)
            )
        ]


def set_conversation(app: Flask, conversation_id: int, **values) -> None:
    with app.app_context():
        db.session.execute(sa.update(Conversation).where(Conversation.id == conversation_id).values(**values))
        db.session.commit()


def test_first_message_starts_the_conversation_and_reaches_everyone(app, shopper, seller_client) -> None:
    _, seller = seller_client("Ana")
    http, tab = shopper()
    _, other_tab = shopper(http)
    reply = send(tab, "Is the olive tree hardy?", "c-1")

    message = reply["message"]
    assert (message["seq"], message["sender"]["kind"], reply["duplicate"]) == (1, "shopper", False)
    with app.app_context():
        conversation = db.session.get(Conversation, message["conversation_id"])
        assert message["sender"]["name"] == f"Visitor {conversation.customer_id}"
    assert [m["id"] for m in received(other_tab, "message", S)] == [message["id"]]
    inbox = received(seller, "conversation", SELLER)[-1]
    assert inbox["id"] == message["conversation_id"]
    assert (inbox["status"], inbox["unread"], inbox["last_seq"]) == ("waiting", 1, 1)
    assert inbox["last_message"]["text"] == "Is the olive tree hardy?"
    assert inbox["shopper"]["name"] == message["sender"]["name"]
    assert http.post("/chat/session").get_json()["conversation_id"] == message["conversation_id"]


def test_sender_name_follows_the_email_left_in_another_tab(app, shopper) -> None:
    http, tab = shopper()
    _, other_tab = shopper(http)
    send(tab, "hello", "c-1")
    assert call(other_tab, "email", {"email": "zoe@example.com"})["ok"]
    assert send(tab, "it's me", "c-2")["message"]["sender"]["name"] == "zoe"


def test_resend_is_acknowledged_with_the_stored_message_and_not_announced_again(app, shopper) -> None:
    http, tab = shopper()
    _, other_tab = shopper(http)
    first = send(tab, "hello", "c-1")
    received(other_tab, "message", S)
    again = send(tab, "hello", "c-1")
    assert again["duplicate"] is True
    assert again["message"] == first["message"]
    assert received(other_tab, "message", S) == []
    assert [seq for seq, *_ in rows(app, first["message"]["conversation_id"])] == [1]


def test_writing_to_a_resolved_conversation_reopens_it_with_a_note(app, shopper, seller_client) -> None:
    _, seller = seller_client("Ana")
    _, tab = shopper()
    cid = send(tab, "first question", "c-1")["message"]["conversation_id"]
    assert call(seller, "claim", {"conversation_id": cid}, namespace=SELLER)["ok"]
    assert call(seller, "resolve", {"conversation_id": cid}, namespace=SELLER)["ok"]
    received(tab, "message", S)
    received(seller, "conversation", SELLER)

    reply = send(tab, "one more question", "c-2")

    assert reply["message"]["conversation_id"] == cid
    assert rows(app, cid)[-2:] == [
        (4, "shopper", "one more question", "c-2"),
        (5, "system", "The conversation was reopened", None),
    ]
    note = received(tab, "message", S)[-1]
    assert (note["seq"], note["type"], note["data"]) == (5, "system", {"event": "reopened", "name": ""})
    inbox = received(seller, "conversation", SELLER)[-1]
    assert (inbox["status"], inbox["assignee"]["name"], inbox["last_seq"]) == ("assigned", "Ana", 5)
    # The inbox shows (and notifies) the shopper's words, not the note.
    assert (inbox["last_message"]["text"], inbox["last_message"]["sender_kind"]) == (
        "one more question",
        "shopper",
    )
    with app.app_context():
        conversation = db.session.get(Conversation, cid)
        assert (conversation.status, conversation.resolved_at) == ("assigned", None)
    # Reopened once: the next message is just a message.
    send(tab, "and another", "c-3")
    assert rows(app, cid)[-1] == (6, "shopper", "and another", "c-3")


def test_writing_long_after_a_resolved_conversation_starts_a_new_one(app, shopper, seller_client) -> None:
    _, seller = seller_client("Ana")
    http, tab = shopper()
    old = send(tab, "last month", "c-1")["message"]["conversation_id"]
    assert call(seller, "resolve", {"conversation_id": old}, namespace=SELLER)["ok"]
    days = app.config["CHAT_REOPEN_DAYS"]
    set_conversation(app, old, resolved_at=utcnow() - timedelta(days=days, minutes=1))

    reply = send(tab, "new question", "c-1")  # the same client_id: another conversation, not a resend

    new = reply["message"]["conversation_id"]
    assert new != old
    assert (reply["message"]["seq"], reply["duplicate"]) == (1, False)
    assert [kind for _, kind, *_ in rows(app, new)] == ["shopper"]  # no "reopened" note
    with app.app_context():
        assert db.session.get(Conversation, old).status == "resolved"
        assert db.session.get(Conversation, new).status == "waiting"
    assert received(seller, "conversation", SELLER)[-1]["id"] == new
    assert http.post("/chat/session").get_json()["conversation_id"] == new


def test_a_shopper_deleted_while_connected_is_refused(app, shopper) -> None:
    _, tab = shopper()
    _, other = shopper()
    with app.app_context():
        first = db.session.scalar(sa.select(sa.func.min(Customer.id)))
        db.session.execute(sa.delete(Customer).where(Customer.id == first))
        db.session.commit()
    reply = call(tab, "send", {"client_id": "c-1", "text": "hello?"})
    assert (reply["ok"], reply["error"]["code"]) == (False, "not_found")
    assert send(other, "still here", "c-1")["message"]["seq"] == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 1


def test_a_seller_deactivated_while_connected_is_refused_and_leaves_the_rooms(
    app, shopper, seller_client
) -> None:
    _, ana = seller_client("Ana")
    _, tab = shopper()
    cid = send(tab, "hello", "c-1")["message"]["conversation_id"]
    assert call(ana, "open", {"conversation_id": cid}, namespace=SELLER)["ok"]
    with app.app_context():
        db.session.execute(sa.update(Seller).values(active=False))
        db.session.commit()

    reply = call(ana, "send", {"conversation_id": cid, "client_id": "s-1", "text": "hi"}, namespace=SELLER)
    assert (reply["ok"], reply["error"]["code"]) == (False, "forbidden")
    assert call(ana, "inbox", {"filter": "all"}, namespace=SELLER)["error"]["code"] == "forbidden"
    received(ana, "conversation", SELLER)
    received(ana, "message", SELLER)
    send(tab, "are you there?", "c-2")
    assert received(ana, "conversation", SELLER) == []
    assert received(ana, "message", SELLER) == []
    assert [kind for _, kind, *_ in rows(app, cid)] == ["shopper", "shopper"]


def test_a_valid_message_skips_the_request_context_and_an_invalid_one_gets_the_usual_answer(
    app, shopper, monkeypatch
) -> None:
    """ShopperNamespace._send_fast: no Flask request context for a valid send; anything else goes to
    on_send through Flask-SocketIO (errors in the shopper's language)."""
    dispatched: list[str] = []
    real = socketio._handle_event

    def spy(handler, message, *args):
        dispatched.append(message)
        return real(handler, message, *args)

    monkeypatch.setattr(socketio, "_handle_event", spy)
    _, tab = shopper()
    assert send(tab, "hello", "c-1")["message"]["seq"] == 1
    assert "send" not in dispatched
    reply = call(tab, "send", {"client_id": "c-2", "text": "  "})
    assert (reply["ok"], reply["error"]["code"], reply["error"]["message"]) == (
        False,
        "empty",
        "The message is empty.",
    )
    assert dispatched.count("send") == 1
