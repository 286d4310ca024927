"""Emailing a shopper who left: a seller replied, no widget has been open since, and they left an email.

One email per conversation per CHAT_EMAIL_WINDOW_MINUTES, however many replies, and never twice for the
same replies even with several server processes: each process finds the due conversations, then *claims*
one with a conditional UPDATE before sending (the process whose UPDATE changed the row sends; the others
see rowcount 0). A failed send gives the claim back, so the next round retries.

Called from the background loop (chat/tasks.py), never from a socket handler: SMTP may be slow. The email
carries a signed link (`/chat/resume/<token>`) that gives any browser the shopper's identity, hence their
conversation and cart.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from typing import Any

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import contains_eager

from chat.models import Conversation, Message
from extensions import db
from shop.models import Customer, utcnow

log = logging.getLogger(__name__)

_RESUME_SALT = "chat-resume"
#: Conversations handled per round; the rest wait for the next round.
BATCH = 100
#: Newest unread replies quoted in one email.
MAX_QUOTED = 20


# --- Resume links ----------------------------------------------------------------------------------------


def _resume_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_RESUME_SALT)


def resume_token(customer: Customer) -> str:
    """A signed, dated token naming the shopper; whoever holds it becomes them until it expires."""
    return _resume_serializer().dumps(customer.token)


def customer_from_resume_token(token: str) -> Customer | None:
    """The shopper a resume token names, or None if it is tampered with, expired or names nobody."""
    max_age = timedelta(days=current_app.config["CHAT_RESUME_LINK_DAYS"]).total_seconds()
    try:
        customer_token = _resume_serializer().loads(token, max_age=max_age)
    except BadSignature:  # also SignatureExpired
        return None
    if not isinstance(customer_token, str) or not 0 < len(customer_token) <= 64:
        return None
    return db.session.scalar(sa.select(Customer).filter_by(token=customer_token))


# --- Which conversations, claimed by which process ---------------------------------------------------------


def _window_start(now: datetime) -> datetime:
    return now - timedelta(minutes=current_app.config["CHAT_EMAIL_WINDOW_MINUTES"])


def _shopper_away() -> Any:
    """SQL: no widget of the shopper has been seen since the reply that is waiting to be read."""
    return sa.or_(
        Conversation.shopper_seen_at.is_(None),
        Conversation.shopper_seen_at < Conversation.notify_pending_since,
    )


def _window_free(now: datetime) -> Any:
    """SQL: no email for this conversation within the window."""
    return sa.or_(Conversation.last_emailed_at.is_(None), Conversation.last_emailed_at < _window_start(now))


def due_conversations(now: datetime) -> list[Conversation]:
    """Conversations whose shopper should get an email now, oldest waiting reply first."""
    delay = timedelta(seconds=current_app.config["CHAT_EMAIL_DELAY_SECONDS"])
    stmt = (
        sa.select(Conversation)
        .join(Conversation.customer)
        .where(
            Conversation.notify_pending_since <= now - delay,
            Customer.email.is_not(None),
            Customer.email != "",
            _shopper_away(),
            _window_free(now),
        )
        .options(contains_eager(Conversation.customer))
        .order_by(Conversation.notify_pending_since, Conversation.id)
        .limit(BATCH)
    )
    return list(db.session.scalars(stmt))


@dataclass(frozen=True)
class Claim:
    """This process's right to email one conversation, with what to put back if sending fails."""

    conversation_id: int
    claimed_at: datetime
    pending_since: datetime
    previous_emailed_at: datetime | None
    read_seq: int


def claim(conversation: Conversation, now: datetime) -> Claim | None:
    """Take the conversation's pending notification, or None if another process (or a read) got there first.

    One conditional UPDATE: it matches only while the row still holds the pending reply this process saw
    and no email was sent within the window, so of two processes racing exactly one changes the row.
    """
    pending = conversation.notify_pending_since
    if pending is None:
        return None
    taken = Claim(
        conversation_id=conversation.id,
        claimed_at=now,
        pending_since=pending,
        previous_emailed_at=conversation.last_emailed_at,
        read_seq=conversation.shopper_read_seq,
    )
    result = db.session.execute(
        sa.update(Conversation)
        .where(
            Conversation.id == conversation.id,
            Conversation.notify_pending_since == pending,
            _shopper_away(),
            _window_free(now),
        )
        .values(last_emailed_at=now, notify_pending_since=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return taken if result.rowcount == 1 else None


def release(taken: Claim, *, retry: bool) -> None:
    """Give a claim back: the window is free again and, with retry, the reply is pending again.

    Only while the row still carries this claim; the pending reply is restored only if the shopper has
    read nothing since (reading clears it on purpose).
    """
    pending: Any = Conversation.notify_pending_since
    if retry:
        pending = sa.case(
            (Conversation.shopper_read_seq == taken.read_seq, taken.pending_since),
            else_=Conversation.notify_pending_since,
        )
    db.session.execute(
        sa.update(Conversation)
        .where(Conversation.id == taken.conversation_id, Conversation.last_emailed_at == taken.claimed_at)
        .values(last_emailed_at=taken.previous_emailed_at, notify_pending_since=pending)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


# --- The email -------------------------------------------------------------------------------------------


def _locale(customer: Customer) -> str:
    config = current_app.config
    return customer.locale if customer.locale in config["SHOP_LOCALES"] else config["BABEL_DEFAULT_LOCALE"]


def _resume_url(customer: Customer) -> str:
    """The absolute resume link, built against SHOP_URL (there is no request in the background loop)."""
    with current_app.test_request_context(base_url=current_app.config["SHOP_URL"]):
        return url_for("chat.resume", token=resume_token(customer), _external=True)


def _unread_replies(conversation: Conversation) -> list[Message]:
    """Seller and bot messages the shopper has not read, oldest first (the newest MAX_QUOTED)."""
    newest = db.session.scalars(
        sa.select(Message)
        .where(
            Message.conversation_id == conversation.id,
            Message.seq > conversation.shopper_read_seq,
            Message.sender_kind.in_(("seller", "bot")),
        )
        .order_by(Message.seq.desc())
        .limit(MAX_QUOTED)
    )
    return list(newest)[::-1]


def _render(name: str, **context: Any) -> str:
    """A template from templates/chat/email/: .html is autoescaped, .txt is not (Flask's rule)."""
    return current_app.jinja_env.get_template(f"chat/email/{name}").render(**context)


def sender() -> str:
    config = current_app.config
    return config["MAIL_DEFAULT_SENDER"] or formataddr((config["SHOP_NAME"], "shop@localhost"))


def compose(conversation: Conversation) -> EmailMessage | None:
    """The email for a conversation's unread replies, in the shopper's language; None if nothing to say."""
    customer = conversation.customer
    replies = _unread_replies(conversation)
    if not customer.email or not replies:
        return None
    shop_name = current_app.config["SHOP_NAME"]
    locale = _locale(customer)
    context = {
        "locale": locale,
        "shop_name": shop_name,
        "shopper_name": customer.name,
        "replies": [
            {"sender": m.sender_name or shop_name, "text": m.text, "bot": m.sender_kind == "bot"}
            for m in replies
        ],
        "resume_url": _resume_url(customer),
        "days": current_app.config["CHAT_RESUME_LINK_DAYS"],
    }
    message = EmailMessage()
    with force_locale(locale):
        message["Subject"] = _("New reply from %(shop)s", shop=shop_name)
        message.set_content(_render("reply.txt", **context))
        message.add_alternative(_render("reply.html", **context), subtype="html")
    message["From"] = sender()
    message["To"] = customer.email
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=_mail_domain())
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to the shop, please
    return message


def _mail_domain() -> str:
    return parseaddr(sender())[1].rpartition("@")[2] or "localhost"


# --- Sending ---------------------------------------------------------------------------------------------


def send(message: EmailMessage) -> None:
    """Hand the message to the SMTP server; raises smtplib.SMTPException or OSError when it cannot."""
    config = current_app.config
    timeout = config["MAIL_TIMEOUT"]
    if config["MAIL_USE_SSL"]:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout, context=ssl.create_default_context()
        )
    else:
        smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout)
    try:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(message)
    finally:
        # The message is accepted once send_message returns; a failing QUIT must not make us resend it.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            smtp.quit()
        smtp.close()


def _permanent(error: Exception) -> bool:
    """This message was refused for good (5xx to the recipient or the content): retrying would not help."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _text in error.recipients.values())
    return isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500


def _about_this_message(error: Exception) -> bool:
    """Refused for this message only; anything else (down, auth, sender) would fail the same for all."""
    return isinstance(error, smtplib.SMTPRecipientsRefused | smtplib.SMTPDataError)


def _claimed(now: datetime) -> Iterator[tuple[Conversation, Claim]]:
    for conversation in due_conversations(now):
        taken = claim(conversation, now)
        if taken is not None:
            db.session.refresh(conversation)  # the shopper may have read something since the query
            yield conversation, taken


def send_due(now: datetime | None = None) -> int:
    """One round: email every due conversation this process manages to claim; returns how many were sent.

    A transient failure (server down, 4xx) gives the claim back, so the reply is retried next round; a
    permanent one (5xx) keeps it, so the next attempt waits for the window like any other email.
    """
    now = now or utcnow()
    sent = 0
    for conversation, taken in _claimed(now):
        message = compose(conversation)
        if message is None:
            release(taken, retry=False)
            continue
        try:
            send(message)
        except (smtplib.SMTPException, OSError) as error:
            if _permanent(error):
                log.error("email for conversation %d refused: %s", conversation.id, error)
                continue
            log.warning("email for conversation %d not sent, retrying later: %s", conversation.id, error)
            release(taken, retry=True)
            if not _about_this_message(error):
                break  # the others would wait for the same timeout; all are retried next round
            continue
        sent += 1
        log.info("emailed the shopper of conversation %d", conversation.id)
    return sent
