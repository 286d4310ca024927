"""Crash recovery: a server process is killed (SIGKILL) in the middle of conversations; clients that deliver
like the widget (an outbox, resent with the same client_ids after reconnecting, here to the other process)
lose nothing, and the database holds every message exactly once, numbered without gaps."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import socketio
import sqlalchemy as sa

from tests.chat.liveserver import (
    ServerProcess,
    connect,
    require_postgres,
    seller_cookie,
    server_pair,
    shopper_cookie,
)
from tests.conftest import _postgres_url, service_unavailable

SHOPPER, SELLER = "/shopper", "/seller"
SHOPPERS = 4
MESSAGES = 30  # per shopper; the seller's replies make up a fifth of the stream
PACE = 0.12  # seconds between two sends of one client: under the 10 events/s a connection may send
ACK_TIMEOUT = 3  # a missing ack means "unknown": resend with the same client_id
SELLER_EMAIL, PASSWORD = "crash-seller@example.com", "correct-horse-battery"


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """A and B on one database: PostgreSQL (the production database) when TEST_DATABASE_URL is set."""
    try:
        postgres_url = require_postgres(_postgres_url())
    except sa.exc.OperationalError as exc:
        service_unavailable(f"PostgreSQL for the live servers is unreachable: {exc}")
    sellers = [(SELLER_EMAIL, "Noor", PASSWORD)]
    with server_pair(tmp_path_factory.mktemp("crash"), postgres_url, sellers=sellers) as pair:
        yield pair


@dataclass
class Sender:
    """One client delivering as docs/chat-protocol.md says: each message goes to an outbox with its
    client_id and leaves it when acked; after a disconnect or a missing ack the client reconnects (to the
    first server still running), says hello, and resends the outbox in order."""

    name: str
    namespace: str
    cookie: str
    servers: list[ServerProcess]
    client: socketio.Client | None = None
    outbox: list[dict] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    acked: dict[str, tuple[int, int]] = field(default_factory=dict)  # client_id -> (conversation, seq)
    calls: int = 0  # sends attempted: more than len(sent) when messages were resent
    duplicates: int = 0
    reconnects: int = 0
    highest_seq: int = 0

    def send(self, text: str, **fields: object) -> None:
        client_id = f"{self.name}-{uuid.uuid4().hex[:12]}"
        self.sent.append(client_id)
        self.outbox.append({"client_id": client_id, "text": text, **fields})
        self.flush()

    def flush(self) -> None:
        deadline = time.monotonic() + 60
        while self.outbox:
            assert time.monotonic() < deadline, f"{self.name} could not deliver its outbox"
            try:
                if self.client is None or not self.client.connected:
                    self._reconnect()
                self.calls += 1
                ack = self.client.call("send", self.outbox[0], namespace=self.namespace, timeout=ACK_TIMEOUT)
            except (socketio.exceptions.SocketIOError, OSError):
                self._drop()
                time.sleep(0.1)
                continue
            assert ack["ok"], ack
            message = ack["message"]
            self.acked[message["client_id"]] = (message["conversation_id"], message["seq"])
            self.duplicates += ack["duplicate"]
            self.highest_seq = max(self.highest_seq, message["seq"])
            self.outbox.pop(0)

    def _reconnect(self) -> None:
        self._drop()
        running = [server for server in self.servers if server.process.poll() is None]
        if self.acked:
            self.reconnects += 1
        self.client = connect(running[0].url, self.namespace, self.cookie)
        hello = {"after_seq": self.highest_seq or None, "page": {"url": "/", "title": "Home"}}
        payload = hello if self.namespace == SHOPPER else {}
        answer = self.client.call("hello", payload, namespace=self.namespace, timeout=ACK_TIMEOUT)
        assert answer["ok"], answer
        for message in answer.get("messages", []):  # what this tab missed, stored by any process
            self.highest_seq = max(self.highest_seq, message["seq"])

    def _drop(self) -> None:
        if self.client is not None:
            self.client.disconnect()
            self.client = None

    def close(self) -> None:
        self._drop()


def stored(database_url: str) -> tuple[dict[int, list[tuple[int, str]]], dict[int, int]]:
    """From the database: each conversation's (seq, client_id) in seq order, and its last_seq."""
    engine = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT conversation_id, seq, client_id FROM message ORDER BY seq"))
        messages: dict[int, list[tuple[int, str]]] = {}
        for conversation_id, seq, client_id in rows:
            messages.setdefault(conversation_id, []).append((seq, client_id))
        last_seq = dict(conn.execute(sa.text("SELECT id, last_seq FROM conversation")).all())
    engine.dispose()
    return messages, last_seq


def test_killing_a_server_mid_conversation_loses_and_duplicates_nothing(servers):
    a, b = servers
    # Most clients start on A, the one that crashes; one shopper is on B all along. The seller writes
    # into the same conversations as the shoppers, from the other process once A is gone.
    shoppers = [
        Sender(f"shopper{i}", SHOPPER, shopper_cookie(a.url), [a, b] if i < SHOPPERS - 1 else [b, a])
        for i in range(SHOPPERS)
    ]
    seller = Sender("seller", SELLER, seller_cookie(a.url, SELLER_EMAIL, PASSWORD), [a, b])
    conversations: list[int] = []
    errors: list[BaseException] = []

    def shop(sender: Sender) -> None:
        for n in range(MESSAGES):
            sender.send(f"{sender.name} says {n}")
            if n == 0:
                conversations.append(next(iter(sender.acked.values()))[0])
            time.sleep(PACE)

    def sell() -> None:
        while len(conversations) < SHOPPERS:
            time.sleep(PACE)
        for n in range(MESSAGES * SHOPPERS // 4):
            seller.send(f"reply {n}", conversation_id=conversations[n % SHOPPERS])
            time.sleep(PACE)

    def guarded(work, *args) -> None:
        try:
            work(*args)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(shop, s)) for s in shoppers]
    threads.append(threading.Thread(target=guarded, args=(sell,)))
    try:
        for thread in threads:
            thread.start()
        # Kill A once every shopper has delivered a third of its messages and two of A's clients are waiting
        # for an ack: their messages may or may not be stored, and the acks are lost either way.
        on_a = [s for s in [*shoppers, seller] if s.servers[0] is a]
        deadline = time.monotonic() + 30
        while not errors and (
            min(len(s.acked) for s in shoppers) < MESSAGES // 3 or sum(bool(s.outbox) for s in on_a) < 2
        ):
            assert time.monotonic() < deadline, "the clients did not get going"
            time.sleep(0.0005)
        a.crash()
        for thread in threads:
            thread.join(timeout=90)
        assert not any(t.is_alive() for t in threads), "a client is stuck"
    finally:
        for sender in [*shoppers, seller]:
            sender.close()
    if errors:
        raise errors[0]

    senders = [*shoppers, seller]
    assert all(s.reconnects for s in on_a), "the clients on A did not fail over"
    assert sum(s.calls for s in senders) > sum(len(s.sent) for s in senders), "nothing was resent"
    assert all(not s.outbox for s in senders)
    messages, last_seq = stored(a.env["DATABASE_URL"])
    stored_ids = [client_id for rows in messages.values() for _, client_id in rows]
    sent = [client_id for s in senders for client_id in s.sent]
    assert sorted(stored_ids) == sorted(sent), "messages lost or stored twice"
    for conversation_id, rows in messages.items():
        assert [seq for seq, _ in rows] == list(range(1, len(rows) + 1)), f"gap in {conversation_id}"
        assert last_seq[conversation_id] == len(rows)
    where = {
        client_id: (conversation_id, seq)
        for conversation_id, rows in messages.items()
        for seq, client_id in rows
    }
    for sender in senders:
        assert all(where[client_id] == place for client_id, place in sender.acked.items()), sender.name
