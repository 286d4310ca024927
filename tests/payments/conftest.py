"""Payment fixtures: a real localstripe process (fake Stripe), the app pointed at it, signed webhook events,
shoppers with a checkout, sellers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
import stripe
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app import create_app
from chat.models import Message, Seller
from config import TestConfig
from extensions import db
from payments.models import Checkout
from shop.customers import read_shopper_token
from shop.models import Cart, CartLine, Customer, Order, Variant
from tests.conftest import _postgres_url, free_port, fresh_schema, service_unavailable

WEBHOOK_SECRET = "whsec_tests"
_BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def localstripe_url() -> Iterator[str]:
    """One localstripe process for the session (a separate process: it is GPL and never imported)."""
    port = free_port()
    process = subprocess.Popen(
        [str(_BIN / "localstripe"), "--port", str(port), "--from-scratch"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            requests.get(f"{url}/js.stripe.com/v3/", timeout=1).raise_for_status()
            break
        except requests.RequestException:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                pytest.fail("localstripe did not start")
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(10)


@pytest.fixture
def stripe_app(app: Flask, localstripe_url: str) -> Iterator[Flask]:
    """The app (SQLite and PostgreSQL) talking to localstripe, with localstripe's data emptied."""
    requests.delete(f"{localstripe_url}/_config/data", timeout=10)
    keys = (
        "STRIPE_SECRET_KEY",
        "STRIPE_PUBLISHABLE_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "STRIPE_API_BASE",
        "STRIPE_JS_URL",
    )
    saved = {key: app.config.get(key) for key in keys}
    app.config.update(
        STRIPE_SECRET_KEY="sk_test_tests",
        STRIPE_PUBLISHABLE_KEY="pk_test_tests",
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_API_BASE=localstripe_url,
        STRIPE_JS_URL=f"{localstripe_url}/js.stripe.com/v3/",
    )
    app.extensions.pop("stripe_clients", None)
    yield app
    app.config.update(saved)
    app.extensions.pop("stripe_clients", None)


@pytest.fixture
def stripe_api(localstripe_url: str) -> stripe.StripeClient:
    """A Stripe client for what the browser would do (collect a card) and for checking Stripe's side."""
    return stripe.StripeClient("sk_test_tests", base_addresses={"api": localstripe_url})


@pytest.fixture
def card(stripe_api: stripe.StripeClient) -> Callable[[str], str]:
    """A payment method for a test card number, as the card element + confirmCardSetup would give."""

    def make(number: str = "4242424242424242") -> str:
        method = stripe_api.v1.payment_methods.create(
            {"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
        )
        return method.id

    return make


@pytest.fixture
def signed() -> Callable[..., tuple[bytes, str]]:
    """A webhook body and its Stripe-Signature header, signed like Stripe does (t=...,v1=HMAC)."""

    def sign(
        payload: dict | bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None
    ) -> tuple[bytes, str]:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        ts = int(time.time()) if timestamp is None else timestamp
        signature = stripe.WebhookSignature._compute_signature(f"{ts}.{body.decode()}", secret)
        return body, f"t={ts},v1={signature}"

    return sign


@pytest.fixture
def intent_event(stripe_api: stripe.StripeClient) -> Callable[..., dict]:
    """The event Stripe sends about a payment intent, built from the intent's real state."""
    counter = iter(range(1, 1_000_000))

    def make(intent_id: str, type_: str = "payment_intent.succeeded", event_id: str | None = None) -> dict:
        intent = stripe_api.v1.payment_intents.retrieve(intent_id).to_dict()
        return {
            "id": event_id or f"evt_test_{intent_id}_{next(counter)}",
            "object": "event",
            "type": type_,
            "created": int(time.time()),
            "livemode": False,
            "data": {"object": intent},
        }

    return make


@pytest.fixture
def variant(stripe_app: Flask, make_product) -> Callable[..., int]:
    """A product with one variant (Variant columns, priced 25.00 and 10 in stock unless given); its id."""

    def make(**spec) -> int:
        product_id = make_product(variants=[{"price": 2500, **spec}])
        with stripe_app.app_context():
            return db.session.scalar(sa.select(Variant.id).filter_by(product_id=product_id))

    return make


@pytest.fixture
def cart_shopper(stripe_app: Flask, variant) -> Callable[..., FlaskClient]:
    """A shopper (HTTP client with the identity cookie and a chat conversation) with items in the cart.

    lines: [(variant spec dict or existing variant id, quantity)]; returns the client. Given an existing
    client, the same shopper gets a new cart.
    """

    def make(
        lines: list[tuple[dict | int, int]] | None = None, http: FlaskClient | None = None
    ) -> FlaskClient:
        http = http or stripe_app.test_client()
        assert http.post("/chat/session").status_code == 200
        variant_ids = [
            (spec if isinstance(spec, int) else variant(**spec), quantity)
            for spec, quantity in lines or [({"price": 2500}, 2)]
        ]
        with stripe_app.app_context():
            token = read_shopper_token(http.get_cookie("shopper").value)
            customer = db.session.scalar(db.select(Customer).filter_by(token=token))
            cart = Cart(customer=customer)
            db.session.add(cart)
            for variant_id, quantity in variant_ids:
                cart.lines.append(CartLine(variant_id=variant_id, quantity=quantity))
            db.session.commit()
        return http

    return make


DETAILS = {
    "email": "ana@example.com",
    "name": "Ana Silva",
    "address1": "12 rue des Lilas",
    "address2": "",
    "city": "Lyon",
    "postal_code": "69001",
    "country": "FR",
}

CARD_OK = "4242424242424242"
#: Declined when charged (402 card_declined), in localstripe as in Stripe.
CARD_DECLINED = "4000000000000341"
#: Asks for 3-D Secure: the intent comes back requires_action.
CARD_3DS = "4000002500003155"


@dataclass
class Buyer:
    """A shopper whose checkout card is in the chat: the widget's HTTP calls, and what the database holds."""

    app: Flask
    http: FlaskClient
    token: str
    #: The quote of the total last shown to the shopper (what /pay echoes).
    quote: str

    def url(self, action: str = "") -> str:
        return f"/payments/checkout/{self.token}" + (f"/{action}" if action else "")

    def show(self) -> TestResponse:
        return self.http.get(self.url())

    def details(self, **changes: str) -> TestResponse:
        response = self.http.post(self.url("details"), json={**DETAILS, **changes})
        if response.status_code == 200:
            self.quote = response.get_json()["checkout"]["quote"]
        return response

    def pay(self, payment_method: str, quote: str | None = None) -> TestResponse:
        return self.http.post(
            self.url("pay"),
            json={"payment_method": payment_method, "quote": self.quote if quote is None else quote},
        )

    def sync(self) -> TestResponse:
        return self.http.post(self.url("sync"), json={})

    def checkout(self) -> Checkout:
        with self.app.app_context():
            row = db.session.scalar(sa.select(Checkout).filter_by(token=self.token))
            db.session.expunge(row)
            return row

    def messages(self, event: str | None = None) -> list[Message]:
        """The messages of the checkout's conversation, oldest first; only those of an event if given
        (`confirmed`, `refunded`, `status` order cards; `payment_failed`... system notes)."""
        with self.app.app_context():
            conversation_id = db.session.scalar(
                sa.select(Checkout.conversation_id).filter_by(token=self.token)
            )
            rows = list(db.session.scalars(sa.select(Message).filter_by(conversation_id=conversation_id)
                                           .order_by(Message.seq)))  # fmt: skip
            db.session.expunge_all()
            return [row for row in rows if event is None or row.data.get("event") == event]


@pytest.fixture
def buyer(stripe_app: Flask, cart_shopper) -> Callable[..., Buyer]:
    """A shopper with a cart who pressed Checkout and (unless details=None) filled in their details."""

    def make(
        lines: list[tuple[dict | int, int]] | None = None,
        details: dict[str, str] | None = DETAILS,
        http: FlaskClient | None = None,
    ) -> Buyer:
        http = cart_shopper(lines, http)
        started = http.post("/payments/checkout", json={})
        assert started.status_code == 200, started.get_json()
        checkout = started.get_json()["checkout"]
        made = Buyer(stripe_app, http, checkout["token"], checkout["quote"])
        if details is not None:
            answer = made.details(**details)
            assert answer.status_code == 200, answer.get_json()
        return made

    return make


@pytest.fixture
def webhook(stripe_app: Flask, intent_event, signed) -> Callable[..., TestResponse]:
    """Stripe delivering the event about an intent's current state (a new event id unless given)."""

    def deliver(
        intent_id: str, type_: str = "payment_intent.succeeded", event_id: str | None = None
    ) -> TestResponse:
        body, header = signed(intent_event(intent_id, type_, event_id))
        return stripe_app.test_client().post(
            "/payments/webhook", data=body, headers={"Stripe-Signature": header}
        )

    return deliver


@pytest.fixture
def authenticate(localstripe_url: str) -> Callable[..., dict]:
    """The bank's 3-D Secure window, completed or failed, as localstripe's Stripe.js does it."""

    def answer(client_secret: str, success: bool = True) -> dict:
        intent_id = client_secret.split("_secret_")[0]
        response = requests.post(
            f"{localstripe_url}/v1/payment_intents/{intent_id}/_authenticate",
            params={"success": "true" if success else "false"},
            json={"key": "pk_test_tests", "client_secret": client_secret},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()

    return answer


@pytest.fixture
def stock(stripe_app: Flask) -> Callable[[int], int]:
    """A variant's inventory quantity as the database has it now."""

    def read(variant_id: int) -> int:
        with stripe_app.app_context():
            return db.session.scalar(sa.select(Variant.inventory_quantity).filter_by(id=variant_id))

    return read


@pytest.fixture
def orders(stripe_app: Flask) -> Callable[[], list[Order]]:
    """Every order in the database, oldest first."""

    def read() -> list[Order]:
        with stripe_app.app_context():
            rows = list(db.session.scalars(sa.select(Order).order_by(Order.id)))
            db.session.expunge_all()
            return rows

    return read


@pytest.fixture
def make_seller(stripe_app: Flask) -> Callable[..., FlaskClient]:
    """A signed-in seller (role seller or manager): an HTTP client with the session. Its id: `.seller_id`."""
    counter = iter(range(1, 1000))

    def make(role: str = "seller") -> FlaskClient:
        email = f"{role}{next(counter)}@example.com"
        with stripe_app.app_context():
            seller = Seller(email=email, name=email.split("@")[0].title(), role=role)
            seller.set_password("pa55word!")
            db.session.add(seller)
            db.session.commit()
            seller_id = seller.id
        http = stripe_app.test_client()
        response = http.post("/seller", data={"email": email, "password": "pa55word!"})
        assert response.status_code == 302, response.get_data(as_text=True)
        http.seller_id = seller_id  # type: ignore[attr-defined]
        return http

    return make


@pytest.fixture
def paid_order(buyer, card, webhook) -> Callable[..., PaidOrder]:
    """An order paid through the checkout and confirmed by the webhook."""

    def make(lines: list[tuple[dict | int, int]] | None = None, made: Buyer | None = None) -> PaidOrder:
        made = made or buyer(lines)
        paid = made.pay(card(CARD_OK))
        assert paid.status_code == 200, paid.get_json()
        checkout = made.checkout()
        assert webhook(checkout.payment_intent_id).status_code == 200
        checkout = made.checkout()
        assert checkout.status == "paid"
        return PaidOrder(made, checkout.order_id, checkout.payment_intent_id, checkout.total)

    return make


@dataclass
class PaidOrder:
    buyer: Buyer
    id: int
    intent_id: str
    total: int


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def threaded_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app on a SQLite *file* (in-memory SQLite gives every thread the same connection) or on
    PostgreSQL, with a connection for every shopper's thread: modules that race real threads use it as
    their `_app`."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('threads') / 'threads.db'}"
    else:
        url = _postgres_url()
        if not url:
            service_unavailable("TEST_DATABASE_URL is not set: PostgreSQL tests cannot run")
    options = {"pool_pre_ping": True, "pool_size": 20, "max_overflow": 0, "pool_timeout": 60}
    config = type(
        "ThreadedTestConfig",
        (TestConfig,),
        {"SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": options},
    )
    app = create_app(config)
    fresh_schema(app, request.param)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def at_once() -> Callable[..., list]:
    """Run each call in its own thread, all released together; their results in the calls' order."""

    def run(calls: list[Callable[[], object]]) -> list:
        barrier = threading.Barrier(len(calls))
        results: list = [None] * len(calls)
        errors: list[BaseException] = []

        def worker(index: int, call: Callable[[], object]) -> None:
            barrier.wait()
            try:
                results[index] = call()
            except BaseException as error:  # reported by the test, not lost in the thread
                errors.append(error)

        threads = [threading.Thread(target=worker, args=item) for item in enumerate(calls)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert not errors, errors
        return results

    return run
