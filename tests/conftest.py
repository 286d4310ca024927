"""Test fixtures: the app on each database backend, a client, and factory fixtures for catalog data."""

from __future__ import annotations

import email
import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from config import TestConfig
from extensions import db
from shop.models import Product, ProductImage, Variant

#: Real Shopify exports: the workspace's shared/ folder beside the repository when there is one, else the
#: copy kept in tests/fixtures/shopify/ (a clone anywhere runs the import tests); SHOPIFY_FIXTURES overrides.
_SHARED_FIXTURES = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "shopify"
FIXTURES = Path(
    os.environ.get("SHOPIFY_FIXTURES")
    or (_SHARED_FIXTURES if _SHARED_FIXTURES.is_dir() else Path(__file__).parent / "fixtures" / "shopify")
)
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _postgres_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1)
    return None


def service_unavailable(message: str) -> None:
    """Fail in CI (REQUIRE_SERVICES=1), skip on a developer machine without the service."""
    if REQUIRE_SERVICES:
        pytest.fail(message)
    pytest.skip(message)


def _build_app(backend: str) -> Flask:
    config = type("BackendTestConfig", (TestConfig,), {})
    if backend == "postgresql":
        url = _postgres_url()
        if not url:
            service_unavailable("TEST_DATABASE_URL is not set: PostgreSQL tests cannot run")
        config.SQLALCHEMY_DATABASE_URI = url
    app = create_app(config)
    fresh_schema(app, backend)
    return app


def fresh_schema(app: Flask, label: str) -> None:
    """Drop and recreate every table of the app's database (fails in CI, skips locally, if unreachable)."""
    with app.app_context():
        try:
            db.drop_all()
            db.create_all()
        except sa.exc.OperationalError as exc:
            service_unavailable(f"database for {label} tests is unreachable: {exc}")


def empty_tables(app: Flask) -> None:
    """Delete every row, children first: each test starts from empty tables."""
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def _app(request: pytest.FixtureRequest) -> Iterator[Flask]:
    app = _build_app(request.param)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def app(_app: Flask) -> Iterator[Flask]:
    """The app on SQLite and on PostgreSQL, with empty tables for each test."""
    yield _app
    empty_tables(_app)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_product(app: Flask) -> Callable[..., int]:
    """Create a product with variants; returns its id. Variants are dicts of Variant columns."""

    counter = iter(range(1, 10_000))

    def make(
        title: str = "Terracotta Pot",
        handle: str | None = None,
        variants: list[dict] | None = None,
        **fields,
    ) -> int:
        n = next(counter)
        with app.app_context():
            product = Product(
                handle=handle or f"product-{n}",
                title=title,
                body_html=fields.pop("body_html", "<p>A fine product.</p>"),
                **fields,
            )
            for position, spec in enumerate(variants or [{"price": 1250}], start=1):
                product.variants.append(Variant(position=position, **{"inventory_quantity": 10, **spec}))
            product.images.append(ProductImage(src=f"https://cdn.example.invalid/{n}.jpg", position=1))
            product.refresh_search_text()
            db.session.add(product)
            db.session.commit()
            return product.id

    return make


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


#: The shop's public address in the email tests (links in emails are built against it).
MAIL_SHOP_URL = "https://shop.example.com"


@dataclass
class Mailbox:
    """The aiosmtpd handler: keeps every message it accepts."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd calls handle_<COMMAND>
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted"

    def start(self) -> Controller:
        controller = Controller(self, hostname="127.0.0.1", port=self.port)
        controller.start()
        return controller

    @staticmethod
    def text(message: EmailMessage) -> str:
        return message.get_body(("plain",)).get_content().replace("\r\n", "\n")

    @staticmethod
    def html(message: EmailMessage) -> str:
        return message.get_body(("html",)).get_content()


@pytest.fixture
def mailbox(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Mailbox:
    """The app sends mail to a local SMTP server (a real one, aiosmtpd), which is *not* started:
    `mail_server` starts it."""
    box = Mailbox(free_port())
    for key, value in {
        "MAIL_ENABLED": True,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": box.port,
        "MAIL_TIMEOUT": 5,
        "SHOP_URL": MAIL_SHOP_URL,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    return box


@pytest.fixture
def mail_server(mailbox: Mailbox) -> Iterator[Mailbox]:
    controller = mailbox.start()
    yield mailbox
    controller.stop()
