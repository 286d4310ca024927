"""The shopper's side of discounts in the chat, through the Socket.IO test client: an offer card's Apply
(`apply_discount` {offer_id}), a typed code ({code}, or a chat message that is a code), the refusals,
`remove_discount`, and `cart_updated` in every tab of the shopper. On SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask

from chat import offers
from chat.models import Conversation, Message, Seller
from extensions import db
from shop import discounts
from shop.models import Cart
from tests.chat.conftest import call, received

S = "/shopper"


@pytest.fixture
def table(make_product) -> int:
    return make_product(title="Teak Table", handle="teak-table", variants=[{"price": 12000}])


@pytest.fixture
def chatting(app: Flask, shopper, table) -> Callable[..., dict]:
    """A shopper with the table in their cart (added from its page) who wrote in the chat."""

    def make(client_id: str = "m-1") -> dict:
        http, sock = shopper()
        assert http.post("/products/teak-table/add", data={"quantity": "1"}).status_code == 302
        sent = call(sock, "send", {"client_id": client_id, "text": "Hello, any discount on the table?"})
        assert sent["ok"], sent
        sock.get_received(S)
        with app.app_context():
            conversation = db.session.get(Conversation, sent["message"]["conversation_id"])
            customer_id = conversation.customer_id
        return {"http": http, "sock": sock, "conversation_id": conversation.id, "customer_id": customer_id}

    return make


@pytest.fixture
def offer_made(app: Flask, make_seller, table) -> Callable[..., dict]:
    """A seller offers a discount in a conversation (as the inbox does): the offer card is posted. Returns the
    offer as the card carries it."""
    seller_id = make_seller("Ana")

    def make(conversation_id: int, **terms) -> dict:
        terms = {"kind": "percent", "value": 10, "scope": "product", "target_id": table, **terms}
        with app.test_request_context():
            seller = db.session.get(Seller, seller_id)
            offer = discounts.seller_offer(seller, db.session.get(Conversation, conversation_id), **terms)
            offers.offer_made(offer, seller)
            return discounts.offer_data(offer)

    return make


def notes(sock, event: str) -> list[dict]:
    """The system notes of that event received by a socket (forgets everything else received)."""
    return [m for m in received(sock, "message", S) if m["type"] == "system" and m["data"]["event"] == event]


def cart_offer(app: Flask, customer_id: int) -> int | None:
    with app.app_context():
        return db.session.scalar(sa.select(Cart.offer_id).where(Cart.customer_id == customer_id))


def test_the_offer_card_reaches_the_shopper_and_apply_puts_it_on_the_cart(app, chatting, offer_made) -> None:
    chat = chatting()
    offer = offer_made(chat["conversation_id"])
    [card] = [m for m in received(chat["sock"], "message", S) if m["type"] == "offer"]
    assert card["data"]["offer"]["id"] == offer["id"]
    assert card["data"]["offer"]["label"] == "10% off Teak Table"
    assert card["data"]["offer"]["until"].startswith("until ")
    assert "value" not in card["data"]["offer"]  # nothing a browser could send back as an amount

    ack = call(chat["sock"], "apply_discount", {"offer_id": offer["id"]})
    assert ack["ok"], ack
    assert ack["message"] == "10% off Teak Table applied: −€12.00."
    assert ack["cart"] == {
        "item_count": 1,
        "subtotal_text": "€120.00",
        "discount": 1200,
        "discount_text": "€12.00",
        "total_text": "€108.00",
        "offer": {"id": offer["id"], "code": offer["code"], "label": "10% off Teak Table", "problem": None},
    }
    assert cart_offer(app, chat["customer_id"]) == offer["id"]
    received_now = chat["sock"].get_received(S)
    [note] = [r["args"] for r in received_now if r["name"] == "message" and r["args"]["type"] == "system"]
    assert note["data"]["event"] == "discount_applied"
    assert note["text"] == "10% off Teak Table applied: −€12.00."
    [update] = [r["args"][0] for r in received_now if r["name"] == "cart_updated"]
    assert update == ack["cart"]


def test_apply_by_code_as_typed_in_the_widget(app, chatting, offer_made) -> None:
    chat = chatting()
    offer = offer_made(chat["conversation_id"], kind="fixed", value=1500, scope="order", target_id=None)
    ack = call(chat["sock"], "apply_discount", {"code": "  " + offer["code"].lower() + " "})
    assert ack["ok"], ack
    assert ack["message"] == "€15.00 off your order applied: −€15.00."
    assert (ack["cart"]["discount_text"], ack["cart"]["total_text"]) == ("€15.00", "€105.00")
    assert cart_offer(app, chat["customer_id"]) == offer["id"]


def test_another_shoppers_offer_is_refused_by_id_and_by_code(app, chatting, offer_made) -> None:
    ana = chatting("a-1")
    offer = offer_made(ana["conversation_id"])
    bob = chatting("b-1")  # another cookie, with the same table in his cart
    for payload in ({"offer_id": offer["id"]}, {"code": offer["code"]}):
        ack = call(bob["sock"], "apply_discount", payload)
        assert ack == {
            "ok": False,
            "error": {"code": "not_yours", "message": "This offer was made for another shopper."},
        }
    assert cart_offer(app, bob["customer_id"]) is None
    assert notes(bob["sock"], "discount_applied") == []
    # it was never used: its shopper still can
    assert call(ana["sock"], "apply_discount", {"offer_id": offer["id"]})["ok"]


@pytest.mark.parametrize(
    ("payload", "code", "message"),
    [
        ({"code": "NOPE42"}, "invalid", "The code NOPE42 does not exist."),
        ({"code": ""}, "invalid", "Please type a discount code."),
        ({"offer_id": 987654}, "invalid", "This offer does not exist."),
        ({"offer_id": "1; DROP TABLE offer"}, "invalid", "This offer does not exist."),
    ],
)
def test_unknown_offers_and_codes_are_refused(chatting, payload, code, message) -> None:
    chat = chatting()
    ack = call(chat["sock"], "apply_discount", payload)
    assert ack == {"ok": False, "error": {"code": code, "message": message}}


def test_below_the_minimum_is_refused_with_both_amounts(chatting, offer_made) -> None:
    chat = chatting()
    offer = offer_made(chat["conversation_id"], scope="order", target_id=None, min_subtotal=20000)
    ack = call(chat["sock"], "apply_discount", {"offer_id": offer["id"]})
    assert ack["error"] == {
        "code": "below_minimum",
        "message": "This code needs an order of at least €200.00 (your cart: €120.00).",
    }


def test_remove_takes_it_off_and_tells_the_tabs(app, chatting, offer_made) -> None:
    chat = chatting()
    offer = offer_made(chat["conversation_id"])
    assert call(chat["sock"], "apply_discount", {"offer_id": offer["id"]})["ok"]
    chat["sock"].get_received(S)
    ack = call(chat["sock"], "remove_discount")
    assert ack["ok"], ack
    assert ack["cart"]["offer"] is None
    assert (ack["cart"]["discount"], ack["cart"]["total_text"]) == (0, "€120.00")
    assert cart_offer(app, chat["customer_id"]) is None
    received_now = chat["sock"].get_received(S)
    removed = [r["args"] for r in received_now if r["name"] == "message" and r["args"]["type"] == "system"]
    assert [(m["data"]["event"], m["text"]) for m in removed] == [
        ("discount_removed", "10% off Teak Table was removed from the cart")
    ]
    assert [r["args"][0]["offer"] for r in received_now if r["name"] == "cart_updated"] == [None]
    # nothing to remove any more: an answer, no note
    again = call(chat["sock"], "remove_discount")
    assert again["ok"]
    assert again["cart"]["offer"] is None
    assert notes(chat["sock"], "discount_removed") == []


def test_cart_updated_reaches_a_second_tab_of_the_same_shopper(app, shopper, chatting, offer_made) -> None:
    chat = chatting()
    _, second_tab = shopper(chat["http"])  # the same cookies: another tab
    _, stranger = shopper()
    offer = offer_made(chat["conversation_id"])
    second_tab.get_received(S)
    assert call(chat["sock"], "apply_discount", {"offer_id": offer["id"]})["ok"]
    [update] = received(second_tab, "cart_updated", S)
    assert update["offer"]["id"] == offer["id"]
    assert (update["discount_text"], update["total_text"]) == ("€12.00", "€108.00")
    assert received(stranger, "cart_updated", S) == []
    # a cart change on the cart page is told to the tabs too (a second table: the discount grows)
    with app.app_context():
        cart = db.session.scalar(sa.select(Cart).where(Cart.customer_id == chat["customer_id"]))
        line_id = cart.lines[0].id
    assert chat["http"].post(f"/cart/lines/{line_id}", data={"quantity": "2"}).status_code == 302
    [update] = received(second_tab, "cart_updated", S)
    assert (update["item_count"], update["discount_text"], update["total_text"]) == (2, "€24.00", "€216.00")


def test_a_code_typed_as_a_message_is_applied_and_the_bot_keeps_quiet(
    app, shopper, table, offer_made, monkeypatch
) -> None:
    monkeypatch.setitem(app.config, "BOT_ENABLED", True)
    http, sock = shopper()
    assert http.post("/products/teak-table/add", data={"quantity": "1"}).status_code == 302
    first = call(sock, "send", {"client_id": "m-1", "text": "hello"})
    cid = first["message"]["conversation_id"]
    with app.app_context():
        assert db.session.get(Conversation, cid).status == "bot"
        bot_before = db.session.scalar(sa.select(sa.func.count()).where(Message.sender_kind == "bot"))
    assert bot_before >= 1  # the bot answers an ordinary message
    offer = offer_made(cid)
    sock.get_received(S)

    sent = call(sock, "send", {"client_id": "m-2", "text": f"code {offer['code'].lower()}"})
    assert sent["ok"], sent
    received_now = sock.get_received(S)
    messages = [r["args"] for r in received_now if r["name"] == "message"]
    after = [m for m in messages if m["seq"] > sent["message"]["seq"]]
    assert [(m["type"], m["data"].get("event")) for m in after] == [("system", "discount_applied")]
    assert after[0]["text"] == "10% off Teak Table applied: −€12.00."
    assert [r["args"][0]["total_text"] for r in received_now if r["name"] == "cart_updated"] == ["€108.00"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).where(Message.sender_kind == "bot")) == bot_before
        assert db.session.scalar(sa.select(Cart.offer_id)) == offer["id"]

    # a code that does not exist, said as a code: refused with the reason, and still no bot answer
    sent = call(sock, "send", {"client_id": "m-3", "text": "promo code NOPE42"})
    [refused] = notes(sock, "discount_refused")
    assert refused["text"] == "The code NOPE42 does not exist."
    assert refused["data"]["code"] == "invalid"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).where(Message.sender_kind == "bot")) == bot_before


def test_a_code_applied_on_the_cart_page_reaches_the_chat_tabs(app, chatting, offer_made) -> None:
    chat = chatting()
    offer = offer_made(chat["conversation_id"])
    chat["sock"].get_received(S)
    response = chat["http"].post("/cart/discount", data={"code": offer["code"]})
    assert response.status_code == 302
    [update] = received(chat["sock"], "cart_updated", S)
    assert update["offer"]["id"] == offer["id"]
    assert update["total_text"] == "€108.00"
