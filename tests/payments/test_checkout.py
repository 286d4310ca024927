"""The widget's checkout calls against localstripe: details, quotes, declines, 3-D Secure, expiry, sellers."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from chat import service as chat_service
from chat import tasks
from chat.models import Seller
from extensions import db
from payments import checkout as checkouts
from payments import stripe_gateway as gateway
from shop.customers import read_shopper_token
from shop.models import CartLine, Customer, Order, Variant, utcnow
from tests.payments.conftest import CARD_3DS, CARD_DECLINED, CARD_OK, DETAILS

LATER = timedelta(minutes=16)  # past CHECKOUT_HOLD_MINUTES


@pytest.fixture
def conversation_of(stripe_app: Flask) -> Callable[[FlaskClient], int]:
    """The id of the shopper's conversation (opened if they have none yet)."""

    def find(http: FlaskClient) -> int:
        with stripe_app.app_context():
            token = read_shopper_token(http.get_cookie("shopper").value)
            customer = db.session.scalar(sa.select(Customer).filter_by(token=token))
            return chat_service.open_conversation(customer).id

    return find


@pytest.fixture
def intents(stripe_api) -> Callable[[], list]:
    """The PaymentIntents localstripe holds, newest first."""
    return lambda: list(stripe_api.v1.payment_intents.list({"limit": 100}))


@pytest.fixture
def expire_holds(stripe_app: Flask) -> Callable[..., int]:
    """The background loop's expiry step, run at a given moment."""

    def run(now=None) -> int:
        with stripe_app.app_context():
            return checkouts.expire_holds(now)

    return run


# --- Starting ----------------------------------------------------------------------------------------------


def test_checkout_posts_its_card_in_the_conversation(stripe_app, cart_shopper) -> None:
    http = cart_shopper([({"price": 2500}, 2), ({"price": 1200, "option1": "Large"}, 1)])

    started = http.post("/payments/checkout", json={})

    assert started.status_code == 200
    checkout = started.get_json()["checkout"]
    assert checkout["status"] == "open"
    assert (checkout["subtotal"], checkout["shipping"], checkout["total"]) == (6200, 490, 6690)
    assert checkout["item_count"] == 3
    assert checkout["pay_label"] == "Pay €66.90"
    assert checkout["details_complete"] is False
    assert [line["total_text"] for line in checkout["lines"]] == ["€50.00", "€12.00"]
    shown = http.get(f"/payments/checkout/{checkout['token']}").get_json()
    assert shown["payment"] is None  # no card field before the details
    assert ["FR", "France"] in shown["countries"]
    again = http.post("/payments/checkout", json={}).get_json()["checkout"]
    assert again["token"] == checkout["token"]
    with stripe_app.app_context():
        token = read_shopper_token(http.get_cookie("shopper").value)
        customer = db.session.scalar(sa.select(Customer).filter_by(token=token))
        conversation = chat_service.current_conversation(customer)
        cards = [m for m in chat_service.messages_after(conversation.id, 0) if m.type == "checkout"]
    assert len(cards) == 2
    card = cards[0].data["checkout"]
    assert card["token"] == checkout["token"]
    assert (card["total"], card["total_text"], card["item_count"]) == (6690, "€66.90", 3)
    assert [line["quantity"] for line in card["lines"]] == [2, 1]


def test_checkout_of_an_empty_cart(stripe_app) -> None:
    http = stripe_app.test_client()
    assert http.post("/payments/checkout", json={}).status_code == 404  # no shopper yet
    http.post("/chat/session")
    response = http.post("/payments/checkout", json={})
    assert response.status_code == 400
    assert response.get_json()["error"] == {
        "code": "empty_cart",
        "message": "Your cart is empty: add a product first.",
    }


def test_checkout_when_payments_are_not_set_up(stripe_app, cart_shopper, monkeypatch) -> None:
    monkeypatch.setitem(stripe_app.config, "STRIPE_SECRET_KEY", None)
    response = cart_shopper().post("/payments/checkout", json={})
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "unavailable"


# --- Details -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "", "Please enter your email."),
        ("email", "ana@", "Please enter a valid email address."),
        ("name", "   ", "Please enter your name."),
        ("name", "A" * 256, "Field cannot be longer than 255 characters."),
        ("address1", "", "Please enter your street address."),
        ("city", "", "Please enter your city."),
        ("postal_code", "", "Please enter your postal code."),
        ("postal_code", "6", "This postal code is not valid."),
        ("postal_code", "69<01>", "This postal code is not valid."),
        ("country", "", "Please choose a country."),
        ("country", "XX", "Please choose a country."),
    ],
)
def test_details_are_validated_field_by_field(buyer, field, value, message) -> None:
    made = buyer(details=None)

    response = made.details(**{field: value})

    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    assert error["message"] == "Please correct the highlighted fields."
    assert error["fields"] == {field: message}
    assert made.show().get_json()["checkout"]["details"]["city"] == ""  # nothing stored


def test_details_missing_altogether(buyer) -> None:
    made = buyer(details=None)
    response = made.http.post(made.url("details"), data="not json", content_type="application/json")
    assert response.status_code == 400
    assert set(response.get_json()["error"]["fields"]) == {
        "email",
        "name",
        "address1",
        "city",
        "postal_code",
        "country",
    }


def test_details_are_cleaned_and_the_card_field_comes_with_them(buyer) -> None:
    made = buyer(details=None)

    response = made.details(email="  Ana@Example.COM ", name="  Ana   Silva ", country="DE")

    assert response.status_code == 200
    body = response.get_json()
    details = body["checkout"]["details"]
    assert (details["email"], details["name"], details["country"]) == ("ana@example.com", "Ana Silva", "DE")
    assert body["checkout"]["details_complete"] is True
    assert body["checkout"]["shipping"] == 1490  # international rate
    assert body["payment"]["publishable_key"] == "pk_test_tests"
    assert body["payment"]["js_url"].endswith("/js.stripe.com/v3/")
    assert body["payment"]["setup_client_secret"].startswith("seti_")
    assert made.show().get_json()["payment"]["setup_client_secret"] != body["payment"]["setup_client_secret"]


def test_a_returning_shopper_finds_their_details_filled_in(stripe_app, buyer, paid_order) -> None:
    first = paid_order(made=buyer(details={**DETAILS, "address2": "Bât. B", "country": "BE"}))

    second = buyer(http=first.buyer.http, details=None)

    shown = second.show().get_json()
    assert second.token != first.buyer.token
    assert shown["checkout"]["details"] == {**DETAILS, "address2": "Bât. B", "country": "BE"}
    assert shown["checkout"]["details_complete"] is True
    assert shown["payment"]["setup_client_secret"].startswith("seti_")
    newcomer = buyer(details=None).show().get_json()["checkout"]
    assert newcomer["details"]["email"] == ""
    assert newcomer["details_complete"] is False


@pytest.mark.parametrize("call", ["show", "details", "pay", "sync"])
def test_another_shoppers_checkout_is_not_found(stripe_app, buyer, card, call) -> None:
    victim = buyer()
    intruder = buyer()
    intruder.token = victim.token

    response = {
        "show": lambda: intruder.show(),
        "details": lambda: intruder.details(email="thief@example.com"),
        "pay": lambda: intruder.pay(card(CARD_OK), quote=victim.quote),
        "sync": lambda: intruder.sync(),
    }[call]()

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    checkout = victim.checkout()
    assert (checkout.status, checkout.email, checkout.payment_intent_id) == ("open", "ana@example.com", None)
    assert stripe_app.test_client().get(f"/payments/checkout/{'x' * 65}").status_code == 404


# --- Paying: amounts come from the server ------------------------------------------------------------------


def test_the_price_is_the_servers(stripe_app, buyer, card, intents) -> None:
    made = buyer([({"price": 2500}, 2)])

    response = made.http.post(
        made.url("pay"),
        json={"payment_method": card(CARD_OK), "quote": made.quote, "amount": 1, "total": 1, "price": 1},
    )

    assert response.get_json()["status"] == "processing"
    [intent] = intents()
    assert (intent.amount, intent.currency, intent.status) == (5490, "eur", "succeeded")
    assert intent.metadata.to_dict() == {"checkout": made.token, "attempt": "1"}
    checkout = made.checkout()
    assert (checkout.total, checkout.payment_intent_id) == (5490, intent.id)


@pytest.mark.parametrize("change", ["price", "line_added", "shipping_rate", "no_quote"])
def test_a_changed_total_is_shown_before_the_card_is_charged(
    stripe_app, buyer, card, variant, intents, stock, monkeypatch, change
) -> None:
    variant_id = variant(price=2500, inventory_quantity=5)
    made = buyer([(variant_id, 2)])
    shown_quote = made.quote
    expected = {"price": 6490, "line_added": 6490, "shipping_rate": 5590, "no_quote": 5490}[change]
    with stripe_app.app_context():
        if change == "price":
            db.session.get(Variant, variant_id).price = 3000
        elif change == "line_added":
            cart_id = made.checkout().cart_id
            db.session.add(CartLine(cart_id=cart_id, variant_id=variant(price=1000), quantity=1))
        db.session.commit()
    if change == "shipping_rate":
        monkeypatch.setitem(stripe_app.config, "SHIPPING_DOMESTIC", "5.90")

    response = made.pay(card(CARD_OK), quote="" if change == "no_quote" else shown_quote)

    assert response.status_code == 409
    body = response.get_json()
    assert body["error"]["code"] == "quote_changed"
    total_text = f"€{expected // 100}.{expected % 100:02d}"
    assert body["error"]["message"] == (
        f"Your order changed since the total was shown. The new total is {total_text}."
    )
    assert (body["checkout"]["total"], body["checkout"]["status"]) == (expected, "open")
    assert intents() == []  # nothing charged, not even an intent
    assert stock(variant_id) == 5
    assert made.checkout().holds_active is False

    again = made.pay(card(CARD_OK), quote=body["checkout"]["quote"])

    assert again.get_json()["status"] == "processing"
    assert [intent.amount for intent in intents()] == [expected]


@pytest.mark.parametrize(
    ("left", "message"),
    [
        (0, "Sorry, Terracotta Pot has just sold out. Remove it from your cart to continue."),
        (1, "Sorry, only 1 of Terracotta Pot is left. Change the quantity in your cart to continue."),
    ],
)
def test_stock_gone_since_the_card_was_shown(
    stripe_app, buyer, card, variant, intents, left, message
) -> None:
    variant_id = variant(inventory_quantity=5)
    made = buyer([(variant_id, 2)])
    with stripe_app.app_context():
        db.session.get(Variant, variant_id).inventory_quantity = left
        db.session.commit()

    response = made.pay(card(CARD_OK))

    assert response.status_code == 409
    assert response.get_json()["error"] == {"code": "out_of_stock", "message": message}
    assert response.get_json()["checkout"]["status"] == "open"
    assert intents() == []


def test_paying_needs_a_card_and_details(buyer, card) -> None:
    made = buyer(details=None)
    assert made.pay(card(CARD_OK)).get_json()["error"] == {
        "code": "invalid",
        "message": "Please fill in your details first.",
    }
    made.details()
    for method in ("", "card_123", "pm_<script>", None):
        response = made.pay(method)
        assert response.status_code == 400
        assert response.get_json()["error"]["code"] == "invalid"
    not_json = made.http.post(made.url("pay"), data="[]", content_type="application/json")
    assert not_json.get_json()["error"]["code"] == "invalid"


def test_paying_again_while_charged_and_once_paid(buyer, card, webhook, intents) -> None:
    made = buyer()
    assert made.pay(card(CARD_OK)).get_json()["status"] == "processing"

    twice = made.pay(card(CARD_OK))
    assert twice.status_code == 409
    assert twice.get_json()["error"]["code"] == "in_progress"
    assert made.details(city="Paris").get_json()["error"]["code"] == "closed"

    webhook(made.checkout().payment_intent_id)
    resent = made.pay(card(CARD_OK))
    assert resent.status_code == 200
    assert resent.get_json()["status"] == "paid"
    assert len(intents()) == 1


@pytest.mark.parametrize("_app", ["postgresql"], indirect=True)
def test_a_double_click_charges_once(stripe_app, buyer, card, intents) -> None:
    made = buyer()
    methods = [card(CARD_OK), card(CARD_OK)]
    barrier = threading.Barrier(2)
    answers: list[dict] = []

    def click(method: str) -> None:
        http = stripe_app.test_client()
        http.set_cookie("shopper", made.http.get_cookie("shopper").value)
        barrier.wait()
        response = http.post(made.url("pay"), json={"payment_method": method, "quote": made.quote})
        answers.append(response.get_json())

    threads = [threading.Thread(target=click, args=(method,)) for method in methods]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    outcomes = sorted(answer.get("status") or answer["error"]["code"] for answer in answers)
    assert outcomes == ["in_progress", "processing"]
    assert len(intents()) == 1


# --- Declined cards and 3-D Secure ------------------------------------------------------------------------


def test_a_declined_card_gives_the_banks_reason_then_another_card_pays(
    stripe_app, buyer, card, variant, stock, intents, webhook
) -> None:
    variant_id = variant(inventory_quantity=5)
    made = buyer([(variant_id, 2)])

    declined = made.pay(card(CARD_DECLINED))

    assert declined.status_code == 402
    body = declined.get_json()
    assert body["error"] == {"code": "card_declined", "message": "Your card was declined."}
    assert body["payment"]["setup_client_secret"].startswith("seti_")  # for the next card
    assert body["checkout"]["status"] == "open"
    assert body["checkout"]["last_error"] == "Your card was declined."
    assert stock(variant_id) == 5
    [failed] = intents()
    assert failed.status == "requires_payment_method"
    [note] = [m for m in made.messages() if m.type == "system"]
    assert note.text == "Payment declined: Your card was declined."
    assert note.data == {"event": "payment_failed", "name": "Your card was declined.", "checkout": made.token}

    paid = made.pay(card(CARD_OK), quote=body["checkout"]["quote"])

    assert paid.get_json()["status"] == "processing"
    assert paid.get_json()["checkout"]["last_error"] is None
    assert stock(variant_id) == 3
    assert webhook(made.checkout().payment_intent_id).status_code == 200
    assert made.checkout().status == "paid"


def test_3d_secure_completed_then_sync(
    stripe_app, buyer, card, variant, stock, authenticate, webhook
) -> None:
    variant_id = variant(inventory_quantity=5)
    made = buyer([(variant_id, 2)])

    answer = made.pay(card(CARD_3DS)).get_json()

    assert answer["status"] == "requires_action"
    assert re.fullmatch(r"pi_\w+_secret_\w+", answer["client_secret"])
    assert (made.checkout().status, made.checkout().holds_active) == ("requires_action", True)
    assert stock(variant_id) == 3
    assert authenticate(answer["client_secret"])["status"] == "succeeded"

    synced = made.sync()

    assert synced.status_code == 200
    assert synced.get_json()["status"] == "processing"
    assert synced.get_json()["payment"] is None
    assert made.checkout().status == "processing"
    with stripe_app.app_context():
        assert db.session.scalar(sa.select(Order)) is None  # still only the webhook
    webhook(made.checkout().payment_intent_id)
    assert made.sync().get_json()["status"] == "paid"
    assert stock(variant_id) == 3


def test_3d_secure_completed_and_the_webhook_came_first(buyer, card, authenticate, webhook) -> None:
    made = buyer()
    answer = made.pay(card(CARD_3DS)).get_json()
    authenticate(answer["client_secret"])
    webhook(made.checkout().payment_intent_id)

    synced = made.sync()

    assert synced.get_json()["status"] == "paid"
    assert synced.get_json()["checkout"]["order"]["number"] == 1001


def test_3d_secure_failed(buyer, card, variant, stock, authenticate) -> None:
    variant_id = variant(inventory_quantity=5)
    made = buyer([(variant_id, 2)])
    answer = made.pay(card(CARD_3DS)).get_json()
    authenticate(answer["client_secret"], success=False)

    synced = made.sync()

    assert synced.status_code == 402
    assert synced.get_json()["error"] == {
        "code": "card_declined",
        "message": "The provided PaymentMethod has failed authentication.",
    }
    assert synced.get_json()["payment"]["setup_client_secret"].startswith("seti_")
    assert stock(variant_id) == 5
    assert made.pay(card(CARD_OK)).get_json()["status"] == "processing"


def test_3d_secure_window_closed(buyer, card, variant, stock, intents) -> None:
    variant_id = variant(inventory_quantity=5)
    made = buyer([(variant_id, 2)])
    assert made.pay(card(CARD_3DS)).get_json()["status"] == "requires_action"

    synced = made.sync()

    assert synced.status_code == 402
    assert synced.get_json()["error"]["message"] == "The card's security check was not completed."
    assert [intent.status for intent in intents()] == ["canceled"]
    assert (made.checkout().status, made.checkout().holds_active) == ("open", False)
    assert stock(variant_id) == 5
    assert made.pay(card(CARD_OK)).get_json()["status"] == "processing"
    assert stock(variant_id) == 3


def test_3d_secure_abandoned_is_released_by_the_expiry_task(
    buyer, card, variant, stock, intents, expire_holds
) -> None:
    variant_id = variant(inventory_quantity=5)
    made = buyer([(variant_id, 2)])
    assert made.pay(card(CARD_3DS)).get_json()["status"] == "requires_action"

    assert expire_holds() == 0  # not yet
    assert stock(variant_id) == 3
    assert expire_holds(utcnow() + LATER) == 1

    assert stock(variant_id) == 5
    assert [intent.status for intent in intents()] == ["canceled"]
    checkout = made.checkout()
    assert (checkout.status, checkout.holds_active) == ("open", False)
    assert checkout.last_error == "The payment took too long and was cancelled."
    notes = [m.text for m in made.messages() if m.type == "system"]
    assert notes == ["Payment declined: The payment took too long and was cancelled."]
    # The shopper comes back from the bank's window after all: told, and may pay again.
    synced = made.sync()
    assert synced.status_code == 402
    assert synced.get_json()["error"]["message"] == "The payment took too long and was cancelled."
    assert expire_holds(utcnow() + LATER) == 0
    assert made.pay(card(CARD_OK)).get_json()["status"] == "processing"


def test_the_expiry_task_leaves_charged_payments_alone(
    buyer, card, variant, stock, authenticate, webhook, expire_holds
) -> None:
    variant_id = variant(inventory_quantity=5)
    charged = buyer([(variant_id, 1)])
    assert charged.pay(card(CARD_OK)).get_json()["status"] == "processing"
    authenticated = buyer([(variant_id, 1)])
    answer = authenticated.pay(card(CARD_3DS)).get_json()
    authenticate(answer["client_secret"])  # charged, but the browser has not called /sync yet

    assert expire_holds(utcnow() + LATER) == 0

    assert stock(variant_id) == 3
    assert authenticated.checkout().status == "requires_action"
    assert webhook(authenticated.checkout().payment_intent_id).status_code == 200
    assert webhook(charged.checkout().payment_intent_id).status_code == 200
    assert charged.checkout().status == authenticated.checkout().status == "paid"
    assert stock(variant_id) == 3


# --- Sellers and the conversation --------------------------------------------------------------------------


def test_the_order_records_its_conversation_and_seller(
    stripe_app, buyer, card, webhook, make_seller, paid_order
) -> None:
    seller_http = make_seller()
    made = buyer()
    conversation_id = made.checkout().conversation_id
    with stripe_app.app_context():
        chat_service.claim(conversation_id, db.session.get(Seller, seller_http.seller_id))

    order_id = paid_order(made=made).id

    unattended = paid_order()
    with stripe_app.app_context():
        order = db.session.get(Order, order_id)
        assert (order.conversation_id, order.seller_id) == (conversation_id, seller_http.seller_id)
        other = db.session.get(Order, unattended.id)
        assert other.conversation_id == unattended.buyer.checkout().conversation_id
        assert other.seller_id is None


def test_a_seller_sends_the_checkout_card(stripe_app, cart_shopper, make_seller, conversation_of) -> None:
    shopper = cart_shopper([({"price": 2500}, 1)])
    conversation_id = conversation_of(shopper)
    url = f"/payments/seller/conversations/{conversation_id}/checkout"
    assert stripe_app.test_client().post(url, json={}).status_code == 401
    seller_http = make_seller()

    response = seller_http.post(url, json={})

    assert response.status_code == 200
    checkout = response.get_json()["checkout"]
    assert checkout["total"] == 2990
    assert shopper.get(f"/payments/checkout/{checkout['token']}").status_code == 200  # the shopper's own
    assert seller_http.post("/payments/seller/conversations/999999/checkout", json={}).status_code == 404
    with stripe_app.app_context():
        [card] = [m for m in chat_service.messages_after(conversation_id, 0) if m.type == "checkout"]
    assert card.data["checkout"]["token"] == checkout["token"]


def test_a_seller_cannot_send_a_checkout_for_an_empty_cart(stripe_app, make_seller, conversation_of) -> None:
    shopper = stripe_app.test_client()
    shopper.post("/chat/session")
    response = make_seller().post(
        f"/payments/seller/conversations/{conversation_of(shopper)}/checkout", json={}
    )
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "empty_cart"


def test_asking_for_order_status_posts_the_last_orders(stripe_app, buyer, paid_order) -> None:
    made = buyer()
    empty = made.http.post("/payments/orders/status", json={})
    assert empty.get_json() == {"ok": True, "orders": []}
    [note] = [m for m in made.messages() if m.type == "system"]
    assert (note.text, note.data["event"]) == ("No orders yet", "no_orders")

    paid = [paid_order(made=made)]
    for _ in range(3):
        paid.append(paid_order(made=buyer(http=made.http)))
    response = made.http.post("/payments/orders/status", json={})

    numbers = [order["number"] for order in response.get_json()["orders"]]
    assert numbers == [1004, 1003, 1002]
    cards = made.messages("status")
    assert [m.data["order"]["number"] for m in cards] == [1002, 1003, 1004]
    assert cards[0].data["order"]["status_text"] == "Paid — being prepared"
    assert cards[0].text == "Order #1002: paid (€54.90)"
    assert stripe_app.test_client().post("/payments/orders/status", json={}).status_code == 404


def test_json_calls_need_the_csrf_header(stripe_app, buyer, card, webhook, monkeypatch) -> None:
    made = buyer()
    monkeypatch.setitem(stripe_app.config, "WTF_CSRF_ENABLED", True)

    refused = made.pay(card(CARD_OK))

    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "csrf"
    assert made.checkout().status == "open"
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', made.http.get("/").get_data(as_text=True))
    assert token is not None
    paid = made.http.post(
        made.url("pay"),
        json={"payment_method": card(CARD_OK), "quote": made.quote},
        headers={"X-CSRFToken": token.group(1)},
    )
    assert paid.get_json()["status"] == "processing"
    # Stripe has no CSRF token: the webhook is exempt, its signature is the proof.
    assert webhook(made.checkout().payment_intent_id).status_code == 200
    assert made.checkout().status == "paid"


def test_the_background_loop_releases_abandoned_holds(
    stripe_app, buyer, card, variant, stock, monkeypatch
) -> None:
    """The expiry runs in the server's background loop: an app context, no request, no browser language."""
    monkeypatch.setitem(stripe_app.config, "CHECKOUT_HOLD_MINUTES", 0)
    variant_id = variant(inventory_quantity=5)
    made = buyer([(variant_id, 2)])
    assert made.pay(card(CARD_3DS)).get_json()["status"] == "requires_action"
    assert stock(variant_id) == 3

    tasks.run_once(stripe_app)

    assert stock(variant_id) == 5
    assert made.checkout().last_error == "The payment took too long and was cancelled."


def test_stripe_failing_during_the_payment_gives_the_stock_back(
    buyer, card, variant, stock, intents, monkeypatch
) -> None:
    variant_id = variant(inventory_quantity=5)
    made = buyer([(variant_id, 2)])

    def unreachable(*args, **kwargs):
        raise gateway.GatewayError("connection reset")

    monkeypatch.setattr(gateway, "confirm_payment_intent", unreachable)
    response = made.pay(card(CARD_OK))

    assert response.status_code == 502
    assert response.get_json()["error"] == {
        "code": "payment_error",
        "message": "The payment could not be made. Please try again.",
    }
    assert response.get_json()["checkout"]["status"] == "open"
    assert stock(variant_id) == 5
    assert [intent.status for intent in intents()] == ["canceled"]  # never to be charged later
    monkeypatch.undo()
    assert made.pay(card(CARD_OK)).get_json()["status"] == "processing"


def test_a_payment_request_that_died_gives_its_stock_back_at_expiry(
    buyer, card, variant, stock, intents, expire_holds, monkeypatch
) -> None:
    variant_id = variant(inventory_quantity=5)
    made = buyer([(variant_id, 2)])

    class ProcessKilled(BaseException):
        pass

    def die(*args, **kwargs):
        raise ProcessKilled

    monkeypatch.setattr(gateway, "confirm_payment_intent", die)
    with pytest.raises(ProcessKilled):
        made.pay(card(CARD_OK))
    monkeypatch.undo()
    assert (made.checkout().status, stock(variant_id)) == ("paying", 3)

    assert expire_holds(utcnow() + LATER) == 1

    assert (made.checkout().status, stock(variant_id)) == ("open", 5)
    assert [intent.status for intent in intents()] == ["canceled"]
    assert made.pay(card(CARD_OK)).get_json()["status"] == "processing"
