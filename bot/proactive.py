"""Proactive messages: the bot speaks first, when the owner turned it on (off by default for each).

- `greeting`: the shopper has been on a product page for `greeting_delay_seconds`;
- `cart_idle`: the shopper's cart, changed during this visit, has not changed for `cart_idle_minutes`
  while they are still on the site (a widget connected).

Decided on the server by each process's background loop (chat/tasks.py, every CHAT_TASK_INTERVAL_SECONDS:
the delays are met up to one interval late, 15 s by default) for the shoppers connected to *that* process.
The owner's abandoned-cart discount (shop/discount_rules.py) is decided in the same loop, on or off
independently of the `cart_idle` nudge: a shopper still on the site whose cart has not changed for
`abandoned_cart_minutes` of this visit (counted from the later of the last change and the visit's start) is
offered it as a card from the bot, once per cart per period (the offer's dedupe key, no proactive row).
After it, the `cart_idle` nudge is not sent for that visit (the offer is the reminder).

Each kind fires at most once per visit (page views closer than chat.service.VISIT_GAP): a row keyed
(customer, kind, visit start) is inserted first, with ON CONFLICT DO NOTHING, and only the process whose
insert went in posts the message. Never into an active conversation: not while a seller has it, not when the
shopper or a seller wrote in the last ACTIVE_WINDOW, and not twice within ACTIVE_WINDOW.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from bot import discounts as bot_discounts
from bot import settings
from bot.models import ProactiveMessage
from chat import broadcast, service, tasks
from chat.messages import Draft
from chat.models import Message, PageView
from extensions import db
from shop import discount_rules, discounts
from shop.models import Cart, CartLine, Customer, Offer, utcnow

log = logging.getLogger(__name__)

#: A shopper's or seller's message this recent means a conversation is going on: the bot keeps quiet.
ACTIVE_WINDOW = timedelta(minutes=5)
#: Offered under each message (the widget sends the chosen one as the shopper's message).
QUICK_REPLIES: dict[str, dict[str, list[str]]] = {
    "greeting": {
        "en": ["Is it in stock?", "Shipping", "Talk to a seller"],
        "fr": ["Est-il en stock ?", "Livraison", "Parler à un vendeur"],
    },
    "cart_idle": {
        "en": ["Checkout", "Show my cart", "Talk to a seller"],
        "fr": ["Payer", "Voir mon panier", "Parler à un vendeur"],
    },
}


@dataclass(frozen=True)
class Due:
    """A proactive message to send now."""

    customer_id: int
    kind: str
    #: The visit it is for: `viewed_at` of the visit's first page view.
    visit_started_at: datetime
    language: str


def due(now: datetime | None = None) -> list[Due]:
    """The proactive messages due now for the shoppers connected to this process (reads only)."""
    now = now or utcnow()
    config = settings.load()
    customer_ids = tasks.connected_shoppers()
    if not config.any_proactive or not customer_ids:
        return []
    views = _latest_views(customer_ids) if config.greeting_enabled else {}
    carts = _cart_changes(customer_ids) if config.cart_idle_enabled else {}
    greeting_before = now - timedelta(seconds=config.greeting_delay_seconds)
    idle_before = now - timedelta(minutes=config.cart_idle_minutes)
    found = []
    for customer_id in customer_ids:
        candidates: list[tuple[str, datetime | None]] = []
        changed = carts.get(customer_id)
        if changed is not None and changed <= idle_before:
            candidates.append(("cart_idle", changed))
        view = views.get(customer_id)
        if view is not None and view.product_id is not None and view.viewed_at <= greeting_before:
            candidates.append(("greeting", None))
        if candidates:
            item = _decide(customer_id, candidates, now)
            if item is not None:
                found.append(item)
    return found


def send_due(now: datetime | None = None) -> int:
    """Claim and post the due messages and abandoned-cart offers; returns how many this process posted (the
    periodic task)."""
    now = now or utcnow()
    offered = send_cart_offers(now)
    sent = len(offered)
    for item in due(now):
        if item.customer_id in offered:
            continue  # one message at a time: the offer was this round's
        try:
            if _claim(item, now):
                _post(item)
                sent += 1
        except sa.exc.SQLAlchemyError:  # this shopper's message is lost; the others still go
            db.session.rollback()
            log.exception("proactive %s for shopper %s failed", item.kind, item.customer_id)
    return sent


def send_cart_offers(now: datetime) -> set[int]:
    """The abandoned-cart discount for connected shoppers whose cart sat idle this visit; the shoppers it was
    posted to."""
    rules = discounts.load_settings()
    customer_ids = tasks.connected_shoppers()
    if not rules.abandoned_cart_enabled or not customer_ids or not settings.bot_enabled():
        return set()
    idle_before = now - timedelta(minutes=rules.abandoned_cart_minutes)
    sent = set()
    for customer_id, (_cart_id, changed) in discount_rules.abandoned_carts(customer_ids, rules, now).items():
        try:
            if _cart_offer(customer_id, changed, idle_before, rules, now):
                sent.add(customer_id)
        except sa.exc.SQLAlchemyError:  # this shopper's offer is lost; the others still go
            db.session.rollback()
            log.exception("abandoned-cart offer for shopper %s failed", customer_id)
    return sent


def _cart_offer(
    customer_id: int, changed: datetime, idle_before: datetime, rules: discounts.Settings, now: datetime
) -> bool:
    visit = visit_started_at(customer_id)
    if visit is None or max(changed, visit) > idle_before:
        return False  # not idle for long enough on the site during this visit
    recent = sa.select(ProactiveMessage.id).where(
        ProactiveMessage.customer_id == customer_id, ProactiveMessage.sent_at >= now - ACTIVE_WINDOW
    )
    if db.session.scalar(recent.limit(1)) is not None:
        return False  # one message at a time: it waits, like a second proactive message would
    customer = db.session.get(Customer, customer_id)
    if customer is None or conversation_active(customer, now):
        return False
    if not discount_rules.due("abandoned_cart", customer, rules, now):
        return False  # before opening a conversation for it
    conversation = service.current_conversation(customer)
    if conversation is not None and conversation.status in ("waiting", "assigned"):
        return False  # the shopper asked for a seller: not the bot's to offer
    conversation = service.open_conversation(customer)
    return (
        bot_discounts.offer("abandoned_cart", conversation.id, customer, _language(customer), now, rules)
        is not None
    )


def _latest_views(customer_ids: list[int]) -> dict[int, sa.Row]:
    """Each shopper's latest page view: customer_id, product_id, viewed_at."""
    latest = (
        sa.select(sa.func.max(PageView.id))
        .where(PageView.customer_id.in_(customer_ids))
        .group_by(PageView.customer_id)
    )
    rows = db.session.execute(
        sa.select(PageView.customer_id, PageView.product_id, PageView.viewed_at).where(
            PageView.id.in_(latest)
        )
    )
    return {row.customer_id: row for row in rows}


def _cart_changes(customer_ids: list[int]) -> dict[int, datetime]:
    """When each shopper's non-empty open cart last changed (a line added, a quantity changed...)."""
    rows = db.session.execute(
        sa.select(Cart.customer_id, sa.func.max(Cart.updated_at), sa.func.max(CartLine.added_at))
        .join(CartLine, CartLine.cart_id == Cart.id)
        .where(Cart.status == "open", Cart.customer_id.in_(customer_ids))
        .group_by(Cart.customer_id)
    )
    return {customer_id: max(updated, added) for customer_id, updated, added in rows}


def visit_started_at(customer_id: int) -> datetime | None:
    """`viewed_at` of the first page view of the shopper's current visit (None: no page view yet)."""
    start: datetime | None = None
    while True:
        query = sa.select(PageView.viewed_at).where(PageView.customer_id == customer_id)
        if start is not None:
            query = query.where(PageView.viewed_at < start)
        batch = list(db.session.scalars(query.order_by(PageView.viewed_at.desc()).limit(200)))
        for viewed_at in batch:
            if start is not None and start - viewed_at > service.VISIT_GAP:
                return start
            start = viewed_at
        if len(batch) < 200:
            return start


def _decide(customer_id: int, candidates: list[tuple[str, datetime | None]], now: datetime) -> Due | None:
    """The first candidate not yet sent this visit, unless the bot should keep quiet."""
    visit = visit_started_at(customer_id)
    if visit is None:
        return None
    sent = db.session.execute(
        sa.select(ProactiveMessage.kind, ProactiveMessage.visit_started_at, ProactiveMessage.sent_at).where(
            ProactiveMessage.customer_id == customer_id,
            sa.or_(
                ProactiveMessage.visit_started_at == visit, ProactiveMessage.sent_at >= now - ACTIVE_WINDOW
            ),
        )
    ).all()
    if any(row.sent_at >= now - ACTIVE_WINDOW for row in sent):
        return None
    done = {row.kind for row in sent if row.visit_started_at == visit}
    offers = db.session.execute(
        sa.select(Offer.rule, Offer.created_at).where(
            Offer.customer_id == customer_id,
            Offer.source == "bot",
            Offer.created_at >= min(visit, now - ACTIVE_WINDOW),
        )
    ).all()
    if any(row.created_at >= now - ACTIVE_WINDOW for row in offers):
        return None  # the bot just offered a discount: one message at a time
    if any(row.rule == "abandoned_cart" and row.created_at >= visit for row in offers):
        done.add("cart_idle")  # the abandoned-cart offer was this visit's cart reminder
    # A cart nudge is about a cart filled during this visit, not one left behind days ago.
    kinds = [k for k, changed in candidates if k not in done and (changed is None or changed >= visit)]
    if not kinds:
        return None
    customer = db.session.get(Customer, customer_id)
    if customer is None or conversation_active(customer, now):
        return None
    return Due(customer_id, kinds[0], visit, _language(customer))


def conversation_active(customer: Customer, now: datetime) -> bool:
    """A seller has the shopper's conversation, or the shopper or a seller wrote in it lately."""
    conversation = service.current_conversation(customer)
    if conversation is None:
        return False
    if conversation.status == "assigned" or (conversation.assignee_id and conversation.status != "resolved"):
        return True
    recent = db.session.scalar(
        sa.select(Message.id)
        .where(
            Message.conversation_id == conversation.id,
            Message.sender_kind.in_(("shopper", "seller")),
            Message.created_at >= now - ACTIVE_WINDOW,
        )
        .limit(1)
    )
    return recent is not None


def _language(customer: Customer) -> str:
    config = current_app.config
    return customer.locale if customer.locale in config["SHOP_LOCALES"] else config["BABEL_DEFAULT_LOCALE"]


def _claim(item: Due, now: datetime) -> bool:
    """Record the message for this visit; False when it already was (another round, another process)."""
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    values = {
        "customer_id": item.customer_id,
        "kind": item.kind,
        "visit_started_at": item.visit_started_at,
        "sent_at": now,
    }
    statement = insert(ProactiveMessage).values(**values).on_conflict_do_nothing()
    inserted = db.session.scalar(statement.returning(ProactiveMessage.id))
    db.session.commit()
    return inserted is not None


def _post(item: Due) -> None:
    customer = db.session.get(Customer, item.customer_id)
    conversation = service.open_conversation(customer)
    text = settings.load().text(item.kind, item.language)
    broadcast.post(
        Draft(
            conversation_id=conversation.id,
            sender_kind="bot",
            sender_name=current_app.config["SHOP_NAME"],
            text=text,
            type="text",
            data={"proactive": item.kind, "quick_replies": QUICK_REPLIES[item.kind].get(item.language, [])},
        )
    )
    db.session.execute(
        sa.update(ProactiveMessage)
        .where(
            ProactiveMessage.customer_id == item.customer_id,
            ProactiveMessage.kind == item.kind,
            ProactiveMessage.visit_started_at == item.visit_started_at,
        )
        .values(conversation_id=conversation.id)
    )
    db.session.commit()
    log.info("proactive %s sent to shopper %s", item.kind, item.customer_id)
