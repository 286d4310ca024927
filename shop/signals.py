"""Signals other domains listen to, so the shop never imports them (the chat pushes the new cart to the
seller's context panel when `cart_changed` fires)."""

from blinker import Namespace

_signals = Namespace()

#: Sent after a cart change is committed; sender: the Customer.
cart_changed = _signals.signal("cart-changed")

#: Sent after the shopper applied or removed a discount on a storefront page (the chat's own events post
#: their notes themselves); sender: the Customer; keyword `result` (shop.discounts.ApplyResult) when one
#: was applied, `offer` (the Offer) when one was removed.
discount_changed = _signals.signal("discount-changed")
