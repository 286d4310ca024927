"""Storing messages: written to the database before anyone is told, numbered without gaps, never twice.

`append(draft)` is the only way a message enters a conversation (shopper, seller, bot, system alike). A
`Draft` names its conversation; a `ShopperDraft` names only its shopper, and the store puts it in their
current conversation (`service.current_conversations`): a new one for a first message or long after the
last one was resolved (`service.continues`); a resolved one is reopened, with a "reopened" note stored
right after the message.

Under load, messages from many connections are written together (group commit): the caller blocks until the
transaction holding its message has committed, so "stored before acknowledged" still holds, but one
transaction serves a whole batch with a fixed handful of statements, whatever its size: find the shoppers'
conversations, find resends, update every conversation's counters, read the conversations back as the inbox
shows them (and reopen the resolved ones a shopper wrote to), insert the messages. The caller gets its
message and its conversation's summary from that transaction and reads nothing itself: the per-message
reads around a batched write had made the chat slower than a naive insert + commit per message (0.16x a bare
echo server). Statements are built once (`functools.cache`), with one array parameter per list on
PostgreSQL (`service.any_of`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.dialects import postgresql

from chat import service
from chat.messages import Draft, serialize
from chat.models import RESPONDERS, Conversation, Message, Recommendation, ReplyEvent
from extensions import db
from shop.models import utcnow

log = logging.getLogger(__name__)

REOPENED_TEXT = "The conversation was reopened"


class ShopperGone(LookupError):
    """The shopper of a ShopperDraft no longer exists."""


@dataclass(frozen=True)
class ShopperDraft:
    """A shopper's text, before the store knows its conversation and the name to show with it."""

    customer_id: int
    text: str
    client_id: str | None = None


@dataclass
class Stored:
    """The outcome of appending one draft: the message as clients see it, and its conversation."""

    message: dict[str, Any]
    duplicate: bool
    conversation_id: int
    #: The Conversation object (protocol) as the message's transaction left it; None for a duplicate.
    conversation: dict[str, Any] | None = None
    #: Messages the store added right after this one (the "reopened" note), to be announced with it.
    notes: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Pending:
    draft: Draft | ShopperDraft
    done: Any  # an Event of the server's async mode
    result: Stored | None = None
    error: BaseException | None = None


def _existing(drafts: Iterable[Draft]) -> dict[tuple[int, str], sa.Row]:
    """Messages already stored under these (conversation_id, client_id) pairs, as rows."""
    keys = list({(d.conversation_id, d.client_id) for d in drafts if d.client_id})
    if not keys:
        return {}
    dialect = service.dialect()
    if dialect == "postgresql":  # two arrays (see service.any_of)
        params = {"conversation_ids": [c for c, _ in keys], "client_ids": [k for _, k in keys]}
    else:
        params = {"pairs": keys}
    rows = db.session.connection().execute(_existing_query(dialect), params)
    return {(m.conversation_id, m.client_id): m for m in rows}


@functools.cache
def _existing_query(dialect: str) -> sa.Select:
    message = Message.__table__
    pair = sa.tuple_(message.c.conversation_id, message.c.client_id)
    if dialect == "postgresql":
        arrays = (
            sa.bindparam("conversation_ids", type_=postgresql.ARRAY(message.c.conversation_id.type)),
            sa.bindparam("client_ids", type_=postgresql.ARRAY(message.c.client_id.type)),
        )
        pairs = sa.select(
            sa.func.unnest(*arrays).table_valued("conversation_id", "client_id").render_derived()
        )
        return sa.select(message).where(pair.in_(pairs))
    return sa.select(message).where(pair.in_(sa.bindparam("pairs", expanding=True)))


def _resolve(items: Sequence[Draft | ShopperDraft], now: datetime) -> list[Draft]:
    """Each ShopperDraft as a Draft to its shopper's current conversation, started here when needed."""
    shoppers = {item.customer_id for item in items if isinstance(item, ShopperDraft)}
    if not shoppers:
        return [item for item in items if isinstance(item, Draft)]
    current = service.current_conversations(shoppers)
    if gone := shoppers - current.keys():
        raise ShopperGone(f"shopper {min(gone)} does not exist")
    target = {
        customer_id: row.conversation_id
        for customer_id, row in current.items()
        if service.continues(row.status, row.resolved_at, now)
    }
    if starting := sorted(shoppers - target.keys()):
        table = Conversation.__table__
        status = service.initial_status()  # the bot's switch: one read for the batch
        rows = db.session.connection().execute(
            sa.insert(table).returning(table.c.id, table.c.customer_id),
            [{"customer_id": c, "status": status, "created_at": now, "updated_at": now} for c in starting],
        )
        target.update({customer_id: conversation_id for conversation_id, customer_id in rows})
    drafts = []
    for item in items:
        if isinstance(item, ShopperDraft):
            shopper = current[item.customer_id]
            item = Draft(
                conversation_id=target[item.customer_id],
                sender_kind="shopper",
                text=item.text,
                client_id=item.client_id,
                sender_name=service.display_name(shopper.customer_id, shopper.name, shopper.email),
            )
        drafts.append(item)
    return drafts


def _update_conversations(fresh: dict[int, list[Draft]], now: datetime) -> tuple[dict[int, sa.Row], set[int]]:
    """Take len(drafts) sequence numbers in each conversation and update its counters; a shopper writing to
    a resolved conversation reopens it (to its seller if it had one) and takes one more number, for the
    "reopened" note. Returns the conversations as left (`service.summary_query`'s rows) and the reopened ids.

    Two statements whatever the batch's size (a third when a conversation reopens), atomic with concurrent
    writers on SQLite and PostgreSQL alike: the update locks the rows, in id order so that two writers
    cannot deadlock, until the batch commits; what is read back after it is exact.
    """
    counters = [
        {
            "cid": conversation_id,
            "count": len(drafts),
            "from_shopper": sum(d.sender_kind == "shopper" for d in drafts),
            "replied": sum(d.sender_kind == "seller" for d in drafts),
            "from_bot": sum(d.sender_kind == "bot" for d in drafts),
            "text": drafts[-1].text[:200],
            "kind": drafts[-1].sender_kind,
        }
        for conversation_id, drafts in sorted(fresh.items())
    ]
    connection = db.session.connection()
    dialect = service.dialect()
    _record_replies(fresh, now)
    if dialect == "postgresql":
        # One UPDATE ... FROM unnest(arrays): an executemany cost more than the rest of the batch. The arrays
        # are in id order, and PostgreSQL joins them to the primary key in that order (a nested loop: it
        # expects an array parameter to hold a few rows).
        arrays = {name: [row[name] for row in counters] for name in _COUNTERS}
        connection.execute(_counters_update(dialect), {**arrays, "now": now})
    else:  # one UPDATE per conversation, in id order (executemany: a loop in the driver)
        connection.execute(_counters_update(dialect), [{**row, "now": now} for row in counters])
    query = service.summary_query(dialect)
    updated = {row.id: row for row in connection.execute(query, {"conversation_ids": list(fresh)})}
    reopening = [
        cid
        for cid, drafts in fresh.items()
        if cid in updated
        and updated[cid].status == "resolved"
        and any(d.sender_kind == "shopper" for d in drafts)
    ]
    if reopening:
        params = {"conversation_ids": reopening, "reopen_status": service.initial_status()}
        connection.execute(_reopen_update(dialect), params)
        updated.update({row.id: row for row in connection.execute(query, {"conversation_ids": reopening})})
    return updated, set(reopening)


#: A batch's counters for each conversation, and their types.
_COUNTERS = {
    "cid": sa.Integer(),
    "count": sa.Integer(),
    "from_shopper": sa.Integer(),
    "replied": sa.Integer(),
    "from_bot": sa.Integer(),
    "text": Conversation.__table__.c.last_message_text.type,
    "kind": Conversation.__table__.c.last_message_kind.type,
}


@functools.cache
def _counters_update(dialect: str) -> sa.Update:
    table = Conversation.__table__
    c = table.c
    if dialect == "postgresql":  # columns of the unnested arrays
        arrays = [sa.bindparam(name, type_=postgresql.ARRAY(type_)) for name, type_ in _COUNTERS.items()]
        source = sa.func.unnest(*arrays).table_valued(*_COUNTERS).render_derived()
        value = {name: source.c[name] for name in _COUNTERS}
    else:  # parameters of each execution
        value = {name: sa.bindparam(name, type_=type_) for name, type_ in _COUNTERS.items()}
    now = sa.bindparam("now", type_=c.updated_at.type)
    replied = value["replied"] > 0
    answered = value["replied"] + value["from_bot"] > 0
    ends_with_shopper = value["kind"] == "shopper"
    return (
        sa.update(table)
        .where(c.id == value["cid"])
        .values(
            last_seq=c.last_seq + value["count"],
            # For the insights: the shopper's oldest unanswered message (a reply ends the wait), who wrote.
            awaiting_reply_since=sa.case(
                (ends_with_shopper & answered, now),
                (ends_with_shopper, sa.func.coalesce(c.awaiting_reply_since, now)),
                (answered, sa.null()),
                else_=c.awaiting_reply_since,
            ),
            first_shopper_message_at=sa.case(
                (value["from_shopper"] > 0, sa.func.coalesce(c.first_shopper_message_at, now)),
                else_=c.first_shopper_message_at,
            ),
            bot_replied=sa.or_(c.bot_replied, value["from_bot"] > 0),
            seller_replied=sa.or_(c.seller_replied, replied),
            seller_unread=c.seller_unread + value["from_shopper"],
            last_message_text=value["text"],
            last_message_kind=value["kind"],
            last_message_at=now,
            updated_at=now,
            # The email countdown starts at the first reply the shopper has not seen; a shopper seen since an
            # older pending reply (widget open in a background tab) restarts it, or no email would ever go.
            notify_pending_since=sa.case(
                (~replied, c.notify_pending_since),
                (c.notify_pending_since.is_(None), now),
                (c.shopper_seen_at >= c.notify_pending_since, now),
                else_=c.notify_pending_since,
            ),
        )
    )


def _record_replies(fresh: dict[int, list[Draft]], now: datetime) -> None:
    """The bot's and sellers' replies to a waiting shopper: a ReplyEvent each (how long the shopper waited),
    and the conversation's first response. Reads only the conversations a bot or seller wrote in (shopper
    messages, the bulk of the traffic, cost nothing here); run before the counters update ends the wait."""
    responders = {
        cid: reply
        for cid, drafts in fresh.items()
        if (reply := next((d for d in drafts if d.sender_kind in RESPONDERS), None)) is not None
    }
    if not responders:
        return
    c = Conversation.__table__.c
    waiting = db.session.connection().execute(
        sa.select(c.id, c.awaiting_reply_since, c.first_response_at).where(
            c.id.in_(sorted(responders)), c.awaiting_reply_since.is_not(None)
        )
    )
    events, firsts = [], []
    for cid, since, first_at in waiting:
        reply = responders[cid]
        seconds = max(0, round((now - since).total_seconds()))
        first = first_at is None
        events.append(
            {
                "conversation_id": cid,
                "responder": reply.sender_kind,
                "seller_id": reply.seller_id,
                "seconds": seconds,
                "first": first,
                "created_at": now,
            }
        )
        if first:
            firsts.append({"cid": cid, "at": now, "seconds": seconds, "who": reply.sender_kind})
    if events:
        db.session.connection().execute(sa.insert(ReplyEvent.__table__), events)
    if firsts:
        db.session.connection().execute(
            sa.update(Conversation.__table__)
            .where(c.id == sa.bindparam("cid"), c.first_response_at.is_(None))
            .values(
                first_response_at=sa.bindparam("at"),
                first_response_seconds=sa.bindparam("seconds"),
                first_responder=sa.bindparam("who"),
            ),
            firsts,
        )


def _record_recommendations(rows: list[dict[str, Any]]) -> None:
    """The products the bot's cards and carousels and the sellers' product cards showed (insights)."""
    shown = [
        {
            "product_id": card["id"],
            "conversation_id": row["conversation_id"],
            "source": row["sender_kind"],
            "created_at": row["created_at"],
        }
        for row in rows
        if row["sender_kind"] in RESPONDERS and row["type"] in ("product_card", "carousel")
        for card in (
            [row["data"].get("product")] if row["type"] == "product_card" else row["data"].get("products", [])
        )
        if isinstance(card, dict) and isinstance(card.get("id"), int)
    ]
    if shown:
        db.session.connection().execute(sa.insert(Recommendation.__table__), shown)


@functools.cache
def _reopen_update(dialect: str) -> sa.Update:
    # The note takes a number but is not the last message: the inbox keeps showing (and notifying) the
    # shopper's words.
    c = Conversation.__table__.c
    return (
        sa.update(Conversation.__table__)
        .where(service.any_of(c.id, "conversation_ids", dialect), c.status == "resolved")
        .values(
            # Back to its seller if it had one, else to the bot when it answers (else waiting for a seller).
            status=sa.case(
                (c.assignee_id.is_not(None), "assigned"), else_=sa.bindparam("reopen_status", type_=sa.String)
            ),
            resolved_at=None,
            last_seq=c.last_seq + 1,
        )
    )


_MESSAGE_COLUMNS = (
    "conversation_id",
    "seq",
    "client_id",
    "type",
    "sender_kind",
    "seller_id",
    "sender_name",
    "text",
    "data",
    "created_at",
)


def _insert(rows: list[dict[str, Any]]) -> dict[tuple[int, int], int]:
    """Insert message rows in one statement; their ids by (conversation_id, seq)."""
    dialect = service.dialect()
    if dialect == "postgresql":  # one array per column (see _insert_statement)
        result = db.session.connection().execute(
            _insert_statement(dialect), {name: [row[name] for row in rows] for name in _MESSAGE_COLUMNS}
        )
    else:
        result = db.session.connection().execute(_insert_statement(dialect), rows)
    return {(conversation_id, seq): message_id for conversation_id, seq, message_id in result}


@functools.cache
def _insert_statement(dialect: str) -> sa.Insert:
    table = Message.__table__
    stmt = sa.insert(table)
    if dialect == "postgresql":
        # Arrays unnested into rows: a short statement that psycopg prepares once, where VALUES (...),
        # (...) would be parsed again for every batch (see service.any_of).
        arrays = [sa.bindparam(name, type_=postgresql.ARRAY(table.c[name].type)) for name in _MESSAGE_COLUMNS]
        unnested = sa.func.unnest(*arrays).table_valued(*_MESSAGE_COLUMNS).render_derived()
        stmt = stmt.from_select(_MESSAGE_COLUMNS, sa.select(unnested))
    return stmt.returning(table.c.conversation_id, table.c.seq, table.c.id)


def write_batch(items: Sequence[Draft | ShopperDraft]) -> list[Stored]:
    """Store drafts in one transaction; duplicates (same conversation and client_id) are not stored again.

    Raises sqlalchemy errors or LookupError (a conversation or shopper that does not exist) after nothing
    was committed; the caller rolls back and retries one by one.
    """
    now = utcnow()
    drafts = _resolve(items, now)
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
    if fresh:
        _write_fresh(drafts, fresh, results, now)
    db.session.commit()
    for i, draft in enumerate(drafts):
        if results[i] is None:  # a second copy of a client_id within the same batch
            first = results[seen_in_batch[(draft.conversation_id, draft.client_id or "")]]
            assert first is not None
            results[i] = Stored(first.message, True, draft.conversation_id)
    return [r for r in results if r is not None]


def _write_fresh(
    drafts: list[Draft], fresh: dict[int, list[int]], results: list[Stored | None], now: datetime
) -> None:
    """Number and insert the new messages (indexes into drafts, by conversation); fill in their results."""
    updated, reopened = _update_conversations(
        {cid: [drafts[i] for i in indexes] for cid, indexes in fresh.items()}, now
    )
    if missing := fresh.keys() - updated.keys():
        raise LookupError(f"conversation {min(missing)} does not exist")
    summaries = {cid: service.summary_of_row(row) for cid, row in updated.items()}
    note = Draft(0, "system", REOPENED_TEXT, type="system", data={"event": "reopened", "name": ""})
    rows: list[dict[str, Any]] = []
    owners: list[int | None] = []  # the draft index of each row; None for a note (after its owner's row)
    for conversation_id, indexes in fresh.items():
        layout: list[int | None] = list(indexes)
        if conversation_id in reopened:
            first_shopper = next(n for n, i in enumerate(indexes) if drafts[i].sender_kind == "shopper")
            layout.insert(first_shopper + 1, None)  # the note, right after the shopper's words
        seq = updated[conversation_id].last_seq - len(layout)
        for index in layout:
            seq += 1
            draft = drafts[index] if index is not None else note
            rows.append(
                {
                    "conversation_id": conversation_id,
                    "seq": seq,
                    "client_id": draft.client_id,
                    "type": draft.type,
                    "sender_kind": draft.sender_kind,
                    "seller_id": draft.seller_id,
                    "sender_name": draft.sender_name,
                    "text": draft.text,
                    "data": draft.data,
                    "created_at": now,
                }
            )
            owners.append(index)
    ids = _insert(rows)
    _record_recommendations(rows)
    owner: Stored | None = None
    for row, index in zip(rows, owners, strict=True):
        message = serialize(SimpleNamespace(id=ids[row["conversation_id"], row["seq"]], **row))
        if index is None:
            assert owner is not None
            owner.notes.append(message)
        else:
            owner = Stored(message, False, row["conversation_id"], summaries[row["conversation_id"]])
            results[index] = owner


def write_one(draft: Draft | ShopperDraft) -> Stored:
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

    def append(self, draft: Draft | ShopperDraft) -> Stored:
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
        # While messages keep coming, let the connections that have one ready queue it too (one more turn
        # of the event loop each time): a batch costs a few statements and a commit whatever its size.
        while len(batch) < self.max_batch:
            self.server.sleep(0)
            before = len(batch)
            while len(batch) < self.max_batch:
                try:
                    batch.append(self.queue.get_nowait())
                except Exception:  # queue.Empty of whichever async mode is in use
                    break
            if len(batch) == before:
                break
        return batch

    def _run(self) -> None:
        while True:
            batch = self._take_batch()
            try:
                with self.app.app_context():
                    self._write(batch)
                    db.session.remove()
            except Exception as exc:  # a bug: a dead writer would leave every sender waiting for ever
                log.exception("the message writer failed on a batch of %d messages", len(batch))
                for pending in batch:
                    if pending.result is None:
                        pending.error = exc
            for pending in batch:
                pending.done.set()

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


class Store:
    """How the app appends messages: through the group-commit writer when Socket.IO serves with it
    (CHAT_GROUP_COMMIT), directly otherwise (CLI commands, the test client)."""

    def __init__(self, writer: MessageWriter | None = None) -> None:
        self.writer = writer

    def append(self, draft: Draft | ShopperDraft) -> Stored:
        if self.writer is None:
            return write_one(draft)
        # End the caller's transaction first: a sender waiting for the writer must not hold a pooled
        # connection, or enough waiting senders would starve the writer of one (a stall under load).
        # A shopper's send has read nothing (no session even): nothing to end.
        if db.session.registry.has() and db.session().in_transaction():
            db.session.commit()
        return self.writer.append(draft)
