"""Discount arithmetic (shop/pricing.py): worked examples, then properties checked on generated carts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shop.pricing import Discount, Line, Terms, compute, eligible, percent_of, share_out, worth

#: Enough examples to find edge cases, few enough to keep the suite fast.
PROPERTY = settings(max_examples=200, deadline=None)

TABLE, CHAIR, LAMP = 1, 2, 3
GARDEN = 10


def line(
    unit_price: int, quantity: int = 1, product_id: int = TABLE, collections: tuple[int, ...] = ()
) -> Line:
    return Line(unit_price, quantity, product_id, frozenset(collections))


# --- Worked examples ------------------------------------------------------------------------------------


def test_the_documented_example() -> None:
    """docs/discounts.md: 10% off €19.99 + 3 × €10.00 + €45.50."""
    lines = [line(1999, 1, TABLE), line(1000, 3, CHAIR), line(4550, 1, LAMP)]

    discount = compute(lines, Terms("percent", 10))

    # floor(9549 × 10 / 100) = floor(954.9) = 954; shares 199.71, 299.72, 454.57 → floored 199, 299, 454
    # (952), and the 2 cents left go to the largest remainders: the chairs (.72) then the table (.71).
    assert discount == Discount(954, (200, 300, 454), None, 9549)
    assert discount.applies


def test_a_percent_is_rounded_down() -> None:
    assert compute([line(999)], Terms("percent", 10)).amount == 99  # 99.9
    assert compute([line(1)], Terms("percent", 50)).amount == 0  # half a cent gives nothing
    assert compute([line(2500, 2)], Terms("percent", 100)).amount == 5000


def test_a_fixed_amount_is_capped_at_the_eligible_subtotal() -> None:
    assert compute([line(500)], Terms("fixed", 2000)) == Discount(500, (500,), None, 500)
    assert compute([line(5000)], Terms("fixed", 2000)) == Discount(2000, (2000,), None, 5000)
    chair_only = Terms("fixed", 2000, "product", CHAIR)
    assert compute([line(9000, 1, TABLE), line(800, 1, CHAIR)], chair_only) == Discount(
        800, (0, 800), None, 800
    )


def test_a_product_percent_discounts_only_that_products_lines() -> None:
    lines = [line(1999, 1, TABLE), line(1000, 3, CHAIR), line(4550, 1, LAMP), line(1000, 1, CHAIR)]

    discount = compute(lines, Terms("percent", 15, "product", CHAIR))

    assert discount == Discount(600, (0, 450, 0, 150), None, 4000)


def test_a_collection_discount_covers_the_lines_in_it() -> None:
    lines = [line(2000, 1, TABLE, (GARDEN,)), line(3000, 1, CHAIR), line(1000, 2, LAMP, (GARDEN, 11))]

    discount = compute(lines, Terms("percent", 10, "collection", GARDEN))

    assert discount == Discount(400, (200, 0, 200), None, 4000)


def test_below_the_minimum_gives_nothing() -> None:
    """The minimum is on the whole cart's subtotal, before any discount."""
    terms = Terms("percent", 10, min_subtotal=5000)

    assert compute([line(2000), line(2999)], terms) == Discount(0, (0, 0), "below_minimum")
    assert compute([line(2000), line(3000)], terms) == Discount(500, (200, 300), None, 5000)
    assert not compute([line(4999)], terms).applies


def test_a_cart_without_the_product_gives_nothing() -> None:
    assert compute([line(2000, 1, TABLE)], Terms("percent", 10, "product", CHAIR)) == Discount(
        0, (0,), "not_eligible"
    )
    assert compute([], Terms("percent", 10)) == Discount(0, (), "not_eligible")
    assert compute([line(0, 3)], Terms("fixed", 500)).problem == "not_eligible"


def test_the_minimum_is_checked_before_eligibility() -> None:
    terms = Terms("percent", 10, "product", CHAIR, min_subtotal=10000)
    assert compute([line(2000, 1, TABLE)], terms).problem == "below_minimum"


def test_share_out_gives_ties_to_the_earlier_line() -> None:
    assert share_out(1, [1, 1]) == (1, 0)
    assert share_out(2, [1, 1, 1]) == (1, 1, 0)
    assert share_out(5, [0, 3, 0, 2]) == (0, 3, 0, 2)
    assert share_out(0, [5, 5]) == (0, 0)
    assert share_out(3, []) == ()
    with pytest.raises(ValueError, match="cannot share out more than the total"):
        share_out(4, [1, 2])


def test_eligibility_by_scope() -> None:
    in_garden = line(100, 1, TABLE, (GARDEN,))
    assert eligible(in_garden, Terms("percent", 5))
    assert eligible(in_garden, Terms("percent", 5, "product", TABLE))
    assert not eligible(in_garden, Terms("percent", 5, "product", CHAIR))
    assert eligible(in_garden, Terms("percent", 5, "collection", GARDEN))
    assert not eligible(in_garden, Terms("percent", 5, "collection", GARDEN + 1))


def test_worth_compares_offers_without_a_cart() -> None:
    assert worth(Terms("percent", 10), 10000) == 1000
    assert worth(Terms("percent", 15), 999) == 149
    assert worth(Terms("fixed", 1500), 10000) == 1500
    assert worth(Terms("fixed", 1500), 1000) == 1000


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "gift", "value": 5}, "unknown discount kind 'gift'"),
        ({"kind": "percent", "value": 5, "scope": "shipping"}, "unknown discount scope 'shipping'"),
        ({"kind": "percent", "value": 0}, "discount value 0 out of range for percent"),
        ({"kind": "percent", "value": 101}, "discount value 101 out of range for percent"),
        ({"kind": "fixed", "value": -100}, "discount value -100 out of range for fixed"),
        ({"kind": "fixed", "value": 500, "min_subtotal": -1}, "minimum subtotal is negative"),
        ({"kind": "percent", "value": 5, "target_id": 3}, "an order discount none"),
        (
            {"kind": "percent", "value": 5, "scope": "product"},
            "a product or collection discount needs a target",
        ),
        ({"kind": "percent", "value": 5, "scope": "collection"}, "needs a target"),
    ],
)
def test_terms_are_validated(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Terms(**kwargs)


def test_valid_terms_at_the_bounds() -> None:
    assert Terms("percent", 1).value == 1
    assert Terms("percent", 100, "product", TABLE).target_id == TABLE
    assert Terms("fixed", 10**9, "collection", GARDEN, min_subtotal=0).scope == "collection"


# --- Properties -----------------------------------------------------------------------------------------

PRODUCTS = st.integers(min_value=1, max_value=4)

lines_strategy = st.lists(
    st.builds(
        Line,
        unit_price=st.integers(min_value=0, max_value=500_000),
        quantity=st.integers(min_value=1, max_value=50),
        product_id=PRODUCTS,
        collection_ids=st.frozensets(st.integers(min_value=10, max_value=12), max_size=2),
    ),
    max_size=8,
)


@st.composite
def terms_strategy(draw: st.DrawFn, kind: str | None = None) -> Terms:
    kind = kind or draw(st.sampled_from(["percent", "fixed"]))
    value = draw(st.integers(1, 100) if kind == "percent" else st.integers(1, 1_000_000))
    scope = draw(st.sampled_from(["order", "product", "collection"]))
    target = {"order": None, "product": draw(PRODUCTS), "collection": draw(st.integers(10, 12))}[scope]
    return Terms(kind, value, scope, target, draw(st.integers(0, 2_000_000)))


def covered(lines: list[Line], terms: Terms) -> int:
    return sum(item.total for item in lines if eligible(item, terms))


@PROPERTY
@given(lines_strategy, terms_strategy())
def test_no_line_and_no_order_is_ever_negative(lines: list[Line], terms: Terms) -> None:
    discount = compute(lines, terms)
    subtotal = sum(item.total for item in lines)

    assert 0 <= discount.amount <= subtotal
    assert len(discount.per_line) == len(lines)
    assert sum(discount.per_line) == discount.amount
    for share, item in zip(discount.per_line, lines, strict=True):
        assert 0 <= share <= item.total


@PROPERTY
@given(lines_strategy, terms_strategy(kind="percent"), st.integers(1, 100))
def test_a_percent_never_gives_more_than_its_percent_or_a_cap(
    lines: list[Line], terms: Terms, cap: int
) -> None:
    discount = compute(lines, terms)
    base = covered(lines, terms)

    assert discount.amount * 100 <= base * terms.value
    if terms.value <= cap:
        assert discount.amount * 100 <= base * cap


@PROPERTY
@given(lines_strategy, terms_strategy(kind="percent"))
def test_percent_rounding_is_the_floor_of_the_eligible_subtotal(lines: list[Line], terms: Terms) -> None:
    discount = compute(lines, terms)
    base = covered(lines, terms)

    assert compute(list(lines), terms) == discount  # the same cart always gives the same amount
    if discount.applies:
        assert discount.eligible_subtotal == base
        assert discount.amount == base * terms.value // 100 == percent_of(base, terms.value)
        assert discount.amount * 100 > base * terms.value - 100  # less than one minor unit below exact


@PROPERTY
@given(lines_strategy, st.integers(1, 100), PRODUCTS)
def test_a_product_percent_leaves_other_lines_alone(lines: list[Line], percent: int, product_id: int) -> None:
    discount = compute(lines, Terms("percent", percent, "product", product_id))

    for share, item in zip(discount.per_line, lines, strict=True):
        if item.product_id != product_id:
            assert share == 0


@PROPERTY
@given(lines_strategy, terms_strategy(kind="fixed"))
def test_a_fixed_amount_is_at_most_the_eligible_subtotal(lines: list[Line], terms: Terms) -> None:
    discount = compute(lines, terms)

    if discount.applies:
        assert discount.amount == min(terms.value, covered(lines, terms))


@PROPERTY
@given(lines_strategy, terms_strategy())
def test_why_a_discount_gives_nothing(lines: list[Line], terms: Terms) -> None:
    discount = compute(lines, terms)
    subtotal = sum(item.total for item in lines)

    if subtotal < terms.min_subtotal:
        assert (discount.problem, discount.amount) == ("below_minimum", 0)
    elif covered(lines, terms) == 0:
        assert (discount.problem, discount.amount) == ("not_eligible", 0)
    else:
        assert discount.applies
        assert discount.problem is None
    if not discount.applies:
        assert discount.per_line == tuple(0 for _ in lines)


@PROPERTY
@given(st.integers(0, 10**7), st.lists(st.integers(0, 10**6), max_size=10))
def test_share_out_adds_up_and_never_exceeds_a_weight(amount: int, weights: list[int]) -> None:
    if amount > sum(weights):
        amount = sum(weights)
    parts = share_out(amount, weights)

    assert sum(parts) == amount
    assert all(0 <= part <= weight for part, weight in zip(parts, weights, strict=True))
    assert share_out(amount, weights) == parts
