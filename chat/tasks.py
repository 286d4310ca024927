"""The background loop of each server process: what has to happen with nobody sending an event.

Every CHAT_TASK_INTERVAL_SECONDS, in this order:

1. shoppers connected to *this* process are marked seen (`shopper_seen_at`), so that an open widget
   never gets an email;
2. due reply emails are sent (chat/notify.py; claims keep processes from sending the same email);
3. a change in "is any seller online" caused by heartbeats expiring (no event marks it) is pushed to
   shoppers as `presence`;
4. what other packages registered in `app.extensions["periodic_tasks"]` (payments: stock holds left
   waiting are released, order confirmations that could not be sent are retried).

Started once per process by the first Socket.IO connection (`ensure_started`, from the namespaces'
`on_connect`), through the Socket.IO server so it is a greenlet under gevent and a thread otherwise. Never
under TESTING unless CHAT_TASKS_IN_TESTS: tests call `run_once` themselves.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask

from chat import broadcast, notify, service
from chat.broadcast import SHOPPER_NS
from extensions import db, socketio

log = logging.getLogger(__name__)

_start_lock = threading.Lock()  # a gevent lock once wsgi.py has monkey-patched threading


@dataclass
class TaskState:
    """One process's loop: its task, whether it should stop, and the last seller presence it saw."""

    task: Any = None
    stopping: bool = False
    sellers_online: bool | None = None


def state(app: Flask) -> TaskState:
    return app.extensions.setdefault("chat_tasks", TaskState())


def ensure_started(app: Flask) -> None:
    """Start this process's loop unless it runs already (cheap: called on every connection)."""
    if app.config["TESTING"] and not app.config.get("CHAT_TASKS_IN_TESTS"):
        return
    current = state(app)
    if current.task is not None:
        return
    with _start_lock:
        if current.task is None:
            current.stopping = False
            current.task = socketio.start_background_task(_loop, app, current)
            log.info("chat background loop started (every %ss)", app.config["CHAT_TASK_INTERVAL_SECONDS"])


def stop(app: Flask, timeout: float | None = None) -> None:
    """Ask the loop to finish its round and end; waits for it (tests, and a clean shutdown)."""
    current = state(app)
    task, current.task = current.task, None
    if task is not None:
        current.stopping = True
        task.join(timeout)


def _loop(app: Flask, current: TaskState) -> None:
    while not current.stopping:
        socketio.sleep(app.config["CHAT_TASK_INTERVAL_SECONDS"])
        if current.stopping:
            break
        try:
            run_once(app)
        except Exception:  # each step handles its own errors; this is for bugs: a dead loop sends no email
            log.exception("chat background round failed")


def run_once(app: Flask, now: datetime | None = None) -> None:
    """One round of the three steps; a failing step is logged and does not stop the others."""
    current = state(app)
    with app.app_context():
        try:
            _step("refresh connected shoppers", touch_connected_shoppers)
            if app.config["MAIL_ENABLED"]:
                _step("send reply emails", lambda: notify.send_due(now))
            _step("check seller presence", lambda: check_presence(current))
            # Other packages' periodic work (payments: expired stock holds, pending confirmations).
            for name, action in app.extensions.get("periodic_tasks", {}).items():
                _step(name, action)
        finally:
            db.session.remove()


def _step(name: str, action: Callable[[], object]) -> None:
    try:
        action()
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        log.exception("chat background step failed: %s", name)


def connected_shoppers() -> list[int]:
    """Ids of the shoppers with a widget connected to this process."""
    namespace = socketio.server.namespace_handlers.get(SHOPPER_NS)
    if namespace is None:
        return []
    return sorted(set(namespace.connected.copy().values()))  # copy(): handlers change it meanwhile


def touch_connected_shoppers() -> None:
    service.touch_shoppers(connected_shoppers())


def check_presence(current: TaskState) -> None:
    """Tell shoppers when "a seller is online" changed since the last round (a heartbeat ran out)."""
    online = service.sellers_online()
    previous, current.sellers_online = current.sellers_online, online
    if previous is not None and previous != online:
        broadcast.presence_changed()
