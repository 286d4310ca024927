"""The bot in a conversation, through the shopper's and the seller's sockets: who answers when, what the
bot's answers do (cart, handover form), and its silence once a seller has the conversation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from chat.models import Conversation, Message
from extensions import db
from shop.models import CartLine
from tests.chat.conftest import call, received

S, SELLER = "/shopper", "/seller"


@pytest.fixture
def bot_on(app: Flask) -> Iterator[Flask]:
    """The bot answering first, as a shop has it out of the box (TestConfig turns it off)."""
    app.config["BOT_ENABLED"] = True
    yield app
    app.config["BOT_ENABLED"] = False


@pytest.fixture
def catalog(bot_on: Flask, make_product) -> dict[str, int]:
    """A small catalog the bot can search: a round table with two sizes, a pot, a lamp."""
    ids = {
        "table": make_product(
            "Round Teak Table",
            handle="round-teak-table",
            product_type="Tables",
            option1_name="Size",
            variants=[{"price": 12900, "option1": "80 cm"}, {"price": 17900, "option1": "120 cm"}],
        ),
        "pot": make_product("Terracotta Pot", handle="terracotta-pot", product_type="Pots"),
        "lamp": make_product("Brass Table Lamp", handle="brass-lamp", product_type="Lighting"),
    }
    return ids


def send(sock, text: str, client_id: str) -> dict:
    reply = call(sock, "send", {"client_id": client_id, "text": text})
    assert reply["ok"], reply
    return reply


def bot_messages(app: Flask) -> list[Message]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Message).where(Message.sender_kind == "bot")))


def status(app: Flask) -> str:
    with app.app_context():
        return db.session.scalar(sa.select(Conversation.status))


def test_a_new_conversation_starts_with_the_bot_which_answers(bot_on, catalog, shopper) -> None:
    _, sock = shopper()
    send(sock, "hello", "m-1")
    assert status(bot_on) == "bot"
    [greeting] = bot_messages(bot_on)
    assert greeting.type == "text"
    assert "looking for" in greeting.text
    shown = [m for m in received(sock, "message", S) if m["sender"]["kind"] == "bot"]
    assert [m["seq"] for m in shown] == [greeting.seq]  # pushed live to the shopper


def test_a_search_answers_with_products_and_add_to_cart_fills_the_real_cart(bot_on, catalog, shopper) -> None:
    _, sock = shopper()
    send(sock, "a round table under 150", "m-1")
    [answer] = bot_messages(bot_on)
    products = answer.data.get("products") or [answer.data["product"]]
    assert products[0]["handle"] == "round-teak-table"
    variants = products[0]["variants"]
    assert [v["title"] for v in variants] == ["80 cm", "120 cm"]
    added = call(sock, "add_to_cart", {"variant_id": variants[0]["id"], "quantity": 1})
    assert added["ok"], added
    assert added["cart"]["item_count"] == 1
    with bot_on.app_context():
        line = db.session.scalar(sa.select(CartLine))
        assert (line.variant_id, line.quantity) == (variants[0]["id"], 1)
    refused = call(sock, "add_to_cart", {"variant_id": 999999})
    assert refused["error"]["code"] == "cart_error"
    assert refused["error"]["message"] == "This product option does not exist."


def test_add_the_medium_one_by_message(bot_on, catalog, shopper, app) -> None:
    http, sock = shopper()
    http.get("/products/round-teak-table")
    call(sock, "hello", {"page": {"url": "/products/round-teak-table", "product_handle": "round-teak-table"}})
    send(sock, "add the 120 cm one", "m-1")
    with app.app_context():
        line = db.session.scalar(sa.select(CartLine))
        assert line is not None
        assert line.variant.option1 == "120 cm"


def test_talk_to_a_human_hands_over_with_a_form(bot_on, catalog, shopper, seller_client) -> None:
    _, seller = seller_client("Ana")
    _, sock = shopper()
    send(sock, "I want to talk to a human", "m-1")
    assert status(bot_on) == "waiting"
    with bot_on.app_context():
        messages = db.session.scalars(sa.select(Message).order_by(Message.seq))
        kinds = [(m.sender_kind, m.type) for m in messages]
        form = db.session.scalar(sa.select(Message).where(Message.type == "form"))
        assert kinds[-2:] == [("system", "system"), ("bot", "form")]
        names = [f["name"] for f in form.data["form"]["fields"]]
        assert names == ["budget", "use", "email"]
        form_seq = form.seq
    bad = call(sock, "form_submit", {"seq": form_seq, "values": {"email": "not-an-email"}})
    assert bad["error"]["code"] == "invalid_form"
    assert bad["error"]["fields"] == {"email": "Please enter a valid email address."}
    values = {"budget": "150 €", "use": "a terrace for four", "email": "ana@example.com"}
    answered = call(sock, "form_submit", {"seq": form_seq, "values": values})
    assert answered["ok"], answered
    assert answered["message"]["type"] == "form_response"
    assert answered["message"]["data"]["values"]["budget"] == "150 €"
    again = call(sock, "form_submit", {"seq": form_seq, "values": values})
    assert again["duplicate"]
    inbox = [c for c in received(seller, "conversation", SELLER) if c["status"] == "waiting"]
    assert inbox, "the sellers' inboxes learn that a shopper waits"


def test_the_bot_is_silent_once_a_seller_has_it(bot_on, catalog, shopper, seller_client) -> None:
    _, seller = seller_client("Ana")
    _, sock = shopper()
    send(sock, "hello", "m-1")
    conversation_id = call(sock, "hello", {})["conversation"]["id"]
    assert call(seller, "claim", {"conversation_id": conversation_id}, namespace=SELLER)["ok"]
    before = len(bot_messages(bot_on))
    send(sock, "a round table under 150", "m-2")
    assert len(bot_messages(bot_on)) == before
    assert call(seller, "resolve", {"conversation_id": conversation_id}, namespace=SELLER)["ok"]
    send(sock, "one more question", "m-3")
    assert status(bot_on) == "assigned"  # reopened to its seller: still no bot
    assert len(bot_messages(bot_on)) == before


def test_a_resolved_bot_conversation_reopens_to_the_bot(bot_on, catalog, shopper, seller_client) -> None:
    _, seller = seller_client("Ana", role="manager")
    _, sock = shopper()
    send(sock, "hello", "m-1")
    conversation_id = call(sock, "hello", {})["conversation"]["id"]
    assert call(seller, "resolve", {"conversation_id": conversation_id}, namespace=SELLER)["ok"]
    send(sock, "hello again", "m-2")
    assert status(bot_on) == "bot"
    assert len(bot_messages(bot_on)) == 2


def test_the_bot_hands_over_when_it_cannot_help_twice(bot_on, catalog, shopper) -> None:
    _, sock = shopper()
    send(sock, "tell me a joke", "m-1")
    assert status(bot_on) == "bot"
    send(sock, "who won the football match yesterday", "m-2")
    assert status(bot_on) == "waiting"


def test_french_gets_french(bot_on, catalog, shopper) -> None:
    _, sock = shopper()
    send(sock, "bonjour, je cherche un pot en terre", "m-1")
    [answer] = bot_messages(bot_on)
    assert "trouvé" in answer.text or "Voici" in answer.text


def test_with_the_bot_off_messages_go_to_the_sellers(app, make_product, shopper) -> None:
    assert not app.config["BOT_ENABLED"]
    _, sock = shopper()
    send(sock, "hello", "m-1")
    assert status(app) == "waiting"
    assert bot_messages(app) == []
