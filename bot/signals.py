"""Signals the bot sends for other packages (the discount issue listens to price objections)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: A shopper objected to a price ("too expensive", "c'est trop cher"), sent once the bot's answer is posted:
#: sender is the app; keyword arguments conversation_id, customer_id, product_id (the product on screen or
#: named, may be None), language ("en" or "fr", the answer's). A receiver returns the Offer it posted, if
#: any (bot/discounts.py: the price-objection rule), so that the bot makes no second offer for that answer.
price_objection = _signals.signal("bot-price-objection")
