"""What the message store keeps for the insights as messages arrive: the shopper's wait and who ended it
(ReplyEvent, the conversation's first response), who handled the conversation, and the products shown."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from chat import store
from chat.messages import Draft
from chat.models import Conversation, Recommendation, ReplyEvent
from extensions import db
from shop.models import Customer

START = datetime(2026, 11, 2, 9, 0, 0)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """Sets the store's clock to START + seconds."""

    def set_to(seconds: int) -> None:
        monkeypatch.setattr(store, "utcnow", lambda: START + timedelta(seconds=seconds))

    return set_to


@pytest.fixture
def conversation(app: Flask, make_seller) -> tuple[int, int]:
    """(conversation id, seller id): a shopper's conversation and a seller."""
    seller_id = make_seller("Ana")
    with app.app_context():
        customer = Customer()
        db.session.add(customer)
        db.session.flush()
        conversation = Conversation(customer_id=customer.id, status="assigned", assignee_id=seller_id)
        db.session.add(conversation)
        db.session.commit()
        return conversation.id, seller_id


def write(app: Flask, conversation_id: int, kind: str, seller_id: int | None = None, **fields) -> None:
    with app.app_context():
        store.write_one(Draft(conversation_id, kind, fields.pop("text", "hi"), seller_id=seller_id, **fields))


def test_replies_record_how_long_the_shopper_waited(app, conversation, clock) -> None:
    cid, seller_id = conversation
    clock(0)
    write(app, cid, "shopper")
    clock(5)
    write(app, cid, "shopper")  # still the same wait: it started at 0
    clock(12)
    write(app, cid, "bot")  # 12 s: the first response
    clock(20)
    write(app, cid, "system")  # not a reply
    clock(30)
    write(app, cid, "shopper")
    clock(100)
    write(app, cid, "seller", seller_id)  # 70 s
    clock(130)
    write(app, cid, "seller", seller_id)  # nobody was waiting: no event
    with app.app_context():
        events = db.session.execute(
            sa.select(ReplyEvent.responder, ReplyEvent.seller_id, ReplyEvent.seconds, ReplyEvent.first)
            .where(ReplyEvent.conversation_id == cid)
            .order_by(ReplyEvent.id)
        ).all()
        assert [tuple(e) for e in events] == [("bot", None, 12, True), ("seller", seller_id, 70, False)]
        c = db.session.get(Conversation, cid)
        assert (c.first_shopper_message_at, c.first_response_at) == (START, START + timedelta(seconds=12))
        assert (c.first_response_seconds, c.first_responder) == (12, "bot")
        assert (c.bot_replied, c.seller_replied, c.awaiting_reply_since) == (True, True, None)


def test_a_conversation_only_the_bot_answered(app, conversation, clock) -> None:
    cid, _seller = conversation
    clock(0)
    write(app, cid, "bot", text="Hello! Any question?")  # proactive: nobody was waiting
    clock(40)
    write(app, cid, "shopper")
    with app.app_context():
        c = db.session.get(Conversation, cid)
        assert (c.bot_replied, c.seller_replied) == (True, False)
        assert c.first_response_at is None
        assert c.awaiting_reply_since == START + timedelta(seconds=40)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReplyEvent)) == 0


def test_cards_record_the_products_shown(app, conversation, make_product, clock) -> None:
    cid, seller_id = conversation
    table, pot = make_product(title="Table"), make_product(title="Pot")
    clock(0)
    write(app, cid, "seller", seller_id, type="product_card", data={"product": {"id": table}})
    write(app, cid, "bot", type="carousel", data={"products": [{"id": table}, {"id": pot}]})
    write(app, cid, "shopper", type="text", data={"product": {"id": pot}})  # not a recommendation
    with app.app_context():
        shown = db.session.execute(
            sa.select(Recommendation.product_id, Recommendation.source).order_by(Recommendation.id)
        ).all()
        assert [tuple(r) for r in shown] == [(table, "seller"), (table, "bot"), (pot, "bot")]
