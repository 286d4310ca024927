"""No overselling: shoppers paying at once for the last units, and a payment confirmed after its stock went.

These tests use real threads, so they run on a SQLite *file* (in-memory SQLite gives every thread the same
connection) and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask

from extensions import db
from payments import stripe_gateway as gateway
from payments.models import Checkout
from tests.payments.conftest import CARD_3DS, CARD_OK, Buyer

#: (shoppers, units in stock) for each database.
CROWD = {"sqlite": (20, 5), "postgresql": (50, 10)}


@pytest.fixture(scope="module")
def _app(threaded_app: Flask) -> Flask:
    """Real threads: the app on a SQLite file or on PostgreSQL (tests/payments/conftest.py)."""
    return threaded_app


@pytest.fixture
def crowd(stripe_app: Flask) -> tuple[int, int]:
    return CROWD[stripe_app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0].split("+")[0]]


def test_the_last_units_go_to_exactly_as_many_shoppers(
    stripe_app, crowd, buyer, card, variant, stock, stripe_api, webhook, orders, at_once
) -> None:
    shoppers, units = crowd
    variant_id = variant(inventory_quantity=units)
    buyers: list[Buyer] = [buyer([(variant_id, 1)]) for _ in range(shoppers)]
    methods = [card(CARD_OK) for _ in buyers]

    answers = at_once([lambda b=b, m=m: b.pay(m) for b, m in zip(buyers, methods, strict=True)])

    paying = [b for b, answer in zip(buyers, answers, strict=True) if answer.status_code == 200]
    refused = [answer for answer in answers if answer.status_code != 200]
    assert len(paying) == units
    assert {answer.get_json()["status"] for answer in answers if answer.status_code == 200} == {"processing"}
    assert len(refused) == shoppers - units
    for answer in refused:
        assert answer.status_code == 409
        assert answer.get_json()["error"] == {
            "code": "out_of_stock",
            "message": "Sorry, Terracotta Pot has just sold out. Remove it from your cart to continue.",
        }
        assert answer.get_json()["checkout"]["status"] == "open"
    assert stock(variant_id) == 0
    with stripe_app.app_context():
        held = db.session.scalars(sa.select(Checkout).filter_by(holds_active=True)).all()
        assert sorted(c.token for c in held) == sorted(b.token for b in paying)
        assert {c.status for c in held} == {"processing"}
    # Told before their card was charged: Stripe only ever saw the payments that got the units.
    intents = list(stripe_api.v1.payment_intents.list({"limit": 100}))
    assert len(intents) == units
    assert {intent.status for intent in intents} == {"succeeded"}
    assert {intent.metadata["checkout"] for intent in intents} == {b.token for b in paying}

    delivered = at_once([lambda b=b: webhook(b.checkout().payment_intent_id) for b in paying])

    assert [response.status_code for response in delivered] == [200] * units
    paid = orders()
    assert len(paid) == units
    assert {order.status for order in paid} == {"paid"}
    assert len({order.number for order in paid}) == units
    assert stock(variant_id) == 0


@pytest.fixture
def charged_then_released(
    buyer, card, authenticate, stripe_app, intent_event, signed
) -> Callable[..., Buyer]:
    """A shopper charged after 3-D Secure whose units were released before the success was known: a stale
    `payment_failed` (an earlier authentication try) was delivered first and gave the hold back."""

    def make(lines: list) -> Buyer:
        made = buyer(lines)
        answer = made.pay(card(CARD_3DS)).get_json()
        assert answer["status"] == "requires_action"
        assert authenticate(answer["client_secret"])["status"] == "succeeded"
        event = intent_event(made.checkout().payment_intent_id, "payment_intent.payment_failed")
        event["data"]["object"].update(
            status="requires_payment_method",
            last_payment_error={"message": "The provided PaymentMethod has failed authentication."},
        )
        body, header = signed(event)
        response = stripe_app.test_client().post(
            "/payments/webhook", data=body, headers={"Stripe-Signature": header}
        )
        assert response.status_code == 200
        assert made.checkout().holds_active is False
        return made

    return make


def test_a_payment_confirmed_after_its_units_were_sold_is_refunded(
    stripe_app, buyer, card, variant, stock, charged_then_released, webhook, stripe_api, orders
) -> None:
    variant_id = variant(inventory_quantity=1)
    late = charged_then_released([(variant_id, 1)])
    assert stock(variant_id) == 1
    quick = buyer([(variant_id, 1)])
    assert quick.pay(card(CARD_OK)).get_json()["status"] == "processing"
    assert webhook(quick.checkout().payment_intent_id).status_code == 200
    assert stock(variant_id) == 0

    response = webhook(late.checkout().payment_intent_id)

    assert response.status_code == 200
    assert [order.payment_intent_id for order in orders()] == [quick.checkout().payment_intent_id]
    checkout = late.checkout()
    assert (checkout.status, checkout.holds_active, checkout.order_id) == ("cancelled", False, None)
    [refund] = stripe_api.v1.refunds.list({"payment_intent": checkout.payment_intent_id})
    assert refund.amount == checkout.total == 2990
    [note] = late.messages("refunded_sold_out")
    assert note.text == (
        "Sorry, Terracotta Pot sold out while your payment was being confirmed. "
        "Your payment of €29.90 has been refunded in full."
    )
    assert stock(variant_id) == 0
    assert late.sync().get_json()["status"] == "cancelled"
    assert webhook(checkout.payment_intent_id).status_code == 200  # told again: no second refund
    assert len(list(stripe_api.v1.refunds.list({"payment_intent": checkout.payment_intent_id}))) == 1


def test_an_automatic_refund_stripe_refuses_is_not_announced_as_done(
    stripe_app, buyer, card, variant, charged_then_released, webhook, stripe_api, monkeypatch, caplog
) -> None:
    variant_id = variant(inventory_quantity=1)
    late = charged_then_released([(variant_id, 1)])
    quick = buyer([(variant_id, 1)])
    quick.pay(card(CARD_OK))
    webhook(quick.checkout().payment_intent_id)

    def refused(*args, **kwargs):
        raise gateway.GatewayError("Stripe is down")

    monkeypatch.setattr(gateway, "refund", refused)
    assert webhook(late.checkout().payment_intent_id).status_code == 200

    assert late.checkout().status == "cancelled"
    assert list(stripe_api.v1.refunds.list({"payment_intent": late.checkout().payment_intent_id})) == []
    assert "automatic refund of" in caplog.text
    [note] = late.messages("refund_failed_sold_out")
    assert note.text == (
        "Sorry, Terracotta Pot sold out while your payment was being confirmed. "
        "Your payment of €29.90 will be refunded by the shop."
    )


def test_a_payment_confirmed_after_its_hold_was_released_takes_the_units_again(
    variant, stock, charged_then_released, webhook, stripe_api, orders
) -> None:
    variant_id = variant(inventory_quantity=3)
    late = charged_then_released([(variant_id, 2)])
    assert stock(variant_id) == 3

    assert webhook(late.checkout().payment_intent_id).status_code == 200

    [order] = orders()
    assert (order.status, order.payment_intent_id) == ("paid", late.checkout().payment_intent_id)
    assert stock(variant_id) == 1
    assert list(stripe_api.v1.refunds.list({"payment_intent": order.payment_intent_id})) == []


def test_payments_confirmed_at_once_each_get_their_order_number(
    stripe_app, buyer, card, webhook, orders, at_once
) -> None:
    """A sale: Stripe delivers many `succeeded` events at the same moment."""
    buyers = [buyer() for _ in range(30)]
    for made in buyers:
        assert made.pay(card(CARD_OK)).get_json()["status"] == "processing"

    delivered = at_once([lambda b=b: webhook(b.checkout().payment_intent_id) for b in buyers])

    assert [response.status_code for response in delivered] == [200] * len(buyers)
    assert sorted(order.number for order in orders()) == list(range(1001, 1001 + len(buyers)))
    assert {made.checkout().status for made in buyers} == {"paid"}
