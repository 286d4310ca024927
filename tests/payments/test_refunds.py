"""Refunds by a manager from the seller side: full or partial, never more than was paid, shown in the chat."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.test import TestResponse

from extensions import db
from payments import refunds
from payments.models import Refund
from shop.models import Order
from tests.payments.conftest import PaidOrder


@pytest.fixture
def order(paid_order) -> PaidOrder:
    """A paid order of 2 × €25.00 + €4.90 shipping = €54.90."""
    return paid_order([({"price": 2500}, 2)])


@pytest.fixture
def manager(make_seller):
    return make_seller("manager")


@pytest.fixture
def refund(order: PaidOrder) -> Callable[..., TestResponse]:
    """A seller's refund call on the order: amount as typed (None: the whole remainder)."""

    def call(http, amount: object = None, order_id: int | None = None) -> TestResponse:
        body = {} if amount is None else {"amount": amount}
        return http.post(f"/payments/seller/orders/{order_id or order.id}/refund", json=body)

    return call


@pytest.fixture
def stored(stripe_app: Flask, order: PaidOrder) -> Callable[[], Order]:
    def read() -> Order:
        with stripe_app.app_context():
            row = db.session.get(Order, order.id)
            db.session.expunge(row)
            return row

    return read


@pytest.fixture
def stripe_refunds(stripe_api, order: PaidOrder) -> Callable[[], list[int]]:
    """The amounts localstripe refunded on the order's payment, smallest first."""
    return lambda: sorted(r.amount for r in stripe_api.v1.refunds.list({"payment_intent": order.intent_id}))


@pytest.fixture
def racing(monkeypatch) -> Callable[[int], None]:
    """Make `n` refund calls all read the order (and check the amount) before any of them reserves it."""

    def arm(n: int) -> None:
        checked = threading.Barrier(n, timeout=30)
        real = refunds._amount

        def amount_then_wait(order, amount_text):
            amount = real(order, amount_text)
            checked.wait()
            return amount

        monkeypatch.setattr(refunds, "_amount", amount_then_wait)

    return arm


def test_a_partial_refund_then_the_rest(order, manager, refund, stored, stripe_refunds) -> None:
    partial = refund(manager, "12.50")

    assert partial.status_code == 200
    body = partial.get_json()["order"]
    assert (body["status"], body["status_text"]) == ("partially_refunded", "Partially refunded")
    assert (body["refunded_text"], body["refundable"]) == ("€12.50", 4240)
    assert (stored().status, stored().refunded_total) == ("partially_refunded", 1250)
    assert stripe_refunds() == [1250]
    [card] = order.buyer.messages("refunded")
    assert card.text == f"Refund of €12.50 on order #{stored().number}"
    assert card.data["amount_text"] == "€12.50"
    assert card.data["order"]["status"] == "partially_refunded"

    rest = refund(manager, "")

    assert rest.status_code == 200
    assert rest.get_json()["order"]["status"] == "refunded"
    assert rest.get_json()["order"]["refundable"] == 0
    assert (stored().status, stored().refunded_total) == ("refunded", 5490)
    assert stripe_refunds() == [1250, 4240]
    assert [c.data["amount_text"] for c in order.buyer.messages("refunded")] == ["€12.50", "€42.40"]
    assert order.buyer.messages("refunded")[-1].data["order"]["status_text"] == "Refunded"

    nothing = refund(manager, "1")
    assert nothing.status_code == 409
    assert nothing.get_json()["error"]["message"] == "Nothing is left to refund on this order."
    assert len(stripe_refunds()) == 2


def test_a_full_refund_in_one_go(order, manager, refund, stored, stripe_refunds) -> None:
    assert refund(manager).get_json()["order"]["status"] == "refunded"
    assert stored().refunded_total == order.total
    assert stripe_refunds() == [5490]


@pytest.mark.parametrize(
    ("amount", "status", "code", "message"),
    [
        ("54.91", 400, "too_much", "At most €54.90 can be refunded on this order."),
        ("1000000", 400, "too_much", "At most €54.90 can be refunded on this order."),
        ("0", 400, "invalid", "The amount to refund must be more than zero."),
        ("-5", 400, "invalid", "Enter the amount to refund, for example 12.50."),
        ("12.505", 400, "invalid", "Enter the amount to refund, for example 12.50."),
        ("twelve", 400, "invalid", "Enter the amount to refund, for example 12.50."),
        (["12"], 400, "invalid", "Enter the amount to refund, for example 12.50."),
    ],
)
def test_a_refund_amount_that_cannot_be_refunded(
    order, manager, refund, stored, stripe_refunds, amount, status, code, message
) -> None:
    response = refund(manager, amount)

    assert response.status_code == status
    assert response.get_json()["error"] == {"code": code, "message": message}
    assert (stored().status, stored().refunded_total) == ("paid", 0)
    assert stripe_refunds() == []
    assert order.buyer.messages("refunded") == []


def test_more_than_what_remains_is_refused(order, manager, refund, stored, stripe_refunds) -> None:
    refund(manager, "50")
    response = refund(manager, "5")
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == "At most €4.90 can be refunded on this order."
    assert stored().refunded_total == 5000
    assert refund(manager, "4,90").status_code == 200  # a French decimal comma
    assert stored().status == "refunded"


def test_only_a_manager_refunds(stripe_app, order, make_seller, refund, stored, stripe_refunds) -> None:
    forbidden = refund(make_seller("seller"), "10")
    assert forbidden.status_code == 403
    assert forbidden.get_json()["error"] == {
        "code": "forbidden",
        "message": "Only a manager can refund an order.",
    }
    signed_out = refund(stripe_app.test_client(), "10")
    assert signed_out.status_code == 401
    shopper = refund(order.buyer.http, "10")  # the shopper's own client: not a seller
    assert shopper.status_code == 401
    assert refund(make_seller("manager"), "10", order_id=999999).status_code == 404
    assert stored().refunded_total == 0
    assert stripe_refunds() == []


def test_a_refund_stripe_refuses_is_given_back(stripe_app, order, manager, refund, stored) -> None:
    with stripe_app.app_context():
        db.session.get(Order, order.id).payment_intent_id = "pi_unknown"
        db.session.commit()

    response = refund(manager, "10")

    assert response.status_code == 502
    assert response.get_json()["error"]["code"] == "payment_error"
    assert (stored().status, stored().refunded_total) == ("paid", 0)
    with stripe_app.app_context():
        assert db.session.scalars(sa.select(Refund.status)).all() == ["failed"]
    assert order.buyer.messages("refunded") == []


@pytest.mark.parametrize("_app", ["postgresql"], indirect=True)
def test_two_managers_refunding_at_once_never_exceed_the_total(
    stripe_app, order, make_seller, refund, stored, stripe_refunds, racing
) -> None:
    managers = [make_seller("manager") for _ in range(4)]
    racing(len(managers))
    barrier = threading.Barrier(len(managers))
    answers: list[TestResponse] = []

    def press(http) -> None:
        barrier.wait()
        answers.append(refund(http, "30"))  # 4 × €30 on a €54.90 order: only one fits

    threads = [threading.Thread(target=press, args=(http,)) for http in managers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(answer.status_code for answer in answers) == [200, 409, 409, 409]
    for answer in answers:
        if answer.status_code == 409:
            assert answer.get_json()["error"] == {
                "code": "too_much",
                "message": "At most €24.90 can be refunded on this order.",
            }
    assert (stored().status, stored().refunded_total) == ("partially_refunded", 3000)
    assert stripe_refunds() == [3000]
    assert len(order.buyer.messages("refunded")) == 1


@pytest.mark.parametrize("_app", ["postgresql"], indirect=True)
def test_refunds_racing_to_the_exact_total_leave_the_order_refunded(
    stripe_app, order, make_seller, refund, stored, stripe_refunds, racing
) -> None:
    managers = [make_seller("manager") for _ in range(2)]
    racing(2)
    barrier = threading.Barrier(2)
    answers: list[TestResponse] = []

    def press(http, amount: str) -> None:
        barrier.wait()
        answers.append(refund(http, amount))

    threads = [
        threading.Thread(target=press, args=(http, amount))
        for http, amount in zip(managers, ["20", "34.90"], strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert [answer.status_code for answer in answers] == [200, 200]
    assert (stored().status, stored().refunded_total) == ("refunded", 5490)
    assert stripe_refunds() == [2000, 3490]
