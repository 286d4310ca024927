"""Scale-out: two real server processes (scripts/run.sh, gunicorn + gevent) sharing one database and, through
Redis (REDIS_URL), Socket.IO rooms. A shopper on one process and a seller on the other talk normally."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
import redis
import sqlalchemy as sa

from tests.chat.liveserver import (
    Listener,
    ServerProcess,
    connect,
    require_postgres,
    seller_cookie,
    server_pair,
    shopper_cookie,
)
from tests.conftest import _postgres_url, service_unavailable

SHOPPER, SELLER = "/shopper", "/seller"
#: Pub/sub channels are shared by every database number of a Redis server: the tests' assertions pick
#: their own events by unique names and ids, so another suite using the same Redis does not disturb them.
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/3")
TAG = uuid.uuid4().hex[:8]
SELLER_NAME, SELLER_EMAIL, PASSWORD = f"Ana {TAG}", f"ana-{TAG}@example.com", "correct-horse-battery"


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Processes A and B: same database (PostgreSQL when TEST_DATABASE_URL is set), SECRET_KEY and Redis."""
    try:
        with redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2) as client:
            client.ping()
    except redis.exceptions.RedisError as exc:
        service_unavailable(f"Redis at {REDIS_URL} is unreachable: {exc}")
    try:
        postgres_url = require_postgres(_postgres_url())
    except sa.exc.OperationalError as exc:
        service_unavailable(f"PostgreSQL for the live servers is unreachable: {exc}")
    sellers = [(SELLER_EMAIL, SELLER_NAME, PASSWORD)]
    with server_pair(tmp_path_factory.mktemp("scale-out"), postgres_url, REDIS_URL, sellers) as pair:
        yield pair


def send(client, namespace: str, **payload) -> dict:
    ack = client.call("send", payload, namespace=namespace, timeout=10)
    assert ack["ok"], ack
    assert not ack["duplicate"]
    return ack["message"]


def test_shopper_on_one_process_and_seller_on_the_other_talk(servers):
    a, b = servers
    tag, name = TAG, SELLER_NAME
    seller = connect(b.url, SELLER, seller_cookie(b.url, SELLER_EMAIL, PASSWORD))
    inbox = Listener(seller, SELLER, "conversation", "message", "typing")
    shopper = connect(a.url, SHOPPER, shopper_cookie(a.url))
    widget = Listener(shopper, SHOPPER, "conversation", "message", "typing")
    try:
        assert seller.call("hello", {}, namespace=SELLER, timeout=10)["ok"]
        page = {"url": "/products/olive-tree", "title": "Olive tree", "product_handle": "olive-tree"}
        hello = shopper.call("hello", {"after_seq": None, "page": page}, namespace=SHOPPER, timeout=10)
        assert hello["ok"], hello
        assert hello["conversation"] is None
        assert hello["sellers_online"], "the seller connected to B is online for a shopper on A"

        # Shopper (A) -> seller's inbox (B), through Redis.
        question = f"Is the olive tree hardy? [{tag}]"
        first = send(shopper, SHOPPER, client_id=f"{tag}-1", text=question)
        conversation_id = first["conversation_id"]
        summary = inbox.wait_for(
            "conversation", lambda c: (c.get("last_message") or {}).get("text") == question
        )
        assert (summary["id"], summary["status"], summary["unread"]) == (conversation_id, "waiting", 1)

        # The seller opens it (history from the shared database), then live messages follow (room on B).
        opened = seller.call("open", {"conversation_id": conversation_id}, namespace=SELLER, timeout=10)
        assert opened["ok"], opened
        assert [m["client_id"] for m in opened["messages"]] == [f"{tag}-1"]
        shopper.call("typing", {"typing": True}, namespace=SHOPPER, timeout=10)
        typing = inbox.wait_for("typing", lambda t: t["conversation_id"] == conversation_id)
        assert (typing["who"], typing["typing"]) == ("shopper", True)
        send(shopper, SHOPPER, client_id=f"{tag}-2", text="Down to -10 °C?")
        live = inbox.wait_for("message", lambda m: m["client_id"] == f"{tag}-2")
        assert (live["conversation_id"], live["seq"], live["sender"]["kind"]) == (
            conversation_id,
            2,
            "shopper",
        )

        # Seller (B) -> shopper (A): typing, then the reply and the conversation's new state.
        seller.call(
            "typing", {"conversation_id": conversation_id, "typing": True}, namespace=SELLER, timeout=10
        )
        typing = widget.wait_for("typing", lambda t: t["who"] == "seller" and t["name"] == name)
        assert typing == {"conversation_id": conversation_id, "who": "seller", "name": name, "typing": True}
        reply = f"Yes, down to -10 °C once established. [{tag}]"
        send(seller, SELLER, conversation_id=conversation_id, client_id=f"{tag}-3", text=reply)
        got = widget.wait_for("message", lambda m: m["client_id"] == f"{tag}-3")
        assert (got["seq"], got["text"], got["sender"]) == (3, reply, {"kind": "seller", "name": name})
        widget.wait_for("conversation", lambda c: c["id"] == conversation_id and c["last_seq"] == 3)
    finally:
        shopper.disconnect()
        seller.disconnect()
