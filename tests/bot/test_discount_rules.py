# ruff: noqa: F811  (the fixtures imported below are redefined as the tests' parameters)
"""The owner's discount rules (shop/discount_rules.py) and the bot offering them (bot/discounts.py): who each
rule is for, on only when enabled, once ever or once per period, no stacking over a better offer, the note
saying why in English and French; the abandoned-cart offer through the proactive loop."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import count

import pytest
import sqlalchemy as sa
from flask import Flask

from bot import discounts as bot_discounts
from bot import proactive, settings
from chat import service
from chat.models import Conversation, Message
from extensions import db
from shop import cart as carts
from shop import discount_rules, discounts
from shop.models import Cart, Customer, Offer, Order, Variant, utcnow
from tests.bot.test_proactive import (  # noqa: F401  (fixtures)
    bot_messages,
    fill_cart,
    only_this_tests_sockets,
    send,
    turn_on,
    view,
    visitor,
)
from tests.chat.conftest import call, make_seller, shopper, sockets  # noqa: F401  (fixtures)

DAY = timedelta(days=1)


@pytest.fixture
def rules(app: Flask) -> Callable[..., None]:
    """Set the owner's discount settings (shop.discounts.save_settings)."""

    def set_rules(**values: object) -> None:
        with app.app_context():
            discounts.save_settings(**values)

    return set_rules


@pytest.fixture
def make_customer(app: Flask) -> Callable[..., int]:
    def make(locale: str | None = None, email: str | None = None) -> int:
        with app.app_context():
            customer = Customer(locale=locale, email=email)
            db.session.add(customer)
            db.session.commit()
            return customer.id

    return make


@pytest.fixture
def place_order(app: Flask) -> Callable[..., None]:
    """A past order of the shopper (paid unless told otherwise)."""
    numbers = count(1001)

    def place(
        customer_id: int | None, status: str = "paid", total: int = 10000, refunded: int = 0, email: str = ""
    ) -> None:
        with app.app_context():
            db.session.add(
                Order(number=next(numbers), currency="EUR", status=status, customer_id=customer_id,
                      total=total, subtotal=total, refunded_total=refunded, email=email)
            )  # fmt: skip
            db.session.commit()

    return place


@pytest.fixture
def put_in_cart(app: Flask, make_product) -> Callable[..., int]:
    """Put a new product at `price` in the shopper's cart (shop.cart.add_item); returns the product id."""

    def put(customer_id: int, price: int = 10000, quantity: int = 1) -> int:
        product_id = make_product(variants=[{"price": price}])
        with app.app_context():
            variant_id = db.session.scalar(sa.select(Variant.id).filter_by(product_id=product_id))
            carts.add_item(db.session.get(Customer, customer_id), variant_id, quantity)
        return product_id

    return put


@pytest.fixture
def give_offer(app: Flask) -> Callable[..., int]:
    """A personal offer the shopper already holds (as a seller's would be): active, unused, 48 h left."""

    def give(customer_id: int, kind: str = "percent", value: int = 10, **fields: object) -> int:
        with app.app_context():
            values = {"scope": "order", "currency": "EUR", "source": "seller", "status": "active",
                      "usage_limit": 1, "expires_at": utcnow() + timedelta(hours=48), **fields}  # fmt: skip
            offer = Offer(
                code=discounts.new_code(), kind=kind, value=value, customer_id=customer_id, **values
            )
            db.session.add(offer)
            db.session.commit()
            return offer.id

    return give


def offer_for(app: Flask, rule: str, customer_id: int, language: str = "en", now: datetime | None = None):
    """The rule's offer, made now if due: (value, note, dedupe key), or None."""
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        made = discount_rules.offer_for(rule, customer, None, language, now)
        return None if made is None else (made.value, made.note, made.dedupe_key)


def due(app: Flask, rule: str, customer_id: int, now: datetime | None = None) -> bool:
    with app.app_context():
        return discount_rules.due(rule, db.session.get(Customer, customer_id), now=now)


def offers(app: Flask) -> list[Offer]:
    with app.app_context():
        found = list(db.session.scalars(sa.select(Offer).where(Offer.source == "bot").order_by(Offer.id)))
        db.session.expunge_all()
        return found


# --- The rules ---------------------------------------------------------------------------------------------


def test_every_rule_is_off_until_the_owner_turns_it_on(app, make_customer, put_in_cart, place_order) -> None:
    customer_id = make_customer()
    put_in_cart(customer_id)
    for _ in range(3):
        place_order(customer_id, status="pending")  # loyal needs paid orders: these never count
    for rule in discount_rules.RULES:
        assert not due(app, rule, customer_id)
        assert offer_for(app, rule, customer_id) is None
    assert offers(app) == []


@pytest.mark.parametrize(
    ("rule", "language", "note"),
    [
        ("first_order", "en", "Welcome! 5% off your first order"),
        ("first_order", "fr", "Bienvenue ! 5 % de réduction sur votre première commande"),
        ("loyalty", "en", "Thank you for your loyalty! 5% off your next order"),
        ("loyalty", "fr", "Merci de votre fidélité ! 5 % de réduction sur votre prochaine commande"),
        ("price_objection", "en", "A little help with the price: 5% off your order"),
        ("price_objection", "fr", "Un petit geste sur le prix : 5 % de réduction sur votre commande"),
        ("abandoned_cart", "en", "Still thinking it over? 5% off the cart you left"),
        ("abandoned_cart", "fr", "Vous hésitez encore ? 5 % de réduction sur votre panier"),
    ],
)
def test_the_offer_says_why_in_the_shoppers_language(
    app, rules, make_customer, put_in_cart, place_order, rule, language, note
) -> None:
    rules(**{f"{rule}_enabled": True, f"{rule}_percent": 5}, loyalty_min_orders=1, default_expiry_hours=24)
    customer_id = make_customer(locale=language)
    put_in_cart(customer_id)
    if rule == "loyalty":
        place_order(customer_id)
    before = utcnow()
    assert offer_for(app, rule, customer_id, language)[:2] == (5, note)
    [offer] = offers(app)
    assert (offer.rule, offer.source, offer.customer_id) == (rule, "bot", customer_id)
    # Personal, single use, 5% off the whole order, for default_expiry_hours.
    assert (offer.kind, offer.value, offer.scope, offer.min_subtotal) == ("percent", 5, "order", 0)
    assert (offer.usage_limit, offer.times_used, offer.status) == (1, 0, "active")
    assert before + timedelta(hours=24) <= offer.expires_at <= utcnow() + timedelta(hours=24)


def test_the_amount_is_the_rules_percent(app, rules, make_customer, put_in_cart) -> None:
    rules(price_objection_enabled=True, price_objection_percent=7)
    customer_id = make_customer()
    put_in_cart(customer_id, price=12345)
    value, note, _key = offer_for(app, "price_objection", customer_id)
    assert (value, note) == (7, "A little help with the price: 7% off your order")
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        assert discounts.apply(customer, offer_id=offers(app)[0].id).amount == 864  # floor(12345 × 7%)


def test_first_order_once_per_shopper_ever(app, rules, make_customer) -> None:
    rules(first_order_enabled=True, rule_period_days=30)
    customer_id = make_customer()
    assert offer_for(app, "first_order", customer_id) == (5, "Welcome! 5% off your first order",
                                                          f"first_order:{customer_id}")  # fmt: skip
    assert offer_for(app, "first_order", customer_id) is None
    with app.app_context():  # even long after, the offer used up or expired
        db.session.execute(sa.update(Offer).values(times_used=1, created_at=utcnow() - 400 * DAY))
        db.session.commit()
    assert offer_for(app, "first_order", customer_id, now=utcnow() + 400 * DAY) is None
    assert len(offers(app)) == 1
    assert offer_for(app, "first_order", make_customer()) is not None  # another shopper gets theirs


def test_first_order_only_for_shoppers_who_never_ordered(app, rules, make_customer, place_order) -> None:
    rules(first_order_enabled=True)
    by_status = {}
    for status in ("pending", "cancelled", "paid", "fulfilled", "partially_refunded", "refunded"):
        customer_id = make_customer()
        place_order(customer_id, status=status)
        by_status[status] = due(app, "first_order", customer_id)
    assert by_status == {"pending": True, "cancelled": True, "paid": False, "fulfilled": False,
                         "partially_refunded": False, "refunded": False}  # fmt: skip
    # An order under the email the shopper gave us (another cookie, another device) counts too.
    place_order(None, email="ines@example.com")
    assert not due(app, "first_order", make_customer(email="ines@example.com"))
    assert due(app, "first_order", make_customer(email="other@example.com"))


def test_loyal_by_paid_orders_or_by_money_spent(app, rules, make_customer, place_order) -> None:
    def loyal(customer_id: int, **values: object) -> bool:
        rules(**values)
        with app.app_context():
            customer = db.session.get(Customer, customer_id)
            return discount_rules.loyal(customer, discounts.load_settings())

    customer_id = make_customer()
    place_order(customer_id, total=15000)
    place_order(customer_id, status="cancelled", total=90000)
    place_order(customer_id, status="refunded", total=90000, refunded=90000)
    place_order(customer_id, status="partially_refunded", total=20000, refunded=5000)
    # Paid orders: 2 (paid, partially refunded); spent: 150.00 + 200.00 - 50.00 = 300.00.
    assert loyal(customer_id, loyalty_min_orders=2, loyalty_min_spent=0)
    assert not loyal(customer_id, loyalty_min_orders=3, loyalty_min_spent=0)
    assert loyal(customer_id, loyalty_min_orders=0, loyalty_min_spent=30000)
    assert not loyal(customer_id, loyalty_min_orders=0, loyalty_min_spent=30001)
    assert loyal(customer_id, loyalty_min_orders=3, loyalty_min_spent=30000)  # either test
    assert not loyal(customer_id, loyalty_min_orders=0, loyalty_min_spent=0)  # both tests off
    assert not loyal(make_customer(), loyalty_min_orders=1, loyalty_min_spent=1)


@pytest.mark.parametrize("rule", ["loyalty", "price_objection"])
def test_once_per_period_then_again_in_the_next(app, rules, make_customer, place_order, rule) -> None:
    rules(**{f"{rule}_enabled": True}, loyalty_min_orders=1, rule_period_days=30)
    customer_id = make_customer()
    place_order(customer_id)
    now = utcnow()
    assert offer_for(app, rule, customer_id, now=now)[2] == f"{rule}:{customer_id}:0"
    assert offer_for(app, rule, customer_id, now=now) is None
    assert offer_for(app, rule, customer_id, now=now + 29 * DAY) is None  # expired by then, still this period
    assert offer_for(app, rule, customer_id, now=now + 31 * DAY)[2] == f"{rule}:{customer_id}:1"
    # The same with the clock as it is: the last offer made over 30 days ago (and used since).
    assert offer_for(app, rule, customer_id) is None
    with app.app_context():
        for offer in db.session.scalars(sa.select(Offer)):
            offer.created_at, offer.times_used = offer.created_at - 31 * DAY, 1
        db.session.commit()
    assert offer_for(app, rule, customer_id)[2] == f"{rule}:{customer_id}:2"
    assert len(offers(app)) == 3


def test_abandoned_cart_once_per_cart_per_period(app, rules, make_customer, put_in_cart) -> None:
    rules(abandoned_cart_enabled=True, rule_period_days=10)
    customer_id = make_customer()
    assert not due(app, "abandoned_cart", customer_id)  # no cart
    put_in_cart(customer_id)
    with app.app_context():
        cart_id = db.session.scalar(sa.select(Cart.id))
    assert offer_for(app, "abandoned_cart", customer_id)[2] == f"abandoned_cart:{cart_id}:0"
    assert offer_for(app, "abandoned_cart", customer_id, now=utcnow() + 9 * DAY) is None
    assert offer_for(app, "abandoned_cart", customer_id, now=utcnow() + 11 * DAY)[2] == (
        f"abandoned_cart:{cart_id}:1"
    )


def test_no_rule_offer_over_an_offer_at_least_as_good(
    app, rules, make_customer, put_in_cart, give_offer
) -> None:
    rules(price_objection_enabled=True, price_objection_percent=5)
    customer_id = make_customer()
    put_in_cart(customer_id, price=5000)  # 5% = 2.50
    held = give_offer(customer_id, value=5)
    assert not due(app, "price_objection", customer_id)  # as good: no second card
    with app.app_context():
        db.session.get(Offer, held).value = 4
        db.session.commit()
    assert due(app, "price_objection", customer_id)  # the rule gives more
    give_offer(customer_id, kind="fixed", value=300)  # 3.00 off a 50.00 cart: better than 5%
    assert not due(app, "price_objection", customer_id)
    put_in_cart(customer_id, price=5000)  # a 100.00 cart: 5% = 5.00 beats 3.00
    assert due(app, "price_objection", customer_id)
    give_offer(customer_id, value=20, times_used=1)  # used
    give_offer(customer_id, value=20, expires_at=utcnow() - timedelta(minutes=1))  # expired
    give_offer(customer_id, value=20, status="pending")  # not approved
    give_offer(customer_id, value=20, min_subtotal=20000)  # needs a 200.00 cart
    assert due(app, "price_objection", customer_id)
    shop_code = give_offer(None, value=10, source="shop", usage_limit=None)
    with app.app_context():  # a public code on the cart giving more counts too
        discounts.apply(
            db.session.get(Customer, customer_id), offer_id=None, code=db.session.get(Offer, shop_code).code
        )
    assert not due(app, "price_objection", customer_id)


# --- The bot offering them ---------------------------------------------------------------------------------


def open_conversation(app: Flask, customer_id: int, status: str = "bot", seller_id: int | None = None) -> int:
    with app.app_context():
        conversation = Conversation(customer_id=customer_id, status=status, assignee_id=seller_id)
        db.session.add(conversation)
        db.session.commit()
        return conversation.id


def bot_offer(app: Flask, rule: str, conversation_id: int, customer_id: int, language: str = "en"):
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        made = bot_discounts.offer(rule, conversation_id, customer, language)
        return None if made is None else made.id


def test_the_bot_posts_the_offer_card(app, rules, make_customer) -> None:
    rules(price_objection_enabled=True)
    customer_id = make_customer(locale="fr")
    conversation_id = open_conversation(app, customer_id)
    offer_id = bot_offer(app, "price_objection", conversation_id, customer_id, "fr")
    with app.app_context():
        [card] = db.session.scalars(sa.select(Message).where(Message.conversation_id == conversation_id))
        assert (card.sender_kind, card.type) == ("bot", "offer")
        assert card.data["offer"]["id"] == offer_id
        assert (
            card.data["offer"]["note"] == "Un petit geste sur le prix : 5 % de réduction sur votre commande"
        )
        assert card.text.startswith("Un petit geste sur le prix")
        assert db.session.get(Offer, offer_id).conversation_id == conversation_id


def test_never_while_a_seller_has_the_conversation(
    app,
    rules,
    make_customer,
    make_seller,
) -> None:
    rules(price_objection_enabled=True)
    customer_id = make_customer()
    seller_id = make_seller("Ana")
    assigned = open_conversation(app, customer_id, "assigned", seller_id)
    assert bot_offer(app, "price_objection", assigned, customer_id) is None
    waiting = open_conversation(app, make_customer(), "waiting")
    assert bot_offer(app, "price_objection", waiting, customer_id) is None
    resolved_by_seller = open_conversation(app, customer_id, "resolved", seller_id)
    assert bot_offer(app, "price_objection", resolved_by_seller, customer_id) is None
    assert offers(app) == []


def test_never_while_the_bot_is_off(app, rules, make_customer) -> None:
    rules(price_objection_enabled=True)
    with app.app_context():
        settings.save(bot_enabled=False)
    customer_id = make_customer()
    assert bot_offer(app, "price_objection", open_conversation(app, customer_id), customer_id) is None
    assert offers(app) == []


# --- Abandoned cart, from the proactive loop ---------------------------------------------------------------


def offer_cards(sock) -> list[dict]:
    return [m for m in bot_messages(sock) if m["type"] == "offer"]


@pytest.mark.parametrize(
    ("locale", "note"),
    [(None, "Still thinking it over? 5% off the cart you left"),
     ("fr", "Vous hésitez encore ? 5 % de réduction sur votre panier")],
)  # fmt: skip
def test_abandoned_cart_while_the_shopper_is_on_the_site(
    app,
    rules,
    visitor,
    locale,
    note,
) -> None:
    rules(
        abandoned_cart_enabled=True, abandoned_cart_minutes=15, abandoned_cart_percent=5, rule_period_days=30
    )
    sock, customer_id, product_id = visitor()
    with app.app_context():
        db.session.get(Customer, customer_id).locale = locale
        db.session.commit()
    start = utcnow()
    view(app, customer_id, start - timedelta(minutes=5), product_id)
    fill_cart(app, customer_id, product_id, start)

    assert send(app, start + timedelta(minutes=14)) == 0
    assert send(app, start + timedelta(minutes=15, seconds=1)) == 1  # the cart_idle nudge is off: still sent
    [card] = offer_cards(sock)
    assert card["data"]["offer"]["note"] == note
    assert card["data"]["offer"]["rule"] == "abandoned_cart"
    [offer] = offers(app)
    assert (offer.value, offer.customer_id, offer.conversation_id) == (
        5,
        customer_id,
        card["conversation_id"],
    )
    assert send(app, start + timedelta(minutes=40)) == 0  # once per cart
    assert offer_cards(sock) == []

    # The next period, back on the site with the same cart (the first offer expired unused): again.
    back = start + 31 * DAY
    view(app, customer_id, back, product_id)
    assert send(app, back + timedelta(minutes=14)) == 0  # idle for 15 minutes of *this* visit
    assert send(app, back + timedelta(minutes=16)) == 1
    assert [o.dedupe_key.rsplit(":", 1)[1] for o in offers(app)] == ["0", "1"]


def test_no_abandoned_cart_offer_when_off_gone_or_bot_off(app, rules, visitor, turn_on) -> None:
    sock, customer_id, product_id = visitor()
    start = utcnow()
    view(app, customer_id, start, product_id)
    fill_cart(app, customer_id, product_id, start)
    later = start + timedelta(hours=1)
    assert send(app, later) == 0  # the rule is off
    rules(abandoned_cart_enabled=True, abandoned_cart_minutes=15)
    turn_on(bot_enabled=False)
    assert send(app, later) == 0
    turn_on(bot_enabled=True)
    sock.disconnect(namespace="/shopper")  # left the site
    assert send(app, later) == 0
    assert offers(app) == []


def test_no_abandoned_cart_offer_while_a_seller_has_the_conversation(
    app,
    rules,
    visitor,
    make_seller,
) -> None:
    rules(abandoned_cart_enabled=True, abandoned_cart_minutes=15)
    sock, customer_id, product_id = visitor()
    start = utcnow()
    view(app, customer_id, start, product_id)
    fill_cart(app, customer_id, product_id, start)
    conversation_id = call(sock, "send", {"client_id": "a", "text": "Hi"})["message"]["conversation_id"]
    with app.app_context():
        seller = db.session.get(service.Seller, make_seller("Ana"))
        service.claim(conversation_id, seller)
    assert send(app, start + timedelta(hours=1)) == 0
    with app.app_context():  # the seller hands it back to the bot: the offer may go
        db.session.execute(sa.update(Conversation).values(status="bot", assignee_id=None))
        db.session.commit()
    assert send(app, start + timedelta(hours=1)) == 1


def test_a_cart_from_an_earlier_visit_counts_from_this_visit(app, rules, visitor) -> None:
    rules(abandoned_cart_enabled=True, abandoned_cart_minutes=15)
    _sock, customer_id, product_id = visitor()
    now = utcnow()
    fill_cart(app, customer_id, product_id, now - 2 * DAY)
    view(app, customer_id, now - timedelta(minutes=10), product_id)  # back 10 minutes ago
    assert send(app, now) == 0
    assert send(app, now + timedelta(minutes=6)) == 1


def test_the_offer_is_the_visits_cart_reminder(app, rules, visitor, turn_on) -> None:
    """Both on and due together: the offer goes, and the cart_idle nudge is not sent that visit."""
    rules(abandoned_cart_enabled=True, abandoned_cart_minutes=10)
    turn_on(cart_idle_enabled=True, cart_idle_minutes=10, greeting_enabled=True, greeting_delay_seconds=10)
    sock, customer_id, product_id = visitor()
    start = utcnow()
    view(app, customer_id, start, product_id)
    fill_cart(app, customer_id, product_id, start)
    assert send(app, start + timedelta(minutes=11)) == 1
    with app.app_context():  # the offer was made at minute 11 of the test's clock
        db.session.execute(sa.update(Offer).values(created_at=start + timedelta(minutes=11)))
        db.session.commit()
    assert send(app, start + timedelta(minutes=12)) == 0  # one message at a time
    assert send(app, start + proactive.ACTIVE_WINDOW + timedelta(minutes=12)) == 1
    kinds = [m["data"].get("proactive") or m["type"] for m in bot_messages(sock)]
    assert kinds == ["offer", "greeting"]
