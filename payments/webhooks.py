"""Stripe webhooks: the only place an order becomes paid.

`handle(event)` records the event id and applies it in one transaction: a second delivery of the same event
(a retry, or two deliveries racing) finds the id taken and does nothing. Events may come in any order: a
`payment_failed` after `succeeded` changes nothing (the checkout is paid); a `succeeded` after a failure or
an expired hold takes the stock again, or, when it is gone, refunds the payment and says so in the chat.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from extensions import db
from payments import checkout as checkouts
from payments import emails
from payments import stripe_gateway as gateway
from payments.models import Checkout, StripeEvent
from payments.orders import confirmation_text, create_from_checkout, post_order_message
from shop import discounts
from shop.formatting import money
from shop.models import Order

log = logging.getLogger(__name__)

HANDLED = ("payment_intent.succeeded", "payment_intent.payment_failed")


@dataclass
class Outcome:
    """What to do once the event's transaction has committed (talking to people and to Stripe)."""

    duplicate: bool = False
    order_id: int | None = None
    refund: tuple[str, int, str] | None = None  # intent id, amount, idempotency key
    refund_note: tuple[int, str, str] | None = None  # conversation id, what happened, amount refunded
    failed: tuple[int, str] | None = None  # checkout id, reason: announced after commit


def handle(event: gateway.Event) -> Outcome:
    outcome = Outcome()
    # The transaction's first statement, not a savepoint: with pysqlite a SAVEPOINT opened outside a
    # transaction commits on release, which would record the id apart from its effects.
    db.session.add(StripeEvent(id=event.id, type=event.type))
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        db.session.rollback()
        outcome.duplicate = True
        return outcome
    if event.type in HANDLED and event.intent is not None:
        if event.type == "payment_intent.succeeded":
            _succeeded(event.intent, outcome)
        else:
            _failed(event.intent, outcome)
    db.session.commit()  # the event id and its effects, together
    _after_commit(outcome)
    return outcome


def _checkout_for(intent: gateway.Intent) -> Checkout | None:
    stmt = sa.select(Checkout).where(Checkout.payment_intent_id == intent.id)
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()  # concurrent events about one payment take turns
    return db.session.scalar(stmt)


def _succeeded(intent: gateway.Intent, outcome: Outcome) -> None:
    checkout = _checkout_for(intent)
    if checkout is None:
        token = intent.metadata.get("checkout")
        known = token and db.session.scalar(sa.select(Checkout.id).where(Checkout.token == token))
        if known:
            # An older attempt of a checkout charged after all (its intent was replaced): give it back.
            outcome.refund = (intent.id, intent.amount, f"stale-{intent.id}")
            log.warning("refunding stale attempt %s of checkout %s", intent.id, token)
        else:
            log.info("payment %s is not from a checkout of this shop; ignored", intent.id)
        return
    if checkout.status in ("paid", "cancelled"):
        return
    if intent.amount != checkout.total or intent.currency != checkout.currency.upper():
        log.error("payment %s: amount %s %s does not match checkout %s", intent.id, intent.amount,
                  intent.currency, checkout.token)  # fmt: skip
        outcome.refund = (intent.id, intent.amount, f"mismatch-{intent.id}")
        # Nothing will pay for this attempt now: its stock goes back (a new attempt can be made).
        checkouts.release_attempt(checkout.id, checkout.attempt, "The payment did not match the order.")
        return
    snapshot = None
    savepoint = db.session.begin_nested()
    if not checkout.holds_active:
        # The attempt had been given up (declined, expired) and its stock released: take it again.
        snapshot, missing = checkouts._hold(checkouts.frozen_quote(checkout))
        if missing is not None:
            savepoint.rollback()
            _cancel_and_refund(
                checkout, intent, outcome, f"{missing.title} sold out", _sold_out(missing.title)
            )
            return
    # The discount's held use becomes the order's (taken again if the attempt had been given up).
    if checkout.offer_id is not None and checkout.discount:
        redeemed = discounts.redeem(checkout.id, checkout.attempt, checkout.offer_id)
        if not redeemed:
            savepoint.rollback()
            note = "Sorry, your discount was used by another order while your payment was being confirmed."
            _cancel_and_refund(checkout, intent, outcome, "the discount was already used", note)
            return
    savepoint.commit()
    if snapshot is not None:
        checkout.lines = snapshot
    checkout.status = "paid"
    checkout.holds_active = False
    checkout.last_error = ""
    order = create_from_checkout(checkout)
    db.session.flush()
    outcome.order_id = order.id


def _sold_out(title: str) -> str:
    return f"Sorry, {title} sold out while your payment was being confirmed."


def _cancel_and_refund(
    checkout: Checkout, intent: gateway.Intent, outcome: Outcome, why: str, note: str
) -> None:
    """Paid after the stock (or the discount's last use) went to someone else: no order, the money goes back,
    the chat says so."""
    checkout.status = "cancelled"
    checkout.holds_active = False
    checkout.last_error = f"{why} before the payment arrived; refunded"
    outcome.refund = (intent.id, intent.amount, f"soldout-{intent.id}")
    if checkout.conversation_id:
        outcome.refund_note = (checkout.conversation_id, note, money(intent.amount, intent.currency))


def _failed(intent: gateway.Intent, outcome: Outcome) -> None:
    checkout = _checkout_for(intent)
    if checkout is None or checkout.status not in ("paying", "requires_action", "processing"):
        return  # paid already (events out of order), or not ours
    reason = intent.error_message or "Your card was declined."
    # In the event's transaction: recorded event and released stock commit together (no crash between).
    if checkouts.release_attempt(checkout.id, checkout.attempt, reason) is not None:
        outcome.failed = (checkout.id, reason)


def _after_commit(outcome: Outcome) -> None:
    if outcome.failed:
        checkout_id, reason = outcome.failed
        checkouts.announce_failure(db.session.get(Checkout, checkout_id), reason)
    if outcome.order_id is not None:
        order = db.session.get(Order, outcome.order_id)
        post_order_message(order, "confirmed", confirmation_text(order))
        emails.send_soon(current_app._get_current_object(), order.id)
    refunded = False
    if outcome.refund:
        intent_id, amount, key = outcome.refund
        try:
            gateway.refund(intent_id, amount, key)
            refunded = True
        except (gateway.GatewayError, gateway.CardDeclined):
            log.exception("automatic refund of %s failed: refund it from the Stripe dashboard", intent_id)
    if outcome.refund_note:
        from chat import broadcast
        from chat.messages import Draft

        conversation_id, what, amount_text = outcome.refund_note
        if refunded:  # the shopper (and the seller, in the same conversation) learn whether it is done
            event, text = (
                "refunded_sold_out",
                f"{what} Your payment of {amount_text} has been refunded in full.",
            )
        else:
            event, text = (
                "refund_failed_sold_out",
                f"{what} Your payment of {amount_text} will be refunded by the shop.",
            )
        broadcast.post(
            Draft(
                conversation_id=conversation_id,
                sender_kind="system",
                type="system",
                text=text,
                data={"event": event, "name": text},
            )
        )
