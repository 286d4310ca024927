"""The inbox's discount calls (chat/offer_routes.py) over HTTP, with the shopper's and the sellers' sockets
listening, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from chat.models import Message, Seller
from extensions import db
from shop import discounts
from shop.models import Collection, Offer
from tests.chat.conftest import call, received

S, SELLER = "/shopper", "/seller"


@pytest.fixture
def conversation(shopper, seller_client):
    """A shopper who wrote from a product page, and Ana (a seller) who claimed the conversation."""
    http, shop_sock = shopper()
    call(shop_sock, "hello", {"after_seq": None, "page": {"url": "/", "title": "Home"}})
    first = call(shop_sock, "send", {"client_id": "c-1", "text": "Is there a discount on the teak table?"})
    ana_http, ana = seller_client("Ana")
    cid = first["message"]["conversation_id"]
    assert call(ana, "claim", {"conversation_id": cid}, namespace=SELLER)["ok"]
    assert call(ana, "open", {"conversation_id": cid}, namespace=SELLER)["ok"]
    shop_sock.get_received(S)
    ana.get_received(SELLER)
    return {"id": cid, "http": http, "shopper": shop_sock, "ana_http": ana_http, "ana": ana}


@pytest.fixture
def manager(seller_client, conversation):
    """Marc, a manager, with the inbox open (he is in the sellers' room, not in the conversation)."""
    http, sock = seller_client("Marc", role="manager")
    sock.get_received(SELLER)
    return http, sock


def offer_url(conversation) -> str:
    return f"/seller/conversations/{conversation['id']}/offers"


def stored(app, conversation_id: int, type_: str) -> list[Message]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(Message)
                .filter_by(conversation_id=conversation_id, type=type_)
                .order_by(Message.seq)
            )
        )


def offers_in_db(app) -> list[Offer]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Offer).order_by(Offer.id)))


def system_events(messages: list[dict]) -> list[str]:
    return [m["data"]["event"] for m in messages if m["type"] == "system"]


# --- Making an offer ---------------------------------------------------------------------------------------


def test_the_assignee_offers_within_their_cap_and_the_card_is_posted(app, conversation) -> None:
    response = conversation["ana_http"].post(
        offer_url(conversation), json={"kind": "percent", "value": "10", "note": "For your first table"}
    )

    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["ok"] is True
    assert body["pending"] is False
    assert body["message"] == "Offer sent: 10% off your order."
    assert body["offer"]["label"] == "10% off your order"
    card = received(conversation["shopper"], "message", S)[-1]
    assert card["type"] == "offer"
    assert card["sender"]["name"] == "Ana"
    assert card["data"]["offer"]["id"] == body["offer"]["id"]
    assert card["data"]["offer"]["note"] == "For your first table"
    assert card["data"]["offer"]["status"] == "active"
    assert re.match(r"^until \w+day \d+ \w+, \d\d:\d\d$", card["data"]["offer"]["until"])
    ana_events = conversation["ana"].get_received(SELLER)
    assert [e["args"]["type"] for e in ana_events if e["name"] == "message"] == ["offer"]
    contexts = [e["args"][0] for e in ana_events if e["name"] == "context"]
    assert contexts[-1]["context"]["offers"][0]["code"] == body["offer"]["code"]
    [offer] = offers_in_db(app)
    assert (offer.kind, offer.value, offer.scope, offer.status) == ("percent", 10, "order", "active")
    assert offer.conversation_id == conversation["id"]
    with app.app_context():
        assert offer.created_by_id == db.session.scalar(sa.select(Seller.id).filter_by(name="Ana"))
    assert [m.text for m in stored(app, conversation["id"], "offer")] == [
        f"For your first table · 10% off your order · {card['data']['offer']['until']} (code {offer.code})"
    ]


def test_a_fixed_amount_on_a_product_with_a_minimum_and_an_expiry(app, conversation, make_product) -> None:
    product_id = make_product(title="Teak Table", handle="teak-table", variants=[{"price": 45000}])
    response = conversation["ana_http"].post(
        offer_url(conversation),
        json={
            "kind": "fixed",
            "value": "12.50",
            "scope": "product",
            "product_id": product_id,
            "min_subtotal": "100",
            "expires_in_hours": "3",
        },
    )

    assert response.status_code == 201, response.get_json()
    assert response.get_json()["offer"]["label"] == "€12.50 off Teak Table"
    assert response.get_json()["offer"]["min_subtotal_text"] == "€100.00"
    [offer] = offers_in_db(app)
    assert (offer.kind, offer.value, offer.product_id, offer.min_subtotal) == (
        "fixed",
        1250,
        product_id,
        10000,
    )
    assert round((offer.expires_at - offer.created_at).total_seconds()) == 3 * 3600


def test_form_data_works_as_json_does(app, conversation) -> None:
    with app.app_context():
        collection = Collection(handle="chairs", title="Chairs")
        db.session.add(collection)
        db.session.commit()
        collection_id = collection.id
    data = {"kind": "percent", "value": "5", "scope": "collection", "collection_id": str(collection_id)}
    response = conversation["ana_http"].post(offer_url(conversation), data=data)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["offer"]["label"] == "5% off the Chairs collection"


def test_a_manager_may_offer_in_a_conversation_he_does_not_have(app, conversation, manager) -> None:
    response = manager[0].post(offer_url(conversation), json={"kind": "percent", "value": "25"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["pending"] is False  # within a manager's own cap
    card = received(conversation["shopper"], "message", S)[-1]
    assert (card["type"], card["sender"]["name"]) == ("offer", "Marc")


def test_another_seller_may_not_offer_in_anas_conversation(app, conversation, seller_client) -> None:
    bruno, _sock = seller_client("Bruno")
    response = bruno.post(offer_url(conversation), json={"kind": "percent", "value": "5"})
    assert response.status_code == 403
    assert response.get_json()["error"] == {
        "code": "forbidden",
        "message": "Only the seller who has this conversation, or a manager, can make an offer in it.",
    }
    assert bruno.get(offer_url(conversation) + "/new").status_code == 403
    assert offers_in_db(app) == []
    assert received(conversation["shopper"], "message", S) == []


def test_shoppers_and_strangers_are_told_to_sign_in(app, conversation) -> None:
    for client in (app.test_client(), conversation["http"]):  # nobody, then the shopper's own cookies
        response = client.post(offer_url(conversation), json={"kind": "percent", "value": "5"})
        assert response.status_code == 401
        assert response.get_json()["error"] == {
            "code": "not_signed_in",
            "message": "Sign in as a seller first.",
        }
        assert client.get("/seller/offers/pending").status_code == 401
        assert client.post("/seller/offers/1/approve").status_code == 401
    assert offers_in_db(app) == []


def test_an_unknown_conversation_is_a_404(conversation) -> None:
    response = conversation["ana_http"].post("/seller/conversations/999999/offers", json={"value": "5"})
    assert response.status_code == 404
    assert response.get_json()["error"]["message"] == "This conversation does not exist."


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"kind": "half", "value": "5"}, "kind", "Choose a percent or a fixed amount."),
        ({"kind": "percent"}, "value", "Enter the percent or the amount off."),
        ({"kind": "percent", "value": "  "}, "value", "Enter the percent or the amount off."),
        ({"kind": "percent", "value": "0"}, "value", "A percent is a whole number from 1 to 100."),
        ({"kind": "percent", "value": "101"}, "value", "A percent is a whole number from 1 to 100."),
        ({"kind": "percent", "value": "7.5"}, "value", "A percent is a whole number from 1 to 100."),
        ({"kind": "fixed", "value": "0"}, "value", "Enter an amount above zero, written like 20.00."),
        ({"kind": "fixed", "value": "1.234"}, "value", "Enter an amount above zero, written like 20.00."),
        ({"kind": "fixed", "value": "ten"}, "value", "Enter an amount above zero, written like 20.00."),
        ({"value": "5", "scope": "shipping"}, "scope", "Choose what the discount applies to."),
        ({"value": "5", "scope": "product"}, "product_id", "Choose the product the discount is for."),
        ({"value": "5", "scope": "product", "product_id": 999999}, "product_id",
         "Choose the product the discount is for."),
        ({"value": "5", "scope": "collection", "collection_id": "x"}, "collection_id",
         "Choose the collection the discount is for."),
        ({"value": "5", "min_subtotal": "-3"}, "min_subtotal",
         "Write the minimum order as an amount like 20.00."),
        ({"value": "5", "expires_in_hours": "0"}, "expires_in_hours",
         "An offer lasts from 1 to 8760 hours (a year)."),
        ({"value": "5", "expires_in_hours": "8761"}, "expires_in_hours",
         "An offer lasts from 1 to 8760 hours (a year)."),
        ({"value": "5", "note": "x" * 201}, "note", "A note is at most 200 characters."),
    ],
)  # fmt: skip
def test_each_field_is_checked_with_a_clear_message(app, conversation, payload, field, message) -> None:
    response = conversation["ana_http"].post(offer_url(conversation), json=payload)

    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    assert error["message"] == "Please correct the highlighted fields."
    assert error["fields"] == {field: message}
    assert offers_in_db(app) == []
    assert received(conversation["shopper"], "message", S) == []


def test_a_draft_product_cannot_be_offered(app, conversation, make_product) -> None:
    draft = make_product(title="Prototype", status="draft")
    response = conversation["ana_http"].post(
        offer_url(conversation), json={"value": "5", "scope": "product", "product_id": draft}
    )
    assert response.get_json()["error"]["fields"] == {"product_id": "Choose the product the discount is for."}


def test_the_form_offers_the_cart_and_viewed_products_collections_and_the_caps(
    app, conversation, make_product
) -> None:
    table = make_product(title="Teak Table", handle="teak-table")
    chair = make_product(title="Teak Chair", handle="teak-chair")
    with app.app_context():
        db.session.add(Collection(handle="garden", title="Garden"))
        db.session.commit()
    conversation["http"].post("/products/teak-table/add", data={"quantity": "1"})
    page = {"url": "/products/teak-chair", "title": "Teak Chair", "product_handle": "teak-chair"}
    call(conversation["shopper"], "page", page)

    options = conversation["ana_http"].get(offer_url(conversation) + "/new").get_json()

    assert options["products"] == [
        {"id": table, "title": "Teak Table", "in_cart": True},
        {"id": chair, "title": "Teak Chair", "in_cart": False, "viewing": True},
    ]
    assert [c["title"] for c in options["collections"]] == ["Garden"]
    assert options["default_expiry_hours"] == 48
    assert options["cap_text"] == (
        "You can offer up to 10% or €20.00 alone; above that, up to 25% or €100.00, a manager approves."
    )


def test_a_managers_cap_text_and_the_owners_settings(app, conversation, manager) -> None:
    with app.app_context():
        discounts.save_settings(manager_max_percent=30, default_expiry_hours=24)
    options = manager[0].get(offer_url(conversation) + "/new").get_json()
    assert options["cap_text"] == "You can offer up to 30% or €100.00."
    assert options["default_expiry_hours"] == 24


# --- Above a seller's cap: a manager decides ---------------------------------------------------------------


@pytest.fixture
def pending(app, conversation, manager):
    """Ana asked for 20% (above her 10%): the offer waits for a manager."""
    response = conversation["ana_http"].post(offer_url(conversation), json={"kind": "percent", "value": "20"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_above_the_sellers_cap_the_managers_are_asked(app, conversation, manager, pending) -> None:
    assert pending["pending"] is True
    assert pending["offer"]["status"] == "pending"
    assert pending["message"] == "20% off your order is waiting for a manager's approval."
    [asked] = received(manager[1], "offer_pending", SELLER)
    assert asked["id"] == pending["offer"]["id"]
    assert asked["label"] == "20% off your order"
    assert asked["conversation_id"] == conversation["id"]
    assert asked["seller"]["name"] == "Ana"
    to_shopper = received(conversation["shopper"], "message", S)
    assert [m["type"] for m in to_shopper] == ["system"]  # a note, no card to apply yet
    assert to_shopper[0]["data"]["event"] == "offer_pending"
    assert to_shopper[0]["text"] == "Ana asked a manager to approve 20% off your order"
    listed = manager[0].get("/seller/offers/pending").get_json()
    assert [o["id"] for o in listed["offers"]] == [pending["offer"]["id"]]
    assert listed["offers"][0]["seller"]["name"] == "Ana"


def test_a_manager_approves_and_the_card_is_posted(app, conversation, manager, pending) -> None:
    offer_id = pending["offer"]["id"]
    conversation["shopper"].get_received(S)
    conversation["ana"].get_received(SELLER)

    response = manager[0].post(f"/seller/offers/{offer_id}/approve")

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["message"] == "Approved: 20% off your order."
    assert response.get_json()["offer"]["status"] == "active"
    card = received(conversation["shopper"], "message", S)[-1]
    assert (card["type"], card["sender"]["name"]) == ("offer", "Marc")
    assert card["data"]["offer"]["id"] == offer_id
    decided = received(conversation["ana"], "offer_decided", SELLER)
    assert decided == [{"id": offer_id, "status": "active", "conversation_id": conversation["id"]}]
    assert manager[0].get("/seller/offers/pending").get_json()["offers"] == []
    with app.app_context():
        offer = db.session.get(Offer, offer_id)
        assert offer.decided_by_id == db.session.scalar(sa.select(Seller.id).filter_by(name="Marc"))

    again = manager[0].post(f"/seller/offers/{offer_id}/decline")
    assert again.status_code == 409
    assert again.get_json()["error"] == {
        "code": "already_decided",
        "message": "This offer was already approved or declined.",
    }
    assert offers_in_db(app)[0].status == "active"


def test_a_manager_declines_and_both_sides_are_told(app, conversation, manager, pending) -> None:
    offer_id = pending["offer"]["id"]
    conversation["shopper"].get_received(S)

    response = manager[0].post(f"/seller/offers/{offer_id}/decline")

    assert response.status_code == 200
    assert response.get_json()["message"] == "Declined: 20% off your order."
    to_shopper = received(conversation["shopper"], "message", S)
    assert system_events(to_shopper) == ["offer_declined"]
    assert to_shopper[0]["text"] == "Sorry, the discount (20% off your order) was not approved"
    assert "offer" not in [m["type"] for m in to_shopper]
    assert system_events(received(conversation["ana"], "message", SELLER))[-1] == "offer_declined"
    assert manager[0].post(f"/seller/offers/{offer_id}/approve").status_code == 409
    assert offers_in_db(app)[0].status == "declined"


def test_sellers_cannot_list_approve_or_decline(app, conversation, pending) -> None:
    ana = conversation["ana_http"]
    offer_id = pending["offer"]["id"]
    for response in (
        ana.get("/seller/offers/pending"),
        ana.post(f"/seller/offers/{offer_id}/approve"),
        ana.post(f"/seller/offers/{offer_id}/decline"),
    ):
        assert response.status_code == 403
        assert response.get_json()["error"]["message"] == "Only a manager can approve or decline discounts."
    assert offers_in_db(app)[0].status == "pending"


def test_an_unknown_offer_is_a_404(manager) -> None:
    response = manager[0].post("/seller/offers/999999/approve")
    assert response.status_code == 404
    assert response.get_json()["error"]["message"] == "This offer does not exist."


def test_above_a_managers_cap_nobody_may_offer(app, conversation, manager) -> None:
    for http in (conversation["ana_http"], manager[0]):
        response = http.post(offer_url(conversation), json={"kind": "percent", "value": "26"})
        assert response.status_code == 400
        error = response.get_json()["error"]
        assert error["code"] == "over_cap"
        assert error["fields"] == {"value": "The shop allows discounts of at most 25%."}
    fixed = manager[0].post(offer_url(conversation), json={"kind": "fixed", "value": "100.01"})
    assert fixed.get_json()["error"]["fields"] == {"value": "The shop allows discounts of at most €100.00."}
    assert offers_in_db(app) == []
    assert received(manager[1], "offer_pending", SELLER) == []


def test_approving_above_a_lowered_cap_is_refused(app, conversation, manager, pending) -> None:
    with app.app_context():
        discounts.save_settings(manager_max_percent=15)
    response = manager[0].post(f"/seller/offers/{pending['offer']['id']}/approve")
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == "The shop allows discounts of at most 15%."
    assert offers_in_db(app)[0].status == "pending"


# --- CSRF --------------------------------------------------------------------------------------------------


def test_posts_need_the_csrf_header(app, conversation, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    ana = conversation["ana_http"]

    refused = ana.post(offer_url(conversation), json={"kind": "percent", "value": "5"})

    assert refused.status_code == 400
    assert refused.get_json()["error"] == {
        "code": "csrf",
        "message": "Your session expired. Please reload the page and try again.",
    }
    assert offers_in_db(app) == []
    token = re.search(
        r'<meta name="csrf-token" content="([^"]+)"', ana.get("/seller/inbox").get_data(as_text=True)
    )
    assert token is not None
    sent = ana.post(
        offer_url(conversation),
        json={"kind": "percent", "value": "5"},
        headers={"X-CSRFToken": token.group(1)},
    )
    assert sent.status_code == 201
    assert offers_in_db(app)[0].status == "active"
