"""The checkout end to end through HTTP against localstripe, with the webhook delivered by the test."""

from __future__ import annotations

from flask import Flask

from extensions import db
from payments.models import Checkout
from shop.models import Order, Variant
from tests.payments.conftest import DETAILS


def test_pay_then_webhook_makes_the_order(stripe_app: Flask, cart_shopper, card, intent_event, signed):
    http = cart_shopper([({"price": 2500, "inventory_quantity": 5}, 2)])
    started = http.post("/payments/checkout", json={})
    assert started.status_code == 200, started.get_json()
    checkout = started.get_json()["checkout"]
    assert checkout["subtotal"] == 5000
    assert checkout["shipping"] == 490
    assert checkout["total"] == 5490
    details = http.post(f"/payments/checkout/{checkout['token']}/details", json=DETAILS)
    assert details.status_code == 200, details.get_json()
    body = details.get_json()
    assert body["payment"]["setup_client_secret"].startswith("seti_")
    paid = http.post(
        f"/payments/checkout/{checkout['token']}/pay",
        json={"payment_method": card(), "quote": body["checkout"]["quote"]},
    )
    assert paid.status_code == 200, paid.get_json()
    assert paid.get_json()["status"] == "processing"
    with stripe_app.app_context():
        row = db.session.scalar(db.select(Checkout))
        assert row.status == "processing"
        assert row.holds_active
        assert db.session.scalar(db.select(Variant.inventory_quantity)) == 3
        assert db.session.scalar(db.select(Order)) is None  # only the webhook makes it paid
        intent_id = row.payment_intent_id
    payload, header = signed(intent_event(intent_id))
    response = http.post("/payments/webhook", data=payload, headers={"Stripe-Signature": header})
    assert response.status_code == 200, response.get_json()
    with stripe_app.app_context():
        order = db.session.scalar(db.select(Order))
        assert order.status == "paid"
        assert order.total == 5490
        assert order.conversation_id is not None
        assert db.session.scalar(db.select(Variant.inventory_quantity)) == 3
