"""Discounts on the cart page: the code form, each refusal's message, the discount line and its removal, a
cart change that makes the discount stop applying, and /cart.json. On SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from extensions import db
from shop.customers import read_shopper_token
from shop.models import Cart, Customer, Offer, utcnow


@pytest.fixture
def table(make_product) -> int:
    """A product whose page adds one variant at €60.00."""
    return make_product(title="Teak Table", handle="teak-table", variants=[{"price": 6000}])


@pytest.fixture
def lamp(make_product) -> int:
    return make_product(title="Brass Lamp", handle="brass-lamp", variants=[{"price": 4000}])


def add(client: FlaskClient, handle: str, quantity: int = 1) -> None:
    response = client.post(f"/products/{handle}/add", data={"quantity": str(quantity)})
    assert response.status_code == 302


def page(client: FlaskClient) -> str:
    return html.unescape(client.get("/cart").get_data(as_text=True))


def apply(client: FlaskClient, code: str) -> str:
    """Post the cart page's code form; the page it lands on (flash and totals), unescaped."""
    response = client.post("/cart/discount", data={"code": code}, follow_redirects=True)
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def totals(text: str) -> dict[str, str]:
    """The cart page's totals list: {"Subtotal": "€120.00", "Discount (…)": "−€12.00", "Total": ...}."""
    block = re.search(r'<dl class="totals">(.*?)</dl>', text, re.S)
    assert block, "no totals on the page"
    pairs = re.findall(r"<dt>(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>", block.group(1), re.S)
    return {dt.strip(): dd.strip() for dt, dd in pairs}


@pytest.fixture
def shopper_id(app: Flask) -> Callable[[FlaskClient], int]:
    """The customer id behind a client's shopper cookie."""

    def find(client: FlaskClient) -> int:
        cookie = client.get_cookie(app.config["SHOPPER_COOKIE_NAME"])
        assert cookie is not None, "this client has no shopper yet"
        with app.app_context():
            token = read_shopper_token(cookie.value)
            return db.session.scalar(db.select(Customer.id).filter_by(token=token))

    return find


@pytest.fixture
def make_offer(app: Flask) -> Callable[..., str]:
    """An offer as the discounts module stores it; returns its code. Default: 10% off the order, a shop code
    anyone may use; `customer_id` makes it personal (a seller's offer)."""

    def make(code: str = "WELCOME10", **fields) -> str:
        values = {
            "kind": "percent",
            "value": 10,
            "scope": "order",
            "currency": "EUR",
            "source": "seller" if fields.get("customer_id") else "shop",
            "status": "active",
            "usage_limit": 1 if fields.get("customer_id") else None,
            **fields,
        }
        with app.app_context():
            db.session.add(Offer(code=code, **values))
            db.session.commit()
        return code

    return make


def test_a_code_shows_the_discount_line_and_the_new_total(client, table, make_offer) -> None:
    make_offer("WELCOME10")
    add(client, "teak-table", 2)
    text = apply(client, "  welcome10 ")  # as typed: spaces, lower case
    assert "10% off your order applied: −€12.00." in text
    assert totals(text) == {
        "Subtotal": "€120.00",
        "Discount (10% off your order)": "−€12.00",
        "Total": "€108.00",
    }
    assert "Applied: <strong>10% off your order</strong>" in text
    assert "code WELCOME10" in text
    assert "Shipping is calculated at checkout, in the chat." in text
    assert "Shipping and discounts are calculated" not in text


def test_cart_json_carries_the_discount(client, table, make_offer) -> None:
    make_offer("WELCOME10", kind="fixed", value=500)
    add(client, "teak-table", 1)
    apply(client, "WELCOME10")
    data = client.get("/cart.json").get_json()
    assert (data["subtotal"], data["discount"], data["total"]) == (6000, 500, 5500)
    assert data["offer"]["code"] == "WELCOME10"
    assert data["offer"]["label"] == "€5.00 off your order"
    assert data["offer"]["problem"] is None
    assert [line["discount"] for line in data["lines"]] == [500]


def test_a_product_discount_shows_on_its_line_only(app, client, table, lamp, make_offer) -> None:
    make_offer("TABLE20", value=20, scope="product", product_id=table)
    add(client, "teak-table", 1)
    add(client, "brass-lamp", 1)
    text = apply(client, "TABLE20")
    assert totals(text) == {
        "Subtotal": "€100.00",
        "Discount (20% off Teak Table)": "−€12.00",
        "Total": "€88.00",
    }
    assert text.count("Discount: −€12.00") == 1  # under the table's line, not the lamp's
    assert [line["discount"] for line in client.get("/cart.json").get_json()["lines"]] == [1200, 0]


@pytest.mark.parametrize(
    ("offer", "typed", "message"),
    [
        ({}, "NOPE", "The code NOPE does not exist."),
        ({"expires_at": utcnow() - timedelta(hours=1)}, "WELCOME10", "This code expired on "),
        (
            {"min_subtotal": 50000},
            "WELCOME10",
            "This code needs an order of at least €500.00 (your cart: €60.00).",
        ),
        (
            {"usage_limit": 3, "times_used": 3},
            "WELCOME10",
            "This code has been used as many times as allowed.",
        ),
        ({"status": "withdrawn"}, "WELCOME10", "This offer is no longer valid."),
    ],
    ids=["invalid", "expired", "below_minimum", "used_up", "withdrawn"],
)
def test_each_refusal_is_told(client, table, make_offer, offer, typed, message) -> None:
    make_offer("WELCOME10", **offer)
    add(client, "teak-table", 1)
    text = apply(client, typed)
    assert f'<p class="flash flash--error" role="alert">{message}' in text
    assert totals(text) == {"Subtotal": "€60.00", "Total": "€60.00"}
    assert client.get("/cart.json").get_json()["offer"] is None


def test_another_shoppers_offer_is_not_yours(app, client, table, make_offer, shopper_id) -> None:
    other = app.test_client()
    add(other, "teak-table", 1)
    make_offer("OFFER-ANA12345", customer_id=shopper_id(other))
    add(client, "teak-table", 1)
    text = apply(client, "OFFER-ANA12345")
    assert "This offer was made for another shopper." in text
    assert client.get("/cart.json").get_json()["offer"] is None
    # its shopper can use it
    assert "10% off your order applied: −€6.00." in apply(other, "offer-ana12345")


def test_a_used_personal_offer_is_refused(client, table, make_offer, shopper_id) -> None:
    add(client, "teak-table", 1)
    make_offer("OFFER-USED2345", customer_id=shopper_id(client), times_used=1)
    assert "This offer has already been used." in apply(client, "OFFER-USED2345")


@pytest.mark.parametrize(
    ("typed", "message"),
    [("", "Please type a discount code."), ("X" * 41, "A discount code has at most 40 characters.")],
)
def test_the_form_checks_what_was_typed(client, table, typed, message) -> None:
    add(client, "teak-table", 1)
    assert message in apply(client, typed)


def test_an_empty_cart_or_no_shopper_is_told_to_add_a_product_first(client, make_offer) -> None:
    make_offer("WELCOME10")
    assert "Add a product to your cart before using a discount." in apply(client, "WELCOME10")


def test_remove_takes_the_discount_off(client, table, make_offer) -> None:
    make_offer("WELCOME10")
    add(client, "teak-table", 1)
    apply(client, "WELCOME10")
    response = client.post("/cart/discount/remove", follow_redirects=True)
    text = html.unescape(response.get_data(as_text=True))
    assert "10% off your order was removed from your cart." in text
    assert totals(text) == {"Subtotal": "€60.00", "Total": "€60.00"}
    assert "Applied:" not in text
    assert client.get("/cart.json").get_json()["offer"] is None
    # the code can be applied again (it was never used)
    assert "10% off your order applied: −€6.00." in apply(client, "WELCOME10")


def test_a_quantity_change_below_the_minimum_shows_the_problem_and_the_full_total(
    app, client, table, make_offer
) -> None:
    make_offer("BIG10", min_subtotal=10000)
    add(client, "teak-table", 2)
    assert totals(apply(client, "BIG10"))["Total"] == "€108.00"
    with app.app_context():
        line_id = db.session.scalar(db.select(Cart)).lines[0].id
    response = client.post(f"/cart/lines/{line_id}", data={"quantity": "1"}, follow_redirects=True)
    text = html.unescape(response.get_data(as_text=True))
    problem = re.search(
        r'<div class="notice notice--warning" id="cart-discount-problem">(.*?)</div>', text, re.S
    )
    assert problem, "the problem is not shown"
    assert "Your discount 10% off your order does not apply to this cart." in problem.group(1)
    assert "This code needs an order of at least €100.00 (your cart: €60.00)." in problem.group(1)
    assert totals(text) == {"Subtotal": "€60.00", "Total": "€60.00"}
    assert client.get("/cart.json").get_json()["offer"]["problem"].startswith("This code needs an order")
    # back above the minimum: it applies again, with no problem shown
    client.post(f"/cart/lines/{line_id}", data={"quantity": "2"})
    text = page(client)
    assert "cart-discount-problem" not in text
    assert totals(text)["Total"] == "€108.00"


def test_the_code_form_needs_its_csrf_token(app, client, table, make_offer, monkeypatch) -> None:
    make_offer("WELCOME10")
    add(client, "teak-table", 1)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post("/cart/discount", data={"code": "WELCOME10"}).status_code == 400
    assert client.get("/cart.json").get_json()["offer"] is None
    # the page's own form carries the token: with it the code applies
    forms = re.findall(
        r'<form method="post" action="/cart/discount"[^>]*>\s*<input[^>]*value="([^"]+)"', page(client)
    )
    assert len(forms) == 1
    response = client.post("/cart/discount", data={"code": "WELCOME10", "csrf_token": forms[0]})
    assert response.status_code == 302
    assert client.get("/cart.json").get_json()["offer"]["code"] == "WELCOME10"
    # and removing needs it too
    assert client.post("/cart/discount/remove").status_code == 400
    assert client.get("/cart.json").get_json()["offer"]["code"] == "WELCOME10"


def test_the_chat_is_told_of_a_code_applied_or_removed_on_the_cart_page(
    app, client, table, make_offer, shopper_id
) -> None:
    """The seller helping in the chat sees what the shopper did on the cart page, as a note."""
    from chat.models import Message
    from chat.service import open_conversation

    make_offer()
    add(client, "teak-table")
    with app.app_context():
        conversation_id = open_conversation(db.session.get(Customer, shopper_id(client))).id
    apply(client, "welcome10")
    client.post("/cart/discount/remove", follow_redirects=True)
    with app.app_context():
        notes = db.session.scalars(
            db.select(Message).filter_by(conversation_id=conversation_id, type="system").order_by(Message.seq)
        ).all()
        assert [(m.data["event"], m.text) for m in notes] == [
            ("discount_applied", "10% off your order applied: −€6.00."),
            ("discount_removed", "10% off your order was removed from the cart"),
        ]
