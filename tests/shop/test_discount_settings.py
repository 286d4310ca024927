"""The owner's discount pages (/seller/discounts): managers only, the settings form and every message it
gives, shop codes (create, duplicate, withdraw), and the list of offers with its filters and total cost."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from chat.models import Conversation, Seller
from extensions import db
from payments.models import Checkout
from shop import discount_admin, discounts
from shop.discounts import DiscountError
from shop.models import Cart, Collection, Customer, DiscountSettings, Offer, Order, utcnow
from tests.chat.conftest import make_seller  # noqa: F401  (fixture)

SETTINGS = {
    "seller_max_percent": "12",
    "seller_max_amount": "20.00",
    "manager_max_percent": "30",
    "manager_max_amount": "150",
    "default_expiry_hours": "72",
    "first_order_enabled": "y",
    "first_order_percent": "5",
    "loyalty_enabled": "y",
    "loyalty_percent": "8",
    "loyalty_min_orders": "0",
    "loyalty_min_spent": "250,50",
    "price_objection_percent": "7",
    "abandoned_cart_enabled": "y",
    "abandoned_cart_percent": "6",
    "abandoned_cart_minutes": "45",
    "rule_period_days": "60",
}
CODE = {"code": "summer10", "kind": "percent", "value": "10", "scope": "order", "collection": ""}


@pytest.fixture(autouse=True)
def shop_in_paris(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Prices in euros, dates in Paris (expiry dates end at midnight there)."""
    monkeypatch.setitem(app.config, "SHOP_CURRENCY", "EUR")
    monkeypatch.setitem(app.config, "SHOP_TIMEZONE", "Europe/Paris")


@pytest.fixture
def sign_in(app: Flask, make_seller) -> Callable[..., FlaskClient]:  # noqa: F811
    """An HTTP client signed in as a new seller of that role."""

    def sign(role: str = "manager", name: str = "Mia") -> FlaskClient:
        make_seller(name, role=role)
        client = app.test_client()
        response = client.post(
            "/seller", data={"email": f"{name.lower()}@example.com", "password": "pa55word!"}
        )
        assert response.status_code == 302
        return client

    return sign


@pytest.fixture
def manager(sign_in) -> FlaskClient:
    return sign_in("manager", "Mia")


def page_text(response) -> str:
    """The page as people read it (entities decoded)."""
    return html.unescape(response.get_data(as_text=True))


def listed(response) -> list[int]:
    """Ids of the offers the list shows, in its order."""
    assert response.status_code == 200
    return [int(found) for found in re.findall(r'<tr id="offer-(\d+)">', response.get_data(as_text=True))]


def row_text(response, offer_id: int) -> str:
    """The text of one offer's row, tags removed and spaces collapsed."""
    row = re.search(rf'<tr id="offer-{offer_id}">(.*?)</tr>', response.get_data(as_text=True), re.S)
    assert row is not None
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", row.group(1))).split())


# --- Who may see the pages -------------------------------------------------------------------------------

PAGES = [
    ("get", "/seller/discounts"),
    ("post", "/seller/discounts"),
    ("post", "/seller/discounts/codes"),
    ("get", "/seller/discounts/offers"),
    ("post", "/seller/discounts/offers/1/withdraw"),
]


@pytest.mark.parametrize(("method", "path"), PAGES)
def test_strangers_are_sent_to_sign_in(client, method, path) -> None:
    response = getattr(client, method)(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/seller?next=")


@pytest.mark.parametrize(("method", "path"), PAGES)
def test_sellers_get_403(app, sign_in, method, path) -> None:
    seller = sign_in("seller", "Sam")
    data = {**SETTINGS, **CODE} if method == "post" else None
    assert getattr(seller, method)(path, data=data).status_code == 403
    with app.app_context():
        assert db.session.get(DiscountSettings, 1) is None
        assert db.session.scalar(sa.select(sa.func.count(Offer.id))) == 0


def test_the_nav_links_the_page_for_managers_only(sign_in) -> None:
    assert 'href="/seller/discounts"' in sign_in("manager", "Mia").get("/seller/inbox").get_data(as_text=True)
    assert 'href="/seller/discounts"' not in sign_in("seller", "Sam").get("/seller/inbox").get_data(
        as_text=True
    )


# --- Settings --------------------------------------------------------------------------------------------


def test_the_page_shows_the_defaults_amounts_in_major_units(manager) -> None:
    page = manager.get("/seller/discounts")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'name="seller_max_percent" required type="number" value="10"' in body
    assert 'name="seller_max_amount" required type="text" value="20.00"' in body
    assert 'name="manager_max_amount" required type="text" value="100.00"' in body
    assert '<input id="first_order_enabled" name="first_order_enabled" type="checkbox" value="y">' in body


def test_saving_stores_every_setting_and_the_page_reads_them_back(app, manager) -> None:
    response = manager.post("/seller/discounts", data=SETTINGS)
    assert response.status_code == 302
    assert response.headers["Location"] == "/seller/discounts"
    page = manager.get("/seller/discounts")
    assert "Discount settings saved." in page_text(page)
    with app.app_context():
        assert discounts.load_settings() == discounts.Settings(
            seller_max_percent=12,
            seller_max_amount=2000,
            manager_max_percent=30,
            manager_max_amount=15000,
            default_expiry_hours=72,
            first_order_enabled=True,
            first_order_percent=5,
            loyalty_enabled=True,
            loyalty_percent=8,
            loyalty_min_orders=0,
            loyalty_min_spent=25050,
            price_objection_enabled=False,  # box left unchecked
            price_objection_percent=7,
            abandoned_cart_enabled=True,
            abandoned_cart_percent=6,
            abandoned_cart_minutes=45,
            rule_period_days=60,
        )
    body = manager.get("/seller/discounts").get_data(as_text=True)
    assert 'name="manager_max_amount" required type="text" value="150.00"' in body
    assert 'name="loyalty_min_spent" required type="text" value="250.50"' in body
    assert '<input checked id="loyalty_enabled"' in body
    assert '<input id="price_objection_enabled"' in body

    manager.post("/seller/discounts", data={**SETTINGS, "loyalty_enabled": "", "loyalty_min_spent": "0"})
    with app.app_context():
        assert (discounts.load_settings().loyalty_enabled, discounts.load_settings().loyalty_min_spent) == (
            False,
            0,
        )
        assert db.session.scalar(sa.select(sa.func.count(DiscountSettings.id))) == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"seller_max_percent": "31"}, "A seller's cap cannot be above a manager's (30%)."),
        ({"seller_max_amount": "150.01"}, "A seller's cap cannot be above a manager's (€150.00)."),
        ({"seller_max_percent": "-1"}, "Enter a percent from 0 to 100."),
        ({"manager_max_percent": "101"}, "Enter a percent from 0 to 100."),
        ({"seller_max_percent": ""}, "Enter a percent."),
        ({"first_order_percent": "0"}, "Enter a percent from 1 to 100."),
        ({"loyalty_percent": "101"}, "Enter a percent from 1 to 100."),
        ({"price_objection_percent": "abc"}, "Enter a percent from 1 to 100."),
        ({"abandoned_cart_percent": "0"}, "Enter a percent from 1 to 100."),
        ({"default_expiry_hours": "0"}, "Enter a number of hours from 1 to 8760."),
        ({"default_expiry_hours": "8761"}, "Enter a number of hours from 1 to 8760."),
        ({"abandoned_cart_minutes": "1441"}, "Enter a number of minutes from 1 to 1440."),
        ({"rule_period_days": "366"}, "Enter a number of days from 1 to 365."),
        ({"rule_period_days": "0"}, "Enter a number of days from 1 to 365."),
        ({"loyalty_min_orders": "-2"}, "Enter a number of orders from 0 to 10000."),
        ({"manager_max_amount": "abc"}, "“abc” is not an amount: write it like 20.00."),
        ({"seller_max_amount": "12.345"}, "“12.345” is not an amount: write it like 20.00."),
        ({"loyalty_min_spent": "-5"}, "“-5” is not an amount: write it like 20.00."),
        ({"seller_max_amount": "€20"}, "“€20” is not an amount: write it like 20.00."),
        ({"manager_max_amount": " "}, "Enter an amount, 0 or more."),
        (
            {"loyalty_min_orders": "0", "loyalty_min_spent": "0"},
            "Set a number of orders or an amount spent, or turn the loyalty discount off.",
        ),
    ],
)
def test_invalid_values_are_explained_next_to_the_field_and_not_saved(app, manager, changes, message) -> None:
    response = manager.post("/seller/discounts", data={**SETTINGS, **changes})
    assert response.status_code == 200
    body = page_text(response)
    field = next(iter(changes)) if len(changes) == 1 else "loyalty_min_spent"
    assert f'<p class="field-error" id="{field}-error">{message}</p>' in body
    assert (
        f'aria-describedby="{field}-error"' in body
        or f'aria-describedby="{field}-hint {field}-error"' in body
    )
    with app.app_context():
        assert db.session.get(DiscountSettings, 1) is None


def test_loyalty_off_may_have_no_threshold(app, manager) -> None:
    data = {**SETTINGS, "loyalty_enabled": "", "loyalty_min_orders": "0", "loyalty_min_spent": "0"}
    assert manager.post("/seller/discounts", data=data).status_code == 302
    with app.app_context():
        assert discounts.load_settings().loyalty_min_orders == 0


@pytest.fixture
def csrf_on(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/seller/discounts", SETTINGS),
        ("/seller/discounts/codes", CODE),
        ("/seller/discounts/offers/1/withdraw", {}),
    ],
)
def test_posts_without_a_csrf_token_are_refused(app, manager, csrf_on, path, data) -> None:
    assert manager.post(path, data=data).status_code == 400
    with app.app_context():
        assert db.session.get(DiscountSettings, 1) is None
        assert db.session.scalar(sa.select(sa.func.count(Offer.id))) == 0


def test_posts_with_the_pages_csrf_token_go_through(app, manager, csrf_on) -> None:
    body = manager.get("/seller/discounts").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', body).group(1)
    assert manager.post("/seller/discounts", data={**SETTINGS, "csrf_token": token}).status_code == 302
    assert manager.post("/seller/discounts/codes", data={**CODE, "csrf_token": token}).status_code == 302
    with app.app_context():
        assert discounts.load_settings().seller_max_percent == 12
        assert db.session.scalar(sa.select(Offer.code)) == "SUMMER10"


# --- Shop codes ------------------------------------------------------------------------------------------


@pytest.fixture
def shop_catalog(app: Flask, make_product) -> dict[str, int]:
    """A teak table and a Lighting collection."""
    table = make_product(title="Teak table", handle="teak-table")
    with app.app_context():
        lighting = Collection(handle="lighting", title="Lighting", kind="manual")
        db.session.add(lighting)
        db.session.commit()
        return {"table": table, "lighting": lighting.id}


def test_a_manager_creates_a_percent_code_for_the_whole_order(app, manager) -> None:
    response = manager.post("/seller/discounts/codes", data={**CODE, "note": "Summer newsletter"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/seller/discounts/offers?made_by=shop"
    assert "The code SUMMER10 is ready: 10% off your order." in page_text(
        manager.get(response.headers["Location"])
    )
    with app.app_context():
        offer = db.session.scalar(sa.select(Offer))
        mia = db.session.scalar(sa.select(Seller).filter_by(name="Mia"))
        assert (offer.code, offer.kind, offer.value, offer.scope, offer.source, offer.status) == (
            "SUMMER10",
            "percent",
            10,
            "order",
            "shop",
            "active",
        )
        assert (offer.customer_id, offer.created_by_id, offer.min_subtotal) == (None, mia.id, 0)
        assert (offer.expires_at, offer.usage_limit, offer.note) == (None, None, "Summer newsletter")


def test_a_fixed_code_on_a_product_with_minimum_expiry_and_limit(app, manager, shop_catalog) -> None:
    data = {
        **CODE,
        "code": "TABLE-50_off",
        "kind": "fixed",
        "value": "49.90",
        "scope": "product",
        "product": " Teak-Table ",
        "min_subtotal": "100",
        "expires_on": "2031-01-15",
        "usage_limit": "20",
    }
    assert manager.post("/seller/discounts/codes", data=data).status_code == 302
    with app.app_context():
        offer = db.session.scalar(sa.select(Offer))
        assert (offer.code, offer.kind, offer.value, offer.scope) == (
            "TABLE-50_OFF",
            "fixed",
            4990,
            "product",
        )
        assert (offer.product_id, offer.collection_id) == (shop_catalog["table"], None)
        assert (offer.min_subtotal, offer.usage_limit) == (10000, 20)
        assert offer.expires_at == datetime(2031, 1, 15, 23, 0)  # midnight in Paris (UTC+1 in winter)


def test_a_code_on_a_collection_expiring_in_summer(app, manager, shop_catalog) -> None:
    data = {
        **CODE,
        "scope": "collection",
        "collection": str(shop_catalog["lighting"]),
        "expires_on": "2031-07-15",
    }
    assert manager.post("/seller/discounts/codes", data=data).status_code == 302
    with app.app_context():
        offer = db.session.scalar(sa.select(Offer))
        assert (offer.scope, offer.collection_id, offer.product_id) == (
            "collection",
            shop_catalog["lighting"],
            None,
        )
        assert offer.expires_at == datetime(2031, 7, 15, 22, 0)  # UTC+2 in summer


def test_a_code_that_exists_is_refused_on_the_code_field(app, manager) -> None:
    assert manager.post("/seller/discounts/codes", data=CODE).status_code == 302
    response = manager.post("/seller/discounts/codes", data={**CODE, "code": " Summer10", "value": "15"})
    assert response.status_code == 200
    assert '<p class="field-error" id="code-error">The code SUMMER10 already exists.</p>' in page_text(
        response
    )
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Offer.id))) == 1
        assert db.session.scalar(sa.select(Offer.value)) == 10


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"code": ""}, "code", "Enter the code shoppers will type, for example SUMMER10."),
        ({"code": "SUMMER 10"}, "code", "A code is 1 to 40 letters, digits, - or _."),
        ({"code": "ÉTÉ10"}, "code", "A code is 1 to 40 letters, digits, - or _."),
        ({"code": "X" * 41}, "code", "A code is 1 to 40 letters, digits, - or _."),
        ({"value": ""}, "value", "Enter the percent or the amount."),
        ({"value": "0"}, "value", "A percent is a whole number from 1 to 100."),
        ({"value": "101"}, "value", "A percent is a whole number from 1 to 100."),
        ({"value": "12.5"}, "value", "A percent is a whole number from 1 to 100."),
        ({"kind": "fixed", "value": "0"}, "value", "Enter an amount above zero, written like 20.00."),
        ({"kind": "fixed", "value": "ten"}, "value", "Enter an amount above zero, written like 20.00."),
        ({"kind": "fixed", "value": "1.999"}, "value", "Enter an amount above zero, written like 20.00."),
        ({"kind": "free"}, "kind", "Not a valid choice."),
        ({"scope": "product"}, "product", "Enter the handle of the product the code is for."),
        ({"scope": "product", "product": "sofa"}, "product", "No product has the handle “sofa”."),
        ({"scope": "collection"}, "collection", "Choose the collection the code is for."),
        (
            {"scope": "collection", "collection": "999999"},
            "collection",
            "Choose the collection the code is for.",
        ),
        ({"min_subtotal": "lots"}, "min_subtotal", "“lots” is not an amount: write it like 20.00."),
        ({"expires_on": "2020-01-01"}, "expires_on", "The last day cannot be in the past."),
        ({"expires_on": "15/01/2031"}, "expires_on", "Not a valid date value."),
        ({"usage_limit": "0"}, "usage_limit", "The number of uses must be at least 1."),
        ({"note": "n" * 201}, "note", "Field cannot be longer than 200 characters."),
    ],
)
def test_invalid_codes_are_explained_and_not_created(
    app, manager, shop_catalog, changes, field, message
) -> None:
    response = manager.post("/seller/discounts/codes", data={**CODE, **changes})
    assert response.status_code == 200
    assert f'<p class="field-error" id="{field}-error">{message}</p>' in page_text(response)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Offer.id))) == 0


def test_the_code_form_keeps_the_settings_as_stored(app, manager) -> None:
    manager.post("/seller/discounts", data=SETTINGS)
    body = manager.post("/seller/discounts/codes", data={**CODE, "value": "0"}).get_data(as_text=True)
    assert 'name="manager_max_amount" required type="text" value="150.00"' in body


def test_withdrawing_a_shop_code(app, manager) -> None:
    manager.post("/seller/discounts/codes", data=CODE)
    with app.app_context():
        code_id = db.session.scalar(sa.select(Offer.id))
    response = manager.post(f"/seller/discounts/offers/{code_id}/withdraw?made_by=shop&status=active")
    assert response.status_code == 302
    assert response.headers["Location"] == "/seller/discounts/offers?made_by=shop&status=active"
    shown = manager.get("/seller/discounts/offers")
    assert "The code SUMMER10 was withdrawn: shoppers can no longer use it." in page_text(shown)
    assert "Withdrawn by Mia" in row_text(shown, code_id)
    assert f"/seller/discounts/offers/{code_id}/withdraw" not in shown.get_data(as_text=True)
    with app.app_context():
        offer = db.session.get(Offer, code_id)
        mia = db.session.scalar(sa.select(Seller).filter_by(name="Mia"))
        assert (offer.status, offer.decided_by_id) == ("withdrawn", mia.id)
        assert offer.decided_at is not None

    manager.post(f"/seller/discounts/offers/{code_id}/withdraw")
    assert "The code SUMMER10 was already withdrawn." in page_text(manager.get("/seller/discounts/offers"))
    manager.post("/seller/discounts/offers/999999/withdraw")
    assert "This offer does not exist." in page_text(manager.get("/seller/discounts/offers"))


def test_a_withdrawn_code_no_longer_applies(app, manager, shop_catalog) -> None:
    manager.post("/seller/discounts/codes", data=CODE)
    with app.test_request_context():
        code_id = db.session.scalar(sa.select(Offer.id))
        customer = Customer()
        db.session.add(customer)
        db.session.commit()
        manager_row = db.session.scalar(sa.select(Seller).filter_by(name="Mia"))
        discount_admin.withdraw(code_id, manager_row)
        with pytest.raises(DiscountError) as refused:
            discounts.apply(customer, code="summer10")
        assert str(refused.value) == "This offer is no longer valid."


# --- The list of offers ----------------------------------------------------------------------------------


@dataclass
class World:
    """Offers of every kind and status, by name (their ids), made in this order (the list shows the newest
    first), with what their redeemed uses cost."""

    ids: dict[str, int]
    sellers: dict[str, int]
    customers: dict[str, int]
    #: Each shopper's conversation id.
    conversations: dict[str, int]

    def __getitem__(self, name: str) -> int:
        return self.ids[name]

    def of(self, *names: str) -> list[int]:
        """The ids of these offers, newest first (as the list shows them)."""
        return sorted((self.ids[name] for name in names), reverse=True)


ORDER = ("active", "pending", "approved", "declined", "expired", "first_order", "loyalty", "welcome", "old")


@pytest.fixture
def paid(app: Flask) -> Callable[..., None]:
    """A payment used the offer (as payments/checkout.py and the webhook do): its use held, then redeemed by
    an order of that number, or released (the payment failed), or left held (under way)."""
    numbers = iter(range(1001, 2000))

    def pay(offer: Offer, customer: Customer, amount: int, outcome: str = "redeemed") -> None:
        cart = Cart(customer_id=customer.id)
        db.session.add(cart)
        db.session.flush()
        checkout = Checkout(customer_id=customer.id, cart_id=cart.id, currency="EUR", attempt=1)
        db.session.add(checkout)
        db.session.flush()
        assert discounts.hold(offer.id, customer.id, checkout.id, 1, amount) is None
        if outcome == "redeemed":
            assert discounts.redeem(checkout.id, 1, offer.id)
            order = Order(number=next(numbers), currency="EUR", customer_id=customer.id, status="paid",
                          offer_id=offer.id, discount_code=offer.code, discount_total=amount)  # fmt: skip
            db.session.add(order)
            db.session.flush()
            discounts.link_order(checkout.id, 1, order.id)
        elif outcome == "released":
            assert discounts.release(checkout.id, 1)
        db.session.commit()

    return pay


@pytest.fixture
def world(app: Flask, paid) -> Iterator[World]:
    with app.test_request_context():
        sellers = {}
        for name, role in (("Ana", "seller"), ("Bo", "seller"), ("Max", "manager")):
            sellers[name] = Seller(email=f"{name.lower()}@example.com", name=name, role=role)
            sellers[name].set_password("pa55word!")
        zoe = Customer(name="Zoé Martin", email="zoe@example.com")
        lee = Customer(email="lee@example.com")
        anonymous = Customer()
        db.session.add_all([*sellers.values(), zoe, lee, anonymous])
        db.session.flush()
        talks = {c.id: Conversation(customer_id=c.id, status="assigned") for c in (zoe, lee, anonymous)}
        db.session.add_all(talks.values())
        db.session.commit()
        ana, bo, max_ = sellers["Ana"], sellers["Bo"], sellers["Max"]

        made = {}
        made["active"] = discounts.seller_offer(ana, talks[zoe.id], kind="percent", value=5, note="Nice sofa")
        made["pending"] = discounts.seller_offer(ana, talks[zoe.id], kind="percent", value=20)
        made["approved"] = discounts.seller_offer(ana, talks[lee.id], kind="percent", value=15)
        discounts.decide(made["approved"].id, max_, approve=True)
        paid(made["approved"], lee, 300)
        made["declined"] = discounts.seller_offer(ana, talks[lee.id], kind="percent", value=20)
        discounts.decide(made["declined"].id, max_, approve=False)
        made["expired"] = discounts.seller_offer(bo, talks[anonymous.id], kind="fixed", value=500)
        made["expired"].expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        made["first_order"] = discounts.rule_offer(lee, "first_order", 5, "Welcome!", f"first_order:{lee.id}",
                                                   talks[lee.id].id)  # fmt: skip
        paid(made["first_order"], lee, 250)
        made["loyalty"] = discounts.rule_offer(anonymous, "loyalty", 10, "Thanks!", f"loyalty:{anonymous.id}")
        paid(made["loyalty"], anonymous, 999, outcome="held")
        made["welcome"] = discounts.shop_code(max_, code="WELCOME10", kind="percent", value=10)
        paid(made["welcome"], zoe, 500)
        paid(made["welcome"], lee, 700)
        paid(made["welcome"], anonymous, 111, outcome="released")
        made["old"] = discounts.shop_code(max_, code="OLD5", kind="fixed", value=500)
        discount_admin.withdraw(made["old"].id, max_)
        assert list(made) == list(ORDER)
        yield World(
            ids={name: offer.id for name, offer in made.items()},
            sellers={name: seller.id for name, seller in sellers.items()},
            customers={"zoe": zoe.id, "lee": lee.id, "anonymous": anonymous.id},
            conversations={
                name: talks[c.id].id for name, c in (("zoe", zoe), ("lee", lee), ("anonymous", anonymous))
            },
        )


def test_the_list_shows_every_offer_newest_first_with_the_total_cost(manager, world) -> None:
    response = manager.get("/seller/discounts/offers")
    assert listed(response) == world.of(*ORDER)
    assert "9 offers · Total discount cost: €17.50" in " ".join(page_text(response).split())


@pytest.mark.parametrize(
    ("query", "names", "cost"),
    [
        ("made_by=seller", ("active", "pending", "approved", "declined", "expired"), "€3.00"),
        ("made_by=bot", ("first_order", "loyalty"), "€2.50"),
        ("made_by=shop", ("welcome", "old"), "€12.00"),
        ("status=pending", ("pending",), "€0.00"),
        ("status=active", ("active", "welcome"), "€12.00"),
        ("status=expired", ("expired",), "€0.00"),
        ("status=used_up", ("approved", "first_order", "loyalty"), "€5.50"),
        ("status=declined", ("declined",), "€0.00"),
        ("status=withdrawn", ("old",), "€0.00"),
        ("redeemed=yes", ("approved", "first_order", "welcome"), "€17.50"),
        ("redeemed=no", ("active", "pending", "declined", "expired", "loyalty", "old"), "€0.00"),
        ("made_by=bot&redeemed=yes", ("first_order",), "€2.50"),
        ("made_by=seller&status=used_up", ("approved",), "€3.00"),
    ],
)
def test_each_filter_shows_exactly_its_offers_and_their_cost(manager, world, query, names, cost) -> None:
    response = manager.get(f"/seller/discounts/offers?{query}")
    assert listed(response) == world.of(*names)
    assert f"Total discount cost: {cost}" in page_text(response)


def test_filtering_by_seller(manager, world) -> None:
    ana, bo, max_ = world.sellers["Ana"], world.sellers["Bo"], world.sellers["Max"]
    assert listed(manager.get(f"/seller/discounts/offers?made_by=seller&seller={ana}")) == world.of(
        "active", "pending", "approved", "declined"
    )
    assert listed(manager.get(f"/seller/discounts/offers?made_by=seller&seller={bo}")) == world.of("expired")
    assert listed(manager.get(f"/seller/discounts/offers?made_by=seller&seller={max_}")) == []
    assert listed(manager.get(f"/seller/discounts/offers?seller={max_}")) == world.of("welcome", "old")


def test_an_unknown_filter_value_is_explained_and_everything_shown(manager, world) -> None:
    response = manager.get("/seller/discounts/offers?status=lost&made_by=bot")
    assert '<p class="field-error" id="status-error">Not a valid choice.</p>' in page_text(response)
    assert listed(response) == world.of(*ORDER)


def test_each_row_says_who_for_whom_how_it_ended_and_what_it_cost(manager, world) -> None:
    response = manager.get("/seller/discounts/offers")
    row = row_text(response, world["approved"])
    assert f"15% off your order Ana lee@example.com {world.conversations['lee']} Used up" in row
    assert "Approved by Max 1 / 1 #1001 €3.00" in row

    row = row_text(response, world["active"])
    assert f"5% off your order Nice sofa Ana Zoé Martin {world.conversations['zoe']} Active" in row
    assert row.endswith("0 / 1 €0.00")
    assert "Waiting for approval" in row_text(response, world["pending"])
    assert "Declined by Max 0 / 1 €0.00" in row_text(response, world["declined"])
    anonymous = world.customers["anonymous"]
    assert (
        f"€5.00 off your order Bo Shopper {anonymous} {world.conversations['anonymous']} Expired"
        in row_text(response, world["expired"])
    )
    row = row_text(response, world["first_order"])
    assert f"Welcome! Bot: first order lee@example.com {world.conversations['lee']} Used up" in row
    assert row.endswith("1 / 1 #1002 €2.50")
    row = row_text(response, world["loyalty"])
    assert "Thanks! Bot: loyalty" in row
    assert "Used up" in row
    assert row.endswith("0 / 1 (1 in a payment under way) €0.00")  # held by a payment: no cost yet
    row = row_text(response, world["welcome"])
    assert (
        "WELCOME10 10% off your order Shop code Any shopper Active Withdraw 2 / no limit #1003, #1004 €12.00"
        in row
    )
    row = row_text(response, world["old"])
    assert (
        "OLD5 €5.00 off your order Shop code Any shopper Withdrawn Withdrawn by Max 0 / no limit €0.00" in row
    )
    body = response.get_data(as_text=True)
    assert f"/seller/discounts/offers/{world['welcome']}/withdraw" in body
    for name in ORDER[:-2]:  # only active shop codes can be withdrawn
        assert f"/seller/discounts/offers/{world[name]}/withdraw" not in body


def test_list_offers_counts_and_costs_the_filtered_offers(app, world) -> None:
    with app.test_request_context():
        page = discount_admin.list_offers(discount_admin.OfferFilters(source="shop"))
        assert [row.offer.id for row in page.rows] == world.of("welcome", "old")
        assert (page.total, page.cost, page.pages) == (2, 1200, 1)
        old, welcome = page.rows
        assert (welcome.redeemed, welcome.held, welcome.cost, welcome.order_numbers) == (
            2,
            0,
            1200,
            (1003, 1004),
        )
        assert (welcome.status, welcome.made_by, welcome.shopper) == ("active", "Shop code", "Any shopper")
        assert (old.status, old.decision, old.redeemed, old.cost) == ("withdrawn", "Withdrawn by Max", 0, 0)
        loyalty = discount_admin.list_offers(discount_admin.OfferFilters(source="bot", redeemed=False)).rows
        assert [(row.offer.id, row.status, row.redeemed, row.held) for row in loyalty] == [
            (world["loyalty"], "used_up", 0, 1)
        ]


def test_withdrawing_is_for_managers_and_shop_codes_only(app, world) -> None:
    with app.test_request_context():
        ana = db.session.get(Seller, world.sellers["Ana"])
        max_ = db.session.get(Seller, world.sellers["Max"])
        with pytest.raises(DiscountError, match=r"Only a manager can withdraw a code\."):
            discount_admin.withdraw(world["welcome"], ana)
        with pytest.raises(DiscountError, match=r"Only shop codes can be withdrawn\."):
            discount_admin.withdraw(world["active"], max_)
        assert db.session.get(Offer, world["welcome"]).status == "active"
        assert db.session.get(Offer, world["active"]).status == "active"


# --- Pages of 50, a fixed number of queries --------------------------------------------------------------


@pytest.fixture
def many_codes(app: Flask, make_product, paid) -> list[int]:
    """51 shop codes (on products, collections and whole orders), some redeemed; ids oldest first."""
    products = [make_product(title=f"Chair {n}", handle=f"chair-{n}") for n in range(5)]
    with app.test_request_context():
        max_ = Seller(email="max@example.com", name="Max", role="manager")
        max_.set_password("pa55word!")
        collections = [Collection(handle=f"c{n}", title=f"Collection {n}", kind="manual") for n in range(5)]
        shoppers = [Customer(email=f"s{n}@example.com") for n in range(3)]
        db.session.add_all([max_, *collections, *shoppers])
        db.session.commit()
        ids = []
        for n in range(51):
            scope, target = ("product", products[n % 5]) if n % 3 == 0 else ("order", None)
            if n % 3 == 1:
                scope, target = "collection", collections[n % 5].id
            code = discounts.shop_code(max_, code=f"CODE{n}", kind="percent", value=5, scope=scope,
                                       target_id=target)  # fmt: skip
            if n % 4 == 0:
                paid(code, shoppers[n % 3], 100 + n)
            ids.append(code.id)
        return ids


def test_pages_of_fifty_with_the_total_of_all_pages(manager, many_codes) -> None:
    first = manager.get("/seller/discounts/offers?made_by=shop")
    assert listed(first) == many_codes[:0:-1]
    expected_cost = sum(100 + n for n in range(51) if n % 4 == 0)
    assert f"51 offers · Total discount cost: €{expected_cost / 100:.2f}" in " ".join(
        page_text(first).split()
    )
    assert '<a rel="next" href="/seller/discounts/offers?made_by=shop&amp;page=2">' in first.get_data(
        as_text=True
    )
    second = manager.get("/seller/discounts/offers?made_by=shop&page=2")
    assert listed(second) == many_codes[:1]
    assert "Page 2 of 2" in page_text(second)


def test_a_page_takes_the_same_queries_for_one_offer_or_fifty(app, manager, many_codes) -> None:
    """No query per row: counts, costs, orders, sellers, shoppers, products and collections are read for
    the whole page at once."""
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        assert len(listed(manager.get("/seller/discounts/offers?page=1"))) == 50
        fifty = len(statements)
        statements.clear()
        assert len(listed(manager.get("/seller/discounts/offers?page=2"))) == 1
        one = len(statements)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    assert fifty <= one + 2  # at most the products' and collections' loads, which the oldest code lacks
    assert fifty < 20


def test_the_seller_filter_offers_every_seller(manager, world) -> None:
    body = manager.get("/seller/discounts/offers").get_data(as_text=True)
    for name in ("Ana", "Bo", "Max"):
        assert f'<option value="{world.sellers[name]}">{name}</option>' in body
    assert ">Mia</option>" in body


def test_product_labels_name_the_product(manager, shop_catalog) -> None:
    manager.post("/seller/discounts/codes", data={**CODE, "scope": "product", "product": "teak-table"})
    manager.post(
        "/seller/discounts/codes",
        data={**CODE, "code": "LIGHT", "scope": "collection", "collection": str(shop_catalog["lighting"])},
    )
    text = page_text(manager.get("/seller/discounts/offers"))
    assert "10% off Teak table" in text
    assert "10% off the Lighting collection" in text
