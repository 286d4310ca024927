"""Periods: the choices, custom ranges and their errors, the previous period, local midnights in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask

from insights.periods import Period, PeriodError, parse_period, shop_today, utc_midnight

TODAY = date(2026, 11, 7)


def custom(start: str, end: str) -> dict[str, str]:
    return {"period": "custom", "from": start, "to": end}


def parse(app: Flask, **args: str) -> Period:
    with app.test_request_context():
        return parse_period(args, today=TODAY)


def test_the_fixed_choices_end_today(app: Flask) -> None:
    assert parse(app, period="today") == Period(
        "today", TODAY, TODAY, datetime(2026, 11, 7), datetime(2026, 11, 8), "UTC"
    )
    assert parse(app, period="7d") == Period(
        "7d", date(2026, 11, 1), TODAY, datetime(2026, 11, 1), datetime(2026, 11, 8), "UTC"
    )
    assert parse(app, period="30d") == Period(
        "30d", date(2026, 10, 9), TODAY, datetime(2026, 10, 9), datetime(2026, 11, 8), "UTC"
    )
    assert parse(app) == parse(app, period="7d")  # the default
    assert parse(app, period="") == parse(app, period="7d")


def test_a_custom_range_is_inclusive(app: Flask) -> None:
    period = parse(app, period="custom", **{"from": "2026-02-27", "to": "2026-03-02"})
    assert (period.key, period.start_date, period.end_date) == ("custom", date(2026, 2, 27), date(2026, 3, 2))
    assert (period.start, period.end) == (datetime(2026, 2, 27), datetime(2026, 3, 3))
    assert period.days() == [date(2026, 2, 27), date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 2)]
    one_day = parse(app, period="custom", **{"from": "2026-11-07", "to": "2026-11-07"})
    assert one_day.days() == [TODAY]
    longest = parse(app, period="custom", **{"from": "2025-11-07", "to": "2026-11-07"})
    assert len(longest.days()) == 366


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"period": "90d"}, "Choose a period: today, 7 days, 30 days or custom dates."),
        ({"period": "custom", "to": "2026-11-01"}, "The start date is not a date: use YYYY-MM-DD."),
        (custom("1/11/2026", "2026-11-01"), "The start date is not a date: use YYYY-MM-DD."),
        ({"period": "custom", "from": "2026-11-01"}, "The end date is not a date: use YYYY-MM-DD."),
        (custom("2026-11-01", "2026-02-30"), "The end date is not a date: use YYYY-MM-DD."),
        (custom("2026-11-02", "2026-11-01"), "The start date is after the end date."),
        (custom("2025-11-05", "2026-11-06"), "Choose at most 366 days."),
        (custom("2026-11-01", "2026-11-08"), "The end date is in the future."),
    ],
)
def test_periods_that_cannot_be_shown_say_why(app: Flask, args: dict[str, str], message: str) -> None:
    with pytest.raises(PeriodError) as raised:
        parse(app, **args)
    assert str(raised.value) == message


def test_today_is_the_shops_today(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    # 23:30 UTC on 7 November is already the 8th in Auckland (UTC+13 in its summer).
    late = datetime(2026, 11, 7, 23, 30, tzinfo=UTC)
    assert shop_today("Pacific/Auckland", now=late) == date(2026, 11, 8)
    assert shop_today("America/New_York", now=late) == TODAY
    assert utc_midnight(date(2026, 11, 8), "Pacific/Auckland") == datetime(2026, 11, 7, 11)
    monkeypatch.setitem(app.config, "SHOP_TIMEZONE", "Pacific/Auckland")
    with app.test_request_context():
        period = parse_period({"period": "today"})
    assert period.start_date == shop_today("Pacific/Auckland")
    assert period.timezone == "Pacific/Auckland"


def test_the_previous_period_has_as_many_days_right_before(app: Flask) -> None:
    week = parse(app, period="7d")
    assert week.previous() == Period(
        "7d", date(2026, 10, 25), date(2026, 10, 31), datetime(2026, 10, 25), datetime(2026, 11, 1), "UTC"
    )
    custom = parse(app, period="custom", **{"from": "2026-03-01", "to": "2026-03-03"})
    before = custom.previous()
    assert (before.key, before.start_date, before.end_date) == (
        "custom",
        date(2026, 2, 26),
        date(2026, 2, 28),
    )
    assert parse(app, period="today").previous().days() == [TODAY - timedelta(days=1)]


def test_local_midnights_in_paris_become_utc(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "SHOP_TIMEZONE", "Europe/Paris")
    # Summer time ends on 25 October 2026 (a 25-hour day), and starts on 29 March 2026 (23 hours).
    with app.test_request_context():
        autumn = parse_period(custom("2026-10-25", "2026-10-25"), today=TODAY)
        spring = parse_period(custom("2026-03-29", "2026-03-29"), today=TODAY)
        winter = parse_period({"period": "today"}, today=TODAY)
    assert (autumn.start, autumn.end) == (datetime(2026, 10, 24, 22), datetime(2026, 10, 25, 23))
    assert autumn.end - autumn.start == timedelta(hours=25)
    assert (spring.start, spring.end) == (datetime(2026, 3, 28, 23), datetime(2026, 3, 29, 22))
    assert spring.end - spring.start == timedelta(hours=23)
    assert (winter.start, winter.end) == (datetime(2026, 11, 6, 23), datetime(2026, 11, 7, 23))
    assert winter.timezone == "Europe/Paris"
    # The previous period of the day after the change starts at the summer-time midnight.
    after = Period.of("today", date(2026, 10, 26), date(2026, 10, 26), "Europe/Paris")
    assert after.previous() == Period.of("today", date(2026, 10, 25), date(2026, 10, 25), "Europe/Paris")
    assert after.previous().start == datetime(2026, 10, 24, 22)
    assert utc_midnight(date(2026, 7, 14), "Europe/Paris") == datetime(2026, 7, 13, 22)


@pytest.mark.parametrize(
    ("first", "last", "label"),
    [
        (date(2026, 11, 7), date(2026, 11, 7), "7 November 2026"),
        (date(2026, 11, 1), date(2026, 11, 7), "1–7 November 2026"),
        (date(2026, 10, 28), date(2026, 11, 3), "28 October – 3 November 2026"),
        (date(2026, 12, 28), date(2027, 1, 3), "28 December 2026 – 3 January 2027"),
    ],
)
def test_labels(app: Flask, first: date, last: date, label: str) -> None:
    with app.test_request_context():
        assert Period.of("custom", first, last, "UTC").label == label


def test_labels_in_french(app: Flask) -> None:
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert Period.of("7d", date(2026, 11, 1), date(2026, 11, 7), "UTC").label == "1–7 novembre 2026"
