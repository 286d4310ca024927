"""The owner's bot settings (one row), the shop FAQ, and the proactive messages already sent."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from extensions import db
from shop.models import utcnow

PROACTIVE_KINDS = ("greeting", "cart_idle")
#: Bounds of the owner's delays, also enforced by the settings form (with messages) and the database.
GREETING_DELAY_RANGE = (1, 600)  # seconds on a product page
CART_IDLE_RANGE = (1, 240)  # minutes without a cart change
TEXT_MAX = 500


class BotSettings(db.Model):
    """The shop owner's switches for the bot; a single row (id 1), created on the first save."""

    __tablename__ = "bot_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Off: the bot answers nothing and sends no proactive message (sellers still chat).
    bot_enabled: Mapped[bool] = mapped_column(default=True)
    greeting_enabled: Mapped[bool] = mapped_column(default=False)
    #: Seconds on a product page before the greeting.
    greeting_delay_seconds: Mapped[int] = mapped_column(default=30)
    greeting_text_en: Mapped[str] = mapped_column(sa.String(TEXT_MAX))
    greeting_text_fr: Mapped[str] = mapped_column(sa.String(TEXT_MAX))
    cart_idle_enabled: Mapped[bool] = mapped_column(default=False)
    #: Minutes without a change to a non-empty cart, the shopper still on the site, before the nudge.
    cart_idle_minutes: Mapped[int] = mapped_column(default=10)
    cart_idle_text_en: Mapped[str] = mapped_column(sa.String(TEXT_MAX))
    cart_idle_text_fr: Mapped[str] = mapped_column(sa.String(TEXT_MAX))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.CheckConstraint("id = 1", name="single_row"),
        sa.CheckConstraint(
            f"greeting_delay_seconds BETWEEN {GREETING_DELAY_RANGE[0]} AND {GREETING_DELAY_RANGE[1]}",
            name="greeting_delay",
        ),
        sa.CheckConstraint(
            f"cart_idle_minutes BETWEEN {CART_IDLE_RANGE[0]} AND {CART_IDLE_RANGE[1]}", name="cart_idle"
        ),
    )


class FaqEntry(db.Model):
    """One answer of the shop FAQ the bot gives ("shipping", "returns"...), in English and French."""

    __tablename__ = "faq_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What the bot asks for: bot.faq.answer(topic, language). Lower-case letters, digits, - and _.
    topic: Mapped[str] = mapped_column(sa.String(40), unique=True)
    answer_en: Mapped[str] = mapped_column(sa.Text)
    answer_fr: Mapped[str] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ProactiveMessage(db.Model):
    """A proactive message claimed for one shopper's visit: the unique key makes it once per visit, even
    with several server processes deciding at the same time (bot/proactive.py)."""

    __tablename__ = "proactive_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customer.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    #: The visit: `viewed_at` of its first page view (views closer than chat.service.VISIT_GAP).
    visit_started_at: Mapped[datetime]
    conversation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("conversation.id", ondelete="SET NULL"))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.UniqueConstraint("customer_id", "kind", "visit_started_at", name="uq_proactive_once_per_visit"),
        sa.CheckConstraint(f"kind IN {PROACTIVE_KINDS!r}", name="kind"),
        sa.Index("ix_proactive_message_customer_sent", "customer_id", "sent_at"),
    )
