"""Proactive messages, decided by each process's background loop for the shoppers connected to it: off by
default, once per visit (even when two processes decide at once), again on a new visit, never into an
active conversation, the idle-cart timing."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from bot import proactive, settings
from bot.models import ProactiveMessage
from chat import broadcast, service, tasks
from chat.messages import Draft
from chat.models import Conversation, Message, PageView
from extensions import db, socketio
from shop.models import Cart, CartLine, Customer, Variant, utcnow
from tests.chat.conftest import call, make_seller, received, shopper, sockets  # noqa: F401  (fixtures)


@pytest.fixture(autouse=True)
def only_this_tests_sockets(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The shopper namespace forgets sockets other tests left connected (customer ids get reused)."""
    monkeypatch.setattr(socketio.server.namespace_handlers["/shopper"], "connected", {})


@pytest.fixture
def turn_on(app: Flask):
    def turn_on(**values: object) -> None:
        with app.app_context():
            settings.save(**values)

    return turn_on


@pytest.fixture
def visitor(app: Flask, shopper, make_product):  # noqa: F811
    """A shopper with the widget connected; returns (socket, customer id, product id)."""

    def make():
        _http, sock = shopper()
        sock.get_received("/shopper")
        customer_id = max(tasks.connected_shoppers())
        return sock, customer_id, make_product()

    return make


def view(app: Flask, customer_id: int, at: datetime, product_id: int | None = None) -> None:
    with app.app_context():
        db.session.add(PageView(customer_id=customer_id, url="/x", product_id=product_id, viewed_at=at))
        db.session.commit()


def fill_cart(app: Flask, customer_id: int, product_id: int, at: datetime) -> None:
    with app.app_context():
        variant_id = db.session.scalar(sa.select(Variant.id).filter_by(product_id=product_id))
        cart = Cart(customer_id=customer_id, status="open", created_at=at, updated_at=at)
        cart.lines.append(CartLine(variant_id=variant_id, quantity=1, added_at=at))
        db.session.add(cart)
        db.session.commit()


def send(app: Flask, now: datetime) -> int:
    with app.app_context():
        return proactive.send_due(now)


def bot_messages(sock) -> list[dict]:
    return [m for m in received(sock, "message", "/shopper") if m["sender"]["kind"] == "bot"]


def test_off_by_default(app, visitor) -> None:
    sock, customer_id, product_id = visitor()
    now = utcnow()
    view(app, customer_id, now - timedelta(hours=1), product_id)
    fill_cart(app, customer_id, product_id, now - timedelta(minutes=50))
    assert send(app, now) == 0
    assert bot_messages(sock) == []
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Conversation)) == 0


def test_greeting_after_the_delay_once_per_visit(app, visitor, turn_on) -> None:
    turn_on(greeting_enabled=True, greeting_delay_seconds=30, greeting_text_en="Need help with this one?")
    sock, customer_id, product_id = visitor()
    start = utcnow()
    view(app, customer_id, start, product_id)

    assert send(app, start + timedelta(seconds=29)) == 0
    assert send(app, start + timedelta(seconds=31)) == 1
    [message] = bot_messages(sock)
    assert message["text"] == "Need help with this one?"
    assert message["sender"]["name"] == app.config["SHOP_NAME"]
    assert message["data"] == {
        "proactive": "greeting",
        "quick_replies": proactive.QUICK_REPLIES["greeting"]["en"],
    }
    with app.app_context():  # the conversation it started is the shopper's
        conversation = service.current_conversation(db.session.get(Customer, customer_id))
        assert message["conversation_id"] == conversation.id

    # Another product page later in the same visit (views less than VISIT_GAP apart): no second greeting.
    view(app, customer_id, start + timedelta(minutes=20), product_id)
    assert send(app, start + timedelta(minutes=21)) == 0
    assert send(app, start + timedelta(minutes=45)) == 0
    assert bot_messages(sock) == []


def test_a_new_visit_is_greeted_again(app, visitor, turn_on) -> None:
    turn_on(greeting_enabled=True, greeting_delay_seconds=10)
    sock, customer_id, product_id = visitor()
    start = utcnow()
    view(app, customer_id, start, product_id)
    assert send(app, start + timedelta(seconds=15)) == 1
    back = start + service.VISIT_GAP + timedelta(minutes=1)
    view(app, customer_id, back, product_id)
    assert send(app, back + timedelta(seconds=5)) == 0
    assert send(app, back + timedelta(seconds=15)) == 1
    assert [m["data"]["proactive"] for m in bot_messages(sock)] == ["greeting", "greeting"]
    with app.app_context():
        rows = db.session.scalars(sa.select(ProactiveMessage.visit_started_at).order_by(ProactiveMessage.id))
        assert list(rows) == [start, back]


def test_no_greeting_away_from_product_pages_or_when_gone(app, visitor, turn_on) -> None:
    turn_on(greeting_enabled=True, greeting_delay_seconds=10)
    sock, customer_id, product_id = visitor()
    now = utcnow()
    view(app, customer_id, now - timedelta(minutes=2), product_id)
    view(app, customer_id, now - timedelta(minutes=1))  # then the home page
    assert send(app, now) == 0
    sock.disconnect(namespace="/shopper")  # back on a product page, but the widget is gone
    view(app, customer_id, now, product_id)
    assert send(app, now + timedelta(minutes=1)) == 0


def test_never_interrupts_a_conversation_going_on(app, visitor, turn_on) -> None:
    turn_on(greeting_enabled=True, greeting_delay_seconds=10)
    sock, customer_id, product_id = visitor()
    now = utcnow()
    view(app, customer_id, now - timedelta(minutes=1), product_id)
    call(sock, "send", {"client_id": "a", "text": "Hello?"})
    assert send(app, now) == 0
    assert send(app, now + proactive.ACTIVE_WINDOW - timedelta(seconds=30)) == 0
    # Quiet for a while (nobody wrote for ACTIVE_WINDOW): the bot may speak.
    assert send(app, now + proactive.ACTIVE_WINDOW + timedelta(seconds=5)) == 1


def test_never_right_after_a_seller_wrote(app, visitor, turn_on, make_seller) -> None:  # noqa: F811
    turn_on(greeting_enabled=True, greeting_delay_seconds=10)
    _sock, customer_id, product_id = visitor()
    now = utcnow()
    with app.app_context():
        conversation = service.open_conversation(db.session.get(Customer, customer_id))
        seller_id = make_seller("Ana")
        broadcast.post(
            Draft(conversation_id=conversation.id, sender_kind="seller", seller_id=seller_id, text="Hi!")
        )
    view(app, customer_id, now - timedelta(minutes=1), product_id)
    assert send(app, now) == 0
    assert send(app, now + proactive.ACTIVE_WINDOW + timedelta(seconds=5)) == 1


def test_never_while_a_seller_has_the_conversation(app, visitor, turn_on, make_seller) -> None:  # noqa: F811
    turn_on(greeting_enabled=True, greeting_delay_seconds=10)
    sock, customer_id, product_id = visitor()
    now = utcnow()
    view(app, customer_id, now - timedelta(minutes=1), product_id)
    conversation_id = call(sock, "send", {"client_id": "a", "text": "Hi"})["message"]["conversation_id"]
    seller_id = make_seller("Ana")
    with app.app_context():
        service.claim(conversation_id, db.session.get(service.Seller, seller_id))
    assert send(app, now + timedelta(hours=1)) == 0
    with app.app_context():
        service.resolve(conversation_id, db.session.get(service.Seller, seller_id))
    assert send(app, now + timedelta(hours=1)) == 1


def test_cart_idle_after_the_delay(app, visitor, turn_on) -> None:
    turn_on(cart_idle_enabled=True, cart_idle_minutes=10, cart_idle_text_fr="Votre panier vous attend !")
    sock, customer_id, product_id = visitor()
    with app.app_context():
        db.session.get(Customer, customer_id).locale = "fr"
        db.session.commit()
    start = utcnow()
    view(app, customer_id, start - timedelta(minutes=5), product_id)
    fill_cart(app, customer_id, product_id, start)

    assert send(app, start + timedelta(minutes=9)) == 0
    assert send(app, start + timedelta(minutes=10, seconds=1)) == 1
    [message] = bot_messages(sock)
    assert message["text"] == "Votre panier vous attend !"
    assert message["data"] == {
        "proactive": "cart_idle",
        "quick_replies": proactive.QUICK_REPLIES["cart_idle"]["fr"],
    }
    assert send(app, start + timedelta(minutes=25)) == 0  # once per visit


def test_cart_idle_counts_from_the_last_change(app, visitor, turn_on) -> None:
    turn_on(cart_idle_enabled=True, cart_idle_minutes=10)
    _sock, customer_id, product_id = visitor()
    start = utcnow()
    view(app, customer_id, start, product_id)
    fill_cart(app, customer_id, product_id, start)
    with app.app_context():
        db.session.execute(
            sa.update(Cart).values(updated_at=start + timedelta(minutes=8))
        )  # quantity changed
        db.session.commit()
    assert send(app, start + timedelta(minutes=12)) == 0
    assert send(app, start + timedelta(minutes=18, seconds=1)) == 1


def test_no_cart_nudge_for_an_empty_cart_or_one_from_an_earlier_visit(app, visitor, turn_on) -> None:
    turn_on(cart_idle_enabled=True, cart_idle_minutes=10)
    _sock, customer_id, product_id = visitor()
    now = utcnow()
    fill_cart(app, customer_id, product_id, now - timedelta(days=2))
    view(app, customer_id, now - timedelta(minutes=30))  # back today: the cart was filled before this visit
    assert send(app, now) == 0
    with app.app_context():
        db.session.execute(sa.delete(CartLine))
        db.session.execute(sa.update(Cart).values(updated_at=now - timedelta(minutes=20)))
        db.session.commit()
    assert send(app, now) == 0


def test_one_message_at_a_time(app, visitor, turn_on) -> None:
    turn_on(greeting_enabled=True, greeting_delay_seconds=10, cart_idle_enabled=True, cart_idle_minutes=1)
    sock, customer_id, product_id = visitor()
    start = utcnow()
    view(app, customer_id, start, product_id)
    fill_cart(app, customer_id, product_id, start)
    assert send(app, start + timedelta(minutes=2)) == 1  # both due: the cart reminder first
    assert send(app, start + timedelta(minutes=3)) == 0  # not a second message right after
    assert send(app, start + proactive.ACTIVE_WINDOW + timedelta(minutes=3)) == 1
    assert [m["data"]["proactive"] for m in bot_messages(sock)] == ["cart_idle", "greeting"]


def test_bot_switched_off_sends_nothing(app, visitor, turn_on) -> None:
    turn_on(bot_enabled=False, greeting_enabled=True, greeting_delay_seconds=10)
    _sock, customer_id, product_id = visitor()
    now = utcnow()
    view(app, customer_id, now - timedelta(minutes=1), product_id)
    assert send(app, now) == 0


def test_two_processes_deciding_at_once_send_it_once(app, visitor, turn_on) -> None:
    turn_on(greeting_enabled=True, greeting_delay_seconds=10)
    _sock, customer_id, product_id = visitor()
    now = utcnow()
    view(app, customer_id, now - timedelta(minutes=1), product_id)
    with app.app_context():
        first, second = proactive.due(now), proactive.due(now)  # both see it due before either claims
        assert first == second
        assert len(first) == 1
        assert proactive._claim(first[0], now) is True
        assert proactive._claim(second[0], now) is False


def test_the_background_loop_sends_it(app, visitor, turn_on, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "MAIL_ENABLED", False)
    app.extensions.pop("chat_tasks", None)
    turn_on(greeting_enabled=True, greeting_delay_seconds=5)
    sock, customer_id, product_id = visitor()
    view(app, customer_id, utcnow() - timedelta(seconds=6), product_id)
    tasks.run_once(app)
    [message] = bot_messages(sock)
    assert message["data"]["proactive"] == "greeting"
    with app.app_context():
        stored = db.session.scalar(sa.select(Message).filter_by(sender_kind="bot"))
        assert stored.text == settings.DEFAULT_TEXTS["greeting"]["en"]
        assert db.session.scalar(sa.select(ProactiveMessage.conversation_id)) == stored.conversation_id
    app.extensions.pop("chat_tasks", None)
