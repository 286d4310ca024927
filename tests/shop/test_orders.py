"""Orders: created from a cart, shown on a status page reachable only with the secret token."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from extensions import db
from shop import cart as carts
from shop import orders
from shop.cart import CartError
from shop.models import Cart, Customer, Order, Product


@pytest.fixture
def customer_with_cart(app, make_product) -> int:
    pid = make_product(
        title="Olive Tree", handle="olive", option1_name="Height",
        variants=[{"option1": "1 m", "price": 4900, "inventory_quantity": 5}],
    )  # fmt: skip
    with app.app_context():
        customer = Customer(email="ana@example.com")
        db.session.add(customer)
        db.session.flush()
        carts.add_item(customer, db.session.get(Product, pid).variants[0].id, 2)
        return customer.id


def _create_order(app, customer_id: int) -> tuple[str, int]:
    with app.app_context():
        customer = db.session.get(Customer, customer_id)
        order = orders.create_order(carts.open_cart(customer), email=customer.email, currency="EUR")
        return order.token, order.number


def test_create_order_snapshots_lines_and_numbers(app, customer_with_cart) -> None:
    token, number = _create_order(app, customer_with_cart)
    assert number == 1001
    with app.app_context():
        order = db.session.scalar(sa.select(Order).filter_by(token=token))
        assert (order.subtotal, order.total, order.status, order.currency) == (9800, 9800, "pending", "EUR")
        assert [(li.product_title, li.variant_title, li.unit_price, li.quantity) for li in order.lines] == [
            ("Olive Tree", "1 m", 4900, 2)
        ]
        assert db.session.scalar(sa.select(Cart.status)) == "ordered"
        # a later price change does not rewrite the order
        db.session.scalar(sa.select(Product)).variants[0].price = 9999
        db.session.commit()
        assert db.session.scalar(sa.select(Order)).lines[0].unit_price == 4900


def test_order_numbers_increase(app, customer_with_cart, make_product) -> None:
    _create_order(app, customer_with_cart)
    pid = make_product(title="Fern", handle="fern")
    with app.app_context():
        customer = db.session.get(Customer, customer_with_cart)
        carts.add_item(customer, db.session.get(Product, pid).variants[0].id, 1)
    assert _create_order(app, customer_with_cart)[1] == 1002


def test_empty_cart_cannot_become_an_order(app) -> None:
    with app.app_context():
        customer = Customer()
        db.session.add(customer)
        db.session.flush()
        with pytest.raises(CartError):
            orders.create_order(carts.open_cart(customer, create=True), email="", currency="EUR")


def test_order_status_page(app, client, customer_with_cart) -> None:
    token, _ = _create_order(app, customer_with_cart)
    html = client.get(f"/orders/{token}").get_data(as_text=True)
    assert "Order #1001" in html
    assert "Awaiting payment" in html
    assert "Olive Tree" in html
    assert "€98.00" in html
    assert 'name="robots" content="noindex"' in html


@pytest.mark.parametrize("token", ["guess", "1001", "x" * 500, "' OR '1'='1"])
def test_order_status_page_needs_the_exact_token(app, client, customer_with_cart, token) -> None:
    _create_order(app, customer_with_cart)
    assert client.get(f"/orders/{token}").status_code == 404


def test_database_refuses_inconsistent_orders(app) -> None:
    with app.app_context():
        db.session.add(Order(number=1, currency="EUR", total=100, refunded_total=200))
        with pytest.raises(sa.exc.IntegrityError):
            db.session.commit()
