"""Test fixtures: the app on each database backend, a client, and factory fixtures for catalog data."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from config import TestConfig
from extensions import db
from shop.models import Product, ProductImage, Variant

#: Real Shopify exports, kept in the workspace's shared/ folder beside the repository (override with
#: SHOPIFY_FIXTURES when the repository is checked out elsewhere).
_WORKSPACE = Path(__file__).resolve().parents[2]
FIXTURES = Path(os.environ.get("SHOPIFY_FIXTURES") or _WORKSPACE / "shared" / "fixtures" / "shopify")
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
