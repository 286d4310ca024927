"""Discount amounts, as pure functions over integer minor units (no database, request or Stripe here).

Rounding rule (docs/discounts.md): a percent discount is `floor(eligible × percent / 100)`, computed once on
the sum of the eligible lines, so the shopper never gets more than the stated percent and the same cart
always gives the same amount. The amount is then shared out over the eligible lines in proportion to their
totals (largest remainder, ties to the earlier line), so that the line discounts add up exactly to the
discount and none is more than its line: no line and no order is ever negative.

A fixed discount is `min(value, eligible subtotal)`, shared out the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

KINDS = ("percent", "fixed")
SCOPES = ("order", "product", "collection")


@dataclass(frozen=True)
class Terms:
    """What an offer gives: `value` is a whole percent (1–100) or an amount in minor units."""

    kind: str
    value: int
    scope: str = "order"
    #: The product or collection the discount is limited to (scope product / collection).
    target_id: int | None = None
    #: The cart's subtotal (all lines, before any discount) must be at least this.
    min_subtotal: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown discount kind {self.kind!r}")
        if self.scope not in SCOPES:
            raise ValueError(f"unknown discount scope {self.scope!r}")
        if self.value <= 0 or (self.kind == "percent" and self.value > 100):
            raise ValueError(f"discount value {self.value} out of range for {self.kind}")
        if self.min_subtotal < 0:
            raise ValueError("minimum subtotal is negative")
        if (self.scope == "order") != (self.target_id is None):
            raise ValueError("a product or collection discount needs a target, an order discount none")


@dataclass(frozen=True)
class Line:
    """A cart line as the pricing sees it."""

    unit_price: int
    quantity: int
    product_id: int
    collection_ids: frozenset[int] = frozenset()

    @property
    def total(self) -> int:
        return self.unit_price * self.quantity


@dataclass(frozen=True)
class Discount:
    """The outcome: `amount` off the subtotal, `per_line` (same order as the lines), or why it gives nothing.

    `problem` is None when the discount applies, else "below_minimum" or "not_eligible" (no line it covers).
    """

    amount: int
    per_line: tuple[int, ...]
    problem: str | None = None
    #: The subtotal of the lines the discount covers.
    eligible_subtotal: int = 0

    @property
    def applies(self) -> bool:
        return self.problem is None


def eligible(line: Line, terms: Terms) -> bool:
    if terms.scope == "product":
        return line.product_id == terms.target_id
    if terms.scope == "collection":
        return terms.target_id in line.collection_ids
    return True


def percent_of(amount: int, percent: int) -> int:
    """`floor(amount × percent / 100)`: never more than the stated percent."""
    return amount * percent // 100


def share_out(amount: int, weights: Sequence[int]) -> tuple[int, ...]:
    """Split `amount` over `weights` in proportion (largest remainder): the parts add up to `amount` and
    none exceeds its weight, provided `amount <= sum(weights)`."""
    total = sum(weights)
    if amount <= 0 or total <= 0:
        return tuple(0 for _ in weights)
    if amount > total:
        raise ValueError("cannot share out more than the total")
    parts = [amount * w // total for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in remainders[: amount - sum(parts)]:
        parts[i] += 1
    return tuple(parts)


def compute(lines: Sequence[Line], terms: Terms) -> Discount:
    """The discount `terms` give on `lines`."""
    subtotal = sum(line.total for line in lines)
    zero = tuple(0 for _ in lines)
    if subtotal < terms.min_subtotal:
        return Discount(0, zero, "below_minimum")
    weights = [line.total if eligible(line, terms) else 0 for line in lines]
    base = sum(weights)
    if base <= 0:
        return Discount(0, zero, "not_eligible")
    amount = percent_of(base, terms.value) if terms.kind == "percent" else min(terms.value, base)
    return Discount(amount, share_out(amount, weights), None, base)


def worth(terms: Terms, reference: int) -> int:
    """What `terms` would take off a subtotal of `reference` (all of it eligible): to compare two offers
    when the cart cannot say (it is empty)."""
    if terms.kind == "percent":
        return percent_of(reference, terms.value)
    return min(terms.value, reference)
