"""Seller insights pages (managers only): the figures of a period beside the previous one, as tables and
charts, and the same figures as CSV. The numbers come from insights.figures; this module only shapes them
for people (changes with an arrow and words, durations, the charts' JSON)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from babel.numbers import format_percent as babel_percent
from flask import Response, current_app, render_template, request, url_for
from flask_babel import format_date, format_decimal, get_locale
from flask_babel import gettext as _

from chat.routes import manager_required
from insights import bp, figures
from insights.periods import Period, PeriodError, parse_period
from shop.money import to_major

#: How a figure compares with the previous period: amounts, counts and durations as a percentage of the
#: previous value; rates (conversion, share of revenue) in percentage points.
PERCENT, POINTS = "percent", "points"


@dataclass(frozen=True)
class Change:
    direction: str  #: "up", "down", "same" or "none" (nothing to compare with)
    arrow: str
    text: str
    #: "better", "worse" or "" (colour is a hint only: the arrow and the words say the same)
    tone: str = ""


def percent_text(rate: float) -> str:
    """A rate as the locale writes percentages ("71.4%", "71,4 %"), to one decimal at most."""
    return babel_percent(round(rate, 3), locale=get_locale(), decimal_quantization=False)


@bp.get("/seller/insights")
@manager_required
def page():
    try:
        period = parse_period(request.args)
    except PeriodError as error:
        return render_template("insights/page.html", error=str(error), choice=_choice(None)), 400
    insights = figures.compute(period)
    return render_template(
        "insights/page.html",
        insights=insights,
        now=insights.current,
        before=insights.previous,
        choice=_choice(period),
        csv_url=url_for("insights.csv_download", **_period_args(period)),
        data=chart_data(insights),
        timezone=current_app.config["SHOP_TIMEZONE"],
    )


@bp.get("/seller/insights.csv")
@manager_required
def csv_download():
    try:
        period = parse_period(request.args)
    except PeriodError as error:
        return Response(str(error) + "\n", status=400, mimetype="text/plain")
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(figures.csv_rows(figures.compute(period)))
    filename = f"insights-{period.start_date.isoformat()}-{period.end_date.isoformat()}.csv"
    return Response(
        out.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _period_args(period: Period) -> dict[str, str]:
    args = {"period": period.key}
    if period.key == "custom":
        args.update({"from": period.start_date.isoformat(), "to": period.end_date.isoformat()})
    return args


def _choice(period: Period | None) -> dict[str, str]:
    """What the period form shows: the chosen period, and the dates of the custom range."""
    if period is None:  # an error: show what was asked for
        return {
            "period": request.args.get("period", "7d"),
            "from": request.args.get("from", ""),
            "to": request.args.get("to", ""),
        }
    return {"period": period.key, "from": period.start_date.isoformat(), "to": period.end_date.isoformat()}


@bp.app_template_global()
def change(
    current: float | None, previous: float | None, kind: str = PERCENT, lower_is_better: bool = False
) -> Change:
    """How `current` compares with `previous`, as an arrow and words (never as colour only)."""
    if current is None or previous is None:
        return Change("none", "–", _("no comparison"))
    if current == previous:
        return Change("same", "=", _("no change"))
    up = current > previous
    tone = "better" if up != lower_is_better else "worse"
    arrow = "▲" if up else "▼"
    if kind == POINTS:
        points = format_decimal(abs(current - previous) * 100, "#,##0.#")
        text = _("up %(n)s points", n=points) if up else _("down %(n)s points", n=points)
    elif previous == 0:
        text = _("new")
    else:
        pct = percent_text(abs(current - previous) / abs(previous))
        text = _("up %(pct)s", pct=pct) if up else _("down %(pct)s", pct=pct)
    return Change("up" if up else "down", arrow, text, tone)


@bp.app_template_filter("percent")
def percent(rate: float | None) -> str:
    """0.1234 → 12.3 % (in the reader's locale); nothing for no rate."""
    return "" if rate is None else percent_text(rate)


@bp.app_template_filter("duration")
def duration(seconds: int | None) -> str:
    """45 s, 3 min 20 s, 1 h 05 min; nothing for no duration."""
    if seconds is None:
        return ""
    if seconds < 60:
        return _("%(s)s s", s=seconds)
    if seconds < 3600:
        minutes, rest = divmod(seconds, 60)
        return _("%(m)s min %(s)s s", m=minutes, s=rest) if rest else _("%(m)s min", m=minutes)
    hours, rest = divmod(seconds, 3600)
    return _("%(h)s h %(m)s min", h=hours, m=f"{rest // 60:02d}")


@bp.app_template_filter("bucket_label")
def bucket_label(bucket: figures.Bucket) -> str:
    """A response time bucket for people: "under 1 min", "1 min – 5 min", "4 h or more"."""
    if bucket.high is None:
        return _("%(low)s or more", low=_short(bucket.low))
    if bucket.low == 0:
        return _("under %(high)s", high=_short(bucket.high))
    return _("%(low)s – %(high)s", low=_short(bucket.low), high=_short(bucket.high))


def _short(seconds: int) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return _("%(h)s h", h=seconds // 3600)
    if seconds >= 60 and seconds % 60 == 0:
        return _("%(m)s min", m=seconds // 60)
    return duration(seconds)


def chart_data(insights: figures.Insights) -> dict:
    """The charts' numbers for static/js/insights.js (the page shows the same numbers in tables)."""
    currency = insights.currency

    def major(amount: int) -> float:
        return float(to_major(amount, currency))

    previous_daily = insights.previous_daily
    return {
        "currency": currency,
        "revenue": {
            "title": _("Revenue per day"),
            "days": [point.day.isoformat() for point in insights.daily],
            "labels": [format_date(point.day, "d MMM") for point in insights.daily],
            "series": {
                "chat": {"label": _("From chat"), "values": [major(p.chat) for p in insights.daily]},
                "other": {"label": _("Other orders"), "values": [major(p.other) for p in insights.daily]},
                "previous": {
                    "label": _("Previous period, all orders"),
                    "values": [major(p.chat + p.other) for p in previous_daily],
                },
            },
            "axis": _("Revenue (%(currency)s)", currency=currency),
        },
        "funnel": {
            "title": _("Conversion funnel"),
            "labels": [_("Conversations"), _("Checkout started"), _("Ordered")],
            "series": {
                "current": {"label": _("This period"), "values": _funnel(insights.current.funnel)},
                "previous": {"label": _("Previous period"), "values": _funnel(insights.previous.funnel)},
            },
            "axis": _("Conversations"),
        },
        "responses": {
            "title": _("Response times"),
            "labels": [bucket_label(bucket) for bucket in insights.current.responses.distribution],
            "series": {
                "bot": {
                    "label": _("Bot"),
                    "values": [b.bot for b in insights.current.responses.distribution],
                },
                "seller": {
                    "label": _("Sellers"),
                    "values": [b.seller for b in insights.current.responses.distribution],
                },
            },
            "axis": _("Replies"),
        },
    }


def _funnel(funnel: figures.Funnel) -> list[int]:
    return [funnel.conversations, funnel.checkout_started, funnel.ordered]
