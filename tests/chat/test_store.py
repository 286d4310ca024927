"""The message store under concurrency, on a SQLite file and on PostgreSQL: group commit (`MessageWriter`)
and concurrent transactions (`write_one`), gap-free seqs, one row per client_id, batch failure isolation."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
import socketio
import sqlalchemy as sa
from flask import Flask

from app import create_app
from chat import store
from chat.messages import Draft
from chat.models import Conversation, Message
from config import TestConfig
from extensions import db
from shop.models import Customer, utcnow
from tests.conftest import _postgres_url, empty_tables, fresh_schema, service_unavailable

THREADS = 12
PER_THREAD = 15


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def _store_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app on a SQLite *file* (in-memory SQLite has no concurrent connections) or on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('store') / 'store.db'}"
    else:
        url = _postgres_url()
        if not url:
            service_unavailable("TEST_DATABASE_URL is not set: PostgreSQL tests cannot run")
    # More connections than writer threads, so the threads really run their transactions side by side.
    options = {"pool_pre_ping": True, "pool_size": THREADS + 4}
    config = type(
        "StoreTestConfig",
        (TestConfig,),
        {"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": options},
    )
    app = create_app(config)
    fresh_schema(app, request.param)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def store_app(_store_app: Flask) -> Iterator[Flask]:
    """The store's app with empty tables for each test."""
    yield _store_app
    empty_tables(_store_app)


@pytest.fixture
def writer(store_app: Flask) -> store.MessageWriter:
    """A group-commit writer on a threading-mode Socket.IO server (production uses gevent's primitives)."""
    return store.MessageWriter(store_app, socketio.Server(async_mode="threading"))


@pytest.fixture
def batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Sizes of the batches given to write_batch, in order (the writer and write_one both go through it)."""
    sizes: list[int] = []
    real = store.write_batch

    def recording(drafts: list[Draft]) -> list[store.Stored]:
        sizes.append(len(drafts))
        return real(drafts)

    monkeypatch.setattr(store, "write_batch", recording)
    return sizes


@pytest.fixture
def make_conversation(store_app: Flask) -> Callable[[], int]:
    def make() -> int:
        with store_app.app_context():
            customer = Customer()
            db.session.add(customer)
            db.session.flush()
            conversation = Conversation(customer_id=customer.id, status="waiting")
            db.session.add(conversation)
            db.session.commit()
            return conversation.id

    return make


def draft(conversation_id: int, client_id: str | None, kind: str = "shopper") -> Draft:
    return Draft(
        conversation_id=conversation_id, sender_kind=kind, text=f"text {client_id}", client_id=client_id
    )


def run_threads(count: int, target: Callable[[int], None]) -> None:
    """Run target(0..count-1) in threads started together; re-raise the first error of any thread."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait()
            target(index)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a writer thread is stuck"
    if errors:
        raise errors[0]


@pytest.fixture
def append_in_one_batch(writer: store.MessageWriter, monkeypatch: pytest.MonkeyPatch):
    """append_in_one_batch(drafts): append each draft from its own thread so that the writer takes them all,
    in order, as one batch (it is kept busy with a first message, "blocker", until they are queued);
    returns the outcomes (Stored, or the exception append raised) in the drafts' order."""
    holding, release = threading.Event(), threading.Event()
    real = store.write_batch

    def held(batch: list[Draft]) -> list[store.Stored]:
        if batch[0].client_id == "blocker":
            holding.set()
            release.wait(timeout=30)
        return real(batch)

    monkeypatch.setattr(store, "write_batch", held)

    def append_all(drafts: list[Draft]) -> list[store.Stored | BaseException]:
        outcomes: list[store.Stored | BaseException] = []

        def append(index: int) -> None:
            try:
                outcomes[index] = writer.append(drafts[index])
            except (LookupError, sa.exc.SQLAlchemyError) as exc:
                outcomes[index] = exc

        outcomes.extend(drafts)  # placeholders, replaced by each thread
        blocker = threading.Thread(target=writer.append, args=(draft(drafts[0].conversation_id, "blocker"),))
        blocker.start()
        assert holding.wait(timeout=30), "the writer did not take the first message"
        threads = [threading.Thread(target=append, args=(i,)) for i in range(len(drafts))]
        for queued, thread in enumerate(threads, start=1):
            thread.start()
            while writer.queue.qsize() < queued:  # one at a time: the batch keeps the drafts' order
                time.sleep(0.002)
        release.set()
        for thread in [blocker, *threads]:
            thread.join(timeout=30)
        assert not any(isinstance(o, Draft) for o in outcomes), "an append did not return"
        return outcomes

    return append_all


def stored_rows(conversation_id: int) -> list[tuple[int, str | None, str]]:
    rows = db.session.execute(
        sa.select(Message.seq, Message.client_id, Message.sender_kind)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.seq)
    )
    return [(seq, client_id, kind) for seq, client_id, kind in rows]


def assert_consistent(conversation_id: int) -> list[tuple[int, str | None, str]]:
    """Seqs 1..n without gaps, each client_id once, and the conversation's counters matching the rows."""
    rows = stored_rows(conversation_id)
    assert [seq for seq, _, _ in rows] == list(range(1, len(rows) + 1))
    client_ids = [client_id for _, client_id, _ in rows if client_id]
    assert len(client_ids) == len(set(client_ids)), Counter(client_ids).most_common(3)
    conversation = db.session.get(Conversation, conversation_id)
    db.session.refresh(conversation)
    assert conversation.last_seq == len(rows)
    assert conversation.seller_unread == sum(kind == "shopper" for _, _, kind in rows)
    return rows


def test_writer_concurrent_appends_are_numbered_without_gaps(store_app, writer, batches, make_conversation):
    shared = make_conversation()
    own = [make_conversation() for _ in range(3)]
    results: dict[int, list[tuple[Draft, store.Stored]]] = {i: [] for i in range(THREADS)}

    def sender(index: int) -> None:
        for n in range(PER_THREAD):
            target = shared if n % 2 == 0 else own[index % 3]
            kind = "seller" if n % 5 == 4 else "shopper"
            one = draft(target, f"t{index}-m{n}", kind)
            results[index].append((one, writer.append(one)))
            if n % 4 == 0:  # a lost ack: the client resends with the same client_id
                results[index].append((one, writer.append(one)))
        # Two tabs of the same shopper racing with one client_id (threads i and i^1 send the same one).
        raced = draft(shared, f"race-{index // 2}")
        results[index].append((raced, writer.append(raced)))

    run_threads(THREADS, sender)

    assert max(batches) > 1, "the writer never grouped messages into one commit"
    by_client: dict[str, list[store.Stored]] = {}
    for outcomes in results.values():
        for sent, stored in outcomes:
            assert (stored.message["client_id"], stored.conversation_id) == (
                sent.client_id,
                sent.conversation_id,
            )
            by_client.setdefault(sent.client_id, []).append(stored)
    for client_id, copies in by_client.items():
        assert sum(not c.duplicate for c in copies) == 1, f"{client_id} stored {len(copies)} times"
        assert len({c.message["seq"] for c in copies}) == 1, f"{client_id} acked with different seqs"
    with store_app.app_context():
        stored_ids: list[str] = []
        for conversation_id in [shared, *own]:
            rows = assert_consistent(conversation_id)
            stored_ids += [client_id for _, client_id, _ in rows]
            assert all(by_client[client_id][0].message["seq"] == seq for seq, client_id, _ in rows)
    assert sorted(stored_ids) == sorted(by_client)


def test_resend_returns_the_original_seq(store_app, writer, make_conversation):
    conversation_id = make_conversation()
    first = writer.append(draft(conversation_id, "c-1"))
    writer.append(draft(conversation_id, "c-2", "seller"))
    again = writer.append(draft(conversation_id, "c-1"))
    assert (first.duplicate, first.message["seq"]) == (False, 1)
    assert (again.duplicate, again.message["seq"], again.message["id"]) == (True, 1, first.message["id"])
    with store_app.app_context():
        assert len(assert_consistent(conversation_id)) == 2


def test_concurrent_transactions_number_without_gaps(store_app, make_conversation):
    """Without the writer (several server processes share the database): one transaction per message,
    all racing for the same conversation row; resends racing across transactions are stored once."""
    conversation_id = make_conversation()
    outcomes: list[store.Stored] = []

    def sender(index: int) -> None:
        with store_app.app_context():
            for n in range(PER_THREAD):
                outcomes.append(store.write_one(draft(conversation_id, f"t{index}-m{n}")))
                if n % 5 == 0:  # every thread of a pair sends this one: a unique violation for one of them
                    outcomes.append(store.write_one(draft(conversation_id, f"pair{index // 2}-m{n}")))
            db.session.remove()

    run_threads(THREADS, sender)

    with store_app.app_context():
        rows = assert_consistent(conversation_id)
    unique = {o.message["client_id"] for o in outcomes}
    assert len(rows) == len(unique) == THREADS * PER_THREAD + THREADS // 2 * 3
    assert sum(o.duplicate for o in outcomes) == len(outcomes) - len(unique)
    by_client = {client_id: seq for seq, client_id, _ in rows}
    assert all(by_client[o.message["client_id"]] == o.message["seq"] for o in outcomes)


def test_write_batch_with_a_missing_conversation_stores_nothing(store_app, make_conversation):
    conversation_id = make_conversation()
    with store_app.app_context():
        with pytest.raises(LookupError):
            store.write_batch([draft(conversation_id, "a"), draft(conversation_id + 999, "b")])
        db.session.rollback()
        assert stored_rows(conversation_id) == []
        assert db.session.get(Conversation, conversation_id).last_seq == 0


def test_batch_with_a_missing_conversation_fails_only_that_draft(
    store_app, batches, append_in_one_batch, make_conversation
):
    conversation_id = make_conversation()
    drafts = [
        draft(conversation_id, "ok-1"),
        draft(conversation_id + 999, "lost"),
        draft(conversation_id, "ok-2", "seller"),
    ]
    outcomes = append_in_one_batch(drafts)

    assert batches[-4:] == [3, 1, 1, 1], "one batch of three, then one by one"
    assert isinstance(outcomes[1], LookupError)
    by_client = {o.message["client_id"]: o for o in outcomes if isinstance(o, store.Stored)}
    assert sorted(by_client) == ["ok-1", "ok-2"]
    assert not any(o.duplicate for o in by_client.values())
    with store_app.app_context():
        rows = assert_consistent(conversation_id)
        assert [client_id for _, client_id, _ in rows] == ["blocker", "ok-1", "ok-2"]


def test_unique_violation_at_commit_falls_back_to_one_by_one(
    store_app, batches, append_in_one_batch, make_conversation, monkeypatch
):
    """Another writer (another process) stores the same client_id between the batch's duplicate check and
    its commit: the batch fails on the unique constraint, is retried one by one, and reports a duplicate."""
    conversation_id = make_conversation()
    real_existing = store._existing
    raced: list[store.Stored] = []

    def existing_then_race(drafts):
        found = real_existing(drafts)
        if len(drafts) > 1:  # the writer's batch: checked for duplicates, not yet committed
            other = threading.Thread(target=other_writer)
            other.start()
            other.join(timeout=30)
        return found

    def other_writer() -> None:
        with store_app.app_context():
            raced.extend(store.write_batch([draft(conversation_id, "contested", "seller")]))
            db.session.remove()

    monkeypatch.setattr(store, "_existing", existing_then_race)
    drafts = [
        draft(conversation_id, "before"),
        draft(conversation_id, "contested"),
        draft(conversation_id, "after"),
    ]
    outcomes = append_in_one_batch(drafts)

    assert all(isinstance(o, store.Stored) for o in outcomes), outcomes
    theirs = raced[0]
    contested = outcomes[1]
    assert contested.duplicate
    assert contested.message["seq"] == theirs.message["seq"] == 2
    assert contested.message["sender"]["kind"] == "seller"  # the other writer's message, not a copy
    assert [o.message["seq"] for o in outcomes] == [3, 2, 4]
    with store_app.app_context():
        rows = assert_consistent(conversation_id)
        assert [client_id for _, client_id, _ in rows] == ["blocker", "contested", "before", "after"]


@pytest.fixture
def small_pool_app(store_app: Flask) -> Iterator[Flask]:
    """The same database through a pool of two connections that gives up after a second (production's
    pool: 5 + 10 overflow, 30 s)."""
    options = {"pool_size": 2, "max_overflow": 0, "pool_timeout": 1}
    url = store_app.config["SQLALCHEMY_DATABASE_URI"]
    app = create_app(
        type(
            "SmallPoolConfig",
            (TestConfig,),
            {"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": options},
        )
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def test_senders_holding_connections_do_not_starve_the_writer(small_pool_app, make_conversation):
    """A Socket.IO handler reads the database (who is calling, which conversation) before it appends, so its
    session holds a connection while it waits for the writer; the writer must still get one."""
    conversation_id = make_conversation()
    chat_store = store.Store(store.MessageWriter(small_pool_app, socketio.Server(async_mode="threading")))

    def sender(index: int) -> None:
        with small_pool_app.app_context():
            db.session.get(Conversation, conversation_id)  # as on_send does before it posts
            chat_store.append(draft(conversation_id, f"s{index}"))

    run_threads(2, sender)

    with small_pool_app.app_context():
        assert len(assert_consistent(conversation_id)) == 2


# --- Shopper drafts: the store finds (or starts) the shopper's conversation -------------------------------


@pytest.fixture
def make_shopper(store_app: Flask) -> Callable[..., int]:
    """A customer, optionally with a conversation of that status resolved `resolved_days` ago; its id."""

    def make(status: str | None = None, resolved_days: float = 0, name: str = "") -> int:
        with store_app.app_context():
            customer = Customer(name=name)
            db.session.add(customer)
            db.session.flush()
            if status is not None:
                resolved_at = utcnow() - timedelta(days=resolved_days) if status == "resolved" else None
                db.session.add(Conversation(customer_id=customer.id, status=status, resolved_at=resolved_at))
            db.session.commit()
            return customer.id

    return make


def conversations_of(customer_id: int) -> list[Conversation]:
    return list(
        db.session.scalars(
            sa.select(Conversation).where(Conversation.customer_id == customer_id).order_by(Conversation.id)
        )
    )


def test_shopper_drafts_go_to_their_current_conversation(store_app, make_shopper):
    """One batch: a first message (twice from one shopper: one new conversation), an open conversation, a
    recently resolved one (reopened, its note right after the shopper's message, before the seller's
    reply), and one resolved long ago (left alone: a new conversation starts)."""
    days = store_app.config["CHAT_REOPEN_DAYS"]
    new, open_, recent, old = (
        make_shopper(name="Nina"),
        make_shopper("waiting"),
        make_shopper("resolved", days - 1),
        make_shopper("resolved", days + 1),
    )
    with store_app.app_context():
        recent_id = conversations_of(recent)[0].id
        old_id = conversations_of(old)[0].id
        batch = [
            store.ShopperDraft(new, "first", "n-1"),
            store.ShopperDraft(open_, "again", "o-1"),
            store.ShopperDraft(recent, "back", "r-1"),
            Draft(conversation_id=recent_id, sender_kind="seller", text="welcome back", client_id="r-s"),
            store.ShopperDraft(new, "second", "n-2"),
            store.ShopperDraft(old, "hello again", "x-1"),
        ]
        results = store.write_batch(batch)

        assert [r.message["client_id"] for r in results] == ["n-1", "o-1", "r-1", "r-s", "n-2", "x-1"]
        assert not any(r.duplicate for r in results)
        assert results[0].conversation_id == results[4].conversation_id
        assert [r.message["seq"] for r in (results[0], results[4])] == [1, 2]
        assert results[0].message["sender"]["name"] == "Nina"
        assert results[1].message["sender"]["name"] == f"Visitor {open_}"
        # reopened: shopper message, note, seller reply
        assert [n["data"]["event"] for n in results[2].notes] == ["reopened"]
        assert (results[2].message["seq"], results[2].notes[0]["seq"], results[3].message["seq"]) == (1, 2, 3)
        assert results[2].conversation["status"] == "waiting"
        assert results[2].conversation["last_message"]["text"] == "welcome back"
        # resolved long ago: a new conversation
        assert results[5].conversation_id != old_id
        assert (results[5].message["seq"], results[5].notes) == (1, [])
        assert [c.status for c in conversations_of(old)] == ["resolved", "waiting"]
        for result in results:
            assert result.conversation["id"] == result.conversation_id
            assert result.conversation["last_seq"] == len(assert_consistent(result.conversation_id))
        assert [len(conversations_of(c)) for c in (new, open_, recent, old)] == [1, 1, 1, 2]


def test_writer_shopper_drafts_from_many_tabs(store_app, writer, batches, make_shopper):
    """Two tabs per shopper sending at once, with resends: one conversation per shopper (started by the
    first message of either tab), numbered without gaps, each client_id stored once."""
    shoppers = [make_shopper() for _ in range(THREADS // 2)]
    results: dict[int, list[tuple[str, store.Stored]]] = {i: [] for i in range(THREADS)}

    def tab(index: int) -> None:
        customer_id = shoppers[index // 2]
        for n in range(PER_THREAD):
            one = store.ShopperDraft(customer_id, f"text {n}", f"t{index}-m{n}")
            results[index].append((one.client_id, writer.append(one)))
            if n % 4 == 0:
                results[index].append((one.client_id, writer.append(one)))

    run_threads(THREADS, tab)

    assert max(batches) > 1, "the writer never grouped messages into one commit"
    with store_app.app_context():
        for number, customer_id in enumerate(shoppers):
            (conversation,) = conversations_of(customer_id)
            rows = assert_consistent(conversation.id)
            assert len(rows) == 2 * PER_THREAD
            for index in (2 * number, 2 * number + 1):
                for client_id, stored in results[index]:
                    assert stored.conversation_id == conversation.id
                    assert (rows[stored.message["seq"] - 1][1]) == client_id


def test_batch_with_a_missing_shopper_fails_only_that_draft(
    store_app, batches, append_in_one_batch, make_conversation, make_shopper
):
    conversation_id = make_conversation()
    here = make_shopper()
    drafts = [
        draft(conversation_id, "ok-1"),
        store.ShopperDraft(here + 999, "hello?", "gone"),
        store.ShopperDraft(here, "hello", "here"),
    ]
    outcomes = append_in_one_batch(drafts)

    assert batches[-4:] == [3, 1, 1, 1], "one batch of three, then one by one"
    assert isinstance(outcomes[1], store.ShopperGone)
    assert [o.message["client_id"] for o in (outcomes[0], outcomes[2])] == ["ok-1", "here"]
    with store_app.app_context():
        assert [client_id for _, client_id, _ in assert_consistent(conversation_id)] == ["blocker", "ok-1"]
        assert len(assert_consistent(conversations_of(here)[0].id)) == 1
