"""Storing messages: written to the database before anyone is told, numbered without gaps, never twice.

`append(draft)` is the only way a message enters a conversation (shopper, seller, bot, system alike).
Under load, messages from many connections are committed together (group commit): the caller blocks
until the transaction holding its message has committed, so "stored before acknowledged" still holds,
but one commit serves a whole batch instead of one per message (the per-message commit was the
bottleneck: about 0.16x a bare echo server on this machine).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask

from chat.messages import Draft, serialize
from chat.models import Conversation, Message
from extensions import db
from shop.models import utcnow

log = logging.getLogger(__name__)


@dataclass
class Stored:
    """The outcome of appending one draft: the message as clients see it, and its conversation."""

    message: dict[str, Any]
    duplicate: bool
    conversation_id: int


@dataclass
class _Pending:
    draft: Draft
    done: Any  # an Event of the server's async mode
    result: Stored | None = None
    error: BaseException | None = None


def _existing(drafts: Iterable[Draft]) -> dict[tuple[int, str], Message]:
    """Messages already stored under these (conversation_id, client_id) pairs."""
    keys = {(d.conversation_id, d.client_id) for d in drafts if d.client_id}
    if not keys:
        return {}
    rows = db.session.scalars(
        sa.select(Message).where(sa.tuple_(Message.conversation_id, Message.client_id).in_(list(keys)))
    )
    return {(m.conversation_id, m.client_id): m for m in rows}


def _reserve_seqs(conversation_id: int, drafts: list[Draft], now: datetime) -> int:
    """Atomically take len(drafts) sequence numbers and update the conversation's counters.

    A single UPDATE ... RETURNING: correct with concurrent writers on SQLite and PostgreSQL alike (the row
    is locked by the update). Returns the last seq reserved.
    """
    last = drafts[-1]
    shopper_count = sum(d.sender_kind == "shopper" for d in drafts)
    values: dict[str, Any] = {
        "last_seq": Conversation.last_seq + len(drafts),
        "seller_unread": Conversation.seller_unread + shopper_count,
        "last_message_text": last.text[:200],
        "last_message_kind": last.sender_kind,
        "last_message_at": now,
        "updated_at": now,
    }
    if shopper_count:
        # A shopper writing again reopens a resolved conversation (to its seller if it had one).
        values["status"] = sa.case(
            (Conversation.status != "resolved", Conversation.status),
            (Conversation.assignee_id.is_not(None), "assigned"),
            else_="waiting",
        )
        values["resolved_at"] = sa.case(
            (Conversation.status == "resolved", None), else_=Conversation.resolved_at
        )
    if any(d.sender_kind == "seller" for d in drafts):
        # The email countdown starts at the first reply the shopper has not seen; a shopper seen since an
        # older pending reply (widget open in a background tab) restarts it, or no email would ever go.
        values["notify_pending_since"] = sa.case(
            (Conversation.notify_pending_since.is_(None), now),
            (Conversation.shopper_seen_at >= Conversation.notify_pending_since, now),
            else_=Conversation.notify_pending_since,
        )
    stmt = (
        sa.update(Conversation)
        .where(Conversation.id == conversation_id)
        .values(**values)
        .returning(Conversation.last_seq)
        .execution_options(synchronize_session=False)  # no ORM bookkeeping: nothing loaded needs it
    )
    last_seq = db.session.execute(stmt).scalar_one_or_none()
    if last_seq is None:
        raise LookupError(f"conversation {conversation_id} does not exist")
    return last_seq


def write_batch(drafts: list[Draft]) -> list[Stored]:
    """Store drafts in one transaction; duplicates (same conversation and client_id) are not stored again.

    Raises sqlalchemy errors after rolling back; the caller retries one by one.
    """
    now = utcnow()
    found = _existing(drafts)
    results: list[Stored | None] = [None] * len(drafts)
    fresh: dict[int, list[int]] = {}
    seen_in_batch: dict[tuple[int, str], int] = {}
    for i, draft in enumerate(drafts):
        key = (draft.conversation_id, draft.client_id) if draft.client_id else None
        if key and key in found:
            results[i] = Stored(serialize(found[key]), True, draft.conversation_id)
        elif key and key in seen_in_batch:
            continue  # resolved below, once the first copy has its seq
        else:
            if key:
                seen_in_batch[key] = i
            fresh.setdefault(draft.conversation_id, []).append(i)
    new_messages: dict[int, Message] = {}
    for conversation_id, indexes in fresh.items():
        batch = [drafts[i] for i in indexes]
        last_seq = _reserve_seqs(conversation_id, batch, now)
        for offset, i in enumerate(indexes):
            draft = drafts[i]
            new_messages[i] = Message(
                conversation_id=conversation_id,
                seq=last_seq - len(indexes) + 1 + offset,
                client_id=draft.client_id,
                type=draft.type,
                sender_kind=draft.sender_kind,
                seller_id=draft.seller_id,
                sender_name=draft.sender_name,
                text=draft.text,
                data=draft.data,
                created_at=now,
            )
    db.session.add_all(new_messages.values())
    db.session.flush()  # ids assigned; serialise now, as a commit would expire (and reload) every message
    for i, message in new_messages.items():
        results[i] = Stored(serialize(message), False, message.conversation_id)
    db.session.commit()
    for i, draft in enumerate(drafts):
        if results[i] is None:  # a second copy of a client_id within the same batch
            first = results[seen_in_batch[(draft.conversation_id, draft.client_id)]]
            assert first is not None
            results[i] = Stored(first.message, True, draft.conversation_id)
    return [r for r in results if r is not None]


def write_one(draft: Draft) -> Stored:
    """Store one draft; a concurrent writer that stored the same client_id first makes this a duplicate."""
    try:
        return write_batch([draft])[0]
    except sa.exc.IntegrityError:
        db.session.rollback()
        return write_batch([draft])[0]  # now found by client_id


class MessageWriter:
    """Group commit: one background task drains a queue and writes what it holds in one transaction.

    Works in any Socket.IO async mode (gevent in production, threading in tests) through the server's own
    queue and event primitives. Callers block on their own event, so `append` keeps its contract.
    """

    def __init__(self, app: Flask, server: Any, max_batch: int = 256) -> None:
        self.app = app
        self.server = server
        self.max_batch = max_batch
        self.queue = server.eio.create_queue()
        self.started = False

    def append(self, draft: Draft) -> Stored:
        if not self.started:
            self.started = True
            self.server.start_background_task(self._run)
        pending = _Pending(draft, self.server.eio.create_event())
        self.queue.put(pending)
        pending.done.wait()
        if pending.error is not None:
            raise pending.error
        assert pending.result is not None
        return pending.result

    def _take_batch(self) -> list[_Pending]:
        batch = [self.queue.get()]
        while len(batch) < self.max_batch:
            try:
                batch.append(self.queue.get_nowait())
            except Exception:  # queue.Empty of whichever async mode is in use
                break
        return batch

    def _run(self) -> None:
        while True:
            batch = self._take_batch()
            with self.app.app_context():
                self._write(batch)
                db.session.remove()

    def _write(self, batch: list[_Pending]) -> None:
        try:
            for pending, stored in zip(batch, write_batch([p.draft for p in batch]), strict=True):
                pending.result = stored
        except (sa.exc.SQLAlchemyError, LookupError):
            db.session.rollback()
            log.warning("batch of %d messages failed; writing them one by one", len(batch), exc_info=True)
            for pending in batch:
                try:
                    pending.result = write_one(pending.draft)
                except (sa.exc.SQLAlchemyError, LookupError) as exc:
                    db.session.rollback()
                    pending.error = exc
        for pending in batch:
            pending.done.set()


class Store:
    """How the app appends messages: through the group-commit writer when Socket.IO serves with it
    (CHAT_GROUP_COMMIT), directly otherwise (CLI commands, the test client)."""

    def __init__(self, writer: MessageWriter | None = None) -> None:
        self.writer = writer

    def append(self, draft: Draft) -> Stored:
        if self.writer is None:
            return write_one(draft)
        # End the caller's transaction first: a sender waiting for the writer must not hold a pooled
        # connection, or enough waiting senders would starve the writer of one (a stall under load).
        db.session.commit()
        return self.writer.append(draft)
