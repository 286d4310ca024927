"""The product page's "You may also like" block, fed by the bot's recommender."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bot.search import reset_index
from extensions import db
from shop.models import Product


@pytest.fixture(autouse=True)
def fresh_index(app: Flask) -> None:
    """Each test's tables are emptied with bulk SQL, unseen by the index: it starts afresh."""
    with app.app_context():
        reset_index()


@pytest.fixture
def shop(make_product) -> dict[str, int]:
    return {
        "teak-table": make_product("Round Teak Table", handle="teak-table", product_type="Tables"),
        "square-table": make_product("Square Teak Table", handle="square-table", product_type="Tables"),
        "teak-chair": make_product("Teak Garden Chair", handle="teak-chair", product_type="Chairs"),
        "teak-bench": make_product("Teak Bench", handle="teak-bench", product_type="Benches"),
        "cushion": make_product("Linen Cushion", handle="cushion", product_type="Cushions"),
        "olive-tree": make_product("Olive Tree", handle="olive-tree", product_type="Plants"),
    }


def block(client: FlaskClient, handle: str) -> str:
    """The "You may also like" section of a product page ("" when there is none)."""
    response = client.get(f"/products/{handle}")
    assert response.status_code == 200
    found = re.search(r'<section class="also-liked".*?</section>', response.get_data(as_text=True), re.S)
    return found.group(0) if found else ""


def linked(section: str) -> list[str]:
    return re.findall(r'href="/products/([\w-]+)"', section)


def test_the_block_shows_related_products_not_the_product_itself(client: FlaskClient, shop) -> None:
    section = block(client, "teak-table")
    assert '<h2 id="also-liked-heading">You may also like</h2>' in section
    assert 'aria-labelledby="also-liked-heading"' in section
    handles = linked(section)
    assert len(handles) == 4
    assert "teak-table" not in handles
    assert set(handles[:2]) <= {"teak-chair", "teak-bench", "cushion"}  # what goes with a table
    assert handles[2] == "square-table"  # then what is like it
    assert '<h3 class="card__title">Square Teak Table</h3>' in section  # the storefront's cards
    assert "€12.50" in section


def test_no_block_without_other_products(client: FlaskClient, make_product) -> None:
    make_product("Olive Tree", handle="olive-tree")
    assert block(client, "olive-tree") == ""


def test_sold_out_and_draft_products_are_left_out(app: Flask, client: FlaskClient, shop) -> None:
    with app.app_context():
        db.session.get(Product, shop["teak-chair"]).variants[0].inventory_quantity = 0
        db.session.get(Product, shop["square-table"]).status = "draft"
        db.session.commit()
    handles = linked(block(client, "teak-table"))
    assert handles
    assert not {"teak-table", "teak-chair", "square-table"} & set(handles)


def test_personalised_for_the_shopper(client: FlaskClient, shop) -> None:
    client.post("/products/teak-bench/add", data={"quantity": "1"})  # the shopper now has a cookie
    handles = linked(block(client, "teak-table"))
    assert "teak-bench" not in handles  # already in their cart
    assert "cushion" in handles  # goes with the bench they are buying
