"""The bot's rule discounts in a conversation, through the shopper's and the seller's sockets: the offer card
after the bot's answer (price objection, first order, loyalty), one per answer, once, in the shopper's
language, usable with one click; never while a seller has the conversation or the bot is off."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import count

import pytest
import sqlalchemy as sa
from flask import Flask

from chat.models import Message
from extensions import db
from shop import discounts
from shop.models import Customer, Offer, Order, Variant
from tests.chat.conftest import call, received

S, SELLER = "/shopper", "/seller"


@pytest.fixture
def bot_on(app: Flask) -> Iterator[Flask]:
    """The bot answering first, as a shop has it out of the box (TestConfig turns it off)."""
    app.config["BOT_ENABLED"] = True
    yield app
    app.config["BOT_ENABLED"] = False


@pytest.fixture
def pot(bot_on: Flask, make_product) -> int:
    """A product to put in the cart: its variant id (€80.00)."""
    product_id = make_product("Terracotta Pot", handle="terracotta-pot", variants=[{"price": 8000}])
    with bot_on.app_context():
        return db.session.scalar(sa.select(Variant.id).filter_by(product_id=product_id))


@pytest.fixture
def rules(app: Flask) -> Callable[..., None]:
    def set_rules(**values: object) -> None:
        with app.app_context():
            discounts.save_settings(**values)

    return set_rules


@pytest.fixture
def past_orders(app: Flask) -> Callable[[int], None]:
    """The (only) shopper's paid orders of €100.00."""
    numbers = count(1001)

    def place(how_many: int) -> None:
        with app.app_context():
            customer_id = db.session.scalar(sa.select(Customer.id))
            for _ in range(how_many):
                db.session.add(Order(number=next(numbers), currency="EUR", status="paid",
                                     customer_id=customer_id, subtotal=10000, total=10000))  # fmt: skip
            db.session.commit()

    return place


def send(sock, text: str, client_id: str) -> None:
    reply = call(sock, "send", {"client_id": client_id, "text": text})
    assert reply["ok"], reply


def bot_said(app: Flask) -> list[tuple[str, str]]:
    """The bot's messages so far, in order: (type, intent of an answer, rule of an offer, or '')."""
    with app.app_context():
        messages = db.session.scalars(
            sa.select(Message).where(Message.sender_kind == "bot").order_by(Message.seq)
        )
        return [(m.type, m.data.get("intent") or m.data.get("offer", {}).get("rule", "")) for m in messages]


def rule_offers(app: Flask) -> list[tuple[str, int, str]]:
    with app.app_context():
        return [(o.rule, o.value, o.note) for o in db.session.scalars(sa.select(Offer).order_by(Offer.id))]


def test_a_price_objection_gets_an_offer_card_after_the_answer(bot_on, pot, rules, shopper) -> None:
    rules(price_objection_enabled=True, price_objection_percent=5)
    _, sock = shopper()
    assert call(sock, "add_to_cart", {"variant_id": pot})["ok"]
    send(sock, "too expensive", "m-1")
    assert bot_said(bot_on) == [("text", "price_objection"), ("offer", "price_objection")]
    assert rule_offers(bot_on) == [("price_objection", 5, "A little help with the price: 5% off your order")]
    shown = [m for m in received(sock, "message", S) if m["sender"]["kind"] == "bot"]
    assert [m["type"] for m in shown] == ["text", "offer"]  # pushed live, the card after the answer
    card = shown[1]["data"]["offer"]
    assert card["label"] == "5% off your order"
    assert card["note"] == "A little help with the price: 5% off your order"

    applied = call(sock, "apply_discount", {"offer_id": card["id"]})
    assert applied["cart"]["discount"] == 400  # 5% of €80.00, one click
    send(sock, "still too expensive", "m-2")  # once per period
    assert bot_said(bot_on)[-1] == ("text", "price_objection")
    assert len(rule_offers(bot_on)) == 1


def test_a_french_objection_gets_a_french_card(bot_on, pot, rules, shopper) -> None:
    rules(price_objection_enabled=True, price_objection_percent=8)
    _, sock = shopper()
    send(sock, "c'est trop cher", "m-1")
    assert rule_offers(bot_on) == [
        ("price_objection", 8, "Un petit geste sur le prix : 8 % de réduction sur votre commande")
    ]


def test_no_card_when_the_rule_is_off(bot_on, pot, rules, shopper) -> None:
    rules(first_order_enabled=True)  # another rule on
    _, sock = shopper()
    send(sock, "too expensive", "m-1")
    assert bot_said(bot_on) == [("text", "price_objection")]
    assert rule_offers(bot_on) == []


def test_first_order_welcome_once_the_cart_holds_something(bot_on, pot, rules, shopper) -> None:
    rules(first_order_enabled=True, first_order_percent=5)
    _, sock = shopper()
    send(sock, "hello", "m-1")
    assert bot_said(bot_on) == [("text", "greeting")]  # an empty cart could not use it
    assert call(sock, "add_to_cart", {"variant_id": pot})["ok"]
    send(sock, "show my cart", "m-2")
    assert bot_said(bot_on)[1:] == [("text", "show_cart"), ("offer", "first_order")]
    assert rule_offers(bot_on) == [("first_order", 5, "Welcome! 5% off your first order")]
    send(sock, "hello", "m-3")
    assert bot_said(bot_on)[-1] == ("text", "greeting")
    assert len(rule_offers(bot_on)) == 1


def test_loyalty_when_the_bot_answers_a_loyal_shopper(bot_on, pot, rules, shopper, past_orders) -> None:
    rules(loyalty_enabled=True, loyalty_percent=10, loyalty_min_orders=2, first_order_enabled=True)
    _, sock = shopper()
    past_orders(1)
    send(sock, "bonjour", "m-1")
    assert bot_said(bot_on) == [("text", "greeting")]  # one order: not loyal yet, and no first order either
    past_orders(1)
    send(sock, "bonjour", "m-2")
    assert bot_said(bot_on)[1:] == [("text", "greeting"), ("offer", "loyalty")]
    assert rule_offers(bot_on) == [
        ("loyalty", 10, "Merci de votre fidélité ! 10 % de réduction sur votre prochaine commande")
    ]
    send(sock, "bonjour", "m-3")
    assert len(rule_offers(bot_on)) == 1


def test_one_card_per_answer(bot_on, pot, rules, shopper) -> None:
    rules(price_objection_enabled=True, first_order_enabled=True, first_order_percent=5)
    _, sock = shopper()
    assert call(sock, "add_to_cart", {"variant_id": pot})["ok"]
    send(sock, "too expensive", "m-1")
    assert bot_said(bot_on) == [("text", "price_objection"), ("offer", "price_objection")]
    send(sock, "show my cart", "m-2")  # the 5% just offered is as good as the welcome: no second card
    assert bot_said(bot_on)[-1] == ("text", "show_cart")
    assert [rule for rule, _value, _note in rule_offers(bot_on)] == ["price_objection"]


def test_no_card_when_the_bot_hands_over(bot_on, pot, rules, shopper) -> None:
    rules(first_order_enabled=True)
    _, sock = shopper()
    assert call(sock, "add_to_cart", {"variant_id": pot})["ok"]
    send(sock, "I want to talk to a human", "m-1")
    assert bot_said(bot_on) == [("text", "human"), ("form", "")]
    assert rule_offers(bot_on) == []


def test_never_once_a_seller_has_the_conversation(bot_on, pot, rules, shopper, seller_client) -> None:
    rules(price_objection_enabled=True, first_order_enabled=True)
    _, seller = seller_client("Ana")
    _, sock = shopper()
    send(sock, "hello", "m-1")
    conversation_id = call(sock, "hello", {})["conversation"]["id"]
    assert call(seller, "claim", {"conversation_id": conversation_id}, namespace=SELLER)["ok"]
    assert call(sock, "add_to_cart", {"variant_id": pot})["ok"]
    send(sock, "too expensive", "m-2")
    send(sock, "show my cart", "m-3")
    assert rule_offers(bot_on) == []


def test_never_while_the_bot_is_off(app, make_product, rules, shopper) -> None:
    assert not app.config["BOT_ENABLED"]
    rules(price_objection_enabled=True, first_order_enabled=True)
    _, sock = shopper()
    send(sock, "too expensive", "m-1")
    assert bot_said(app) == []
    assert rule_offers(app) == []
