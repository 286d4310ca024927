"""Periods the insights cover: whole local days of the shop's time zone, as UTC bounds for queries.

A period is a run of local dates (inclusive); its `start` and `end` are the local midnights that bound it,
converted to naive UTC datetimes as stored in the database, so queries filter on `[start, end)` with the
indexed timestamp columns. A day across a DST change is 23 or 25 hours long.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_date
from flask_babel import gettext as _

PERIOD_KEYS = ("today", "7d", "30d", "custom")
DEFAULT_KEY = "7d"
#: Days covered by the fixed choices.
FIXED_DAYS = {"today": 1, "7d": 7, "30d": 30}
#: Longest custom range, in days.
MAX_DAYS = 366


class PeriodError(ValueError):
    """A period that cannot be shown; the message is for people."""


def utc_midnight(day: date, timezone: str) -> datetime:
    """The local midnight starting `day` in `timezone`, as a naive UTC datetime."""
    local = datetime.combine(day, time.min, tzinfo=ZoneInfo(timezone))
    return local.astimezone(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Period:
    """Local dates `start_date`..`end_date` (inclusive); `start`/`end`: their UTC bounds, `[start, end)`."""

    key: str
    start_date: date
    end_date: date
    start: datetime
    end: datetime
    #: The time zone the dates are local to (the shop's).
    timezone: str = "UTC"

    @classmethod
    def of(cls, key: str, start_date: date, end_date: date, timezone: str) -> Period:
        """The period of these local dates, with its UTC bounds computed in `timezone`."""
        return cls(
            key=key,
            start_date=start_date,
            end_date=end_date,
            start=utc_midnight(start_date, timezone),
            end=utc_midnight(end_date + timedelta(days=1), timezone),
            timezone=timezone,
        )

    @property
    def length(self) -> int:
        """Number of days."""
        return (self.end_date - self.start_date).days + 1

    def previous(self) -> Period:
        """The same number of days right before this period (same key)."""
        end_date = self.start_date - timedelta(days=1)
        return Period.of(self.key, end_date - timedelta(days=self.length - 1), end_date, self.timezone)

    def days(self) -> list[date]:
        """Every local date of the period, in order."""
        return [self.start_date + timedelta(days=n) for n in range(self.length)]

    @property
    def label(self) -> str:
        """The dates for people: "7 November 2026", "1–7 November 2026", "28 October – 3 November 2026"."""
        first, last = self.start_date, self.end_date
        if first == last:
            return format_date(last, "d MMMM y")
        if (first.year, first.month) == (last.year, last.month):
            return f"{first.day}–{format_date(last, 'd MMMM y')}"
        if first.year == last.year:
            return f"{format_date(first, 'd MMMM')} – {format_date(last, 'd MMMM y')}"
        return f"{format_date(first, 'd MMMM y')} – {format_date(last, 'd MMMM y')}"


def shop_today(timezone: str, now: datetime | None = None) -> date:
    """Today's date in the shop's time zone (at `now`, an aware datetime; default: now)."""
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(timezone)).date()


def _parse_date(text: str | None, which: str) -> date:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        if which == "from":
            raise PeriodError(_("The start date is not a date: use YYYY-MM-DD.")) from None
        raise PeriodError(_("The end date is not a date: use YYYY-MM-DD.")) from None


def parse_period(args: Mapping[str, str], today: date | None = None) -> Period:
    """The period asked for by `args` (a query string): `period` is today, 7d (default), 30d or custom;
    custom takes `from` and `to` (YYYY-MM-DD, inclusive). Raises PeriodError with a message for people."""
    timezone = current_app.config["SHOP_TIMEZONE"]
    today = today or shop_today(timezone)
    key = args.get("period") or DEFAULT_KEY
    if key not in PERIOD_KEYS:
        raise PeriodError(_("Choose a period: today, 7 days, 30 days or custom dates."))
    if key in FIXED_DAYS:
        return Period.of(key, today - timedelta(days=FIXED_DAYS[key] - 1), today, timezone)
    start_date = _parse_date(args.get("from"), "from")
    end_date = _parse_date(args.get("to"), "to")
    if start_date > end_date:
        raise PeriodError(_("The start date is after the end date."))
    if (end_date - start_date).days + 1 > MAX_DAYS:
        raise PeriodError(_("Choose at most %(days)d days.", days=MAX_DAYS))
    if end_date > today:
        raise PeriodError(_("The end date is in the future."))
    return Period.of(key, start_date, end_date, timezone)
