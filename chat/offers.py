"""Discounts in the conversation: what the shopper and the sellers see when an offer is made, waits for a
manager, is decided, applied, or stops applying. The discounts themselves are shop/discounts.py; this module
only posts messages (through chat.broadcast, like every other message) and tells the managers.

Message shapes (docs/chat-protocol.md, "Discounts"):

- `offer`: an offer card, `data.offer` = shop.discounts.offer_data(offer) (id, code, label, until, note...);
  the widget shows "Apply", which sends `apply_discount` {offer_id}.
- `system` with `data.event` one of offer_pending, offer_declined, discount_applied, discount_removed,
  discount_lost (a cart change made it stop applying), discount_refused (a typed code was refused).
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale

from chat import broadcast
from chat.broadcast import SELLER_NS, SELLERS_ROOM, SHOPPER_NS
from chat.messages import Draft
from chat.models import Conversation, Seller
from extensions import db, socketio
from shop import discounts
from shop.models import Cart, Customer, Offer
from shop.signals import cart_changed, discount_changed


def _system(conversation_id: int, event: str, text: str, **data: Any) -> None:
    broadcast.post(
        Draft(
            conversation_id=conversation_id,
            sender_kind="system",
            type="system",
            text=text,
            data={"event": event, "name": "", **data},
        )
    )


def card_text(offer: Offer) -> str:
    """The offer as plain text (message previews, notifications, the transcript)."""
    parts = [offer.note, discounts.label(offer), discounts.until_text(offer)]
    return " · ".join(part for part in parts if part) + f" (code {offer.code})"


def post_offer(offer: Offer, seller: Seller | None = None) -> None:
    """The offer card, from the seller who made it (or approved it) or from the bot."""
    if offer.conversation_id is None:
        return
    if seller is not None:
        kind, name, seller_id = "seller", seller.name, seller.id
    else:
        kind, name, seller_id = "bot", current_app.config["SHOP_NAME"], None
    broadcast.post(
        Draft(
            conversation_id=offer.conversation_id,
            sender_kind=kind,
            seller_id=seller_id,
            sender_name=name,
            type="offer",
            text=card_text(offer),
            data={"offer": discounts.offer_data(offer)},
        )
    )


def offer_made(offer: Offer, seller: Seller) -> None:
    """After `discounts.seller_offer`: the card, or (above the seller's cap) a note and the managers told."""
    if offer.status == "active":
        post_offer(offer, seller)
        return
    _system(
        offer.conversation_id,
        "offer_pending",
        f"{seller.name} asked a manager to approve {discounts.label(offer)}",
        offer=discounts.offer_data(offer),
    )
    socketio.emit("offer_pending", pending_data(offer), to=SELLERS_ROOM, namespace=SELLER_NS)


def pending_data(offer: Offer) -> dict[str, Any]:
    """A pending offer as the managers' approval list shows it."""
    seller = db.session.get(Seller, offer.created_by_id) if offer.created_by_id else None
    data = discounts.offer_data(offer)
    data.update(
        conversation_id=offer.conversation_id,
        seller={"id": seller.id, "name": seller.name} if seller else None,
        created_at=offer.created_at.isoformat(timespec="seconds") + "Z",
    )
    return data


def offer_decided(offer: Offer, manager: Seller) -> None:
    """After `discounts.decide`: an approved offer's card goes to the shopper; a declined one is told."""
    socketio.emit(
        "offer_decided",
        {"id": offer.id, "status": offer.status, "conversation_id": offer.conversation_id},
        to=SELLERS_ROOM,
        namespace=SELLER_NS,
    )
    if offer.conversation_id is None:
        return
    if offer.status == "active":
        post_offer(offer, manager)
    else:
        _system(
            offer.conversation_id,
            "offer_declined",
            f"Sorry, the discount ({discounts.label(offer)}) was not approved",
            offer=discounts.offer_data(offer),
        )


def applied(conversation: Conversation | None, result: discounts.ApplyResult) -> None:
    """The shopper applied an offer: both sides see it (with the amount) in the conversation."""
    if conversation is not None:
        _system(
            conversation.id,
            "discount_applied",
            result.message(),
            offer=discounts.offer_data(result.offer),
            replaced=result.replaced.id if result.replaced else None,
        )


def removed(conversation: Conversation | None, offer: Offer) -> None:
    if conversation is not None:
        text = f"{discounts.label(offer)} was removed from the cart"
        _system(conversation.id, "discount_removed", text, offer=discounts.offer_data(offer))


def lost(conversation: Conversation | None, message: str) -> None:
    """A cart change made the applied discount stop applying: the shopper is told why."""
    if conversation is not None:
        _system(conversation.id, "discount_lost", message)


def refused(conversation: Conversation | None, error: discounts.DiscountError) -> None:
    """A code typed in the chat was refused: the reason, for the shopper and the seller helping them."""
    if conversation is not None:
        _system(conversation.id, "discount_refused", str(error), code=error.code)


#: "WELCOME10", "code WELCOME10", "promo code: WELCOME10", "code promo WELCOME10".
_CODE_MESSAGE = re.compile(
    r"^\s*(?P<prefix>(?:(?:promo|discount|coupon)\s+)?code(?:\s+promo)?\s*:?\s+)?"
    r"(?P<code>[A-Za-z0-9][A-Za-z0-9_-]{2,39})\s*[.!]?\s*$",
    re.IGNORECASE,
)


def code_in(text: str) -> tuple[str, bool] | None:
    """The code a chat message types, and whether it said so ("code X"); None when it is no code."""
    match = _CODE_MESSAGE.match(text or "")
    if match is None:
        return None
    return match.group("code"), match.group("prefix") is not None


def typed_in_chat(customer_id: int, conversation_id: int, text: str) -> bool:
    """A shopper typed a code as a message: apply it and say so (or why not). True when the message was a
    code, so that the bot does not answer it as a question too.

    A lone word is taken for a code only when such a code exists ("hello" is not one); "code X" always is.
    """
    found = code_in(text)
    if found is None:
        return False
    code, said_code = found
    if not said_code and db.session.scalar(sa.select(Offer.id).where(Offer.code == code.upper())) is None:
        return False
    customer = db.session.get(Customer, customer_id)
    conversation = db.session.get(Conversation, conversation_id)
    if customer is None:
        return False
    config = current_app.config
    language = (
        customer.locale if customer.locale in config["SHOP_LOCALES"] else config["BABEL_DEFAULT_LOCALE"]
    )
    with force_locale(language):
        try:
            result = discounts.apply(customer, code=code)
        except discounts.DiscountError as error:
            db.session.rollback()
            refused(conversation, error)
        else:
            applied(conversation, result)
            cart_updated(customer)
    return True


def cart_summary(customer: Customer) -> dict[str, Any]:
    """The cart's totals and discount as the widget shows them (`cart_updated`, `apply_discount`'s answer)."""
    from shop import cart as carts
    from shop.formatting import money

    currency = current_app.config["SHOP_CURRENCY"]
    summary = carts.summarize(carts.open_cart(customer), currency)
    totals = summary.totals
    applied_ = summary.discount
    return {
        "item_count": totals.item_count,
        "subtotal_text": money(totals.subtotal, currency),
        "discount": totals.discount,
        "discount_text": money(totals.discount, currency),
        "total_text": money(totals.total, currency),
        "offer": None
        if applied_ is None
        else {
            "id": applied_.offer.id,
            "code": applied_.offer.code,
            "label": discounts.label(applied_.offer),
            "problem": applied_.problem,
        },
    }


def cart_updated(customer: Customer) -> None:
    """Tell the shopper's tabs that the cart's totals or discount changed (open checkout cards refresh)."""
    socketio.emit(
        "cart_updated", cart_summary(customer), to=broadcast.customer_room(customer.id), namespace=SHOPPER_NS
    )


@cart_changed.connect
def _recheck(customer: Customer, **extra: Any) -> None:
    """After any cart change (page, chat, bot): a discount that stopped applying is told in the chat."""
    with_offer = sa.select(Cart.id).where(
        Cart.customer_id == customer.id, Cart.status == "open", Cart.offer_id.is_not(None)
    )
    if db.session.scalar(with_offer.limit(1)) is None:
        return
    message = discounts.recheck(customer)
    if message is not None:
        from chat import service

        lost(service.current_conversation(customer), message)
    cart_updated(customer)


@discount_changed.connect
def _discount_changed(
    customer: Customer, result: discounts.ApplyResult | None = None, offer: Offer | None = None, **extra: Any
) -> None:
    """A discount applied or removed on the cart page: the note the chat would post; every view follows."""
    from chat import service

    conversation = service.current_conversation(customer)
    if result is not None:
        applied(conversation, result)
    elif offer is not None:
        removed(conversation, offer)
    cart_updated(customer)
    broadcast.push_context(customer)
