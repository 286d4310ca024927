"""The owner's discount rules in the conversation: the bot offers a rule's discount at the right moment, as an
offer card from the bot (chat.offers.post_offer). Whether a rule is due is shop/discount_rules.py's to say.

The moments:

- a price objection ("too expensive"): bot/conversation.py sends bot.signals.price_objection after its
  answer, and the receiver below offers the price-objection discount;
- any other answer of the bot: the loyalty discount to a loyal shopper; the first-order welcome to a shopper
  who never ordered, once they have something in their cart (the moment a discount can be applied and
  helps them decide; an empty cart could not use it). At most one card per answer, none when it hands over;
- an abandoned cart: the proactive loop (bot/proactive.py) while the shopper is on the site.

Never while the bot is off, and never in a conversation a seller has or that waits for one.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale

from bot import settings, signals
from chat.models import Conversation
from chat.offers import post_offer
from extensions import db
from shop import discount_rules, discounts
from shop.models import Customer, Offer

log = logging.getLogger(__name__)


def bot_may_speak(conversation_id: int) -> bool:
    """The bot has the conversation, or it was resolved without a seller (the next message reopens it to
    the bot). Read afresh: a seller may have claimed it a moment ago."""
    row = db.session.execute(
        sa.select(Conversation.status, Conversation.assignee_id).where(Conversation.id == conversation_id)
    ).first()
    if row is None:
        return False
    return row.status == "bot" or (row.status == "resolved" and row.assignee_id is None)


def offer(
    rule: str,
    conversation_id: int,
    customer: Customer,
    language: str,
    now: datetime | None = None,
    rules: discounts.Settings | None = None,
) -> Offer | None:
    """Offer `rule`'s discount in the conversation when the bot may and the rule is due; the offer made."""
    if not settings.bot_enabled() or not bot_may_speak(conversation_id):
        return None
    with force_locale(language):  # the card's label and date in the shopper's language
        made = discount_rules.offer_for(rule, customer, conversation_id, language, now, rules)
        if made is None:
            return None
        post_offer(made)
    log.info("bot offered %s (offer %s) in conversation %s", rule, made.id, conversation_id)
    return made


def after_answer(
    conversation_id: int, customer: Customer, language: str, now: datetime | None = None
) -> Offer | None:
    """After the bot's answer: loyalty for a loyal shopper, else the first-order welcome when the cart holds
    something. At most one offer."""
    rules = discounts.load_settings()
    if rules.loyalty_enabled:
        made = offer("loyalty", conversation_id, customer, language, now, rules)
        if made is not None:
            return made
    if rules.first_order_enabled and discount_rules.open_cart_with_lines(customer) is not None:
        return offer("first_order", conversation_id, customer, language, now, rules)
    return None


@signals.price_objection.connect
def on_price_objection(
    sender: Any,
    *,
    conversation_id: int,
    customer_id: int,
    language: str = "en",
    now: datetime | None = None,
    **extra: Any,
) -> Offer | None:
    """The shopper said the price is too high (after the bot's answer): the price-objection discount."""
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        return None
    return offer("price_objection", conversation_id, customer, language, now)
