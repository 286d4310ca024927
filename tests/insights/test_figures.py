"""Every figure of the insights over the known history of tests/insights/conftest.py, exactly."""

from __future__ import annotations

from dataclasses import astuple
from datetime import date, timedelta

import pytest
from flask import Flask
from sqlalchemy import event

from extensions import db
from insights import figures
from insights.figures import (
    Bucket,
    Conversion,
    DayPoint,
    Discounts,
    Figures,
    Funnel,
    HandlerConversion,
    ProductRow,
    Responses,
    Revenue,
    SellerRow,
)
from insights.periods import Period
from tests.insights.conftest import History


@pytest.fixture
def insights(app: Flask, history: History, week: Period) -> figures.Insights:
    with app.app_context():
        return figures.compute(week)


def buckets(*counts: tuple[int, int]) -> list[Bucket]:
    """The six response time buckets with these (bot, seller) counts."""
    return [
        Bucket(label, low, high, bot, seller)
        for (label, low, high), (bot, seller) in zip(figures.BUCKETS, counts, strict=True)
    ]


CURRENT = Figures(
    revenue=Revenue(
        chat=14000,
        total=18700,
        chat_share=14000 / 18700,
        chat_orders=4,
        other_orders=3,
        chat_aov=3500,
        other_aov=1566,
    ),
    conversion=Conversion(
        conversations=8,
        ordered=4,
        rate=0.5,
        by_handler={
            "bot_only": HandlerConversion(2, 1, 0.5),
            "bot_then_seller": HandlerConversion(2, 1, 0.5),
            "seller_only": HandlerConversion(3, 2, 2 / 3),
        },
    ),
    funnel=Funnel(conversations=8, checkout_started=5, ordered=4),
    responses=Responses(
        first_bot=6,
        first_seller=600,
        median_bot=7,
        median_seller=800,
        distribution=buckets((5, 0), (1, 0), (0, 3), (0, 1), (0, 1), (0, 1)),
    ),
    discounts=Discounts(made=3, applied=2, redeemed=2, cost=1100, revenue=9500),
)

PREVIOUS = Figures(
    revenue=Revenue(
        chat=4200, total=6000, chat_share=0.7, chat_orders=1, other_orders=1, chat_aov=4200, other_aov=1800
    ),
    conversion=Conversion(
        conversations=2,
        ordered=1,
        rate=0.5,
        by_handler={
            "bot_only": HandlerConversion(1, 1, 1.0),
            "bot_then_seller": HandlerConversion(0, 0, None),
            "seller_only": HandlerConversion(1, 0, 0.0),
        },
    ),
    funnel=Funnel(conversations=2, checkout_started=1, ordered=1),
    responses=Responses(
        first_bot=12,
        first_seller=90,
        median_bot=31,
        median_seller=90,
        distribution=buckets((2, 0), (0, 1), (0, 0), (0, 0), (0, 0), (0, 0)),
    ),
    discounts=Discounts(made=1, applied=1, redeemed=1, cost=250, revenue=4200),
)


def test_the_periods_figures_match_the_history(insights: figures.Insights, week: Period) -> None:
    assert insights.period == week
    assert insights.previous_period == week.previous()
    assert insights.currency == "EUR"
    assert insights.current == CURRENT
    assert insights.previous == PREVIOUS
    assert insights.waiting_now == 3


def test_revenue_per_local_day_across_the_end_of_summer_time(insights: figures.Insights) -> None:
    # The 25th has 25 hours in Paris: its orders at 00:30 (summer time) and 23:30 (winter time) are on it,
    # the one at 00:30 on the 26th is not.
    assert insights.daily == [
        DayPoint(date(2026, 10, 22), 5000, 0),
        DayPoint(date(2026, 10, 23), 0, 0),
        DayPoint(date(2026, 10, 24), 0, 0),
        DayPoint(date(2026, 10, 25), 6500, 700),
        DayPoint(date(2026, 10, 26), 0, 3000),
        DayPoint(date(2026, 10, 27), 2500, 0),
        DayPoint(date(2026, 10, 28), 0, 1000),
    ]
    previous = {date(2026, 10, 16): DayPoint(date(2026, 10, 16), 4200, 0)}
    previous[date(2026, 10, 21)] = DayPoint(date(2026, 10, 21), 0, 1800)
    days = [date(2026, 10, 15) + timedelta(days=n) for n in range(7)]
    assert insights.previous_daily == [previous.get(day, DayPoint(day, 0, 0)) for day in days]


def test_days_follow_the_shops_time_zone(app: Flask, history: History) -> None:
    # The same history with the shop in UTC: 00:30 on the 26th in Paris is 23:30 on the 25th.
    with app.app_context():
        utc_week = Period.of("custom", date(2026, 10, 22), date(2026, 10, 28), "UTC")
        daily, _previous = figures.daily(utc_week, utc_week.previous())
    assert [(point.day.day, point.chat, point.other) for point in daily] == [
        (22, 5000, 0),
        (23, 0, 0),
        (24, 6500, 0),
        (25, 0, 3700),
        (26, 0, 0),
        (27, 2500, 0),
        (28, 0, 2000),  # and 23:30 on the 28th (00:30 on the 29th in Paris)
    ]


def test_sellers_by_revenue_then_name(insights: figures.Insights, history: History) -> None:
    ids = history.sellers
    assert insights.sellers == [
        SellerRow(
            ids["Ana"],
            "Ana",
            conversations=2,
            orders=1,
            revenue=6500,
            first_response=300,
            median_response=400,
        ),
        SellerRow(
            ids["Eve"],
            "Eve",
            conversations=0,
            orders=1,
            revenue=2500,
            first_response=None,
            median_response=None,
        ),
        SellerRow(
            ids["Ben"], "Ben", conversations=2, orders=0, revenue=0, first_response=600, median_response=800
        ),
        SellerRow(
            ids["Cy"], "Cy", conversations=1, orders=1, revenue=0, first_response=4000, median_response=4000
        ),
    ]


def test_top_products(insights: figures.Insights, history: History) -> None:
    ids = history.products
    assert insights.recommended == [
        ProductRow(ids["apron"], "Linen Apron", "apron", 3, 5400),
        ProductRow(ids["pot"], "Terracotta Pot", "pot", 3, 6000),
        ProductRow(ids["bowl"], "Olive Bowl", "bowl", 1, 6600),
    ]
    assert insights.bought == [
        ProductRow(ids["pot"], "Terracotta Pot", "pot", 3, 6000),
        ProductRow(ids["apron"], "Linen Apron", "apron", 2, 5400),
        ProductRow(ids["bowl"], "Olive Bowl", "bowl", 2, 6600),
        ProductRow(None, "Gift Wrap", "gift-wrap", 1, 500),
    ]


def test_an_empty_shop_has_no_rates_or_medians(app: Flask, week: Period) -> None:
    with app.app_context():
        insights = figures.compute(week)
    empty_handler = HandlerConversion(0, 0, None)
    assert insights.current == Figures(
        revenue=Revenue(0, 0, None, 0, 0, None, None),
        conversion=Conversion(0, 0, None, dict.fromkeys(figures.HANDLERS, empty_handler)),
        funnel=Funnel(0, 0, 0),
        responses=Responses(None, None, None, None, buckets(*[(0, 0)] * 6)),
        discounts=Discounts(0, 0, 0, 0, 0),
    )
    assert insights.daily == [DayPoint(day, 0, 0) for day in week.days()]
    assert (insights.sellers, insights.recommended, insights.bought, insights.waiting_now) == ([], [], [], 0)


def test_a_handful_of_queries_whatever_the_history(app: Flask, history: History, week: Period) -> None:
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

        def record(conn, cursor, statement, parameters, context, executemany) -> None:
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        try:
            figures.compute(week)
        finally:
            event.remove(engine, "before_cursor_execute", record)
    # Four per period for the headline figures (plus the current period's replies counted once, shared
    # with the sellers' table), then the daily series, waiting, sellers and products: the same count for
    # any history (nothing per row).
    assert len(statements) == 16


def test_csv_rows(insights: figures.Insights) -> None:
    rows = figures.csv_rows(insights)
    headline = rows[: rows.index([])]
    assert headline == [
        ["section", "metric", "current", "previous"],
        ["period", "from", "2026-10-22", "2026-10-15"],
        ["period", "to", "2026-10-28", "2026-10-21"],
        ["revenue", "chat", "140.00", "42.00"],
        ["revenue", "total", "187.00", "60.00"],
        ["revenue", "chat_share", "0.7487", "0.7000"],
        ["revenue", "chat_orders", "4", "1"],
        ["revenue", "other_orders", "3", "1"],
        ["revenue", "chat_aov", "35.00", "42.00"],
        ["revenue", "other_aov", "15.66", "18.00"],
        ["conversion", "conversations", "8", "2"],
        ["conversion", "ordered", "4", "1"],
        ["conversion", "rate", "0.5000", "0.5000"],
        ["conversion", "bot_only_conversations", "2", "1"],
        ["conversion", "bot_only_ordered", "1", "1"],
        ["conversion", "bot_only_rate", "0.5000", "1.0000"],
        ["conversion", "bot_then_seller_conversations", "2", "0"],
        ["conversion", "bot_then_seller_ordered", "1", "0"],
        ["conversion", "bot_then_seller_rate", "0.5000", ""],
        ["conversion", "seller_only_conversations", "3", "1"],
        ["conversion", "seller_only_ordered", "2", "0"],
        ["conversion", "seller_only_rate", "0.6667", "0.0000"],
        ["funnel", "conversations", "8", "2"],
        ["funnel", "checkout_started", "5", "1"],
        ["funnel", "ordered", "4", "1"],
        ["responses", "first_bot_seconds", "6", "12"],
        ["responses", "first_seller_seconds", "600", "90"],
        ["responses", "median_bot_seconds", "7", "31"],
        ["responses", "median_seller_seconds", "800", "90"],
        ["response_times", "bot under 1 min", "5", "2"],
        ["response_times", "seller under 1 min", "0", "0"],
        ["response_times", "bot 1–5 min", "1", "0"],
        ["response_times", "seller 1–5 min", "0", "1"],
        ["response_times", "bot 5–15 min", "0", "0"],
        ["response_times", "seller 5–15 min", "3", "0"],
        ["response_times", "bot 15–60 min", "0", "0"],
        ["response_times", "seller 15–60 min", "1", "0"],
        ["response_times", "bot 1–4 h", "0", "0"],
        ["response_times", "seller 1–4 h", "1", "0"],
        ["response_times", "bot 4 h or more", "0", "0"],
        ["response_times", "seller 4 h or more", "1", "0"],
        ["discounts", "made", "3", "1"],
        ["discounts", "applied", "2", "1"],
        ["discounts", "redeemed", "2", "1"],
        ["discounts", "cost", "11.00", "2.50"],
        ["discounts", "revenue", "95.00", "42.00"],
        ["conversations", "waiting_now", "3", ""],
    ]
    rest = rows[len(headline) :]
    assert rest == [
        [],
        ["day", "chat", "other", "previous_day", "previous_chat", "previous_other"],
        ["2026-10-22", "50.00", "0.00", "2026-10-15", "0.00", "0.00"],
        ["2026-10-23", "0.00", "0.00", "2026-10-16", "42.00", "0.00"],
        ["2026-10-24", "0.00", "0.00", "2026-10-17", "0.00", "0.00"],
        ["2026-10-25", "65.00", "7.00", "2026-10-18", "0.00", "0.00"],
        ["2026-10-26", "0.00", "30.00", "2026-10-19", "0.00", "0.00"],
        ["2026-10-27", "25.00", "0.00", "2026-10-20", "0.00", "0.00"],
        ["2026-10-28", "0.00", "10.00", "2026-10-21", "0.00", "18.00"],
        [],
        ["seller", "conversations", "orders", "revenue", "first_response_seconds", "median_response_seconds"],
        ["Ana", "2", "1", "65.00", "300", "400"],
        ["Eve", "0", "1", "25.00", "", ""],
        ["Ben", "2", "0", "0.00", "600", "800"],
        ["Cy", "1", "1", "0.00", "4000", "4000"],
        [],
        ["most_recommended", "handle", "times_recommended", "revenue"],
        ["Linen Apron", "apron", "3", "54.00"],
        ["Terracotta Pot", "pot", "3", "60.00"],
        ["Olive Bowl", "bowl", "1", "66.00"],
        [],
        ["most_bought", "handle", "units", "revenue"],
        ["Terracotta Pot", "pot", "3", "60.00"],
        ["Linen Apron", "apron", "2", "54.00"],
        ["Olive Bowl", "bowl", "2", "66.00"],
        ["Gift Wrap", "gift-wrap", "1", "5.00"],
    ]


def test_csv_amounts_follow_the_currencys_decimals(
    app: Flask, history: History, week: Period, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "SHOP_CURRENCY", "JPY")
    with app.app_context():
        rows = figures.csv_rows(figures.compute(week))
    assert ["revenue", "chat", "14000", "4200"] in rows
    assert ["revenue", "chat_share", "0.7487", "0.7000"] in rows


def test_a_long_period_counts_replies_the_same_way(
    app: Flask, history: History, week: Period, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over 90 days SQLite counts the replies with its own statement (INDEXED BY): same counts, same
    figures as the portable query (forced here by making every period "short")."""
    long = Period.of("custom", week.start_date - timedelta(days=100), week.end_date, week.timezone)
    with app.app_context():
        assert long.end - long.start > figures.LONG_PERIOD
        fast = (sorted(map(astuple, figures.reply_counts(long))), figures.compute(long))
        monkeypatch.setattr(figures, "LONG_PERIOD", timedelta(days=100_000))
        portable = (sorted(map(astuple, figures.reply_counts(long))), figures.compute(long))
    assert fast == portable
    assert sum(row[-1] for row in fast[0]) > 0  # the history's replies are in the period
