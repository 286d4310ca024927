"""Seller insights page on a year of history, against a bare page of the same app measured in the same run.

    .venv/bin/python bench/insights.py [--conversations 100000] [--orders 20000] [--runs 20]
                                       [--database-url URL] [--keep]

Generates, with bulk inserts (no ORM objects one by one), a year of history in a temporary SQLite database
(or the given one, whose tables are dropped and recreated): the storefront bench's catalog (200 products),
10 sellers, conversations over the last 365 days (50% bot only, 20% bot then seller, 20% seller only, 10%
unanswered) with their reply events (~3 per conversation) and recommendations (~1.5), orders (60% paid in a
conversation, 1-4 lines, some refunded, partially refunded, cancelled or unpaid), checkouts for them and
some abandoned ones, offers (1 for 20 conversations) and redemptions. --keep keeps the database (by default
a fixed file in the temporary directory) and reuses it when it already holds a history.

Then, as a manager signed in through the real sign-in form (Flask test client, no network), times GET
/seller/insights for 7d, 30d and a custom 365-day range: 2 warm-ups, then --runs requests each (min, median,
p95). The baseline is the same client getting /seller/inbox (a page with no query but the session's seller):
each ratio says how many bare pages one insights page costs. insights.figures.compute is timed alone
(no rendering) for the same periods, and the slowest SQL statements of one compute are listed (time per
statement) to show where the time goes. Target: every period's median page under 500 ms: PASS or FAIL.
"""

from __future__ import annotations

import argparse
import itertools
import math
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from bench.storefront import generate as generate_catalog
from chat.models import Conversation, Recommendation, ReplyEvent, Seller
from config import TestConfig, database_url
from extensions import db
from payments.models import Checkout
from shop.models import Cart, Customer, Offer, OfferRedemption, Order, OrderLine, Variant, utcnow

CHUNK = 5_000
TARGET_MS = 500
MANAGER_EMAIL, PASSWORD = "manager@example.com", "bench-password"
SELLERS = 10
PRODUCTS = 200
YEAR = 365 * 86_400
#: (status, share) of orders; pending ones are not paid.
ORDER_STATUSES = [
    ("paid", 0.52),
    ("fulfilled", 0.32),
    ("refunded", 0.04),
    ("partially_refunded", 0.04),
    ("cancelled", 0.05),
    ("pending", 0.03),
]


def insert(model: type[db.Model], rows: list[dict]) -> None:
    """Core executemany in chunks: one INSERT per row batch, no ORM identity map."""
    table = model.__table__
    for start in range(0, len(rows), CHUNK):
        db.session.execute(table.insert(), rows[start : start + CHUNK])


def reply_seconds(rng: random.Random, responder: str) -> int:
    """A bot answers in a few seconds; a seller in minutes, sometimes hours (log-normal, median ~4 min)."""
    if responder == "bot":
        return rng.randint(1, 6)
    return min(int(rng.lognormvariate(5.5, 1.4)), 2 * 86_400)


def generate(conversations: int, orders: int, seed: int = 7) -> dict[str, int]:
    """A year of history ending now, inserted in bulk with explicit ids. Returns the row count per table."""
    rng = random.Random(seed)
    now = utcnow()
    generate_catalog(PRODUCTS, seed)
    variants = db.session.execute(
        sa.select(Variant.id, Variant.product_id, Variant.price, Variant.option1)
    ).all()
    products = db.session.execute(sa.text("SELECT id, handle, title FROM product ORDER BY id")).all()
    product_by_id = {p.id: p for p in products}
    # Some products are recommended and bought far more than others (a Zipf-like tail).
    product_weights = list(itertools.accumulate(1 / (rank + 1) ** 0.9 for rank in range(len(products))))
    variants_by_product = defaultdict(list)
    for variant in variants:
        variants_by_product[variant.product_id].append(variant)

    def pick_product() -> int:
        return rng.choices(products, cum_weights=product_weights)[0].id

    seller_hash = Seller(name="x")
    seller_hash.set_password(PASSWORD)
    sellers = [
        {
            "id": n,
            "email": MANAGER_EMAIL if n == 1 else f"seller{n}@example.com",
            "name": f"Seller {n:02d}",
            "password_hash": seller_hash.password_hash,
            "role": "manager" if n <= 2 else "seller",
            "status": "online",
            "active": n < SELLERS,  # the last one has left: figures from before, no longer listed otherwise
            "created_at": now - timedelta(days=400),
        }
        for n in range(1, SELLERS + 1)
    ]
    insert(Seller, sellers)

    customer_count = max(1, conversations // 4)
    insert(
        Customer,
        [
            {
                "id": n,
                "token": f"bench-customer-{n}",
                "email": f"shopper{n}@example.invalid",
                "name": f"Shopper {n}",
                "created_at": now - timedelta(days=366),
                "last_seen_at": now,
            }
            for n in range(1, customer_count + 1)
        ],
    )

    conv_rows, event_rows, rec_rows = [], [], []
    answered: list[dict] = []
    for cid in range(1, conversations + 1):
        created = now - timedelta(seconds=rng.randrange(60, YEAR))
        kind = rng.random()
        handler = (
            "bot_only"
            if kind < 0.5
            else "bot_then_seller"
            if kind < 0.7
            else "seller_only"
            if kind < 0.9
            else "none"
        )
        responders: list[str] = {
            "bot_only": ["bot"] * rng.randint(1, 5),
            "bot_then_seller": ["bot"] * rng.randint(1, 3) + ["seller"] * rng.randint(1, 3),
            "seller_only": ["seller"] * rng.randint(1, 5),
            "none": [],
        }[handler]
        assignee = rng.randint(1, SELLERS) if "seller" in responders else None
        recent = (now - created).total_seconds() < 2 * 86_400
        if handler == "none":
            status = "waiting" if recent else "resolved"
        elif assignee is None:
            status = "bot" if recent or rng.random() < 0.3 else "resolved"
        else:
            status = rng.choice(["assigned", "waiting"]) if recent else "resolved"
        at, first = created, None
        for n, responder in enumerate(responders):
            seconds = reply_seconds(rng, responder)
            at += timedelta(seconds=seconds)
            if n == 0:
                first = (at, seconds, responder)
            event_rows.append(
                {
                    "conversation_id": cid,
                    "responder": responder,
                    "seller_id": assignee if responder == "seller" else None,
                    "seconds": seconds,
                    "first": n == 0,
                    "created_at": at,
                }
            )
            at += timedelta(seconds=rng.randint(10, 600))  # the shopper writes again
        row = {
            "id": cid,
            "customer_id": rng.randint(1, customer_count),
            "status": status,
            "assignee_id": assignee if status != "waiting" else None,
            "last_seq": 1 + 2 * len(responders),
            "last_message_text": "Thanks!",
            "last_message_kind": "shopper",
            "last_message_at": at,
            "created_at": created,
            "updated_at": at,
            "resolved_at": at if status == "resolved" else None,
            "first_shopper_message_at": created,
            "awaiting_reply_since": created if status == "waiting" and first is None else None,
            "first_response_at": first[0] if first else None,
            "first_response_seconds": first[1] if first else None,
            "first_responder": first[2] if first else None,
            "bot_replied": "bot" in responders,
            "seller_replied": "seller" in responders,
        }
        conv_rows.append(row)
        if first:
            answered.append(row)
        recs = {
            "bot_only": [("bot", rng.randint(0, 3))],
            "bot_then_seller": [("bot", rng.randint(0, 3)), ("seller", rng.randint(0, 2))],
            "seller_only": [("seller", rng.randint(0, 2))],
            "none": [],
        }[handler]
        for source, count in recs:
            rec_rows.extend(
                {
                    "product_id": pick_product(),
                    "conversation_id": cid,
                    "source": source,
                    "created_at": created + timedelta(seconds=rng.randint(5, 900)),
                }
                for _ in range(count)
            )
    insert(Conversation, conv_rows)
    insert(ReplyEvent, event_rows)
    insert(Recommendation, rec_rows)

    # Orders: 60% paid in a conversation (a few minutes to three days after it started), the rest anywhere
    # in the year. Lines from the catalog, 1-4 each.
    chat_count = min(int(orders * 0.6), len(answered))
    chat_convs = rng.sample(answered, chat_count)
    statuses, shares = zip(*ORDER_STATUSES, strict=True)
    order_rows, line_rows = [], []
    for oid in range(1, orders + 1):
        conv = chat_convs[oid - 1] if oid <= chat_count else None
        if conv:
            paid = conv["first_response_at"] + timedelta(seconds=rng.randint(300, 3 * 86_400))
            paid = min(paid, now - timedelta(seconds=30))
            customer = conv["customer_id"]
            seller = conv["assignee_id"] if conv["seller_replied"] else None
        else:
            paid = now - timedelta(seconds=rng.randrange(60, YEAR))
            customer = rng.randint(1, customer_count)
            seller = None
        status = rng.choices(statuses, weights=shares)[0]
        subtotal = 0
        for _ in range(rng.choices([1, 2, 3, 4], weights=[50, 30, 12, 8])[0]):
            variant = rng.choice(variants_by_product[pick_product()])
            product = product_by_id[variant.product_id]
            quantity = rng.choices([1, 2, 3], weights=[80, 15, 5])[0]
            subtotal += variant.price * quantity
            line_rows.append(
                {
                    "order_id": oid,
                    "variant_id": variant.id,
                    "product_handle": product.handle,
                    "product_title": product.title,
                    "variant_title": variant.option1,
                    "unit_price": variant.price,
                    "quantity": quantity,
                    "discount": 0,
                }
            )
        shipping = 0 if subtotal >= 10_000 else 690
        total = subtotal + shipping
        refunded = {"refunded": total, "partially_refunded": total // 3}.get(status, 0)
        order_rows.append(
            {
                "id": oid,
                "number": 1000 + oid,
                "token": f"bench-order-{oid}",
                "customer_id": customer,
                "email": f"shopper{customer}@example.invalid",
                "status": status,
                "currency": "EUR",
                "subtotal": subtotal,
                "discount_total": 0,
                "shipping_total": shipping,
                "total": total,
                "refunded_total": refunded,
                "created_at": paid - timedelta(seconds=90),
                "paid_at": None if status == "pending" else paid,
                "conversation_id": conv["id"] if conv else None,
                "seller_id": seller,
                "offer_id": None,
                "discount_code": "",
            }
        )

    # Offers: 1 for 20 conversations, made by sellers or the bot's rules in a conversation (a few shop
    # codes). The first ones were used: redeemed by a chat order (its first line discounted by 10%).
    offer_count = max(1, conversations // 20)
    paid_chat_orders = [o for o in order_rows if o["conversation_id"] and o["paid_at"] is not None]
    redeemed = rng.sample(paid_chat_orders, min(len(paid_chat_orders), offer_count * 9 // 25))
    first_line = {}
    for line in line_rows:
        first_line.setdefault(line["order_id"], line)
    offer_rows = []
    for n in range(1, offer_count + 1):
        order = redeemed[n - 1] if n <= len(redeemed) else None
        conv = conv_rows[order["conversation_id"] - 1] if order else rng.choice(conv_rows)
        source = "shop" if not order and rng.random() < 0.1 else rng.choice(["seller", "bot"])
        created = conv["created_at"] + timedelta(seconds=rng.randint(30, 1800))
        applied = None
        if order:
            applied = order["paid_at"] - timedelta(seconds=120)
        elif rng.random() < 0.5:
            applied = created + timedelta(seconds=rng.randint(60, 86_400))
        offer_rows.append(
            {
                "id": n,
                "code": f"BENCH-{n}",
                "kind": "percent",
                "value": 10,
                "scope": "order",
                "min_subtotal": 0,
                "currency": "EUR",
                "customer_id": None if source == "shop" else conv["customer_id"],
                "conversation_id": None if source == "shop" else conv["id"],
                "source": source,
                "rule": "price_objection" if source == "bot" else None,
                "created_by_id": conv["assignee_id"] if source == "seller" else None,
                "status": "active",
                "usage_limit": None if source == "shop" else 1,
                "times_used": 1 if order else 0,
                "note": "",
                "applied_at": applied,
                "created_at": created,
            }
        )
        if order:
            line = first_line[order["id"]]
            amount = line["unit_price"] * line["quantity"] // 10
            line["discount"] = amount
            order["offer_id"], order["discount_code"] = n, f"BENCH-{n}"
            order["discount_total"] = amount
            order["total"] -= amount
            if order["status"] == "refunded":
                order["refunded_total"] = order["total"]
            elif order["status"] == "partially_refunded":
                order["refunded_total"] = order["total"] // 3
    insert(Offer, offer_rows)
    insert(Order, order_rows)
    insert(OrderLine, line_rows)

    # Checkouts (each with its cart) for every chat order, and abandoned ones in 8% of the other answered
    # conversations; a redemption for each discounted order, and some released by failed payments.
    ordered_convs = {o["conversation_id"] for o in order_rows if o["conversation_id"]}
    checkout_rows, cart_rows, redemption_rows = [], [], []

    def checkout(conv_id: int | None, customer: int, status: str, at: datetime, order=None) -> int:
        cid = len(checkout_rows) + 1
        cart_rows.append(
            {
                "id": cid,
                "customer_id": customer,
                "status": "ordered" if order else "open",
                "offer_applies": False,
                "created_at": at,
                "updated_at": at,
            }
        )
        checkout_rows.append(
            {
                "id": cid,
                "token": f"bench-checkout-{cid}",
                "customer_id": customer,
                "cart_id": cid,
                "conversation_id": conv_id,
                "status": status,
                "currency": "EUR",
                "attempt": 1,
                "lines": [],
                "subtotal": order["subtotal"] if order else 0,
                "discount": order["discount_total"] if order else 0,
                "shipping": order["shipping_total"] if order else 0,
                "total": order["total"] if order else 0,
                "order_id": order["id"] if order else None,
                "offer_id": order["offer_id"] if order else None,
                "seller_id": order["seller_id"] if order else None,
                "created_at": at,
                "updated_at": at,
            }
        )
        return cid

    for order in order_rows:
        if order["conversation_id"]:
            status = "paid" if order["paid_at"] else "open"
            cid = checkout(order["conversation_id"], order["customer_id"], status, order["created_at"], order)
            if order["offer_id"]:
                redemption_rows.append(
                    {
                        "offer_id": order["offer_id"],
                        "customer_id": order["customer_id"],
                        "checkout_id": cid,
                        "attempt": 1,
                        "order_id": order["id"],
                        "amount": order["discount_total"],
                        "status": "redeemed",
                        "created_at": order["created_at"],
                        "redeemed_at": order["paid_at"],
                    }
                )
    for conv in answered:
        if conv["id"] not in ordered_convs and rng.random() < 0.08:
            at = conv["first_response_at"] + timedelta(seconds=rng.randint(60, 3600))
            cid = checkout(conv["id"], conv["customer_id"], rng.choice(["open", "cancelled"]), at)
            if rng.random() < 0.05:  # a discounted payment that failed: the use was given back
                redemption_rows.append(
                    {
                        "offer_id": rng.randint(1, offer_count),
                        "customer_id": conv["customer_id"],
                        "checkout_id": cid,
                        "attempt": 1,
                        "order_id": None,
                        "amount": 500,
                        "status": "released",
                        "created_at": at,
                        "redeemed_at": None,
                    }
                )
    insert(Cart, cart_rows)
    insert(Checkout, checkout_rows)
    insert(OfferRedemption, redemption_rows)
    db.session.commit()
    return {
        "conversations": len(conv_rows),
        "reply events": len(event_rows),
        "recommendations": len(rec_rows),
        "orders": len(order_rows),
        "order lines": len(line_rows),
        "checkouts": len(checkout_rows),
        "offers": len(offer_rows),
        "redemptions": len(redemption_rows),
        "customers": customer_count,
        "sellers": SELLERS,
    }


def after_bulk_load() -> None:
    """Sequences past the explicit ids (PostgreSQL), and planner statistics as a live database has them."""
    if db.engine.dialect.name == "postgresql":
        for table in db.metadata.sorted_tables:
            if (
                "id" in table.c
                and table.c.id.autoincrement is not False
                and table.c.id.type.python_type is int
            ):
                name = db.engine.dialect.identifier_preparer.quote(table.name)
                db.session.execute(
                    sa.text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {name}), 0) + 1, false)"
                    )
                )
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()


def history_app(url: str, conversations: int, orders: int, keep: bool) -> Flask:
    """The shop (test configuration: no CSRF) on `url`, with a generated history (reused with --keep)."""
    config = type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url})
    app = create_app(config)
    with app.app_context():
        inspector = sa.inspect(db.engine)
        if (
            keep
            and inspector.has_table("reply_event")
            and db.session.scalar(sa.select(sa.func.count(Conversation.id)))
        ):
            count = db.session.scalar(sa.select(sa.func.count(Conversation.id)))
            print(f"reusing the history in {url} ({count} conversations)")
            return app
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        counts = generate(conversations, orders)
        generated = time.perf_counter() - started
        after_bulk_load()
        analysed = time.perf_counter() - started - generated
        print(f"generated on {db.engine.dialect.name} in {generated:.1f}s (+ {analysed:.1f}s ANALYZE):")
        print("  " + ", ".join(f"{count} {name}" for name, count in counts.items()))
    return app


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(len(ordered) * fraction) - 1)]


def timed(call, runs: int, warmups: int = 2) -> list[float]:
    for _ in range(warmups):
        call()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def get(client: FlaskClient, url: str):
    def call() -> None:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.location)

    return call


@contextmanager
def statement_times(engine: sa.Engine) -> Iterator[list[tuple[float, str, str]]]:
    """(ms, figures function, SQL) of every statement run on `engine` inside the block. A statement's time
    runs until the next one starts (or the block ends): its execution, fetching its rows (SQLite runs most
    of a query while rows are fetched) and the Python that uses them."""
    starts: list[tuple[float, str, str]] = []
    found: list[tuple[float, str, str]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        frame, caller = sys._getframe(), "?"
        while frame is not None:
            if frame.f_code.co_filename.endswith(str(Path("insights", "figures.py"))):
                caller = frame.f_code.co_name
                break
            frame = frame.f_back
        starts.append((time.perf_counter(), caller, " ".join(statement.split())))

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield found
    finally:
        ended = time.perf_counter()
        sa.event.remove(engine, "before_cursor_execute", before)
        for (started, caller, sql), (following, _, _) in zip(
            starts, [*starts[1:], (ended, "", "")], strict=True
        ):
            found.append(((following - started) * 1000, caller, sql))


def row(name: str, samples: list[float], baseline: float | None = None) -> str:
    p50 = statistics.median(samples)
    ratio = f"{p50 / baseline:>10.0f}x" if baseline else ""
    return f"{name:<34}{min(samples):>9.1f}{p50:>9.1f}{percentile(samples, 0.95):>9.1f}{ratio}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--keep", action="store_true", help="keep the database and reuse its history")
    parser.add_argument("--statements", type=int, default=8, help="slowest SQL statements to list")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        where = tempfile.gettempdir() if args.keep else tmp
        url = database_url(args.database_url) if args.database_url else f"sqlite:///{where}/bench_insights.db"
        app = history_app(url, args.conversations, args.orders, args.keep)
        run(app, args.runs, args.statements)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def run(app: Flask, runs: int, statements: int) -> None:
    from insights.figures import compute
    from insights.periods import parse_period

    client = app.test_client()
    response = client.post("/seller", data={"email": MANAGER_EMAIL, "password": PASSWORD})
    assert response.status_code == 302, "the manager could not sign in"
    with app.test_request_context():
        today = parse_period({"period": "today"}).end_date
        dialect = db.engine.dialect.name
    periods = {
        "7d": {"period": "7d"},
        "30d": {"period": "30d"},
        "365 days (custom)": {
            "period": "custom",
            "from": (today - timedelta(days=364)).isoformat(),
            "to": today.isoformat(),
        },
    }
    baseline = timed(get(client, "/seller/inbox"), runs * 5)
    bare = statistics.median(baseline)
    print(f"\n{dialect}, {runs} runs after 2 warm-ups")
    print(f"{'':<34}{'min ms':>9}{'p50 ms':>9}{'p95 ms':>9}{'p50 / bare':>11}")
    print(row("bare: GET /seller/inbox", baseline))
    medians = {}
    for name, params in periods.items():
        query = "&".join(f"{k}={v}" for k, v in params.items())
        samples = timed(get(client, f"/seller/insights?{query}"), runs)
        medians[name] = statistics.median(samples)
        print(row(f"GET /seller/insights {name}", samples, bare))
    slowest = {}
    for name, params in periods.items():
        with app.test_request_context():
            period = parse_period(params)

            def call(period=period) -> None:
                compute(period)
                db.session.remove()

            samples = timed(call, runs)
            with statement_times(db.engine) as found:
                compute(period)
            db.session.remove()
        print(row(f"figures.compute {name}", samples, bare) + f"   {len(found)} statements")
        slowest[name] = found
    for name, found in slowest.items():
        total = sum(ms for ms, _, _ in found)
        print(f"\nslowest statements of one compute, {name} (all {len(found)}: {total:.1f} ms):")
        for ms, caller, sql in sorted(found, reverse=True)[:statements]:
            print(f"  {ms:8.1f} ms  {caller}: {sql[:160]}")
    worst = max(medians, key=medians.get)
    verdict = "PASS" if medians[worst] < TARGET_MS else "FAIL"
    print(
        f"\n{verdict} on {dialect}: slowest period {worst}, median {medians[worst]:.0f} ms"
        f" (target: under {TARGET_MS} ms)"
    )


if __name__ == "__main__":
    main()
