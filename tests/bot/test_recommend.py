"""Recommendations: similar, complementary (shop links, bought together), personal picks, popular ones,
and the product page's "You may also like"."""

from __future__ import annotations

from collections.abc import Callable
from itertools import count

import pytest
import sqlalchemy as sa
from flask import Flask

from bot import recommend
from chat.models import PageView
from extensions import db
from shop.models import Cart, CartLine, Customer, Order, OrderLine, Product, Variant

pytestmark = pytest.mark.usefixtures("bot_index")
COMPLEMENTARY = "shopify--discovery--product_recommendation.complementary_products"


@pytest.fixture
def shop(make_product, add_tags) -> dict[str, int]:
    ids = {
        "teak-table": make_product("Round Teak Table", handle="teak-table", product_type="Tables",
                                   metafields={COMPLEMENTARY: "linen-cushion; /products/teak-bench"}),
        "oak-table": make_product("Oak Garden Table", handle="oak-table", product_type="Tables"),
        "square-table": make_product("Square Teak Table", handle="square-table", product_type="Tables"),
        "teak-chair": make_product("Teak Garden Chair", handle="teak-chair", product_type="Chairs"),
        "teak-bench": make_product("Teak Bench", handle="teak-bench", product_type="Benches"),
        "linen-cushion": make_product("Linen Cushion", handle="linen-cushion", product_type="Cushions"),
        "olive-tree": make_product("Olive Tree", handle="olive-tree", product_type="Plants"),
        "terracotta-pot": make_product("Terracotta Pot", handle="terracotta-pot", product_type="Pots"),
        "lantern": make_product("Solar Lantern", handle="lantern", product_type="Lighting"),
        "candle": make_product("Citronella Candle", handle="candle", product_type="Lighting"),
    }  # fmt: skip
    add_tags(ids["lantern"], "Featured")
    return ids


def handles(docs) -> list[str]:
    return [doc.handle for doc in docs]


@pytest.fixture
def customer(app: Flask) -> int:
    with app.app_context():
        made = Customer()
        db.session.add(made)
        db.session.commit()
        return made.id


def _variant_id(product_id: int) -> int:
    return db.session.scalar(sa.select(Variant.id).filter_by(product_id=product_id))


@pytest.fixture
def place_order(app: Flask) -> Callable[..., None]:
    """An order of one of each product, paid unless told otherwise."""
    numbers = count(1001)

    def place(*product_ids: int, status: str = "paid", customer_id: int | None = None) -> None:
        with app.app_context():
            order = Order(number=next(numbers), currency="EUR", status=status, customer_id=customer_id)
            for product_id in product_ids:
                product = db.session.get(Product, product_id)
                order.lines.append(
                    OrderLine(variant_id=_variant_id(product_id), product_handle=product.handle,
                              product_title=product.title, unit_price=1250, quantity=1)
                )  # fmt: skip
            db.session.add(order)
            db.session.commit()

    return place


@pytest.fixture
def put_in_cart(app: Flask) -> Callable[[int, int], None]:
    def put(customer_id: int, product_id: int) -> None:
        with app.app_context():
            cart = db.session.scalar(sa.select(Cart).filter_by(customer_id=customer_id, status="open"))
            cart = cart or Cart(customer_id=customer_id)
            cart.lines.append(CartLine(variant_id=_variant_id(product_id), quantity=1))
            db.session.add(cart)
            db.session.commit()

    return put


@pytest.fixture
def view(app: Flask) -> Callable[[int, int], None]:
    def viewed(customer_id: int, product_id: int) -> None:
        with app.app_context():
            db.session.add(PageView(customer_id=customer_id, url="/products/x", product_id=product_id))
            db.session.commit()

    return viewed


def test_similar_products_share_words_and_type(app: Flask, shop) -> None:
    with app.app_context():
        found = handles(recommend.similar(shop["teak-table"], 3))
    assert found[:2] == ["square-table", "oak-table"]  # a teak table, then another table
    assert "teak-table" not in found


def test_similar_follows_the_shops_related_products(app: Flask, shop) -> None:
    with app.app_context():
        product = db.session.get(Product, shop["teak-chair"])
        product.metafields = {"custom.related_products": "olive-tree"}
        db.session.commit()
        assert handles(recommend.similar(shop["teak-chair"], 1)) == ["olive-tree"]


def test_complementary_from_the_shops_metafield_first(app: Flask, shop) -> None:
    with app.app_context():
        found = handles(recommend.complementary(shop["teak-table"], 4))
    assert found[:2] == ["linen-cushion", "teak-bench"]
    assert "teak-table" not in found


def test_complementary_both_ways(app: Flask, shop) -> None:
    # The table's metafield names the cushion: the table goes with the cushion too.
    with app.app_context():
        assert handles(recommend.complementary(shop["linen-cushion"], 1)) == ["teak-table"]


def test_complementary_from_paid_orders(app: Flask, shop, place_order) -> None:
    place_order(shop["olive-tree"], shop["lantern"])
    place_order(shop["olive-tree"], shop["lantern"], shop["candle"])
    place_order(shop["olive-tree"], shop["teak-bench"], status="pending")  # not bought
    place_order(shop["olive-tree"], shop["teak-bench"], status="cancelled")
    with app.app_context():
        assert recommend.bought_together("olive-tree") == [("lantern", 2), ("candle", 1)]
        found = handles(recommend.complementary(shop["olive-tree"], 3))
    assert found[:2] == ["lantern", "candle"]
    assert "teak-bench" not in found
    assert found[2] == "terracotta-pot"  # then the kind of product that goes with a plant


def test_complementary_by_kind_of_product(app: Flask, shop) -> None:
    with app.app_context():
        found = handles(recommend.complementary(shop["oak-table"], 4))
    # What goes with a table (chairs, benches, cushions), never another table.
    assert set(found) <= {"teak-chair", "teak-bench", "linen-cushion"}
    assert found


def test_popular_best_sellers_then_views_then_featured(app: Flask, shop, place_order, customer, view) -> None:
    place_order(shop["candle"])
    place_order(shop["candle"], shop["olive-tree"])
    view(customer, shop["terracotta-pot"])
    with app.app_context():
        recommend._POPULAR_CACHE.clear()
        found = handles(recommend.popular(5))
    assert found[:4] == ["candle", "olive-tree", "terracotta-pot", "lantern"]  # lantern: "Featured"
    with app.app_context():
        assert "candle" not in handles(recommend.popular(5, exclude=[shop["candle"]]))


def test_personalised_from_page_views(app: Flask, shop, customer, view) -> None:
    view(customer, shop["teak-table"])
    with app.app_context():
        found = handles(recommend.personalised(customer, 2))
    assert found == handles(recommend_similar(app, shop["teak-table"], 2))


def recommend_similar(app: Flask, product_id: int, limit: int):
    with app.app_context():
        return recommend.similar(product_id, limit)


def test_personalised_from_the_cart_leaves_out_what_is_in_it(app: Flask, shop, customer, put_in_cart) -> None:
    put_in_cart(customer, shop["olive-tree"])
    with app.app_context():
        found = handles(recommend.personalised(customer, 4))
    assert "olive-tree" not in found
    assert "terracotta-pot" in found  # what goes with an olive tree


def test_personalised_from_orders(app: Flask, shop, customer, place_order) -> None:
    place_order(shop["teak-table"], customer_id=customer)
    with app.app_context():
        found = handles(recommend.personalised(customer, 3))
    assert "teak-table" not in found
    assert {"linen-cushion", "teak-bench"} <= set(found)  # what goes with the table bought


def test_personalised_without_history_is_popular(app: Flask, shop, customer, place_order) -> None:
    place_order(shop["candle"])
    with app.app_context():
        recommend._POPULAR_CACHE.clear()
        assert handles(recommend.personalised(customer, 2)) == handles(recommend.popular(2))


def test_you_may_also_like_never_the_product_drafts_or_sold_out(app: Flask, shop) -> None:
    with app.app_context():
        db.session.get(Product, shop["linen-cushion"]).status = "draft"
        db.session.get(Product, shop["teak-bench"]).variants[0].inventory_quantity = 0  # sold out
        db.session.get(Product, shop["square-table"]).published = False
        db.session.commit()
        found = handles(recommend.you_may_also_like(shop["teak-table"]))
    assert len(found) == 4
    assert not {"teak-table", "linen-cushion", "teak-bench", "square-table"} & set(found)
    assert found[:2] == ["teak-chair", "oak-table"]  # a chair goes with it; the most similar left


def test_you_may_also_like_mixes_complementary_and_similar(app: Flask, shop) -> None:
    with app.app_context():
        found = handles(recommend.you_may_also_like(shop["teak-table"]))
    assert found[:2] == ["linen-cushion", "teak-bench"]  # half: what goes with it
    assert found[2:] == ["square-table", "oak-table"]  # then what is like it


def test_you_may_also_like_for_a_known_shopper(app: Flask, shop, customer, put_in_cart) -> None:
    put_in_cart(customer, shop["olive-tree"])
    put_in_cart(customer, shop["linen-cushion"])
    with app.app_context():
        found = handles(recommend.you_may_also_like(shop["teak-table"], customer))
    # The cushion goes with the table, but it is in the cart; a pot goes with the olive tree in the cart.
    assert found == ["teak-bench", "teak-chair", "terracotta-pot", "square-table"]


def test_you_may_also_like_for_a_shopper_without_history(app: Flask, shop, customer) -> None:
    with app.app_context():
        anonymous = handles(recommend.you_may_also_like(shop["teak-table"]))
        assert handles(recommend.you_may_also_like(shop["teak-table"], customer)) == anonymous


def test_you_may_also_like_products_for_the_page(app: Flask, shop) -> None:
    with app.app_context():
        products = recommend.products_you_may_also_like(shop["teak-table"])
        assert [p.handle for p in products] == handles(recommend.you_may_also_like(shop["teak-table"]))
        assert all(p.variants and p.images for p in products)
        assert recommend.products_you_may_also_like(999_999) != []  # unknown product: popular ones
