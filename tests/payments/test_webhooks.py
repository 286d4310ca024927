"""The Stripe webhook: signature on the raw body, one effect per event id, events in any order.

Events are built by the test from the intent's real state in localstripe and signed with the endpoint's
secret, as Stripe would send them.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from extensions import db
from payments import stripe_gateway as gateway
from payments import webhooks
from payments.models import StripeEvent
from shop.models import Cart
from tests.payments.conftest import CARD_DECLINED, CARD_OK, Buyer

SUCCEEDED = "payment_intent.succeeded"
FAILED = "payment_intent.payment_failed"


@pytest.fixture
def charged(buyer, card, variant) -> Callable[..., Buyer]:
    """A shopper whose card was charged for 2 units of a variant with 5 in stock: waiting for the webhook."""

    def make() -> Buyer:
        made = buyer([(variant(inventory_quantity=5), 2)])
        answer = made.pay(card(CARD_OK))
        assert answer.get_json()["status"] == "processing", answer.get_json()
        return made

    return make


# --- Signatures ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "case",
    ["missing", "wrong_secret", "altered_body", "stale", "malformed_header", "not_json", "no_secret_set"],
)
def test_a_bad_signature_is_refused_and_changes_nothing(
    stripe_app, charged, signed, intent_event, webhook, orders, monkeypatch, case
) -> None:
    made = charged()
    intent_id = made.checkout().payment_intent_id
    event = intent_event(intent_id)
    body, header = signed(event)
    if case == "missing":
        header = ""
    elif case == "wrong_secret":
        body, header = signed(event, secret="whsec_someone_else")
    elif case == "altered_body":
        event["data"]["object"]["amount"] = 1
        body = json.dumps(event).encode()
    elif case == "stale":
        body, header = signed(
            event, timestamp=int(time.time()) - stripe_app.config["STRIPE_WEBHOOK_TOLERANCE"] - 5
        )
    elif case == "malformed_header":
        header = "t=yesterday,v1=nothing"
    elif case == "not_json":
        body, header = signed(b"payment_intent.succeeded " + intent_id.encode())
    elif case == "no_secret_set":
        monkeypatch.setitem(stripe_app.config, "STRIPE_WEBHOOK_SECRET", None)

    response = stripe_app.test_client().post(
        "/payments/webhook", data=body, headers={"Stripe-Signature": header} if header else {}
    )

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_signature"
    assert orders() == []
    assert made.checkout().status == "processing"
    with stripe_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(StripeEvent)) == 0
    monkeypatch.undo()
    # The event id was not used up: Stripe's genuine delivery still works.
    assert webhook(intent_id, event_id=event["id"]).status_code == 200
    assert made.checkout().status == "paid"


# --- Only the webhook marks an order paid -----------------------------------------------------------------


def test_only_the_webhook_makes_the_order(stripe_app, charged, webhook, orders, stock) -> None:
    made = charged()
    checkout = made.checkout()
    variant_id = checkout.lines[0]["variant_id"]
    assert made.show().get_json()["checkout"]["status"] == "processing"
    assert made.http.post("/payments/orders/status", json={}).get_json()["orders"] == []
    assert orders() == []
    assert stock(variant_id) == 3  # held while the payment is confirmed

    response = webhook(checkout.payment_intent_id)

    assert response.status_code == 200
    assert response.get_json() == {"ok": True, "duplicate": False}
    [order] = orders()
    assert (order.status, order.total, order.payment_intent_id) == ("paid", 5490, checkout.payment_intent_id)
    assert order.conversation_id == checkout.conversation_id
    assert (order.shipping_name, order.city, order.email) == ("Ana Silva", "Lyon", "ana@example.com")
    shown = made.show().get_json()["checkout"]
    assert shown["status"] == "paid"
    assert shown["order"]["number"] == order.number
    assert stock(variant_id) == 3
    [confirmed] = made.messages("confirmed")
    assert confirmed.data["order"]["total_text"] == "€54.90"
    assert confirmed.text.startswith(f"Order #{order.number} confirmed: €54.90.")
    with stripe_app.app_context():
        assert db.session.get(Cart, checkout.cart_id).status == "ordered"
        assert db.session.scalar(sa.select(StripeEvent.type)) == SUCCEEDED


def test_an_event_about_another_payment_is_ignored(stripe_app, stripe_api, card, webhook, orders) -> None:
    intent = stripe_api.v1.payment_intents.create(
        {
            "amount": 1000,
            "currency": "eur",
            "payment_method_types": ["card"],
            "payment_method": card(),
            "confirm": True,
            "metadata": {"order": "elsewhere"},
        }
    )
    assert webhook(intent.id).status_code == 200
    assert orders() == []
    assert list(stripe_api.v1.refunds.list({"payment_intent": intent.id})) == []


def test_an_event_type_not_handled_is_recorded_and_ignored(stripe_app, charged, signed, orders) -> None:
    made = charged()
    body, header = signed({"id": "evt_customer", "object": "event", "type": "customer.created",
                           "data": {"object": {"id": "cus_1", "object": "customer"}}})  # fmt: skip
    response = stripe_app.test_client().post(
        "/payments/webhook", data=body, headers={"Stripe-Signature": header}
    )
    assert response.status_code == 200
    assert orders() == []
    assert made.checkout().status == "processing"


def test_a_payment_the_checkout_no_longer_expects_is_refunded(
    stripe_app, charged, stripe_api, card, webhook, orders
) -> None:
    """E.g. a second tab charged an older attempt: its money goes back, the checkout is not touched."""
    made = charged()
    stray = stripe_api.v1.payment_intents.create(
        {
            "amount": 5490,
            "currency": "eur",
            "payment_method_types": ["card"],
            "payment_method": card(),
            "confirm": True,
            "metadata": {"checkout": made.token, "attempt": "0"},
        }
    )
    assert stray.status == "succeeded"

    assert webhook(stray.id).status_code == 200

    [refund] = stripe_api.v1.refunds.list({"payment_intent": stray.id})
    assert refund.amount == 5490
    assert orders() == []
    assert made.checkout().status == "processing"


# --- Replays and duplicates ------------------------------------------------------------------------------


def test_a_replayed_event_does_nothing(stripe_app, charged, signed, intent_event, orders, stock) -> None:
    made = charged()
    checkout = made.checkout()
    body, header = signed(intent_event(checkout.payment_intent_id))
    first = stripe_app.test_client().post(
        "/payments/webhook", data=body, headers={"Stripe-Signature": header}
    )
    again = stripe_app.test_client().post(
        "/payments/webhook", data=body, headers={"Stripe-Signature": header}
    )
    resigned_body, resigned = signed(json.loads(body), timestamp=int(time.time()) + 1)
    later = stripe_app.test_client().post(
        "/payments/webhook", data=resigned_body, headers={"Stripe-Signature": resigned}
    )

    assert first.get_json() == {"ok": True, "duplicate": False}
    assert again.status_code == later.status_code == 200  # Stripe must not retry it
    assert again.get_json()["duplicate"]
    assert later.get_json()["duplicate"]
    assert len(orders()) == 1
    assert len(made.messages("confirmed")) == 1
    assert stock(checkout.lines[0]["variant_id"]) == 3


def test_another_succeeded_event_for_a_paid_payment_does_nothing(charged, webhook, orders) -> None:
    made = charged()
    intent_id = made.checkout().payment_intent_id
    assert webhook(intent_id).get_json()["duplicate"] is False
    assert webhook(intent_id).get_json()["duplicate"] is False  # a new event id, same payment
    assert len(orders()) == 1
    assert len(made.messages("confirmed")) == 1


@pytest.mark.parametrize("_app", ["postgresql"], indirect=True)
@pytest.mark.parametrize("same_event_id", [True, False], ids=["same_event", "distinct_events"])
def test_deliveries_racing_make_one_order(
    stripe_app, charged, signed, intent_event, orders, stock, same_event_id
) -> None:
    """Stripe retrying while the first delivery is still running: one order, one confirmation."""
    made = charged()
    checkout = made.checkout()
    event = intent_event(checkout.payment_intent_id)
    deliveries = []
    for n in range(8):
        deliveries.append(signed(event if same_event_id else {**event, "id": f"{event['id']}_{n}"}))
    barrier = threading.Barrier(len(deliveries))
    answers: list[dict] = []

    def deliver(body: bytes, header: str) -> None:
        http = stripe_app.test_client()
        barrier.wait()
        response = http.post("/payments/webhook", data=body, headers={"Stripe-Signature": header})
        answers.append({"status": response.status_code, **response.get_json()})

    threads = [threading.Thread(target=deliver, args=delivery) for delivery in deliveries]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert [answer["status"] for answer in answers] == [200] * len(deliveries)
    if same_event_id:
        assert sorted(answer["duplicate"] for answer in answers) == [False] + [True] * 7
    assert len(orders()) == 1
    assert len(made.messages("confirmed")) == 1
    assert stock(checkout.lines[0]["variant_id"]) == 3


def test_an_event_whose_handling_failed_is_handled_when_stripe_retries(
    stripe_app, charged, signed, intent_event, orders, monkeypatch
) -> None:
    """The event id is recorded in the same transaction as its effects: a crash leaves it unrecorded."""
    made = charged()
    body, header = signed(intent_event(made.checkout().payment_intent_id))

    def crash(*args, **kwargs):
        raise RuntimeError("the process died")

    monkeypatch.setattr(webhooks, "create_from_checkout", crash)
    with pytest.raises(RuntimeError):
        stripe_app.test_client().post("/payments/webhook", data=body, headers={"Stripe-Signature": header})
    monkeypatch.undo()
    assert orders() == []

    retry = stripe_app.test_client().post(
        "/payments/webhook", data=body, headers={"Stripe-Signature": header}
    )

    assert retry.get_json() == {"ok": True, "duplicate": False}
    assert len(orders()) == 1
    assert made.checkout().status == "paid"


# --- Events in any order ---------------------------------------------------------------------------------


@pytest.mark.parametrize("order", ["failed_first", "succeeded_first"])
def test_a_declined_card_then_another_card_in_any_order(
    stripe_app, buyer, card, variant, webhook, orders, stock, stripe_api, order
) -> None:
    variant_id = variant(inventory_quantity=5)
    made = buyer([(variant_id, 2)])
    declined = made.pay(card(CARD_DECLINED))
    assert declined.status_code == 402
    first_intent = made.checkout().payment_intent_id
    assert made.pay(card(CARD_OK)).get_json()["status"] == "processing"
    second_intent = made.checkout().payment_intent_id
    assert first_intent != second_intent
    events = [(first_intent, FAILED), (second_intent, SUCCEEDED)]

    for intent_id, type_ in events if order == "failed_first" else events[::-1]:
        assert webhook(intent_id, type_).status_code == 200

    [order_row] = orders()
    assert (order_row.payment_intent_id, order_row.total) == (second_intent, 5490)
    assert made.checkout().status == "paid"
    assert stock(variant_id) == 3
    assert len(made.messages("payment_failed")) == 1  # the one /pay posted; the late failure adds nothing
    assert list(stripe_api.v1.refunds.list({"payment_intent": second_intent})) == []


@pytest.mark.parametrize("order", ["succeeded_first", "failed_first"])
def test_succeeded_and_failed_about_one_payment_in_any_order(
    stripe_app, charged, intent_event, signed, orders, stock, stripe_api, order
) -> None:
    """A failure reported about the payment that then succeeded (or a stale one after it): one paid order,
    its units taken once (a failure first releases them, the success takes them again)."""
    made = charged()
    checkout = made.checkout()
    succeeded = intent_event(checkout.payment_intent_id)
    failed = intent_event(checkout.payment_intent_id, FAILED)
    failed["data"]["object"].update(
        status="requires_payment_method",
        last_payment_error={"code": "card_declined", "message": "Your card was declined."},
    )
    events = [succeeded, failed] if order == "succeeded_first" else [failed, succeeded]

    for event in events:
        body, header = signed(event)
        response = stripe_app.test_client().post(
            "/payments/webhook", data=body, headers={"Stripe-Signature": header}
        )
        assert response.status_code == 200

    [order_row] = orders()
    assert order_row.status == "paid"
    assert made.checkout().status == "paid"
    assert stock(checkout.lines[0]["variant_id"]) == 3
    assert list(stripe_api.v1.refunds.list({"payment_intent": checkout.payment_intent_id})) == []
    assert len(made.messages("confirmed")) == 1


def test_a_failure_reported_before_the_shopper_returns_from_3d_secure(
    stripe_app, buyer, card, variant, authenticate, webhook, stock
) -> None:
    variant_id = variant(inventory_quantity=5)
    made = buyer([(variant_id, 2)])
    answer = made.pay(card("4000002500003155")).get_json()
    assert answer["status"] == "requires_action"
    authenticate(answer["client_secret"], success=False)

    assert webhook(made.checkout().payment_intent_id, FAILED).status_code == 200

    checkout = made.checkout()
    assert (checkout.status, checkout.holds_active) == ("open", False)
    assert stock(variant_id) == 5
    [decline] = made.messages("payment_failed")
    assert decline.text == "Payment declined: The provided PaymentMethod has failed authentication."
    synced = made.sync()  # the browser comes back from the bank's window
    assert synced.status_code == 402
    body = synced.get_json()
    assert body["error"] == {
        "code": "card_declined",
        "message": "The provided PaymentMethod has failed authentication.",
    }
    assert body["payment"]["setup_client_secret"].startswith("seti_")
    assert len(made.messages("payment_failed")) == 1


def test_the_webhook_may_come_before_pay_answers(
    stripe_app, buyer, card, webhook, orders, monkeypatch
) -> None:
    """Stripe can be faster than our own request: /pay then answers that the order is paid."""
    made = buyer()
    confirm = gateway.confirm_payment_intent

    def confirm_then_webhook(intent_id, *args, **kwargs):
        intent = confirm(intent_id, *args, **kwargs)
        assert webhook(intent_id).status_code == 200
        return intent

    monkeypatch.setattr(gateway, "confirm_payment_intent", confirm_then_webhook)
    answer = made.pay(card(CARD_OK))

    assert answer.status_code == 200
    assert answer.get_json()["status"] == "paid"
    assert answer.get_json()["checkout"]["order"] is not None
    assert len(orders()) == 1
    assert made.checkout().status == "paid"
