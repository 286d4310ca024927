"""The cart: adding, changing, removing, stock limits and bad input."""

from __future__ import annotations

import pytest

from extensions import db
from shop.models import Cart, CartLine, Customer, Product


@pytest.fixture
def table(make_product) -> int:
    return make_product(
        title="Round Teak Table",
        handle="table",
        option1_name="Size",
        option2_name="Colour",
        variants=[
            {"option1": "80 cm", "option2": "Natural", "price": 13900, "inventory_quantity": 3},
            {"option1": "80 cm", "option2": "Grey", "price": 14900, "inventory_quantity": 0},
            {"option1": "120 cm", "option2": "Natural", "price": 22900, "inventory_quantity": 0,
             "inventory_policy": "continue"},
            {"option1": "120 cm", "option2": "Grey", "price": 23900, "inventory_tracked": False,
             "inventory_quantity": 0},
        ],
    )  # fmt: skip


@pytest.fixture
def variant_ids(app, table) -> list[int]:
    with app.app_context():
        return [v.id for v in db.session.get(Product, table).variants]


def add(client, quantity="1", **options):
    return client.post("/products/table/add", data={"quantity": quantity, **options}, follow_redirects=True)


def cart(client) -> dict:
    return client.get("/cart.json").get_json()


def test_add_by_options_without_javascript(client, variant_ids) -> None:
    response = add(client, "2", option1="80 cm", option2="Natural")
    assert "Round Teak Table was added to your cart." in response.get_data(as_text=True)
    data = cart(client)
    assert [(line["variant_id"], line["quantity"]) for line in data["lines"]] == [(variant_ids[0], 2)]
    assert data["subtotal"] == 27800
    assert data["currency"] == "EUR"


def test_add_by_variant_id_merges_lines(client, variant_ids) -> None:
    add(client, "1", variant_id=str(variant_ids[0]))
    add(client, "1", variant_id=str(variant_ids[0]))
    assert [line["quantity"] for line in cart(client)["lines"]] == [2]


def test_cart_page_shows_lines_and_totals(client, variant_ids) -> None:
    add(client, "2", variant_id=str(variant_ids[0]))
    html = client.get("/cart").get_data(as_text=True)
    assert "Round Teak Table" in html
    assert "80 cm / Natural" in html
    assert "€278.00" in html
    assert "(2)" in html  # the header's cart count


def test_cart_survives_a_new_browser_session(app, client, variant_ids) -> None:
    add(client, "1", variant_id=str(variant_ids[0]))
    cookie = client.get_cookie("shopper")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.max_age
    assert cookie.max_age >= 300 * 24 * 3600
    tomorrow = app.test_client()
    tomorrow.set_cookie("shopper", cookie.value)
    assert [line["quantity"] for line in cart(tomorrow)["lines"]] == [1]


def test_tampered_cookie_gets_a_fresh_empty_cart(app, client, variant_ids) -> None:
    add(client, "1", variant_id=str(variant_ids[0]))
    forged = app.test_client()
    forged.set_cookie("shopper", client.get_cookie("shopper").value[:-2] + "xx")
    assert forged.get("/cart").status_code == 200
    assert cart(forged)["lines"] == []
    forged.set_cookie("shopper", "not-even-close")
    assert cart(forged)["lines"] == []


@pytest.mark.parametrize(
    ("quantity", "message"),
    [
        ("0", "Quantity must be a whole number between 1 and 999."),
        ("-1", "Quantity must be a whole number between 1 and 999."),
        ("1000000000", "Quantity must be a whole number between 1 and 999."),
        ("abc", "Not a valid integer value."),
        ("", "Quantity must be a whole number between 1 and 999."),
    ],
)
def test_bad_quantities_are_refused_clearly(app, client, variant_ids, quantity, message) -> None:
    html = add(client, quantity, variant_id=str(variant_ids[0])).get_data(as_text=True)
    assert message in html
    assert cart(client)["lines"] == []
    with app.app_context():
        assert db.session.query(CartLine).count() == 0


def test_stock_limit_under_deny(client, variant_ids) -> None:
    html = add(client, "4", variant_id=str(variant_ids[0])).get_data(as_text=True)
    assert "Only 3 of Round Teak Table (80 cm / Natural) are left in stock." in html
    add(client, "3", variant_id=str(variant_ids[0]))
    html = add(client, "1", variant_id=str(variant_ids[0])).get_data(as_text=True)
    assert "Only 3 of" in html
    assert [line["quantity"] for line in cart(client)["lines"]] == [3]


def test_sold_out_variant(client, variant_ids) -> None:
    html = add(client, "1", option1="80 cm", option2="Grey").get_data(as_text=True)
    assert "Round Teak Table (80 cm / Grey) is sold out." in html
    assert cart(client)["lines"] == []


def test_continue_policy_and_untracked_sell_past_zero(client, variant_ids) -> None:
    add(client, "5", variant_id=str(variant_ids[2]))
    add(client, "7", variant_id=str(variant_ids[3]))
    assert [line["quantity"] for line in cart(client)["lines"]] == [5, 7]


@pytest.mark.parametrize("variant_id", ["999999", "-3", "abc", "9" * 40])
def test_unknown_variant_ids(client, variant_ids, variant_id) -> None:
    response = add(client, "1", variant_id=variant_id)
    assert response.status_code == 200
    assert "Please choose an available option." in response.get_data(as_text=True)
    assert cart(client)["lines"] == []


def test_variant_of_another_product_is_refused(client, make_product, variant_ids) -> None:
    make_product(title="Other", handle="other")
    response = client.post(
        "/products/other/add",
        data={"quantity": "1", "variant_id": str(variant_ids[0])},
        follow_redirects=True,
    )
    assert "Please choose an available option." in response.get_data(as_text=True)


def test_unknown_option_combination(client, variant_ids) -> None:
    html = add(client, "1", option1="80 cm", option2="Purple").get_data(as_text=True)
    assert "Please choose an available option." in html


def test_change_quantity_and_remove(client, variant_ids) -> None:
    add(client, "1", variant_id=str(variant_ids[0]))
    line_id = cart(client)["lines"][0]["id"]
    html = client.post(f"/cart/lines/{line_id}", data={"quantity": "2"}, follow_redirects=True).get_data(True)
    assert "Cart updated." in html
    assert cart(client)["subtotal"] == 27800
    html = client.post(f"/cart/lines/{line_id}", data={"quantity": "9"}, follow_redirects=True).get_data(True)
    assert "Only 3 of" in html
    assert cart(client)["lines"][0]["quantity"] == 2
    for bad in ("-1", "abc", "1000000000"):
        client.post(f"/cart/lines/{line_id}", data={"quantity": bad})
        assert cart(client)["lines"][0]["quantity"] == 2
    html = client.post(f"/cart/lines/{line_id}", data={"quantity": "0"}, follow_redirects=True).get_data(True)
    assert "Item removed from your cart." in html
    assert cart(client)["lines"] == []

    add(client, "1", variant_id=str(variant_ids[2]))
    line_id = cart(client)["lines"][0]["id"]
    client.post(f"/cart/lines/{line_id}/remove", follow_redirects=True)
    assert cart(client)["lines"] == []


def test_cannot_touch_someone_elses_cart_line(app, client, variant_ids) -> None:
    add(client, "1", variant_id=str(variant_ids[0]))
    line_id = cart(client)["lines"][0]["id"]
    stranger = app.test_client()
    stranger.post("/products/table/add", data={"quantity": "1", "variant_id": str(variant_ids[2])})
    html = stranger.post(f"/cart/lines/{line_id}", data={"quantity": "0"}, follow_redirects=True).get_data(
        True
    )
    assert "This item is no longer in your cart." in html
    stranger.post(f"/cart/lines/{line_id}/remove")
    assert [line["id"] for line in cart(client)["lines"]] == [line_id]
    for bad in ("abc", "99999999999999999999"):
        assert stranger.post(f"/cart/lines/{bad}", data={"quantity": "1"}).status_code == 302


def test_browsing_creates_no_customer(app, client, variant_ids) -> None:
    client.get("/")
    client.get("/products/table")
    client.get("/cart")
    with app.app_context():
        assert db.session.query(Customer).count() == 0
        assert db.session.query(Cart).count() == 0


def test_unpublishing_a_product_takes_it_out_of_totals(app, client, table, variant_ids) -> None:
    add(client, "1", variant_id=str(variant_ids[0]))
    with app.app_context():
        db.session.get(Product, table).status = "draft"
        db.session.commit()
    data = cart(client)
    assert data["subtotal"] == 0
    assert data["lines"][0]["available"] is False
