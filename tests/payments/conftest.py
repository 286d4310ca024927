"""Payment fixtures: a real localstripe process (fake Stripe), the app pointed at it, signed webhook events."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
import stripe
from flask import Flask
from flask.testing import FlaskClient

from extensions import db
from shop.models import Cart, CartLine, Customer

WEBHOOK_SECRET = "whsec_tests"
_BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def localstripe_url() -> Iterator[str]:
    """One localstripe process for the session (a separate process: it is GPL and never imported)."""
    port = _free_port()
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
    saved = {key: app.config.get(key) for key in ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY",
                                                  "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE", "STRIPE_JS_URL")}  # fmt: skip
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

    def sign(payload: dict, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> tuple[bytes, str]:
        body = json.dumps(payload).encode()
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
def cart_shopper(stripe_app: Flask, make_product) -> Callable[..., FlaskClient]:
    """A shopper (HTTP client with the identity cookie and a chat conversation) with items in the cart.

    lines: [(variant spec dict, quantity)]; returns the client. Variant specs are Variant columns.
    """

    def make(lines: list[tuple[dict, int]] | None = None, http: FlaskClient | None = None) -> FlaskClient:
        http = http or stripe_app.test_client()
        assert http.post("/chat/session").status_code == 200
        token = http.get_cookie("shopper").value
        from shop.customers import read_shopper_token

        with stripe_app.app_context():
            customer = db.session.scalar(db.select(Customer).filter_by(token=read_shopper_token(token)))
            cart = Cart(customer=customer)
            db.session.add(cart)
            for spec, quantity in lines or [({"price": 2500}, 2)]:
                product_id = make_product(variants=[spec])
                from shop.models import Variant

                variant = db.session.scalar(db.select(Variant).filter_by(product_id=product_id))
                cart.lines.append(CartLine(variant=variant, quantity=quantity))
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
