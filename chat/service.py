"""Conversation operations shared by the socket handlers, the seller pages and (later) the bot.

Each function validates, changes the database and commits, or raises ChatError and changes nothing.
Nothing here knows about Socket.IO: callers decide what to emit.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app, url_for
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import aliased, selectinload

from chat.messages import Draft, MessageError, isoformat, mask_card_numbers
from chat.models import CannedResponse, Conversation, Message, PageView, Seller
from extensions import db
from shop import cart as carts
from shop import discounts
from shop.catalog import get_visible_product, search
from shop.formatting import money
from shop.models import Customer, Offer, Order, Product, utcnow

#: A seller whose inbox has not been heard from for this long is offline.
PRESENCE_TIMEOUT = timedelta(seconds=75)
#: Page views closer together than this belong to the same visit.
VISIT_GAP = timedelta(minutes=30)
PAID_STATUSES = ("paid", "fulfilled", "partially_refunded")


class ChatError(MessageError):
    """An operation refused; carries a code for clients and a message for people."""

    def __init__(self, code: str, message: str, **extra: Any) -> None:
        super().__init__(code, message)
        self.extra = extra


# --- Conversations ---------------------------------------------------------------------------------------


def current_conversation(customer: Customer) -> Conversation | None:
    """The shopper's conversation: the open one, else the newest (resolved) one."""
    return db.session.scalar(
        sa.select(Conversation)
        .where(Conversation.customer_id == customer.id)
        .order_by((Conversation.status == "resolved").asc(), Conversation.id.desc())
        .limit(1)
    )


class CurrentConversation(NamedTuple):
    """A shopper and their current conversation (the conversation's fields None when they have none)."""

    customer_id: int
    name: str
    email: str | None
    conversation_id: int | None
    status: str | None
    resolved_at: datetime | None


def current_conversations(customer_ids: Collection[int]) -> dict[int, CurrentConversation]:
    """`current_conversation` for many shoppers in one query (the message store resolves a whole batch):
    one entry per shopper that exists."""
    query, params = _current_conversations_query(dialect()), {"customer_ids": list(customer_ids)}
    current: dict[int, CurrentConversation] = {}
    for row in map(CurrentConversation._make, db.session.connection().execute(query, params)):
        best = current.get(row.customer_id)
        # The open one, else the newest (resolved) one: current_conversation's order.
        if best is None or (row.status != "resolved", row.conversation_id or 0) > (
            best.status != "resolved",
            best.conversation_id or 0,
        ):
            current[row.customer_id] = row
    return current


@functools.cache
def _current_conversations_query(dialect_name: str) -> sa.Select:
    """Each shopper with their open conversations and their newest one (built once: see any_of)."""
    newest = aliased(Conversation)
    candidate = sa.or_(
        Conversation.status != "resolved",
        Conversation.id
        == sa.select(sa.func.max(newest.id)).where(newest.customer_id == Customer.id).scalar_subquery(),
    )
    return (
        sa.select(
            Customer.id,
            Customer.name,
            Customer.email,
            Conversation.id.label("conversation_id"),
            Conversation.status,
            Conversation.resolved_at,
        )
        .outerjoin(Conversation, sa.and_(Conversation.customer_id == Customer.id, candidate))
        .where(any_of(Customer.id, "customer_ids", dialect_name))
    )


def continues(status: str | None, resolved_at: datetime | None, now: datetime) -> bool:
    """Does a shopper's new message go to this (current) conversation, rather than a new one?

    An open conversation, or one resolved less than CHAT_REOPEN_DAYS ago (the message reopens it, see
    chat/store.py), continues; one resolved longer ago is left in the history and a new one starts.
    """
    if status is None:
        return False
    window = timedelta(days=current_app.config["CHAT_REOPEN_DAYS"])
    return status != "resolved" or (resolved_at or now) > now - window


def initial_status() -> str:
    """Where a new conversation starts: with the bot when it answers (bot.init_app registers the check)."""
    bot_enabled = current_app.extensions.get("chat_bot_enabled")
    return "bot" if bot_enabled is not None and bot_enabled() else "waiting"


def open_conversation(customer: Customer) -> Conversation:
    """The conversation a shopper's next message goes to, created if needed (used by payments and the bot)."""
    conversation = current_conversation(customer)
    if conversation is not None and continues(conversation.status, conversation.resolved_at, utcnow()):
        return conversation
    conversation = Conversation(customer_id=customer.id, status=initial_status())
    db.session.add(conversation)
    db.session.commit()
    return conversation


def get_conversation(conversation_id: object) -> Conversation:
    if not isinstance(conversation_id, int) or isinstance(conversation_id, bool):
        raise ChatError("invalid", "conversation_id must be a number.")
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None:
        raise ChatError("not_found", "This conversation does not exist.")
    return conversation


def seller_summary(seller: Seller | None) -> dict[str, Any] | None:
    if seller is None:
        return None
    return {"id": seller.id, "name": seller.name, "role": seller.role, "status": presence_of(seller)}


def summary(conversation: Conversation) -> dict[str, Any]:
    """A conversation as the protocol's Conversation object."""
    customer, assignee = conversation.customer, conversation.assignee
    return summary_of(
        {name: getattr(conversation, name) for name in _SUMMARY_COLUMNS},
        shopper={"id": customer.id, "name": shopper_name(customer), "email": customer.email},
        assignee=seller_summary(assignee),
    )


def summary_of(
    values: Mapping[str, Any], shopper: dict[str, Any], assignee: dict[str, Any] | None
) -> dict[str, Any]:
    """The Conversation object from a conversation's columns (_SUMMARY_COLUMNS) and its people."""
    last = None
    if values["last_message_at"]:
        last = {
            "text": values["last_message_text"],
            "sender_kind": values["last_message_kind"],
            "created_at": isoformat(values["last_message_at"]),
        }
    return {
        "id": values["id"],
        "status": values["status"],
        "assignee": assignee,
        "shopper": shopper,
        "last_seq": values["last_seq"],
        "last_message": last,
        "unread": values["seller_unread"],
        "shopper_read_seq": values["shopper_read_seq"],
        "seller_read_seq": values["seller_read_seq"],
        "updated_at": isoformat(values["updated_at"]),
    }


@functools.cache
def summary_query(dialect_name: str) -> sa.Select:
    """What `summary_of_row` needs of the conversations whose ids are given as `conversation_ids`, as plain
    rows in one query: the message store reads its batch's conversations back this way."""
    assignee = aliased(Seller)
    return (
        sa.select(
            *(getattr(Conversation, name) for name in _SUMMARY_COLUMNS),
            Customer.name.label("customer_name"),
            Customer.email.label("customer_email"),
            assignee.id.label("assignee_id"),
            assignee.name.label("assignee_name"),
            assignee.role.label("assignee_role"),
            assignee.status.label("assignee_status"),
            assignee.last_seen_at.label("assignee_last_seen_at"),
        )
        .join(Customer, Customer.id == Conversation.customer_id)
        .outerjoin(assignee, assignee.id == Conversation.assignee_id)
        .where(any_of(Conversation.id, "conversation_ids", dialect_name))
    )


def summary_of_row(row: sa.Row) -> dict[str, Any]:
    """`summary` from a row of `summary_query` (no ORM objects)."""
    values = row._mapping  # by key: a row's attributes cost several times more
    seller = None
    if values["assignee_id"] is not None:
        seller = {
            "id": values["assignee_id"],
            "name": values["assignee_name"],
            "role": values["assignee_role"],
            "status": _presence(values["assignee_status"], values["assignee_last_seen_at"]),
        }
    customer_id = values["customer_id"]
    shopper = {
        "id": customer_id,
        "name": display_name(customer_id, values["customer_name"], values["customer_email"]),
        "email": values["customer_email"],
    }
    return summary_of(values, shopper, seller)


_SUMMARY_COLUMNS = (
    "id",
    "customer_id",
    "status",
    "last_seq",
    "seller_unread",
    "shopper_read_seq",
    "seller_read_seq",
    "last_message_text",
    "last_message_kind",
    "last_message_at",
    "updated_at",
)


def shopper_name(customer: Customer) -> str:
    return display_name(customer.id, customer.name, customer.email)


def display_name(customer_id: int, name: str | None, email: str | None) -> str:
    """How a shopper is named to sellers: their name, else their email's local part, else "Visitor 12"."""
    if name:
        return name
    if email:
        return email.split("@")[0]
    return f"Visitor {customer_id}"


INBOX_FILTERS = ("open", "waiting", "mine", "resolved", "all")


def inbox(seller: Seller, filter_: str = "open", limit: int = 200) -> list[Conversation]:
    """Conversations for the inbox, newest activity first."""
    if filter_ not in INBOX_FILTERS:
        raise ChatError("invalid", f"filter must be one of {', '.join(INBOX_FILTERS)}.")
    stmt = sa.select(Conversation).where(Conversation.last_seq > 0)
    if filter_ == "open":
        stmt = stmt.where(Conversation.status != "resolved")
    elif filter_ == "waiting":
        stmt = stmt.where(Conversation.status == "waiting")
    elif filter_ == "mine":
        stmt = stmt.where(Conversation.status == "assigned", Conversation.assignee_id == seller.id)
    elif filter_ == "resolved":
        stmt = stmt.where(Conversation.status == "resolved")
    stmt = stmt.options(selectinload(Conversation.customer), selectinload(Conversation.assignee))
    return list(db.session.scalars(stmt.order_by(Conversation.updated_at.desc()).limit(limit)))


def messages_after(conversation_id: int, after_seq: object, limit: int = 500) -> list[Message]:
    """Messages with seq > after_seq (all when None), oldest first; the newest `limit` when there are more."""
    if after_seq is not None and (not isinstance(after_seq, int) or isinstance(after_seq, bool)):
        raise ChatError("invalid", "after_seq must be a number or null.")
    stmt = sa.select(Message).where(Message.conversation_id == conversation_id)
    if after_seq:
        stmt = stmt.where(Message.seq > after_seq)
    newest = list(db.session.scalars(stmt.order_by(Message.seq.desc()).limit(limit)))
    return newest[::-1]


def claim(conversation_id: object, seller: Seller) -> Conversation:
    """Take an unassigned conversation. Conditional update: of two sellers racing, exactly one wins."""
    conversation = get_conversation(conversation_id)
    if conversation.assignee_id == seller.id and conversation.status == "assigned":
        return conversation
    result = db.session.execute(
        sa.update(Conversation)
        .where(
            Conversation.id == conversation.id,
            sa.or_(Conversation.assignee_id.is_(None), Conversation.status == "resolved"),
        )
        .values(assignee_id=seller.id, status="assigned", updated_at=utcnow(), resolved_at=None)
    )
    db.session.commit()
    db.session.refresh(conversation)
    if result.rowcount != 1 and conversation.assignee_id != seller.id:
        owner = conversation.assignee.name if conversation.assignee else "another seller"
        raise ChatError("already_claimed", f"{owner} already has this conversation.", owner=owner)
    return conversation


def _may_manage(conversation: Conversation, seller: Seller) -> bool:
    return seller.is_manager or conversation.assignee_id in (None, seller.id)


def transfer(conversation_id: object, seller: Seller, to_seller_id: object) -> tuple[Conversation, Seller]:
    conversation = get_conversation(conversation_id)
    if not _may_manage(conversation, seller):
        raise ChatError(
            "forbidden", "Only the seller who has this conversation, or a manager, can transfer it."
        )
    target = db.session.get(Seller, to_seller_id) if isinstance(to_seller_id, int) else None
    if target is None or not target.active:
        raise ChatError("not_found", "This seller does not exist.")
    conversation.assignee_id = target.id
    conversation.status = "assigned"
    conversation.resolved_at = None
    conversation.updated_at = utcnow()
    db.session.commit()
    return conversation, target


def resolve(conversation_id: object, seller: Seller) -> Conversation:
    conversation = get_conversation(conversation_id)
    if not _may_manage(conversation, seller):
        raise ChatError(
            "forbidden", "Only the seller who has this conversation, or a manager, can resolve it."
        )
    conversation.status = "resolved"
    # notify_pending_since is kept: an answer followed by "resolve" must still reach an away shopper.
    conversation.resolved_at = conversation.updated_at = utcnow()
    db.session.commit()
    return conversation


def mark_read(conversation: Conversation, who: str, seq: object) -> int:
    """Everything up to seq is read by the shopper or by the sellers; returns the new read position."""
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise ChatError("invalid", "seq must be a number.")
    seq = min(seq, conversation.last_seq)
    if who == "shopper":
        values: dict[str, Any] = {
            "shopper_read_seq": _at_least(Conversation.shopper_read_seq, seq),
            "notify_pending_since": None,
        }
    else:
        values = {
            "seller_read_seq": _at_least(Conversation.seller_read_seq, seq),
            "seller_unread": 0 if seq >= conversation.last_seq else Conversation.seller_unread,
        }
    db.session.execute(sa.update(Conversation).where(Conversation.id == conversation.id).values(**values))
    db.session.commit()
    db.session.refresh(conversation)
    return conversation.shopper_read_seq if who == "shopper" else conversation.seller_read_seq


def _at_least(column: Any, value: int) -> Any:
    """SQL for max(column, value), the same on SQLite and PostgreSQL (read positions never go back)."""
    return sa.case((column < value, value), else_=column)


def dialect() -> str:
    """The database's dialect name ("sqlite", "postgresql"): a few batch statements differ."""
    return db.session.get_bind().dialect.name


def any_of(column: Any, name: str, dialect_name: str) -> Any:
    """SQL for `column IN :name`, the list of values given at execution, so that the statement is built once
    (building a statement costs more than running it). On PostgreSQL `column = ANY(:name)`, one array
    parameter: psycopg parses a statement of more than 50 parameters again on every execution (and never
    prepares it), which for the message store's batches of hundreds cost more than the query itself."""
    if dialect_name == "postgresql":
        return column == sa.any_(sa.bindparam(name, type_=postgresql.ARRAY(column.type)))
    return column.in_(sa.bindparam(name, expanding=True))


def touch_shoppers(customer_ids: list[int]) -> None:
    """The shoppers of these ids have a widget connected now (refreshed by each server process)."""
    if customer_ids:
        db.session.execute(
            sa.update(Conversation)
            .where(Conversation.customer_id.in_(customer_ids))
            .values(shopper_seen_at=utcnow())
        )
        db.session.commit()


# --- Shopper context -------------------------------------------------------------------------------------


def record_page(customer: Customer, page: object) -> dict[str, Any] | None:
    """Remember the storefront page the widget sits on; only this shop's own paths are kept."""
    if not isinstance(page, dict):
        return None
    url = page.get("url")
    if not isinstance(url, str) or len(url) > 2048:
        return None
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None  # the widget reports paths; a full URL could point anywhere
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    if not path.startswith("/") or path.startswith("//"):
        return None
    title = page.get("title") if isinstance(page.get("title"), str) else ""
    handle = page.get("product_handle")
    product = get_visible_product(handle) if isinstance(handle, str) and len(handle) <= 255 else None
    db.session.add(
        PageView(
            customer_id=customer.id,
            url=path,
            title=(title or "")[:255],
            product_id=product.id if product else None,
        )
    )
    db.session.commit()
    return {"url": path, "title": title[:255], "product_handle": product.handle if product else None}


def current_product(customer: Customer) -> Any:
    view = db.session.scalar(
        sa.select(PageView).where(PageView.customer_id == customer.id).order_by(PageView.id.desc()).limit(1)
    )
    if view is None or view.product_id is None:
        return None
    return db.session.get(Product, view.product_id)


def context(customer: Customer, exclude_conversation: int | None = None) -> dict[str, Any]:
    """Everything a seller sees beside the conversation."""
    currency = current_app.config["SHOP_CURRENCY"]
    views = list(
        db.session.scalars(
            sa.select(PageView)
            .where(PageView.customer_id == customer.id)
            .order_by(PageView.id.desc())
            .limit(50)
        )
    )
    visit: list[PageView] = []
    for view in views:
        if visit and visit[-1].viewed_at - view.viewed_at > VISIT_GAP:
            break
        visit.append(view)
    summary_ = carts.summarize(carts.open_cart(customer), currency)
    orders = list(
        db.session.scalars(sa.select(Order).where(Order.customer_id == customer.id).order_by(Order.id.desc()))
    )
    spent = sum(o.total - o.refunded_total for o in orders if o.status in PAID_STATUSES)
    earlier = db.session.scalars(
        sa.select(Conversation)
        .where(Conversation.customer_id == customer.id, Conversation.id != (exclude_conversation or 0))
        .order_by(Conversation.id.desc())
        .limit(10)
    )
    page = None
    if visit:
        latest = visit[0]
        handle = db.session.scalar(sa.select(Product.handle).where(Product.id == latest.product_id))
        page = {"url": latest.url, "title": latest.title, "product_handle": handle}
    return {
        "page": page,
        "pages": [{"url": v.url, "title": v.title, "viewed_at": isoformat(v.viewed_at)} for v in visit],
        "cart": {
            "lines": [
                {
                    "title": line.product.title,
                    "variant_title": " / ".join(line.variant.options),
                    "quantity": line.quantity,
                    "line_price": line.total,
                    "line_price_text": money(line.total, currency),
                }
                for line in summary_.lines
            ],
            "subtotal": summary_.totals.subtotal,
            "subtotal_text": money(summary_.totals.subtotal, currency),
            "discount": summary_.totals.discount,
            "discount_text": money(summary_.totals.discount, currency),
            "total_text": money(summary_.totals.total, currency),
            # The applied discount, and why it gives nothing now (`problem`), if it does not.
            "offer": _applied_offer(summary_.discount),
            "currency": currency,
        },
        "offers": _offers_of(customer),
        "orders": [
            {
                "id": o.id,
                "name": o.name,
                "total": o.total,
                "total_text": money(o.total, o.currency),
                "status": o.status,
                "refunded_text": money(o.refunded_total, o.currency) if o.refunded_total else "",
                # What a manager may still refund (minor units); 0 when not paid through Stripe.
                "refundable": max(0, o.total - o.refunded_total)
                if o.status in PAID_STATUSES and o.payment_intent_id
                else 0,
                "created_at": isoformat(o.created_at),
                "url": url_for("shop.order_status", token=o.token),
            }
            for o in orders
        ],
        "total_spent": spent,
        "total_spent_text": money(spent, currency),
        "email": customer.email,
        "earlier_conversations": [
            {
                "id": c.id,
                "status": c.status,
                "updated_at": isoformat(c.updated_at),
                "last_message": c.last_message_text,
            }
            for c in earlier
        ],
    }


def _applied_offer(applied: discounts.Applied | None) -> dict[str, Any] | None:
    if applied is None:
        return None
    return {**discounts.offer_data(applied.offer), "problem": applied.problem}


def _offers_of(customer: Customer, limit: int = 10) -> list[dict[str, Any]]:
    """The shopper's personal offers, newest first, with whether each was used (the seller's context)."""
    offers = db.session.scalars(
        sa.select(Offer).where(Offer.customer_id == customer.id).order_by(Offer.id.desc()).limit(limit)
    )
    return [{**discounts.offer_data(o), "used": o.times_used > 0} for o in offers]


def product_summary(product: Any) -> dict[str, Any]:
    """A product as a product card carries it (also used by the bot's cards)."""
    currency = current_app.config["SHOP_CURRENCY"]
    low, _high = product.price_range
    image = product.featured_image
    return {
        "id": product.id,
        "handle": product.handle,
        "title": product.title,
        "url": url_for("shop.product", handle=product.handle),
        "image": image.src if image else None,
        "price": low,
        "currency": currency,
        "price_text": money(low, currency),
        "available": product.available,
    }


# --- Sellers ---------------------------------------------------------------------------------------------


def presence_of(seller: Seller) -> str:
    return _presence(seller.status, seller.last_seen_at)


def _presence(status: str, last_seen_at: datetime | None) -> str:
    if last_seen_at is None or last_seen_at < utcnow() - PRESENCE_TIMEOUT:
        return "offline"
    return status


def touch_seller(seller: Seller, status: str | None = None) -> None:
    if status is not None:
        if status not in ("online", "away"):
            raise ChatError("invalid", "status must be online or away.")
        seller.status = status
    seller.last_seen_at = utcnow()
    db.session.commit()


def sellers_online() -> bool:
    """Is any seller available (inbox open and not away)?"""
    return bool(
        db.session.scalar(
            sa.select(sa.func.count(Seller.id)).where(
                Seller.active.is_(True),
                Seller.status == "online",
                Seller.last_seen_at >= utcnow() - PRESENCE_TIMEOUT,
            )
        )
    )


def all_sellers() -> list[Seller]:
    return list(db.session.scalars(sa.select(Seller).where(Seller.active.is_(True)).order_by(Seller.name)))


def canned_responses() -> list[CannedResponse]:
    return list(db.session.scalars(sa.select(CannedResponse).order_by(CannedResponse.shortcut)))


def render_canned(canned_id: object, conversation: Conversation) -> str:
    """A saved reply with its variables filled for this conversation's shopper."""
    canned = db.session.get(CannedResponse, canned_id) if isinstance(canned_id, int) else None
    if canned is None:
        raise ChatError("not_found", "This saved reply does not exist.")
    product = current_product(conversation.customer)
    values = {
        "shopper_name": conversation.customer.name or shopper_name(conversation.customer),
        "product": product.title if product else "",
        "shop_name": current_app.config["SHOP_NAME"],
    }
    text = canned.body
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def seen_since(moment: datetime | None, seconds: int) -> bool:
    return moment is not None and moment >= utcnow() - timedelta(seconds=seconds)


def set_email(customer: Customer, email: object) -> str:
    """Remember the shopper's email (normalised) so that replies can reach them."""
    if not isinstance(email, str) or len(email) > 254:
        raise ChatError("invalid_email", "Please enter a valid email address.")
    try:
        valid = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise ChatError("invalid_email", "Please enter a valid email address.") from None
    customer.email = valid.normalized
    db.session.commit()
    return customer.email


def search_products(query: str, limit: int = 8) -> list[Product]:
    """Catalog search from the seller's conversation pane (the storefront's search, first results)."""
    return search(query, per_page=limit).items


# --- In-chat forms ---------------------------------------------------------------------------------------

#: Longest answer to one field of an in-chat form, in characters.
MAX_FORM_ANSWER = 200


def form_answer(customer: Customer, seq: object, values: object) -> tuple[Draft, str | None]:
    """Validate a shopper's answers to a form message (the bot's handover form) of their conversation.

    Returns the `form_response` message to store, and the email given (if the form asked for one). Fields
    are those of the form message; anything else sent is ignored. A second answer to the same form has the
    same client_id, so the store keeps the first.
    """
    if not isinstance(seq, int) or isinstance(seq, bool):
        raise ChatError("invalid", "seq must be a number.")
    if not isinstance(values, dict):
        raise ChatError("invalid", "values must be an object.")
    conversation = current_conversation(customer)
    form = None
    if conversation is not None:
        form = db.session.scalar(
            sa.select(Message).where(
                Message.conversation_id == conversation.id, Message.seq == seq, Message.type == "form"
            )
        )
    if form is None:
        raise ChatError("not_found", "This form does not exist.")
    spec = (form.data or {}).get("form") or {}
    answers: dict[str, str] = {}
    labels: dict[str, str] = {}
    errors: dict[str, str] = {}
    email = None
    for field in spec.get("fields", []):
        name = field.get("name")
        raw = values.get(name, "")
        if not isinstance(name, str):
            continue
        if not isinstance(raw, str):
            errors[name] = "invalid"
            continue
        value = mask_card_numbers(" ".join(raw.split()))
        labels[name] = str(field.get("label") or name)
        if len(value) > MAX_FORM_ANSWER:
            errors[name] = "too_long"
        elif not value and field.get("required"):
            errors[name] = "required"
        elif value and field.get("type") == "email":
            try:
                email = value = validate_email(value, check_deliverability=False).normalized
            except EmailNotValidError:
                errors[name] = "invalid_email"
        answers[name] = value
    if errors:
        raise ChatError("invalid_form", "Please correct the highlighted fields.", fields=errors)
    text = "; ".join(f"{labels[name]}: {value}" for name, value in answers.items() if value) or "—"
    draft = Draft(
        conversation_id=conversation.id,
        sender_kind="shopper",
        type="form_response",
        text=text,
        client_id=f"form-{form.seq}",
        sender_name=shopper_name(customer),
        data={"form_seq": form.seq, "form_id": spec.get("id"), "values": answers, "labels": labels},
    )
    return draft, email
