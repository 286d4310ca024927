"""Money: parsing into minor units, totals, and locale formatting."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shop.money import LinePrice, MoneyError, cart_totals, parse_price, to_major


@pytest.mark.parametrize(
    ("text", "currency", "expected"),
    [
        ("19.99", "EUR", 1999),
        ("25", "EUR", 2500),
        ("0.00", "EUR", 0),
        ("12,50", "EUR", 1250),
        (" 7.5 ", "EUR", 750),
        ("1000.00", "JPY", 1000),
        ("17999.00", "INR", 1799900),
    ],
)
def test_parse_price(text: str, currency: str, expected: int) -> None:
    assert parse_price(text, currency) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "is not a price"),
        ("", "is not a price"),
        ("-1.00", "negative"),
        ("1.999", "more than 2 decimals"),
        ("NaN", "is not a price"),
        ("1e30", "too large"),
    ],
)
def test_parse_price_rejects(text: str, message: str) -> None:
    with pytest.raises(MoneyError, match=message):
        parse_price(text, "EUR")


def test_jpy_has_no_minor_unit() -> None:
    with pytest.raises(MoneyError, match="more than 0 decimals"):
        parse_price("10.50", "JPY")


@given(st.integers(min_value=0, max_value=10**9))
def test_minor_units_round_trip(amount: int) -> None:
    assert parse_price(str(to_major(amount, "EUR")), "EUR") == amount


@given(st.lists(st.tuples(st.integers(0, 10**7), st.integers(1, 999)), max_size=20))
def test_cart_totals_add_up(lines: list[tuple[int, int]]) -> None:
    totals = cart_totals([LinePrice(price, qty) for price, qty in lines], "EUR")
    assert totals.subtotal == sum(price * qty for price, qty in lines)
    assert totals.item_count == sum(qty for _, qty in lines)
    assert totals.total == totals.subtotal >= 0


def test_money_filter_follows_locale(app, client, make_product) -> None:
    make_product(title="Pot", handle="pot", variants=[{"price": 1250}])
    english = client.get("/products/pot", headers={"Accept-Language": "en"}).get_data(as_text=True)
    french = client.get("/products/pot", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "€12.50" in english
    assert "12,50\u00a0€" in french
