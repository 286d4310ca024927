"""Insights fixtures: a small known history around the week of 22–28 October 2026 in Paris.

The period under test is 22–28 October 2026 (local dates in Europe/Paris, the week summer time ends on the
25th, a 25-hour day); the previous period is 15–21 October. Times below are UTC, as stored: Paris is UTC+2
until 25 October 01:00 UTC, then UTC+1. So the period runs from 21 October 22:00 UTC to 28 October 23:00
UTC, and the previous one from 14 October 22:00 UTC to 21 October 22:00 UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from itertools import count

import pytest
from flask import Flask

from chat.models import Conversation, Recommendation, ReplyEvent, Seller
from extensions import db
from insights.periods import Period
from payments.models import Checkout
from shop.models import Cart, Customer, Offer, OfferRedemption, Order, OrderLine, Product, Variant

TIMEZONE = "Europe/Paris"


def at(month_day: str, hour_minute: str = "12:00") -> datetime:
    """A UTC time in October 2026: at("22", "10:30")."""
    return datetime.fromisoformat(f"2026-10-{month_day}T{hour_minute}")


@dataclass(frozen=True)
class History:
    """Ids of what the known history holds, for the expected values."""

    sellers: dict[str, int]
    products: dict[str, int]


@pytest.fixture
def paris(app: Flask, monkeypatch: pytest.MonkeyPatch) -> str:
    """The shop is in Paris."""
    monkeypatch.setitem(app.config, "SHOP_TIMEZONE", TIMEZONE)
    return TIMEZONE


@pytest.fixture
def week(paris: str) -> Period:
    """22–28 October 2026 in Paris (summer time ends on the 25th)."""
    return Period.of("custom", date(2026, 10, 22), date(2026, 10, 28), paris)


def _sellers() -> dict[str, int]:
    people = {
        "Ana": ("seller", True),
        "Ben": ("seller", True),
        "Cy": ("manager", True),
        "Dee": ("seller", False),  # gone, nothing in the period: not listed
        "Eve": ("seller", False),  # gone, but an order in the period: listed
    }
    ids = {}
    for name, (role, active) in people.items():
        seller = Seller(email=f"{name.lower()}@example.com", name=name, role=role, active=active)
        seller.set_password("pa55word!")
        db.session.add(seller)
        db.session.flush()
        ids[name] = seller.id
    return ids


def _products() -> dict[str, int]:
    ids = {}
    for handle, title, price in (
        ("pot", "Terracotta Pot", 2000),
        ("apron", "Linen Apron", 3000),
        ("bowl", "Olive Bowl", 2800),
    ):
        product = Product(handle=handle, title=title, variants=[Variant(price=price)])
        db.session.add(product)
        db.session.flush()
        ids[handle] = product.id
    return ids


@pytest.fixture
def history(app: Flask) -> History:
    """Conversations, replies, recommendations, checkouts, orders, offers and redemptions whose figures
    the tests know by heart (each line says where it falls)."""
    with app.app_context():
        sellers = _sellers()
        products = _products()
        customer = Customer(name="Zoé")
        db.session.add(customer)
        db.session.flush()
        cart = Cart(customer_id=customer.id, status="ordered")
        db.session.add(cart)
        db.session.flush()
        numbers = count(1001)

        def conversation(created: datetime, status: str = "resolved", bot: bool = False,
                         seller: bool = False, assignee: str | None = None) -> int:  # fmt: skip
            row = Conversation(
                customer_id=customer.id,
                created_at=created,
                status=status,
                bot_replied=bot,
                seller_replied=seller,
                assignee_id=sellers[assignee] if assignee else None,
            )
            db.session.add(row)
            db.session.flush()
            return row.id

        def checkout(conversation_id: int | None) -> int:
            row = Checkout(
                customer_id=customer.id, cart_id=cart.id, conversation_id=conversation_id, currency="EUR"
            )
            db.session.add(row)
            db.session.flush()
            return row.id

        def order(paid: datetime | None, total: int, lines: list[tuple[str, str, int, int, int]],
                  conversation_id: int | None = None, seller: str | None = None, status: str = "paid",
                  refunded: int = 0, offer_id: int | None = None) -> int:  # fmt: skip
            row = Order(
                number=next(numbers),
                customer_id=customer.id,
                currency="EUR",
                status=status,
                total=total,
                refunded_total=refunded,
                paid_at=paid,
                conversation_id=conversation_id,
                seller_id=sellers[seller] if seller else None,
                offer_id=offer_id,
                lines=[
                    OrderLine(
                        product_handle=handle,
                        product_title=title,
                        unit_price=price,
                        quantity=qty,
                        discount=off,
                    )
                    for handle, title, price, qty, off in lines
                ],
            )
            db.session.add(row)
            db.session.flush()
            return row.id

        def offer(code: str, source: str, created: datetime, applied: datetime | None = None,
                  status: str = "active") -> int:  # fmt: skip
            row = Offer(
                code=code,
                kind="percent",
                value=10,
                currency="EUR",
                customer_id=None if source == "shop" else customer.id,
                source=source,
                status=status,
                created_at=created,
                applied_at=applied,
            )
            db.session.add(row)
            db.session.flush()
            return row.id

        def redemption(offer_id: int, checkout_id: int, amount: int, status: str,
                       redeemed: datetime | None = None, order_id: int | None = None) -> None:  # fmt: skip
            db.session.add(
                OfferRedemption(
                    offer_id=offer_id,
                    customer_id=customer.id,
                    checkout_id=checkout_id,
                    attempt=1,
                    amount=amount,
                    status=status,
                    redeemed_at=redeemed,
                    order_id=order_id,
                )
            )

        def reply(conversation_id: int, when: datetime, responder: str, seconds: int, first: bool = False,
                  seller: str | None = None) -> None:  # fmt: skip
            db.session.add(
                ReplyEvent(
                    conversation_id=conversation_id,
                    created_at=when,
                    responder=responder,
                    seconds=seconds,
                    first=first,
                    seller_id=sellers[seller] if seller else None,
                )
            )

        def recommend(conversation_id: int, handle: str, when: datetime, source: str = "bot") -> None:
            db.session.add(
                Recommendation(
                    product_id=products[handle],
                    conversation_id=conversation_id,
                    source=source,
                    created_at=when,
                )
            )

        pot, apron, bowl = ("pot", "Terracotta Pot"), ("apron", "Linen Apron"), ("bowl", "Olive Bowl")

        # Offers. Made in the period: A (seller), B (bot), D (seller, pending). Applied in it: A and the shop
        # code S (made long before). Q: made and applied in the previous period. C: made after the period.
        offer_a = offer("OFFER-A", "seller", at("23"), applied=at("24"))
        offer("OFFER-B", "bot", at("22", "09:00"))
        offer("OFFER-D", "seller", at("22", "10:00"), status="pending")
        offer_s = offer("WELCOME", "shop", at("01"), applied=at("25", "20:00"))
        offer_q = offer("OFFER-Q", "bot", at("20"), applied=at("21", "10:00"))
        offer("OFFER-C", "seller", at("29"))

        # The period's conversations (8): c7 starts at 00:30 on the 22nd in Paris (still the 21st in UTC).
        c1 = conversation(at("22", "10:00"), bot=True)  # bot only, two orders
        c2 = conversation(at("23", "10:00"), status="assigned", bot=True, seller=True, assignee="Ana")
        c3 = conversation(at("24", "10:00"), seller=True, assignee="Ana")  # seller only, ordered
        c4 = conversation(at("25"), status="waiting", seller=True, assignee="Ben")  # seller only, no order
        c5 = conversation(at("26"), status="waiting")  # nobody answered yet
        c6 = conversation(at("27"), bot=True, seller=True, assignee="Ben")  # ordered after the period
        c7 = conversation(at("21", "22:30"), status="bot", bot=True)  # bot only, no order
        c8 = conversation(at("25", "09:00"), seller=True, assignee="Cy")  # ordered, then refunded in full
        # The previous period's (2): q2 at 23:30 on the 21st in Paris.
        q1 = conversation(at("16", "10:00"), bot=True)
        q2 = conversation(at("21", "21:30"), seller=True, assignee="Ana")
        # Outside both: before, and just after the period's end (still waiting).
        x1 = conversation(at("10"), bot=True)
        conversation(at("28", "23:00"), status="waiting")

        # Checkouts: c1 twice, c2 (its order was cancelled), c3, c6, c8; q1; the shop-code order's none.
        checkout(c1), checkout(c1), checkout(c6)
        checkout_c2, checkout_c3, checkout_c8 = checkout(c2), checkout(c3), checkout(c8)
        checkout_q1, checkout_other = checkout(q1), checkout(None)

        # The period's orders that count: chat o1, o3, o8, o12; other o9, o10, o14.
        order(at("22", "11:00"), 5000, [(*pot, 2000, 2, 0)], c1)  # 22nd
        order(at("23", "11:00"), 3000, [(*apron, 3000, 1, 0)], c2, "Ana", status="cancelled")
        o3 = order(
            at("24", "22:30"),  # 00:30 on the 25th in Paris (summer time)
            8000,
            [(*apron, 3000, 2, 600), (*bowl, 2800, 1, 200)],
            c3,
            "Ana",
            status="partially_refunded",
            refunded=1500,
            offer_id=offer_a,
        )
        order(at("29", "10:00"), 2000, [(*bowl, 2800, 1, 800)], c6, "Ben")  # after the period
        order(at("25", "22:30"), 4000, [(*bowl, 4000, 1, 0)], c8, "Cy", status="refunded", refunded=4000)
        o9 = order(  # 00:30 on the 26th in Paris (winter time): not the 25th
            at("25", "23:30"), 3000, [(*pot, 600, 5, 0)], status="fulfilled", offer_id=offer_s
        )
        order(at("28", "22:30"), 1000, [(*apron, 1000, 1, 0)])  # 23:30 on the 28th in Paris
        order(at("28", "23:30"), 1000, [(*apron, 1000, 1, 0)])  # 00:30 on the 29th: after
        order(at("27", "09:00"), 2500, [(*pot, 2000, 1, 0), ("gift-wrap", "Gift Wrap", 500, 1, 0)], c1, "Eve")
        order(at("25", "22:30"), 700, [(*bowl, 700, 1, 0)])  # 23:30 on the 25th in Paris
        order(None, 900, [(*pot, 900, 1, 0)], c5, status="pending")  # never paid
        # The previous period's: chat oq1 (with offer Q), other oq2 (23:30 on the 21st in Paris).
        oq1 = order(at("16", "10:30"), 4200, [(*pot, 2100, 2, 0)], q1, offer_id=offer_q)
        order(at("21", "21:30"), 1800, [(*bowl, 1800, 1, 0)])
        order(at("10"), 9999, [(*pot, 9999, 1, 0)], x1)  # before both

        # Redemptions: two redeemed in the period (800 + 300), one held, one released; one in the previous.
        redemption(offer_a, checkout_c3, 800, "redeemed", at("24", "22:30"), o3)
        redemption(offer_s, checkout_other, 300, "redeemed", at("25", "23:30"), o9)
        redemption(offer_a, checkout_c2, 500, "held")
        redemption(offer_s, checkout_c8, 400, "released")
        redemption(offer_q, checkout_q1, 250, "redeemed", at("21", "10:30"), oq1)

        # Replies in the period. Bot: 3, 5, 7, 8 first; 30 and 60 not. Sellers: Ana 300 first, 400, 20000;
        # Ben 600 first, 1001; Cy 4000 first.
        reply(c1, at("22", "10:00:05"), "bot", 5, first=True)
        reply(c1, at("22", "10:10"), "bot", 30)
        reply(c1, at("22", "10:30"), "bot", 60)
        reply(c2, at("23", "10:00:03"), "bot", 3, first=True)
        reply(c2, at("23", "10:20"), "seller", 400, seller="Ana")
        reply(c3, at("24", "10:05"), "seller", 300, first=True, seller="Ana")
        reply(c3, at("24", "16:00"), "seller", 20000, seller="Ana")
        reply(c4, at("25", "12:10"), "seller", 600, first=True, seller="Ben")
        reply(c6, at("27", "12:00:07"), "bot", 7, first=True)
        reply(c6, at("27", "12:30"), "seller", 1001, seller="Ben")
        reply(c8, at("25", "10:10"), "seller", 4000, first=True, seller="Cy")
        reply(c7, at("21", "22:31"), "bot", 8, first=True)
        # The previous period's: bot 12 first, 50; Ana 90 first.
        reply(q1, at("16", "10:00:12"), "bot", 12, first=True)
        reply(q1, at("21", "21:59"), "bot", 50)
        reply(q2, at("21", "21:35"), "seller", 90, first=True, seller="Ana")
        # Outside: at the period's end exactly (excluded), and before the previous period.
        reply(c6, at("28", "23:00"), "seller", 999, seller="Ana")
        reply(x1, at("14", "21:59"), "bot", 1, first=True)

        # Recommendations in the period: pot 3, apron 3, bowl 1; the previous period: pot 1.
        for conversation_id, handle in ((c1, "pot"), (c1, "pot"), (c7, "pot"), (c2, "apron"), (c3, "apron")):
            recommend(conversation_id, handle, at("23"))
        recommend(c3, "apron", at("24"), source="seller")
        recommend(c8, "bowl", at("28", "22:59"), source="seller")
        recommend(q1, "pot", at("16"))
        recommend(x1, "bowl", at("28", "23:00"))  # after the period
        db.session.commit()
        return History(sellers=sellers, products=products)
