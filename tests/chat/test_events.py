"""The chat protocol through the Flask-SocketIO test client, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from chat.models import Conversation, Message, PageView, Seller
from extensions import db, socketio
from tests.chat.conftest import call, received

S, SELLER = "/shopper", "/seller"


def send(sock, text: str, client_id: str) -> dict:
    return call(sock, "send", {"client_id": client_id, "text": text})


@pytest.fixture
def conversation(shopper, seller_client):
    """A shopper who wrote once, and a signed-in seller who opened the conversation."""
    http, shop_sock = shopper()
    call(shop_sock, "hello", {"after_seq": None, "page": {"url": "/", "title": "Home"}})
    first = send(shop_sock, "Hello, is the teak table in stock?", "c-1")
    _, seller_sock = seller_client("Ana")
    call(seller_sock, "hello", namespace=SELLER)
    cid = first["message"]["conversation_id"]
    opened = call(seller_sock, "open", {"conversation_id": cid}, namespace=SELLER)
    assert opened["ok"], opened
    shop_sock.get_received(S)
    seller_sock.get_received(SELLER)
    return {"id": cid, "http": http, "shopper": shop_sock, "seller": seller_sock}


# --- Identity and authorization ---------------------------------------------------------------------------


def test_shopper_needs_the_identity_cookie(app) -> None:
    anonymous = socketio.test_client(app, namespace=S)
    assert not anonymous.is_connected(S)
    forged = app.test_client()
    forged.set_cookie("shopper", "forged.value")
    assert not socketio.test_client(app, namespace=S, flask_test_client=forged).is_connected(S)


def test_seller_namespace_needs_a_signed_in_seller(app, shopper) -> None:
    http, _ = shopper()
    assert not socketio.test_client(app, namespace=SELLER).is_connected(SELLER)
    # a shopper's cookies do not open the seller namespace
    assert not socketio.test_client(app, namespace=SELLER, flask_test_client=http).is_connected(SELLER)


def test_shopper_only_sees_their_own_conversation(shopper) -> None:
    _, alice = shopper()
    _, bob = shopper()
    send(alice, "Alice's secret", "a-1")
    hello = call(bob, "hello", {"after_seq": None})
    assert hello["conversation"] is None
    assert hello["messages"] == []
    assert received(bob, "message", S) == []
    # the payload cannot name another conversation: there is no such field in the protocol
    reply = call(bob, "send", {"client_id": "b-1", "text": "hi", "conversation_id": 1})
    assert reply["message"]["conversation_id"] != call(alice, "hello", {})["conversation"]["id"]


def test_conversation_created_on_first_message(app, shopper) -> None:
    http, sock = shopper()
    assert call(sock, "hello", {"after_seq": None})["conversation"] is None
    reply = send(sock, "Hi", "c-1")
    assert reply["ok"]
    assert reply["message"]["seq"] == 1
    assert http.post("/chat/session").get_json()["conversation_id"] == reply["message"]["conversation_id"]


# --- Messages, sequence numbers, duplicates -----------------------------------------------------------------


def test_messages_are_numbered_and_resends_are_not_duplicated(app, shopper) -> None:
    _, sock = shopper()
    seqs = [send(sock, f"message {i}", f"c-{i}")["message"]["seq"] for i in range(1, 6)]
    assert seqs == [1, 2, 3, 4, 5]
    resend = send(sock, "message 3", "c-3")
    assert resend["duplicate"] is True
    assert resend["message"]["seq"] == 3
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 5
        assert db.session.scalar(sa.select(Conversation.last_seq)) == 5


def test_hello_returns_what_was_missed(shopper) -> None:
    http, sock = shopper()
    for i in range(1, 5):
        send(sock, f"m{i}", f"c-{i}")
    _, other_tab = shopper(http)
    hello = call(other_tab, "hello", {"after_seq": 2})
    assert [m["text"] for m in hello["messages"]] == ["m3", "m4"]
    assert [m["seq"] for m in call(other_tab, "hello", {"after_seq": None})["messages"]] == [1, 2, 3, 4]


def test_all_tabs_of_a_shopper_receive_messages(shopper) -> None:
    http, tab1 = shopper()
    _, tab2 = shopper(http)
    send(tab1, "from tab one", "c-1")
    assert [m["text"] for m in received(tab2, "message", S)] == ["from tab one"]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"client_id": "c-1", "text": ""}, "empty"),
        ({"client_id": "c-1", "text": "   \n "}, "empty"),
        ({"client_id": "c-1", "text": "x" * 4001}, "too_long"),
        ({"client_id": "c-1", "text": 42}, "invalid"),
        ({"client_id": "", "text": "hi"}, "invalid"),
        ({"client_id": "x" * 65, "text": "hi"}, "invalid"),
        ({"client_id": "<script>", "text": "hi"}, "invalid"),
        ({"text": "hi"}, "invalid"),
    ],
)
def test_bad_messages_get_a_clear_error_and_store_nothing(app, shopper, payload, code) -> None:
    _, sock = shopper()
    reply = call(sock, "send", payload)
    assert reply["ok"] is False
    assert reply["error"]["code"] == code
    assert reply["error"]["message"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 0


def test_payload_must_be_an_object(shopper) -> None:
    _, sock = shopper()
    for bad in ("hello", 42, ["a"]):
        reply = sock.emit("send", bad, namespace=S, callback=True)
        assert reply["error"]["code"] == "invalid"


def test_error_messages_follow_the_shoppers_language(app) -> None:
    http = app.test_client()
    http.post("/chat/session")
    sock = socketio.test_client(app, namespace=S, flask_test_client=http, headers={"Accept-Language": "fr"})
    reply = call(sock, "send", {"client_id": "c-1", "text": ""})
    assert reply["error"]["message"] == "Le message est vide."


def test_card_numbers_are_masked_before_storage(app, shopper) -> None:
    _, sock = shopper()
    reply = send(sock, "my card is 4242 4242 4242 4242 and order 1234567890123", "c-1")
    assert reply["message"]["text"] == "my card is •••• •••• •••• 4242 and order 1234567890123"
    with app.app_context():
        assert "4242 4242 4242 4242" not in db.session.scalar(sa.select(Message.text))


def test_html_is_stored_as_text(shopper) -> None:
    _, sock = shopper()
    assert (
        send(sock, "<img src=x onerror=alert(1)>", "c-1")["message"]["text"] == "<img src=x onerror=alert(1)>"
    )


def test_rate_limit(shopper) -> None:
    _, sock = shopper()
    replies = [call(sock, "typing", {"typing": True}) for _ in range(100)]
    limited = [r for r in replies if not r["ok"]]
    assert limited, "100 events at once must hit the limit (bursts of 20, 10 a second)"
    assert limited[0]["error"]["code"] == "rate_limited"
    assert limited[0]["error"]["retry_after"] == 1
    assert any(e["code"] == "rate_limited" for e in received(sock, "error", S))


# --- Seller side ------------------------------------------------------------------------------------


def test_seller_sees_new_conversations_live(shopper, seller_client) -> None:
    _, seller_sock = seller_client("Ana")
    _, shop_sock = shopper()
    send(shop_sock, "Anyone there?", "c-1")
    updates = received(seller_sock, "conversation", SELLER)
    assert updates[-1]["status"] == "waiting"
    assert updates[-1]["unread"] == 1
    assert updates[-1]["last_message"]["text"] == "Anyone there?"


def test_exchange_typing_and_read_receipts(conversation) -> None:
    shop, seller, cid = conversation["shopper"], conversation["seller"], conversation["id"]
    call(seller, "typing", {"conversation_id": cid, "typing": True}, namespace=SELLER)
    assert received(shop, "typing", S) == [
        {"conversation_id": cid, "who": "seller", "name": "Ana", "typing": True}
    ]
    reply = call(
        seller, "send", {"conversation_id": cid, "client_id": "s-1", "text": "Yes, 8 left!"}, namespace=SELLER
    )
    assert reply["ok"]
    assert [m["text"] for m in received(shop, "message", S)] == ["Yes, 8 left!"]
    call(shop, "typing", {"typing": True})
    assert received(seller, "typing", SELLER)[0]["who"] == "shopper"
    # read receipts both ways
    call(seller, "read", {"conversation_id": cid, "seq": 1}, namespace=SELLER)
    assert received(shop, "read", S) == [{"conversation_id": cid, "who": "seller", "seq": 1}]
    assert call(shop, "read", {"seq": 2})["seq"] == 2
    assert {"conversation_id": cid, "who": "shopper", "seq": 2} in received(seller, "read", SELLER)


def test_read_positions_never_go_back_nor_past_the_end(app, conversation) -> None:
    shop = conversation["shopper"]
    assert call(shop, "read", {"seq": 99})["seq"] == 1
    assert call(shop, "read", {"seq": 0})["seq"] == 1
    assert call(shop, "read", {"seq": "1"})["error"]["code"] == "invalid"


def test_unread_count_resets_when_a_seller_reads(app, conversation) -> None:
    shop, seller, cid = conversation["shopper"], conversation["seller"], conversation["id"]
    send(shop, "second", "c-2")
    assert received(seller, "conversation", SELLER)[-1]["unread"] == 2
    call(seller, "read", {"conversation_id": cid, "seq": 2}, namespace=SELLER)
    assert received(seller, "conversation", SELLER)[-1]["unread"] == 0


def test_claim_transfer_resolve_reopen(app, conversation, seller_client) -> None:
    shop, seller, cid = conversation["shopper"], conversation["seller"], conversation["id"]
    _, bob = seller_client("Bob")
    claimed = call(seller, "claim", {"conversation_id": cid}, namespace=SELLER)
    assert claimed["conversation"]["status"] == "assigned"
    assert claimed["conversation"]["assignee"]["name"] == "Ana"
    system = received(shop, "message", S)[-1]
    assert (system["type"], system["data"]["event"]) == ("system", "claimed")
    # Bob cannot take it
    lost = call(bob, "claim", {"conversation_id": cid}, namespace=SELLER)
    assert lost["error"]["code"] == "already_claimed"
    assert lost["error"]["owner"] == "Ana"
    assert lost["error"]["message"] == "Ana already has this conversation."
    # nor resolve it (he is not a manager and does not have it)
    assert call(bob, "resolve", {"conversation_id": cid}, namespace=SELLER)["error"]["code"] == "forbidden"
    with app.app_context():
        bob_id = db.session.scalar(sa.select(Seller.id).filter_by(name="Bob"))
    moved = call(seller, "transfer", {"conversation_id": cid, "seller_id": bob_id}, namespace=SELLER)
    assert moved["conversation"]["assignee"]["name"] == "Bob"
    assert (
        call(bob, "resolve", {"conversation_id": cid}, namespace=SELLER)["conversation"]["status"]
        == "resolved"
    )
    # a new shopper message reopens it, still with Bob
    send(shop, "One more question", "c-9")
    latest = received(seller, "conversation", SELLER)[-1]
    assert (latest["status"], latest["assignee"]["name"]) == ("assigned", "Bob")


def test_claim_race_has_exactly_one_winner(app, conversation, seller_client) -> None:
    sellers = [conversation["seller"]] + [seller_client(name)[1] for name in ("Bob", "Cleo", "Dan")]
    results = [
        call(sock, "claim", {"conversation_id": conversation["id"]}, namespace=SELLER) for sock in sellers
    ]
    assert sum(r["ok"] for r in results) == 1
    assert all(r["error"]["code"] == "already_claimed" for r in results if not r["ok"])


def test_unassigned_resolved_conversation_reopens_as_waiting(conversation) -> None:
    shop, seller, cid = conversation["shopper"], conversation["seller"], conversation["id"]
    assert call(seller, "resolve", {"conversation_id": cid}, namespace=SELLER)["ok"]
    send(shop, "back again", "c-2")
    assert received(seller, "conversation", SELLER)[-1]["status"] == "waiting"
    note = received(shop, "message", S)[-1]
    assert (note["type"], note["data"]["event"]) == ("system", "reopened")


def test_inbox_filters(app, conversation, shopper, seller_client) -> None:
    seller, cid = conversation["seller"], conversation["id"]
    _, other = shopper()
    send(other, "Second shopper", "o-1")
    call(seller, "claim", {"conversation_id": cid}, namespace=SELLER)

    def ids(filter_: str) -> list[int]:
        return [
            c["id"] for c in call(seller, "inbox", {"filter": filter_}, namespace=SELLER)["conversations"]
        ]

    assert len(ids("open")) == 2
    assert ids("mine") == [cid]
    assert cid not in ids("waiting")
    assert len(ids("waiting")) == 1
    assert ids("resolved") == []
    assert ids("open")[0] == cid  # newest activity first: the claim's system message came last
    assert call(seller, "inbox", {"filter": "nope"}, namespace=SELLER)["error"]["code"] == "invalid"


def test_context_panel(app, conversation, make_product) -> None:
    make_product(title="Olive Tree", handle="olive-tree", variants=[{"price": 4900}])
    http, shop, seller, cid = (conversation[k] for k in ("http", "shopper", "seller", "id"))
    http.post("/products/olive-tree/add", data={"quantity": "2"})
    pushed = received(seller, "context", SELLER)[-1]  # the cart change alone refreshes the panel
    assert pushed["context"]["cart"]["subtotal"] == 9800
    call(
        shop,
        "page",
        {"url": "/products/olive-tree?variant=1", "title": "Olive Tree", "product_handle": "olive-tree"},
    )
    update = received(seller, "context", SELLER)[-1]
    assert update["conversation_id"] == cid
    context = update["context"]
    assert context["page"] == {
        "url": "/products/olive-tree?variant=1",
        "title": "Olive Tree",
        "product_handle": "olive-tree",
    }
    assert [p["url"] for p in context["pages"]] == ["/products/olive-tree?variant=1", "/"]
    assert context["cart"]["subtotal"] == 9800
    assert context["cart"]["lines"][0]["quantity"] == 2
    assert context["orders"] == []
    assert context["total_spent"] == 0


def test_pages_from_other_sites_are_ignored(app, conversation) -> None:
    shop = conversation["shopper"]
    for url in ("https://evil.example/phish", "//evil.example/x", "javascript:alert(1)", "x" * 3000):
        call(shop, "page", {"url": url, "title": "x"})
    with app.app_context():
        assert [v.url for v in db.session.scalars(sa.select(PageView))] == ["/"]


def test_email_is_validated_and_kept(app, conversation) -> None:
    shop = conversation["shopper"]
    assert call(shop, "email", {"email": "not-an-email"})["error"]["code"] == "invalid_email"
    assert call(shop, "email", {"email": "Ana@Example.com"})["email"] == "Ana@example.com"
    note = received(conversation["seller"], "message", SELLER)[-1]
    assert note["data"] == {"event": "email_left", "name": "Ana@example.com"}


def test_product_cards_and_search(app, conversation, make_product) -> None:
    make_product(title="Round Teak Table", handle="teak-table", variants=[{"price": 13900}])
    seller, shop, cid = conversation["seller"], conversation["shopper"], conversation["id"]
    found = call(seller, "search_products", {"q": "teak"}, namespace=SELLER)["products"]
    assert [p["handle"] for p in found] == ["teak-table"]
    sent = call(
        seller,
        "send_product",
        {"conversation_id": cid, "client_id": "p-1", "handle": "teak-table"},
        namespace=SELLER,
    )
    card = received(shop, "message", S)[-1]
    assert card["type"] == "product_card"
    assert card["data"]["product"]["url"] == "/products/teak-table"
    assert card["data"]["product"]["price"] == 13900
    assert sent["message"]["seq"] == card["seq"]
    missing = call(
        seller,
        "send_product",
        {"conversation_id": cid, "client_id": "p-2", "handle": "nope"},
        namespace=SELLER,
    )
    assert missing["error"]["code"] == "not_found"


def test_canned_response_variables(app, conversation, make_product) -> None:
    from chat.models import CannedResponse

    make_product(title="Olive Tree", handle="olive-tree")
    with app.app_context():
        canned = CannedResponse(
            shortcut="hi", title="Hi", body="Hello {shopper_name}, {product} from {shop_name}."
        )
        db.session.add(canned)
        db.session.commit()
        canned_id = canned.id
    call(conversation["shopper"], "email", {"email": "zoe@example.com"})
    call(
        conversation["shopper"],
        "page",
        {"url": "/products/olive-tree", "title": "Olive", "product_handle": "olive-tree"},
    )
    text = call(
        conversation["seller"],
        "render_canned",
        {"conversation_id": conversation["id"], "canned_id": canned_id},
        namespace=SELLER,
    )
    assert text["text"] == "Hello zoe, Olive Tree from Maison Verte."


def test_presence(app, shopper, make_seller, sockets) -> None:
    _, shop = shopper()
    assert call(shop, "hello", {})["sellers_online"] is False
    make_seller("Ana")
    http = app.test_client()
    http.post("/seller", data={"email": "ana@example.com", "password": "pa55word!"})
    seller = socketio.test_client(app, namespace=SELLER, flask_test_client=http)
    sockets.append(seller)
    assert received(shop, "presence", S)[-1] == {"sellers_online": True}
    call(seller, "presence", {"status": "away"}, namespace=SELLER)
    assert received(shop, "presence", S)[-1] == {"sellers_online": False}
    assert call(seller, "presence", {"status": "invisible"}, namespace=SELLER)["error"]["code"] == "invalid"
    call(seller, "presence", {"status": "online"}, namespace=SELLER)
    assert received(shop, "presence", S)[-1] == {"sellers_online": True}
    seller.disconnect(namespace=SELLER)
    assert received(shop, "presence", S)[-1] == {"sellers_online": False}


def test_unknown_conversation_ids(conversation) -> None:
    seller = conversation["seller"]
    for bad in (999999, "1", None, True):
        reply = call(seller, "open", {"conversation_id": bad}, namespace=SELLER)
        assert reply["ok"] is False
        assert reply["error"]["code"] in ("not_found", "invalid")


def test_only_the_shops_own_origin_may_connect(client) -> None:
    handshake = "/socket.io/?EIO=4&transport=polling"
    refused = client.get(handshake, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 400
    assert client.get(handshake, headers={"Origin": "http://localhost"}).status_code == 200
