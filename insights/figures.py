"""The insights' figures: aggregate queries over a period, returned as small frozen dataclasses.

Every figure is computed by the database (COUNT/SUM with CASE, GROUP BY) over the indexed timestamp
columns, so the page stays fast on a long history: a handful of queries per period, none per row. Response
time medians come from one grouped query per period (replies counted by who, first or not, seller and
seconds: a few thousand rows whatever the history), shared by the headline figures and the sellers' table.
Money is in minor units, times in seconds; `csv_rows` turns it all into a table.

Definitions (the tests check exact values):
- An order counts when it was paid in the period and is not cancelled; its revenue is net of refunds.
  Chat orders are the ones paid inside a conversation.
- A period's conversations are the ones created in it; one "ordered" when it has a paid order (at any time)
  that is not cancelled. Who handled it: the bot only, the bot then a seller, or a seller only.
- Response times come from the replies (ReplyEvent) given in the period; a median of an even count is the
  mean of the two middle values, rounded down.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.sql.elements import ColumnElement

from chat.models import Conversation, Recommendation, ReplyEvent, Seller
from extensions import db
from insights.periods import Period
from payments.models import Checkout
from shop.models import Offer, OfferRedemption, Order, OrderLine, Product
from shop.money import to_major

HANDLERS = ("bot_only", "bot_then_seller", "seller_only")
#: Response time buckets: (label, low, high) in seconds, [low, high); None: no upper bound.
BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("under 1 min", 0, 60),
    ("1–5 min", 60, 300),
    ("5–15 min", 300, 900),
    ("15–60 min", 900, 3600),
    ("1–4 h", 3600, 14400),
    ("4 h or more", 14400, None),
)
#: Rows in each top products list.
TOP_PRODUCTS = 10


@dataclass(frozen=True)
class Revenue:
    chat: int
    total: int
    chat_share: float | None
    chat_orders: int
    other_orders: int
    chat_aov: int | None
    other_aov: int | None


@dataclass(frozen=True)
class HandlerConversion:
    conversations: int
    ordered: int
    rate: float | None


@dataclass(frozen=True)
class Conversion:
    conversations: int
    ordered: int
    rate: float | None
    #: Keys: "bot_only", "bot_then_seller", "seller_only".
    by_handler: dict[str, HandlerConversion]


@dataclass(frozen=True)
class Funnel:
    conversations: int
    checkout_started: int
    ordered: int


@dataclass(frozen=True)
class Bucket:
    """Replies that took [low, high) seconds (high None: no limit), by the bot and by sellers."""

    label: str
    low: int
    high: int | None
    bot: int
    seller: int


@dataclass(frozen=True)
class Responses:
    """Seconds: the median first response and the median of all replies, by the bot and by sellers."""

    first_bot: int | None
    first_seller: int | None
    median_bot: int | None
    median_seller: int | None
    distribution: list[Bucket]


@dataclass(frozen=True)
class Discounts:
    made: int
    applied: int
    redeemed: int
    cost: int
    revenue: int


@dataclass(frozen=True)
class Figures:
    revenue: Revenue
    conversion: Conversion
    funnel: Funnel
    responses: Responses
    discounts: Discounts


@dataclass(frozen=True)
class DayPoint:
    """Net revenue of one local day, from chat orders and from the others."""

    day: date
    chat: int
    other: int


@dataclass(frozen=True)
class SellerRow:
    seller_id: int
    name: str
    conversations: int
    orders: int
    revenue: int
    first_response: int | None
    median_response: int | None


@dataclass(frozen=True)
class ProductRow:
    """A top product; `count` is the times it was recommended, or the units bought."""

    product_id: int | None
    title: str
    handle: str
    count: int
    revenue: int


@dataclass(frozen=True)
class Insights:
    period: Period
    previous_period: Period
    currency: str
    current: Figures
    previous: Figures
    daily: list[DayPoint]
    previous_daily: list[DayPoint]
    waiting_now: int
    sellers: list[SellerRow]
    recommended: list[ProductRow]
    bought: list[ProductRow]


# --- Building blocks ---------------------------------------------------------------------------------------


def _within(column: Any, period: Period) -> ColumnElement[bool]:
    """`column` in the period's [start, end) (uses the column's index)."""
    return sa.and_(column >= period.start, column < period.end)


def _counted_orders(period: Period) -> ColumnElement[bool]:
    """Orders that count in a period: paid in it, not cancelled."""
    return sa.and_(_within(Order.paid_at, period), Order.status != "cancelled")


NET = Order.total - Order.refunded_total
IS_CHAT = Order.conversation_id.is_not(None)


def _sum_if(condition: ColumnElement[bool], value: Any = 1) -> ColumnElement[int]:
    """SUM(CASE WHEN condition THEN value ELSE 0 END), 0 over no rows."""
    return sa.func.coalesce(sa.func.sum(sa.case((condition, value), else_=0)), 0)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class ReplyCount:
    """How many of a period's replies share a responder, first-or-not, seller and number of seconds."""

    responder: str
    first: bool
    seller_id: int | None
    seconds: int
    count: int


def reply_counts(period: Period) -> list[ReplyCount]:
    """The period's ReplyEvents counted by (responder, first, seller, seconds): one grouped query (covered
    by the ix_reply_event_period index), from which every median and the distribution are worked out."""
    keys = (ReplyEvent.responder, ReplyEvent.first, ReplyEvent.seller_id, ReplyEvent.seconds)
    query = sa.select(*keys, sa.func.count()).where(_within(ReplyEvent.created_at, period)).group_by(*keys)
    if db.session.get_bind().dialect.name == "sqlite" and period.end - period.start > LONG_PERIOD:
        query = _SQLITE_REPLY_COUNTS
    rows = db.session.execute(query, {"start": period.start, "end": period.end})
    return [
        ReplyCount(responder, bool(first), seller_id, int(seconds), int(count))
        for responder, first, seller_id, seconds, count in rows
    ]


#: The same count on SQLite for long periods, read from ix_reply_event_grouped, whose entries are already in
#: the grouping's order: SQLite otherwise reads the period's range of ix_reply_event_period and sorts it to
#: group, five times slower for a year (bench/insights.py: 246 -> 53 ms); for short periods reading the whole
#: index costs more than sorting the period's part (7 days: 60 -> 100 ms a page). Its planner does not choose
#: that index by itself, hence INDEXED BY (which SQLAlchemy cannot express).
LONG_PERIOD = timedelta(days=90)
_SQLITE_REPLY_COUNTS = sa.text(
    "SELECT responder, first, seller_id, seconds, count(*) FROM reply_event"
    " INDEXED BY ix_reply_event_grouped WHERE created_at >= :start AND created_at < :end"
    " GROUP BY responder, first, seller_id, seconds"
).bindparams(sa.bindparam("start", type_=sa.DateTime()), sa.bindparam("end", type_=sa.DateTime()))


def _median(counts: Counter[int]) -> int | None:
    """Median of the values counted in `counts` ({seconds: how many}): the middle value, or for an even
    count the mean of the two middle values rounded down; None when there are none."""
    total = sum(counts.values())
    if not total:
        return None
    low_rank, high_rank = (total + 1) // 2, total // 2 + 1
    seen, low = 0, None
    for value in sorted(counts):
        seen += counts[value]
        if low is None and seen >= low_rank:
            low = value
        if seen >= high_rank:
            return (low + value) // 2
    raise AssertionError("the ranks are within the count")


def _medians(rows: Iterable[tuple[Any, int, int]]) -> dict[Any, int | None]:
    """The median seconds of each key, from (key, seconds, how many) rows."""
    by_key: dict[Any, Counter[int]] = defaultdict(Counter)
    for key, seconds, count in rows:
        by_key[key][seconds] += count
    return {key: _median(counts) for key, counts in by_key.items()}


# --- One function per group of figures ---------------------------------------------------------------------


def revenue(period: Period) -> Revenue:
    """Net revenue of the period's counted orders, with and without a conversation."""
    row = db.session.execute(
        sa.select(
            _sum_if(IS_CHAT, NET),
            sa.func.coalesce(sa.func.sum(NET), 0),
            _sum_if(IS_CHAT),
            _sum_if(Order.conversation_id.is_(None)),
        ).where(_counted_orders(period))
    ).one()
    chat, total, chat_orders, other_orders = (int(value) for value in row)
    other = total - chat
    return Revenue(
        chat=chat,
        total=total,
        chat_share=chat / total if total else None,
        chat_orders=chat_orders,
        other_orders=other_orders,
        chat_aov=chat // chat_orders if chat_orders else None,
        other_aov=other // other_orders if other_orders else None,
    )


#: Who handled a conversation, by (bot replied, seller replied); nobody answered: no handler.
HANDLER_OF = {(True, False): "bot_only", (True, True): "bot_then_seller", (False, True): "seller_only"}


def conversion_and_funnel(period: Period) -> tuple[Conversion, Funnel]:
    """The period's conversations: how many ended in an order, by handler, and how many got to checkout.

    One query: each conversation is flagged (ordered, checkout started) by membership in the set of
    conversations with an order and the set with a checkout (each set built once, not looked up per
    conversation), then counted by who handled it; the (at most four) groups are added up here.
    """
    ordered = Conversation.id.in_(
        sa.select(Order.conversation_id).where(
            Order.conversation_id.is_not(None), Order.status != "cancelled", Order.paid_at.is_not(None)
        )
    )
    checkout = Conversation.id.in_(
        sa.select(Checkout.conversation_id).where(Checkout.conversation_id.is_not(None))
    )
    handled = (Conversation.bot_replied, Conversation.seller_replied)
    query = (
        sa.select(*handled, sa.func.count(), _sum_if(ordered), _sum_if(checkout))
        .where(_within(Conversation.created_at, period))
        .group_by(*handled)
    )
    counts = {key: [0, 0] for key in HANDLERS}
    conversations = ordered_count = checkout_count = 0
    for bot, seller, total, with_order, with_checkout in db.session.execute(query):
        conversations += int(total)
        ordered_count += int(with_order)
        checkout_count += int(with_checkout)
        if handler := HANDLER_OF.get((bool(bot), bool(seller))):
            counts[handler] = [int(total), int(with_order)]
    by_handler = {key: HandlerConversion(n, done, _rate(done, n)) for key, (n, done) in counts.items()}
    conversion = Conversion(conversations, ordered_count, _rate(ordered_count, conversations), by_handler)
    return conversion, Funnel(conversations, checkout_count, ordered_count)


def responses(period: Period, replies: list[ReplyCount] | None = None) -> Responses:
    """Median first and overall response times of the bot and of sellers, and how the replies spread.

    `replies`: the period's `reply_counts`, when already fetched.
    """
    replies = reply_counts(period) if replies is None else replies
    medians = _medians((row.responder, row.seconds, row.count) for row in replies)
    firsts = _medians((row.responder, row.seconds, row.count) for row in replies if row.first)
    counts = {"bot": [0] * len(BUCKETS), "seller": [0] * len(BUCKETS)}
    for row in replies:
        for n, (_label, low, high) in enumerate(BUCKETS):
            if low <= row.seconds and (high is None or row.seconds < high):
                counts[row.responder][n] += row.count
                break
    distribution = [
        Bucket(label, low, high, counts["bot"][n], counts["seller"][n])
        for n, (label, low, high) in enumerate(BUCKETS)
    ]
    return Responses(
        first_bot=firsts.get("bot"),
        first_seller=firsts.get("seller"),
        median_bot=medians.get("bot"),
        median_seller=medians.get("seller"),
        distribution=distribution,
    )


def _count(*where: ColumnElement[bool]) -> sa.ScalarSelect[int]:
    return sa.select(sa.func.count()).where(*where).scalar_subquery()


def discounts(period: Period) -> Discounts:
    """Offers made and applied, discounts redeemed and their cost, and the revenue of the period's orders
    that used one (one query)."""
    redeemed = sa.and_(OfferRedemption.status == "redeemed", _within(OfferRedemption.redeemed_at, period))
    cost = sa.select(sa.func.coalesce(sa.func.sum(OfferRedemption.amount), 0)).where(redeemed)
    revenue = sa.select(sa.func.coalesce(sa.func.sum(NET), 0)).where(
        _counted_orders(period), Order.offer_id.is_not(None)
    )
    row = db.session.execute(
        sa.select(
            _count(_within(Offer.created_at, period), Offer.source.in_(("seller", "bot"))),
            _count(_within(Offer.applied_at, period)),
            sa.select(sa.func.count()).where(redeemed).scalar_subquery(),
            cost.scalar_subquery(),
            revenue.scalar_subquery(),
        )
    ).one()
    return Discounts(*(int(value) for value in row))


def figures(period: Period, replies: list[ReplyCount] | None = None) -> Figures:
    """Every headline figure of one period (`replies`: its `reply_counts`, when already fetched)."""
    conversion, funnel = conversion_and_funnel(period)
    return Figures(
        revenue=revenue(period),
        conversion=conversion,
        funnel=funnel,
        responses=responses(period, replies),
        discounts=discounts(period),
    )


def _utc_hour(column: Any) -> ColumnElement[Any]:
    """The UTC hour a timestamp falls in (the constants are literal: PostgreSQL groups by the expression)."""
    if db.session.get_bind().dialect.name == "sqlite":
        return sa.func.strftime(sa.literal_column("'%Y-%m-%d %H:00:00'"), column)
    return sa.func.date_trunc(sa.literal_column("'hour'"), column)


def daily(period: Period, *more: Period) -> list[list[DayPoint]]:
    """Net revenue per local day, chat and other, for each period given (one query over all of them).

    Orders are summed by UTC hour in SQL, and each hour is given to its local day here: exact for every
    time zone whose offset is a whole number of hours, DST changes included.
    """
    periods = (period, *more)
    hour = _utc_hour(Order.paid_at).label("hour")
    query = (
        sa.select(hour, _sum_if(IS_CHAT, NET), _sum_if(Order.conversation_id.is_(None), NET))
        .where(
            Order.paid_at >= min(p.start for p in periods),
            Order.paid_at < max(p.end for p in periods),
            Order.status != "cancelled",
        )
        .group_by(hour)
    )
    zone = ZoneInfo(period.timezone)
    totals: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for value, chat, other in db.session.execute(query):
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
        day = moment.replace(tzinfo=UTC).astimezone(zone).date()
        totals[day][0] += int(chat)
        totals[day][1] += int(other)
    return [[DayPoint(day, *totals.get(day, (0, 0))) for day in p.days()] for p in periods]


def sellers(period: Period, replies: list[ReplyCount] | None = None) -> list[SellerRow]:
    """Every active seller (and any other with figures): conversations, orders, revenue, response times.

    `replies`: the period's `reply_counts`, when already fetched.
    """
    replies = reply_counts(period) if replies is None else replies
    conversations = dict(
        db.session.execute(
            sa.select(Conversation.assignee_id, sa.func.count())
            .where(_within(Conversation.created_at, period), Conversation.assignee_id.is_not(None))
            .group_by(Conversation.assignee_id)
        ).all()
    )
    orders = {
        seller_id: (int(count), int(total))
        for seller_id, count, total in db.session.execute(
            sa.select(Order.seller_id, sa.func.count(), sa.func.sum(NET))
            .where(_counted_orders(period), Order.seller_id.is_not(None))
            .group_by(Order.seller_id)
        )
    }
    by_seller = [row for row in replies if row.seller_id is not None]
    medians = _medians((row.seller_id, row.seconds, row.count) for row in by_seller)
    firsts = _medians((row.seller_id, row.seconds, row.count) for row in by_seller if row.first)
    with_figures = set(conversations) | set(orders) | set(medians)
    people = db.session.execute(
        sa.select(Seller.id, Seller.name).where(
            sa.or_(Seller.active == sa.true(), Seller.id.in_(with_figures))
        )
    ).all()
    rows = [
        SellerRow(
            seller_id=seller_id,
            name=name,
            conversations=int(conversations.get(seller_id, 0)),
            orders=orders.get(seller_id, (0, 0))[0],
            revenue=orders.get(seller_id, (0, 0))[1],
            first_response=firsts.get(seller_id),
            median_response=medians.get(seller_id),
        )
        for seller_id, name in people
    ]
    return sorted(rows, key=lambda row: (-row.revenue, row.name, row.seller_id))


def _chat_line_revenue() -> ColumnElement[int]:
    return sa.func.sum(OrderLine.unit_price * OrderLine.quantity - OrderLine.discount)


def _chat_lines(period: Period) -> sa.Select[Any]:
    """Order lines of the period's counted chat orders (select what you need from it)."""
    return (
        sa.select()
        .join_from(OrderLine, Order, OrderLine.order_id == Order.id)
        .where(_counted_orders(period), IS_CHAT)
    )


def recommended(period: Period) -> list[ProductRow]:
    """The products shown most often in conversations in the period; revenue: what the period's chat
    orders made with them."""
    # Counted per product id first (from the period's index entries), then joined to the few products.
    counts = (
        sa.select(Recommendation.product_id, sa.func.count().label("count"))
        .where(_within(Recommendation.created_at, period))
        .group_by(Recommendation.product_id)
        .subquery()
    )
    top = db.session.execute(
        sa.select(Product.id, Product.title, Product.handle, counts.c.count)
        .join_from(counts, Product, Product.id == counts.c.product_id)
        .order_by(counts.c.count.desc(), Product.title, Product.id)
        .limit(TOP_PRODUCTS)
    ).all()
    handles = [row.handle for row in top]
    revenue_by_handle = (
        dict(
            db.session.execute(
                _chat_lines(period)
                .add_columns(OrderLine.product_handle, _chat_line_revenue())
                .where(OrderLine.product_handle.in_(handles))
                .group_by(OrderLine.product_handle)
            ).all()
        )
        if handles
        else {}
    )
    return [
        ProductRow(product_id, title, handle, int(count), int(revenue_by_handle.get(handle, 0)))
        for product_id, title, handle, count in top
    ]


def bought(period: Period) -> list[ProductRow]:
    """The products bought most (units) in the period's chat orders, by product handle."""
    units = sa.func.sum(OrderLine.quantity)
    lines = (
        _chat_lines(period)
        .add_columns(
            OrderLine.product_handle.label("handle"),
            sa.func.max(OrderLine.product_title).label("title"),
            units.label("units"),
            _chat_line_revenue().label("revenue"),
        )
        .group_by(OrderLine.product_handle)
        .order_by(units.desc(), sa.func.max(OrderLine.product_title), OrderLine.product_handle)
        .limit(TOP_PRODUCTS)
        .subquery()
    )
    query = (
        sa.select(Product.id, lines.c.title, lines.c.handle, lines.c.units, lines.c.revenue)
        .select_from(lines)
        .outerjoin(Product, Product.handle == lines.c.handle)
        .order_by(lines.c.units.desc(), lines.c.title, lines.c.handle)
    )
    return [
        ProductRow(product_id, title, handle, int(count), int(revenue))
        for product_id, title, handle, count, revenue in db.session.execute(query)
    ]


def waiting_now() -> int:
    """Conversations waiting for a seller right now."""
    query = sa.select(sa.func.count()).where(Conversation.status == "waiting")
    return int(db.session.execute(query).scalar_one())


def compute(period: Period) -> Insights:
    """Everything the insights page shows for `period`, compared with the period before it."""
    previous = period.previous()
    current_daily, previous_daily = daily(period, previous)
    replies = reply_counts(period)
    return Insights(
        period=period,
        previous_period=previous,
        currency=current_app.config["SHOP_CURRENCY"],
        current=figures(period, replies),
        previous=figures(previous),
        daily=current_daily,
        previous_daily=previous_daily,
        waiting_now=waiting_now(),
        sellers=sellers(period, replies),
        recommended=recommended(period),
        bought=bought(period),
    )


# --- CSV ----------------------------------------------------------------------------------------------------


def _amount(value: int | None, currency: str) -> str:
    return "" if value is None else str(to_major(value, currency))


def _number(value: int | None) -> str:
    return "" if value is None else str(value)


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _headline(figures: Figures, currency: str) -> list[tuple[str, str, str]]:
    """(section, metric, value) for one period's figures, in the CSV's order."""
    r, c, f, s, d = figures.revenue, figures.conversion, figures.funnel, figures.responses, figures.discounts
    rows = [
        ("revenue", "chat", _amount(r.chat, currency)),
        ("revenue", "total", _amount(r.total, currency)),
        ("revenue", "chat_share", _ratio(r.chat_share)),
        ("revenue", "chat_orders", _number(r.chat_orders)),
        ("revenue", "other_orders", _number(r.other_orders)),
        ("revenue", "chat_aov", _amount(r.chat_aov, currency)),
        ("revenue", "other_aov", _amount(r.other_aov, currency)),
        ("conversion", "conversations", _number(c.conversations)),
        ("conversion", "ordered", _number(c.ordered)),
        ("conversion", "rate", _ratio(c.rate)),
    ]
    for key, handler in c.by_handler.items():
        rows += [
            ("conversion", f"{key}_conversations", _number(handler.conversations)),
            ("conversion", f"{key}_ordered", _number(handler.ordered)),
            ("conversion", f"{key}_rate", _ratio(handler.rate)),
        ]
    rows += [
        ("funnel", "conversations", _number(f.conversations)),
        ("funnel", "checkout_started", _number(f.checkout_started)),
        ("funnel", "ordered", _number(f.ordered)),
        ("responses", "first_bot_seconds", _number(s.first_bot)),
        ("responses", "first_seller_seconds", _number(s.first_seller)),
        ("responses", "median_bot_seconds", _number(s.median_bot)),
        ("responses", "median_seller_seconds", _number(s.median_seller)),
    ]
    for bucket in s.distribution:
        rows += [
            ("response_times", f"bot {bucket.label}", _number(bucket.bot)),
            ("response_times", f"seller {bucket.label}", _number(bucket.seller)),
        ]
    rows += [
        ("discounts", "made", _number(d.made)),
        ("discounts", "applied", _number(d.applied)),
        ("discounts", "redeemed", _number(d.redeemed)),
        ("discounts", "cost", _amount(d.cost, currency)),
        ("discounts", "revenue", _amount(d.revenue, currency)),
    ]
    return rows


def _day_cells(point: DayPoint, currency: str) -> list[str]:
    return [point.day.isoformat(), _amount(point.chat, currency), _amount(point.other, currency)]


def csv_rows(insights: Insights) -> list[list[str]]:
    """The insights as a table: headline figures (current and previous period), then the daily series,
    the sellers and the top products, each after a blank row and its own header. Amounts are in major
    units, times in seconds, rates as fractions (0.1234)."""
    cur = insights.currency
    period, previous = insights.period, insights.previous_period
    rows: list[list[str]] = [["section", "metric", "current", "previous"]]
    rows.append(["period", "from", period.start_date.isoformat(), previous.start_date.isoformat()])
    rows.append(["period", "to", period.end_date.isoformat(), previous.end_date.isoformat()])
    now_rows = _headline(insights.current, cur)
    before_rows = _headline(insights.previous, cur)
    rows += [
        [section, metric, now, then[2]]
        for (section, metric, now), then in zip(now_rows, before_rows, strict=True)
    ]
    rows.append(["conversations", "waiting_now", str(insights.waiting_now), ""])
    rows += [[], ["day", "chat", "other", "previous_day", "previous_chat", "previous_other"]]
    rows += [
        [*_day_cells(p, cur), *_day_cells(q, cur)]
        for p, q in zip(insights.daily, insights.previous_daily, strict=True)
    ]
    rows += [
        [],
        ["seller", "conversations", "orders", "revenue", "first_response_seconds", "median_response_seconds"],
    ]
    rows += [
        [
            s.name,
            str(s.conversations),
            str(s.orders),
            _amount(s.revenue, cur),
            _number(s.first_response),
            _number(s.median_response),
        ]
        for s in insights.sellers
    ]
    for title, count in (("most_recommended", "times_recommended"), ("most_bought", "units")):
        products = insights.recommended if title == "most_recommended" else insights.bought
        rows += [[], [title, "handle", count, "revenue"]]
        rows += [[p.title, p.handle, str(p.count), _amount(p.revenue, cur)] for p in products]
    return rows
