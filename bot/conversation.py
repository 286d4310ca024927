"""The bot inside a conversation: answers a shopper's message while the bot has the conversation, carries out
what the answer asks for (cart, checkout, order status, handover) with the shop's own functions, and posts
its messages through the same path as sellers (chat.broadcast.post).

Conversation states (chat.models.CONVERSATION_STATUSES):

    bot ──"talk to a human" / the bot cannot help twice──▶ waiting ──a seller claims──▶ assigned
     ▲                                                                                  │
     └───────────── a new shopper message after the conversation was resolved ◀── resolved

While a conversation is `waiting` or `assigned` the bot stays silent in it.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from flask_babel import force_locale

from bot import discounts as bot_discounts
from bot import settings, signals
from bot.reply import BotContext, ProductCard, Reply, respond, say
from chat import broadcast
from chat import service as chat_service
from chat.messages import Draft
from chat.models import Conversation, Message
from extensions import db
from shop import cart as carts
from shop.formatting import money
from shop.models import Customer, Offer, Product

log = logging.getLogger(__name__)

#: A conversation the bot answers.
BOT = "bot"
#: The bot hands over after this many "I can't help" answers in a row.
UNKNOWN_BEFORE_HANDOVER = 2


def bot_name() -> str:
    return current_app.config["SHOP_NAME"]


def product_card(product: Product) -> dict[str, Any]:
    """A product as the bot's cards carry it: the chat's card plus the variants "Add to cart" offers."""
    card = chat_service.product_summary(product)
    currency = current_app.config["SHOP_CURRENCY"]
    card["variants"] = [
        {
            "id": v.id,
            "title": v.title,
            "price": v.price,
            "price_text": money(v.price, currency),
            "available": v.available,
        }
        for v in product.variants
    ]
    return card


def _cards(cards: list[ProductCard]) -> list[dict[str, Any]]:
    if not cards:
        return []
    products = {
        p.id: p
        for p in db.session.scalars(sa.select(Product).where(Product.id.in_([c.product_id for c in cards])))
    }
    return [product_card(products[c.product_id]) for c in cards if c.product_id in products]


def _post(
    conversation_id: int, text: str, *, type_: str = "text", data: dict[str, Any] | None = None
) -> None:
    broadcast.post(
        Draft(
            conversation_id=conversation_id,
            sender_kind="bot",
            sender_name=bot_name(),
            type=type_,
            text=text,
            data=data or {},
        )
    )


def post_reply(conversation_id: int, reply: Reply, extra_text: str = "") -> None:
    """The bot's answer as one message: text, product cards (one, or a carousel), quick replies."""
    cards = _cards(reply.products)
    text = " ".join(part for part in (reply.text, extra_text) if part)
    data: dict[str, Any] = {"intent": reply.intent}
    if reply.quick_replies:
        data["quick_replies"] = reply.quick_replies[:6]
    if len(cards) == 1:
        data["product"] = cards[0]
        _post(conversation_id, text, type_="product_card", data=data)
    elif cards:
        data["products"] = cards
        _post(conversation_id, text, type_="carousel", data=data)
    else:
        _post(conversation_id, text, data=data)


def _language(customer: Customer, reply_language: str | None = None) -> str:
    return reply_language or (customer.locale if customer.locale in ("en", "fr") else "en")


def _unknown_streak(conversation_id: int) -> int:
    """How many of the bot's latest answers in a row were "I can't help"."""
    intents = db.session.scalars(
        sa.select(Message.data)
        .where(Message.conversation_id == conversation_id, Message.sender_kind == "bot")
        .order_by(Message.seq.desc())
        .limit(UNKNOWN_BEFORE_HANDOVER)
    )
    streak = 0
    for data in intents:
        if (data or {}).get("intent") != "unknown":
            break
        streak += 1
    return streak


def answer(conversation_id: int, customer_id: int, text: str) -> Reply | None:
    """Answer a shopper's message if the bot has the conversation (None when it stays silent).

    Runs after the shopper's message was acknowledged, often outside any request (a background task, the
    send path's app context): links are then built against SHOP_URL.
    """
    if has_request_context():
        return _answer(conversation_id, customer_id, text)
    with current_app.test_request_context(base_url=current_app.config["SHOP_URL"]):
        return _answer(conversation_id, customer_id, text)


def _answer(conversation_id: int, customer_id: int, text: str) -> Reply | None:
    conversation = db.session.get(Conversation, conversation_id)
    customer = db.session.get(Customer, customer_id)
    if conversation is None or customer is None or conversation.status != BOT or not settings.bot_enabled():
        return None
    product = chat_service.current_product(customer)
    context = BotContext(customer.id, product.id if product else None, _language(customer))
    reply = respond(text, context)
    with force_locale(reply.language):  # the shop's own messages (cart, checkout) in the shopper's language
        return _carry_out(conversation, customer, reply)


def _carry_out(conversation: Conversation, customer: Customer, reply: Reply) -> Reply:
    conversation_id = conversation.id
    lang = reply.language
    extra = ""
    follow_ups: list[str] = []
    objections: list[dict[str, Any]] = []
    for action in reply.actions:
        kind = action.get("type")
        if kind == "add_to_cart":
            try:
                carts.add_item(customer, action["variant_id"], action.get("quantity") or 1)
            except carts.CartError as error:
                reply = Reply(reply.intent, lang, str(error), reply.products, reply.quick_replies, [])
        elif kind in ("show_cart", "checkout", "order_status", "handoff"):
            follow_ups.append(kind)
        elif kind == "price_objection":
            objections.append(action)
    if reply.intent == "unknown" and _unknown_streak(conversation_id) + 1 >= UNKNOWN_BEFORE_HANDOVER:
        follow_ups.append("handoff")  # honest: it cannot help, so a person should
    if "show_cart" in follow_ups:
        extra = cart_text(customer, lang)
    post_reply(conversation_id, reply, extra)
    _after_reply(conversation_id, customer, lang, objections, handing_over="handoff" in follow_ups)
    for kind in follow_ups:
        if kind == "checkout":
            _checkout(conversation, customer)
        elif kind == "order_status":
            from payments.orders import post_status

            post_status(customer, conversation_id)
        elif kind == "handoff":
            hand_over(conversation, customer, lang)
    return reply


def _after_reply(
    conversation_id: int,
    customer: Customer,
    lang: str,
    objections: list[dict[str, Any]],
    *,
    handing_over: bool,
) -> None:
    """Once the answer is posted: price objections are signalled (the price-objection discount listens, in
    bot/discounts.py), else one of the owner's other rules may offer a discount (not when handing over)."""
    offered = False
    for action in objections:
        results = signals.price_objection.send(
            current_app._get_current_object(),
            conversation_id=conversation_id,
            customer_id=customer.id,
            product_id=action.get("product_id"),
            language=lang,
        )
        offered = offered or any(isinstance(result, Offer) for _receiver, result in results)
    if not offered and not handing_over:
        bot_discounts.after_answer(conversation_id, customer, lang)


def cart_text(customer: Customer, lang: str) -> str:
    currency = current_app.config["SHOP_CURRENCY"]
    summary = carts.summarize(carts.open_cart(customer), currency)
    if summary.is_empty:
        return say("cart_empty", lang)
    url = current_app.config["SHOP_URL"] + url_for("shop.view_cart")
    lines = "; ".join(f"{line.quantity} × {line.product.title}" for line in summary.lines)
    total = money(summary.totals.total, currency)
    return f"{say('cart', lang, count=summary.totals.item_count, total=total)} {lines}. {url}"


def _checkout(conversation: Conversation, customer: Customer) -> None:
    from payments import stripe_gateway
    from payments.checkout import CheckoutError, start

    if not stripe_gateway.configured():
        return
    try:
        start(customer, conversation)
    except CheckoutError as error:
        _post(conversation.id, str(error))


def hand_over(conversation: Conversation, customer: Customer, lang: str) -> bool:
    """Pass the conversation to the sellers: it waits for one, the shopper is told, a short form helps."""
    result = db.session.execute(
        sa.update(Conversation)
        .where(Conversation.id == conversation.id, Conversation.status == BOT)
        .values(status="waiting")
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount != 1:
        return False
    db.session.refresh(conversation)
    broadcast.system_message(conversation, "handed_over", "The bot handed the conversation to the sellers")
    broadcast.conversation_changed(conversation)
    online = chat_service.sellers_online()
    fields = [
        {"name": "budget", "label": say("budget", lang), "type": "text"},
        {"name": "use", "label": say("use", lang), "type": "text"},
    ]
    if not customer.email:
        fields.append({"name": "email", "label": say("email", lang), "type": "email", "required": not online})
    _post(
        conversation.id,
        say("handover" if online else "handover_offline", lang),
        type_="form",
        data={"form": {"id": "handover", "fields": fields, "submit": say("send", lang)}, "online": online},
    )
    return True
