"""The per-process background loop: connected shoppers stay "seen", expired seller heartbeats are
announced, a failing step does not stop the round, and the loop itself starts once and can stop."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime

import pytest
import sqlalchemy as sa
from flask import Flask

from chat import notify, service, tasks
from chat.models import Conversation, Seller
from extensions import db, socketio
from shop.models import utcnow
from tests.chat.conftest import call, received

LONG_AGO = datetime(2020, 1, 1)


@pytest.fixture(autouse=True)
def only_this_tests_sockets(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The shopper namespace forgets sockets other tests left connected (customer ids get reused)."""
    monkeypatch.setattr(socketio.server.namespace_handlers["/shopper"], "connected", {})


@pytest.fixture(autouse=True)
def fresh_state(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No loop state carried over from another test; no email unless a test asks for it."""
    monkeypatch.setitem(app.config, "MAIL_ENABLED", False)
    app.extensions.pop("chat_tasks", None)
    yield
    tasks.stop(app, timeout=5)
    app.extensions.pop("chat_tasks", None)


def seen_at(app: Flask, conversation_id: int) -> datetime | None:
    with app.app_context():
        return db.session.get(Conversation, conversation_id).shopper_seen_at


def set_seen_long_ago(app: Flask, conversation_id: int) -> None:
    with app.app_context():
        db.session.execute(
            sa.update(Conversation).where(Conversation.id == conversation_id).values(shopper_seen_at=LONG_AGO)
        )
        db.session.commit()


def test_round_refreshes_shoppers_connected_to_this_process(app, shopper) -> None:
    _http, present = shopper()
    _http2, gone = shopper()
    here = call(present, "send", {"client_id": "a", "text": "Hi"})["message"]["conversation_id"]
    away = call(gone, "send", {"client_id": "b", "text": "Hi"})["message"]["conversation_id"]
    gone.disconnect(namespace="/shopper")
    set_seen_long_ago(app, here)
    set_seen_long_ago(app, away)

    tasks.run_once(app)

    assert seen_at(app, here) > LONG_AGO
    assert seen_at(app, away) == LONG_AGO


def test_round_announces_an_expired_seller_heartbeat_to_shoppers(app, shopper, seller_client) -> None:
    _http, sock = shopper()
    seller_client("Ana")
    tasks.run_once(app)  # remembers: a seller is online
    sock.get_received("/shopper")

    with app.app_context():
        db.session.execute(sa.update(Seller).values(last_seen_at=utcnow() - 2 * service.PRESENCE_TIMEOUT))
        db.session.commit()
    tasks.run_once(app)
    assert received(sock, "presence", "/shopper") == [{"sellers_online": False}]

    tasks.run_once(app)  # no change, nothing said
    assert received(sock, "presence", "/shopper") == []


def test_first_round_only_records_presence(app, shopper, seller_client) -> None:
    _http, sock = shopper()
    sock.get_received("/shopper")
    tasks.run_once(app)
    assert received(sock, "presence", "/shopper") == []
    assert tasks.state(app).sellers_online is False


def test_a_failing_step_does_not_stop_the_others(app, shopper, monkeypatch, caplog) -> None:
    _http, sock = shopper()
    conversation_id = call(sock, "send", {"client_id": "a", "text": "Hi"})["message"]["conversation_id"]
    set_seen_long_ago(app, conversation_id)

    def broken(*args, **kwargs):
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("database went away"))

    monkeypatch.setitem(app.config, "MAIL_ENABLED", True)
    monkeypatch.setattr(notify, "send_due", broken)
    monkeypatch.setattr(service, "sellers_online", broken)
    tasks.run_once(app)  # does not raise

    assert seen_at(app, conversation_id) > LONG_AGO
    assert caplog.text.count("chat background step failed") == 2


def test_loop_does_not_start_under_testing(app, shopper) -> None:
    shopper()
    tasks.ensure_started(app)
    assert tasks.state(app).task is None


def test_loop_starts_once_on_first_connection_and_stops(app, shopper, monkeypatch) -> None:
    rounds = threading.Semaphore(0)
    monkeypatch.setitem(app.config, "CHAT_TASKS_IN_TESTS", True)
    monkeypatch.setitem(app.config, "CHAT_TASK_INTERVAL_SECONDS", 0.01)
    monkeypatch.setattr(tasks, "run_once", lambda app, now=None: rounds.release())

    shopper()  # on_connect starts the loop
    task = tasks.state(app).task
    assert task is not None
    shopper()
    tasks.ensure_started(app)
    assert tasks.state(app).task is task  # still the one loop

    assert rounds.acquire(timeout=5)
    assert rounds.acquire(timeout=5)  # and it keeps going
    tasks.stop(app, timeout=5)
    assert not task.is_alive()


def test_loop_survives_a_round_that_raises(app, monkeypatch, caplog) -> None:
    calls = threading.Semaphore(0)

    def buggy(app, now=None):
        calls.release()
        raise KeyError("a bug")

    monkeypatch.setitem(app.config, "CHAT_TASKS_IN_TESTS", True)
    monkeypatch.setitem(app.config, "CHAT_TASK_INTERVAL_SECONDS", 0.01)
    monkeypatch.setattr(tasks, "run_once", buggy)
    tasks.ensure_started(app)
    assert calls.acquire(timeout=5)
    assert calls.acquire(timeout=5)
    tasks.stop(app, timeout=5)
    assert "chat background round failed" in caplog.text


def test_connected_shoppers_come_from_this_process_namespace(app, shopper) -> None:
    _http, first = shopper()
    http, second_tab = shopper()
    _same_shopper_again = socketio.test_client(app, namespace="/shopper", flask_test_client=http)
    namespace = socketio.server.namespace_handlers["/shopper"]
    assert len(namespace.connected) == 3
    assert tasks.connected_shoppers() == sorted(set(namespace.connected.values()))
    assert len(tasks.connected_shoppers()) == 2
    first.disconnect(namespace="/shopper")
    second_tab.disconnect(namespace="/shopper")
    assert len(tasks.connected_shoppers()) == 1
