"""Signals the bot sends for other packages (the discount issue listens to price objections)."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: A shopper objected to a price ("too expensive", "c'est trop cher"): sender is the app; keyword arguments
#: conversation_id, customer_id, product_id (the product on screen or named, may be None).
price_objection = _signals.signal("bot-price-objection")
