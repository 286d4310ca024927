"""Paying with a discount against localstripe: the discounted total is charged, the order records the
discount, a failed payment gives the use back, a single use is redeemed once even when payments race, and a
payment confirmed after its use went to someone else is refunded.

Like tests/payments/test_stock.py, these tests use real threads, so they run on a SQLite *file* (in-memory
SQLite gives every thread the same connection) and on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from chat.models import Conversation, Seller
from extensions import db
from payments.models import Checkout
from shop import discounts
from shop.customers import read_shopper_token
from shop.models import Customer, Offer, OfferRedemption, Order, OrderLine, utcnow
from tests.payments.conftest import CARD_3DS, CARD_DECLINED, CARD_OK, Buyer

#: Shoppers racing for one use, for each database.
CROWD = {"sqlite": 10, "postgresql": 30}
TWO_POTS_AND_A_VASE = [({"price": 2500}, 2), ({"price": 1200}, 1)]


@pytest.fixture(scope="module")
def _app(threaded_app: Flask) -> Flask:
    """Real threads: the app on a SQLite file or on PostgreSQL (tests/payments/conftest.py)."""
    return threaded_app


@pytest.fixture
def crowd(stripe_app: Flask) -> int:
    return CROWD[stripe_app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0].split("+")[0]]


def _customer(http: FlaskClient) -> Customer:
    token = read_shopper_token(http.get_cookie("shopper").value)
    return db.session.scalar(sa.select(Customer).filter_by(token=token))


@pytest.fixture
def personal_offer(stripe_app: Flask) -> Callable[..., int]:
    """A seller's offer to a buyer, in the buyer's conversation (10% off the order unless told); its id."""
    counter = iter(range(1, 1000))

    def make(made: Buyer, **terms: object) -> int:
        with stripe_app.test_request_context():
            seller = Seller(email=f"seller{next(counter)}@example.com", name="Ana", role="manager")
            seller.set_password("pa55word!")
            db.session.add(seller)
            conversation = db.session.get(Conversation, made.checkout().conversation_id)
            offer = discounts.seller_offer(seller, conversation, **{"kind": "percent", "value": 10, **terms})
            return offer.id

    return make


@pytest.fixture
def shop_code(stripe_app: Flask) -> Callable[..., int]:
    """A code the owner published (10% off the order unless told); its id."""

    def make(code: str, **terms: object) -> int:
        with stripe_app.test_request_context():
            manager = Seller(email=f"owner-{code.lower()}@example.com", name="Owner", role="manager")
            manager.set_password("pa55word!")
            db.session.add(manager)
            offer = discounts.shop_code(manager, code=code, **{"kind": "percent", "value": 10, **terms})
            return offer.id

    return make


@pytest.fixture
def apply_discount(stripe_app: Flask) -> Callable[..., str]:
    """The shopper applies an offer (Apply on the card: offer_id; typed: code) to their newest cart; the
    checkout card then shows the new total (the buyer's quote is the one shown). Returns the message."""

    def apply(made: Buyer, **named: object) -> str:
        with stripe_app.test_request_context(headers={"Accept-Language": "en"}):
            message = discounts.apply(_customer(made.http), **named).message()
        shown = made.show().get_json()["checkout"]
        made.quote = shown["quote"]
        return message

    return apply


@pytest.fixture
def offer_state(stripe_app: Flask) -> Callable[[int], tuple[int, list[tuple]]]:
    """An offer's uses taken, and its redemptions as (checkout token, attempt, status, amount, order id)."""

    def read(offer_id: int) -> tuple[int, list[tuple]]:
        with stripe_app.app_context():
            used = db.session.get(Offer, offer_id).times_used
            rows = db.session.execute(
                sa.select(
                    Checkout.token,
                    OfferRedemption.attempt,
                    OfferRedemption.status,
                    OfferRedemption.amount,
                    OfferRedemption.order_id,
                )
                .join(Checkout, Checkout.id == OfferRedemption.checkout_id)
                .where(OfferRedemption.offer_id == offer_id)
                .order_by(OfferRedemption.id)
            )
            return used, [tuple(row) for row in rows]

    return read


# --- Paying the discounted total ----------------------------------------------------------------------------


def test_the_discounted_total_is_charged_and_the_order_records_the_discount(
    stripe_app, buyer, card, personal_offer, apply_discount, webhook, stripe_api, offer_state
) -> None:
    made = buyer(TWO_POTS_AND_A_VASE)
    offer_id = personal_offer(made)

    assert apply_discount(made, offer_id=offer_id) == "10% off your order applied: −€6.20."
    shown = made.show().get_json()["checkout"]
    # 10% of €62.00 = €6.20, shared €5.00 / €1.20 over the lines; shipping on €55.80: €4.90.
    assert (shown["subtotal"], shown["discount"], shown["shipping"], shown["total"]) == (6200, 620, 490, 6070)
    assert (shown["discount_label"], shown["discount_text"], shown["discount_problem"]) == (
        "10% off your order",
        "€6.20",
        None,
    )
    code = shown["discount_code"]

    paid = made.pay(card(CARD_OK))

    assert paid.get_json()["status"] == "processing"
    [intent] = stripe_api.v1.payment_intents.list({"limit": 10})
    assert (intent.amount, intent.status) == (6070, "succeeded")
    checkout = made.checkout()
    assert (checkout.total, checkout.discount, checkout.offer_id) == (6070, 620, offer_id)
    assert [line["discount"] for line in checkout.lines] == [500, 120]
    assert offer_state(offer_id) == (1, [(made.token, 1, "held", 620, None)])

    assert webhook(intent.id).status_code == 200

    checkout = made.checkout()
    assert checkout.status == "paid"
    with stripe_app.app_context():
        order = db.session.get(Order, checkout.order_id)
        assert (order.subtotal, order.discount_total, order.shipping_total, order.total) == (
            6200,
            620,
            490,
            6070,
        )
        assert (order.offer_id, order.discount_code) == (offer_id, code)
        lines = db.session.scalars(sa.select(OrderLine).filter_by(order_id=order.id).order_by(OrderLine.id))
        assert [(line.unit_price, line.quantity, line.discount) for line in lines] == [
            (2500, 2, 500),
            (1200, 1, 120),
        ]
        redemption = db.session.scalar(sa.select(OfferRedemption).filter_by(offer_id=offer_id))
        assert redemption.redeemed_at is not None
        assert redemption.customer_id == order.customer_id
    assert offer_state(offer_id) == (1, [(made.token, 1, "redeemed", 620, checkout.order_id)])


def test_a_declined_card_gives_the_use_back_and_another_card_pays(
    stripe_app, buyer, card, personal_offer, apply_discount, webhook, offer_state, orders
) -> None:
    made = buyer()
    offer_id = personal_offer(made)
    apply_discount(made, offer_id=offer_id)

    declined = made.pay(card(CARD_DECLINED))

    assert declined.status_code == 402
    assert declined.get_json()["error"]["code"] == "card_declined"
    assert offer_state(offer_id) == (0, [(made.token, 1, "released", 500, None)])
    shown = declined.get_json()["checkout"]
    assert (shown["discount"], shown["total"]) == (500, 4990)  # still the shopper's

    paid = made.pay(card(CARD_OK), quote=shown["quote"])

    assert paid.get_json()["status"] == "processing"
    assert offer_state(offer_id) == (
        1,
        [(made.token, 1, "released", 500, None), (made.token, 2, "held", 500, None)],
    )
    assert webhook(made.checkout().payment_intent_id).status_code == 200
    [order] = orders()
    assert (order.total, order.discount_total, order.offer_id) == (4990, 500, offer_id)
    assert offer_state(offer_id) == (
        1,
        [(made.token, 1, "released", 500, None), (made.token, 2, "redeemed", 500, order.id)],
    )


def test_a_quote_shown_before_the_offer_expired_is_not_charged(
    stripe_app, buyer, card, personal_offer, apply_discount, stripe_api, offer_state
) -> None:
    made = buyer()
    offer_id = personal_offer(made)
    apply_discount(made, offer_id=offer_id)
    assert made.show().get_json()["checkout"]["total"] == 4990
    with stripe_app.app_context():
        db.session.get(Offer, offer_id).expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()

    response = made.pay(card(CARD_OK))

    assert response.status_code == 409
    body = response.get_json()
    assert body["error"] == {
        "code": "quote_changed",
        "message": "Your order changed since the total was shown. The new total is €54.90.",
    }
    assert (body["checkout"]["status"], body["checkout"]["discount"], body["checkout"]["total"]) == (
        "open",
        0,
        5490,
    )
    assert body["checkout"]["discount_problem"].startswith("This code expired on ")
    assert list(stripe_api.v1.payment_intents.list({"limit": 10})) == []  # nothing charged
    assert offer_state(offer_id) == (0, [])


def test_a_quote_shown_before_the_offer_was_used_elsewhere_is_not_charged(
    stripe_app, buyer, card, personal_offer, apply_discount, stripe_api, offer_state
) -> None:
    """The same shopper applied their offer to two carts: the first payment takes it, the second is told."""
    first = buyer()
    offer_id = personal_offer(first)
    apply_discount(first, offer_id=offer_id)
    second = buyer([({"price": 4000}, 1)], http=first.http)  # a new cart of the same shopper
    apply_discount(second, offer_id=offer_id)
    assert second.show().get_json()["checkout"]["total"] == 3600 + 490

    assert second.pay(card(CARD_OK)).get_json()["status"] == "processing"
    response = first.pay(card(CARD_OK))

    assert response.status_code == 409
    assert response.get_json()["error"] == {
        "code": "quote_changed",
        "message": "Your order changed since the total was shown. The new total is €54.90.",
    }
    shown = response.get_json()["checkout"]
    assert (shown["discount"], shown["discount_problem"]) == (0, "This offer has already been used.")
    assert [intent.amount for intent in stripe_api.v1.payment_intents.list({"limit": 10})] == [4090]
    assert offer_state(offer_id) == (1, [(second.token, 1, "held", 400, None)])


def test_an_offer_that_rounds_to_nothing_is_not_used_up(
    stripe_app, buyer, card, personal_offer, apply_discount, webhook, offer_state, orders
) -> None:
    """1% of €0.50 is €0.00 (rounded down): the payment leaves the offer for a bigger cart."""
    made = buyer([({"price": 50}, 1)])
    offer_id = personal_offer(made, value=1)
    assert apply_discount(made, offer_id=offer_id) == "1% off your order applied: −€0.00."

    assert made.pay(card(CARD_OK)).get_json()["status"] == "processing"
    assert webhook(made.checkout().payment_intent_id).status_code == 200

    [order] = orders()
    assert (order.total, order.discount_total, order.offer_id, order.discount_code) == (540, 0, None, "")
    assert made.checkout().offer_id is None
    assert offer_state(offer_id) == (0, [])


def test_a_shop_code_is_paid_with_once_per_shopper(
    stripe_app, buyer, card, shop_code, apply_discount, webhook, offer_state
) -> None:
    offer_id = shop_code("welcome5", kind="fixed", value=500)
    made = buyer()
    assert apply_discount(made, code="Welcome5") == "€5.00 off your order applied: −€5.00."
    assert made.pay(card(CARD_OK)).get_json()["status"] == "processing"
    assert webhook(made.checkout().payment_intent_id).status_code == 200
    other = buyer()
    apply_discount(other, code="WELCOME5")
    assert other.pay(card(CARD_OK)).get_json()["status"] == "processing"

    again = buyer(http=made.http)  # the first shopper, shopping again

    with stripe_app.test_request_context(), pytest.raises(discounts.DiscountError) as raised:
        discounts.apply(_customer(again.http), code="welcome5")
    assert str(raised.value) == "You have already used this code."
    assert offer_state(offer_id)[0] == 2


# --- Races --------------------------------------------------------------------------------------------------


def _refusal(answer) -> tuple[str, str]:
    error = answer.get_json()["error"]
    return error["code"], error["message"]


def test_a_code_with_one_use_left_goes_to_exactly_one_of_many_shoppers(
    stripe_app, crowd, buyer, card, variant, shop_code, apply_discount, at_once, stripe_api, webhook, orders,
    offer_state,
) -> None:  # fmt: skip
    offer_id = shop_code("LAST1", usage_limit=1)
    variant_id = variant(price=2500, inventory_quantity=crowd)
    buyers: list[Buyer] = [buyer([(variant_id, 2)]) for _ in range(crowd)]
    for made in buyers:
        apply_discount(made, code="last1")
    methods = [card(CARD_OK) for _ in buyers]

    answers = at_once([lambda b=b, m=m: b.pay(m) for b, m in zip(buyers, methods, strict=True)])

    winners = [b for b, answer in zip(buyers, answers, strict=True) if answer.status_code == 200]
    [winner] = winners
    losers = [answer for answer in answers if answer.status_code != 200]
    assert len(losers) == crowd - 1
    allowed = {
        # told when its payment came to take the use (the others' quotes were computed before)
        ("discount_unavailable", "This code has been used as many times as allowed."),
        # told when its quote was computed after the winner took the use
        ("quote_changed", "Your order changed since the total was shown. The new total is €54.90."),
    }
    for answer in losers:
        assert answer.status_code == 409
        assert _refusal(answer) in allowed
        shown = answer.get_json()["checkout"]
        assert (shown["status"], shown["discount"], shown["total"]) == ("open", 0, 5490)
    # Told before any charge: Stripe only saw the winner's payment, for the discounted total.
    [intent] = stripe_api.v1.payment_intents.list({"limit": 100})
    assert (intent.amount, intent.metadata["checkout"]) == (4990, winner.token)
    assert offer_state(offer_id) == (1, [(winner.token, 1, "held", 500, None)])

    # Stripe tells several times at once: one order, one redemption.
    delivered = at_once([lambda: webhook(intent.id) for _ in range(4)])

    assert [response.status_code for response in delivered] == [200] * 4
    [order] = orders()
    assert (order.payment_intent_id, order.discount_code, order.discount_total) == (intent.id, "LAST1", 500)
    assert offer_state(offer_id) == (1, [(winner.token, 1, "redeemed", 500, order.id)])
    # A shopper who lost the race pays the full price with the total they were shown.
    loser = next(b for b in buyers if b is not winner)
    shown = loser.show().get_json()["checkout"]
    assert (shown["total"], shown["discount_problem"]) == (
        5490,
        "This code has been used as many times as allowed.",
    )
    assert loser.pay(card(CARD_OK), quote=shown["quote"]).get_json()["status"] == "processing"


@pytest.fixture
def same_shopper_checkouts(
    buyer, personal_offer, shop_code, apply_discount
) -> Callable[[int, str], tuple[int, list[Buyer]]]:
    """One shopper with several carts, each with the same discount applied and its checkout card shown:
    their personal offer (single use), or a shop code without a usage limit (once per shopper)."""

    def make(count: int, kind: str) -> tuple[int, list[Buyer]]:
        first = buyer()
        offer_id = personal_offer(first) if kind == "personal" else shop_code("ONCEEACH")
        named = {"offer_id": offer_id} if kind == "personal" else {"code": "onceeach"}
        apply_discount(first, **named)
        made = [first]
        for _ in range(count - 1):
            made.append(buyer(http=first.http))
            apply_discount(made[-1], **named)  # to the shopper's newest cart: this one
        assert {each.show().get_json()["checkout"]["discount"] for each in made} == {500}
        return offer_id, made

    return make


@pytest.mark.parametrize(
    ("kind", "reason"),
    [("personal", "This offer has already been used."), ("shop_code", "You have already used this code.")],
    ids=["personal_offer", "shop_code"],
)
def test_one_shopper_paying_from_several_checkouts_at_once_uses_the_discount_once(
    stripe_app, crowd, same_shopper_checkouts, card, at_once, stripe_api, webhook, orders, offer_state, kind,
    reason,
) -> None:  # fmt: skip
    offer_id, checkouts = same_shopper_checkouts(min(crowd, 10), kind)
    cookie = checkouts[0].http.get_cookie("shopper").value
    methods = [card(CARD_OK) for _ in checkouts]

    def pay(made: Buyer, method: str):
        http = stripe_app.test_client()  # one browser tab per checkout, one cookie
        http.set_cookie("shopper", cookie)
        return http.post(made.url("pay"), json={"payment_method": method, "quote": made.quote})

    answers = at_once([lambda b=b, m=m: pay(b, m) for b, m in zip(checkouts, methods, strict=True)])

    [winner] = [b for b, answer in zip(checkouts, answers, strict=True) if answer.status_code == 200]
    allowed = {
        ("discount_unavailable", reason),
        ("quote_changed", "Your order changed since the total was shown. The new total is €54.90."),
    }
    refused = [answer for answer in answers if answer.status_code != 200]
    assert len(refused) == len(checkouts) - 1
    assert {answer.status_code for answer in refused} == {409}
    assert {_refusal(answer) for answer in refused} <= allowed
    assert {answer.get_json()["checkout"]["discount_problem"] for answer in refused} == {reason}
    [intent] = stripe_api.v1.payment_intents.list({"limit": 100})
    assert (intent.amount, intent.metadata["checkout"]) == (4990, winner.token)
    assert offer_state(offer_id) == (1, [(winner.token, 1, "held", 500, None)])

    assert webhook(intent.id).status_code == 200

    [order] = orders()
    assert (order.offer_id, order.discount_total, order.total) == (offer_id, 500, 4990)
    assert offer_state(offer_id) == (1, [(winner.token, 1, "redeemed", 500, order.id)])


# --- A payment confirmed after its use was given back ------------------------------------------------------


@pytest.fixture
def charged_then_released(
    buyer, card, authenticate, stripe_app, intent_event, signed
) -> Callable[[Buyer], None]:
    """The buyer was charged after 3-D Secure, but their attempt was given up before the success was known
    (a stale `payment_failed` came first): its stock and its discount's use went back."""

    def release(made: Buyer) -> None:
        answer = made.pay(card(CARD_3DS)).get_json()
        assert answer["status"] == "requires_action"
        assert authenticate(answer["client_secret"])["status"] == "succeeded"
        event = intent_event(made.checkout().payment_intent_id, "payment_intent.payment_failed")
        event["data"]["object"].update(
            status="requires_payment_method",
            last_payment_error={"message": "The provided PaymentMethod has failed authentication."},
        )
        body, header = signed(event)
        response = stripe_app.test_client().post(
            "/payments/webhook", data=body, headers={"Stripe-Signature": header}
        )
        assert response.status_code == 200
        assert made.checkout().holds_active is False

    return release


def test_a_late_payment_whose_use_went_to_another_order_is_refunded(
    stripe_app, buyer, variant, stock, shop_code, apply_discount, card, charged_then_released, webhook,
    stripe_api, orders, offer_state,
) -> None:  # fmt: skip
    offer_id = shop_code("ONCE", usage_limit=1)
    variant_id = variant(price=2500, inventory_quantity=5)
    late = buyer([(variant_id, 2)])
    apply_discount(late, code="once")
    charged_then_released(late)
    assert offer_state(offer_id) == (0, [(late.token, 1, "released", 500, None)])
    quick = buyer([(variant_id, 1)])
    apply_discount(quick, code="ONCE")
    assert quick.pay(card(CARD_OK)).get_json()["status"] == "processing"
    assert webhook(quick.checkout().payment_intent_id).status_code == 200
    assert stock(variant_id) == 4

    response = webhook(late.checkout().payment_intent_id)

    assert response.status_code == 200
    [order] = orders()
    assert order.payment_intent_id == quick.checkout().payment_intent_id
    checkout = late.checkout()
    assert (checkout.status, checkout.holds_active, checkout.order_id) == ("cancelled", False, None)
    assert checkout.last_error == "the discount was already used before the payment arrived; refunded"
    [refund] = stripe_api.v1.refunds.list({"payment_intent": checkout.payment_intent_id})
    assert refund.amount == checkout.total == 4990
    [note] = late.messages("refunded_sold_out")
    assert note.text == (
        "Sorry, your discount was used by another order while your payment was being confirmed. "
        "Your payment of €49.90 has been refunded in full."
    )
    assert stock(variant_id) == 4  # the late payment's units were not taken again
    assert offer_state(offer_id) == (
        1,
        [(late.token, 1, "released", 500, None), (quick.token, 1, "redeemed", 250, order.id)],
    )
    assert webhook(checkout.payment_intent_id).status_code == 200  # told again: no second refund
    assert len(list(stripe_api.v1.refunds.list({"payment_intent": checkout.payment_intent_id}))) == 1


def test_a_late_payment_takes_the_use_again_when_one_is_left(
    stripe_app, buyer, variant, stock, personal_offer, apply_discount, charged_then_released, webhook,
    stripe_api, orders, offer_state,
) -> None:  # fmt: skip
    variant_id = variant(price=2500, inventory_quantity=5)
    late = buyer([(variant_id, 2)])
    offer_id = personal_offer(late)
    apply_discount(late, offer_id=offer_id)
    charged_then_released(late)
    with stripe_app.app_context():  # it expired meanwhile: the shopper was shown the price before
        db.session.get(Offer, offer_id).expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()

    assert webhook(late.checkout().payment_intent_id).status_code == 200

    [order] = orders()
    assert (order.payment_intent_id, order.total, order.discount_total) == (
        late.checkout().payment_intent_id,
        4990,
        500,
    )
    assert offer_state(offer_id) == (1, [(late.token, 1, "redeemed", 500, order.id)])
    assert stock(variant_id) == 3
    assert list(stripe_api.v1.refunds.list({"payment_intent": order.payment_intent_id})) == []
