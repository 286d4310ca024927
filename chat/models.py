"""Sellers, conversations, messages, saved replies and the pages shoppers view."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from extensions import db
from shop.models import Customer, utcnow

SELLER_ROLES = ("seller", "manager")
#: bot: the bot answers; waiting: for a seller; assigned: a seller has it; resolved: closed (reopened by a
#: new shopper message).
CONVERSATION_STATUSES = ("bot", "waiting", "assigned", "resolved")
SENDER_KINDS = ("shopper", "seller", "bot", "system")


class Seller(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(255), unique=True)
    name: Mapped[str] = mapped_column(sa.String(255))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(16), default="seller")
    #: What the seller chose: online or away. Whether they are really there is `last_seen_at`.
    status: Mapped[str] = mapped_column(sa.String(16), default="online")
    #: Refreshed while the inbox is open (socket heartbeat); stale means offline.
    last_seen_at: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.CheckConstraint(f"role IN {SELLER_ROLES!r}", name="role"),
        sa.CheckConstraint("status IN ('online', 'away')", name="status"),
    )

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_manager(self) -> bool:
        return self.role == "manager"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active


class Conversation(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="waiting")
    #: The seller who has the conversation (claimed or transferred to); None while waiting.
    assignee_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("seller.id", ondelete="SET NULL"), index=True
    )
    #: Highest message sequence number given out; the next message gets last_seq + 1.
    last_seq: Mapped[int] = mapped_column(default=0)
    #: Everything up to this seq has been read by the shopper / by a seller.
    shopper_read_seq: Mapped[int] = mapped_column(default=0)
    seller_read_seq: Mapped[int] = mapped_column(default=0)
    #: Shopper messages no seller has read yet (reset when a seller reads).
    seller_unread: Mapped[int] = mapped_column(default=0)
    last_message_text: Mapped[str] = mapped_column(sa.String(200), default="")
    last_message_kind: Mapped[str] = mapped_column(sa.String(16), default="")
    last_message_at: Mapped[datetime | None]
    #: When the shopper last had a widget connected (refreshed while connected).
    shopper_seen_at: Mapped[datetime | None]
    #: Set when a seller replies while the shopper may be away; cleared by reading or by the email.
    notify_pending_since: Mapped[datetime | None]
    last_emailed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    resolved_at: Mapped[datetime | None]
    # Kept by the message store as messages arrive, for the insights (chat/store.py):
    #: The shopper's first message; the shopper's oldest message still without a bot or seller reply.
    first_shopper_message_at: Mapped[datetime | None]
    awaiting_reply_since: Mapped[datetime | None]
    #: The first reply to the shopper, how long it took, and who gave it ("bot" or "seller").
    first_response_at: Mapped[datetime | None]
    first_response_seconds: Mapped[int | None]
    first_responder: Mapped[str | None] = mapped_column(sa.String(8))
    #: Whether the bot, and whether a seller, ever wrote in it: who handled it.
    bot_replied: Mapped[bool] = mapped_column(default=False)
    seller_replied: Mapped[bool] = mapped_column(default=False)

    customer: Mapped[Customer] = relationship()
    assignee: Mapped[Seller | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(f"status IN {CONVERSATION_STATUSES!r}", name="status"),
        sa.CheckConstraint("last_seq >= 0 AND shopper_read_seq >= 0 AND seller_read_seq >= 0", name="seqs"),
        # Covers the insights' counts of a period's conversations by who handled them and by seller.
        sa.Index("ix_conversation_period", "created_at", "bot_replied", "seller_replied", "assignee_id"),
    )


class Message(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(sa.ForeignKey("conversation.id", ondelete="CASCADE"))
    #: Position in the conversation: 1, 2, 3... without gaps; clients resume "after seq N".
    seq: Mapped[int]
    #: Chosen by the sending client; a resend after a lost ack finds the stored message by it.
    client_id: Mapped[str | None] = mapped_column(sa.String(64))
    type: Mapped[str] = mapped_column(sa.String(32), default="text")
    sender_kind: Mapped[str] = mapped_column(sa.String(16))
    seller_id: Mapped[int | None] = mapped_column(sa.ForeignKey("seller.id", ondelete="SET NULL"))
    sender_name: Mapped[str] = mapped_column(sa.String(255), default="")
    #: Plain text, never HTML; card numbers already masked.
    text: Mapped[str] = mapped_column(sa.Text, default="")
    #: Type-specific payload (a product card's product, a system event's name...).
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("conversation_id", "seq", name="uq_message_seq"),
        sa.UniqueConstraint("conversation_id", "client_id", name="uq_message_client_id"),
        sa.CheckConstraint(f"sender_kind IN {SENDER_KINDS!r}", name="sender_kind"),
        sa.CheckConstraint("seq > 0", name="seq_positive"),
    )


class CannedResponse(db.Model):
    __tablename__ = "canned_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Typed after "/" in the reply box to find it.
    shortcut: Mapped[str] = mapped_column(sa.String(40), unique=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    #: Text with variables: {shopper_name}, {product}, {shop_name}.
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PageView(db.Model):
    """A storefront page a shopper's widget reported: the seller's "what are they looking at"."""

    __tablename__ = "page_view"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customer.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(sa.String(2048))
    title: Mapped[str] = mapped_column(sa.String(255), default="")
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("product.id", ondelete="SET NULL"))
    viewed_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.Index("ix_page_view_customer_viewed", "customer_id", "viewed_at"),)


RESPONDERS = ("bot", "seller")


class ReplyEvent(db.Model):
    """A reply to a shopper who was waiting: who answered and after how long (response times, medians)."""

    __tablename__ = "reply_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conversation.id", ondelete="CASCADE"), index=True
    )
    responder: Mapped[str] = mapped_column(sa.String(8))
    seller_id: Mapped[int | None] = mapped_column(sa.ForeignKey("seller.id", ondelete="SET NULL"), index=True)
    #: Seconds from the oldest unanswered shopper message to this reply.
    seconds: Mapped[int]
    #: The conversation's first reply.
    first: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    __table_args__ = (
        sa.CheckConstraint(f"responder IN {RESPONDERS!r}", name="responder"),
        sa.CheckConstraint("seconds >= 0", name="seconds"),
        # Covers the insights' grouped count of a period's replies (read from the index alone).
        sa.Index("ix_reply_event_period", "created_at", "responder", "first", "seller_id", "seconds"),
        # The same in the grouping's order: SQLite groups a long period faster from it (insights.figures).
        sa.Index("ix_reply_event_grouped", "responder", "first", "seller_id", "seconds", "created_at"),
    )


class Recommendation(db.Model):
    """A product shown to a shopper in a conversation (a bot's card or carousel, a seller's product card)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("product.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conversation.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(sa.String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    __table_args__ = (
        sa.CheckConstraint(f"source IN {RESPONDERS!r}", name="source"),
        # Covers the insights' count of a period's recommendations by product (read from the index alone).
        sa.Index("ix_recommendation_period", "created_at", "product_id"),
    )
