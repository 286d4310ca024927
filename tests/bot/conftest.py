"""Fixtures for the bot: catalogs loaded as a shop owner would (demo or a real Shopify export)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from bot.search import CatalogIndex, get_index, reset_index
from bot.understand import understand
from extensions import db
from shop.commands import DEMO_CATALOG
from shop.importer import import_shopify_csv
from shop.models import Product, Tag
from shop.text import slugify
from tests.conftest import FIXTURES, empty_tables

#: Catalog name (as in utterances.jsonl) -> (file, currency of its prices).
CATALOGS: dict[str, tuple[Path, str]] = {
    "demo": (DEMO_CATALOG, "EUR"),
    "outdoor": (FIXTURES / "great-outdoor-furniture.csv", "INR"),
    "paris": (FIXTURES / "paris-pousse-plants-fr.csv", "EUR"),
}

LoadCatalog = Callable[[str], None]


@pytest.fixture(autouse=True)
def bot_on_by_default(_app: Flask) -> Iterator[None]:
    """The bot as a shop has it out of the box: on (TestConfig turns it off for the chat tests)."""
    _app.config["BOT_ENABLED"] = True
    yield
    _app.config["BOT_ENABLED"] = False


@pytest.fixture
def load_catalog(app: Flask) -> LoadCatalog:
    """Replace the shop's data with one catalog (the bot's index is rebuilt on next use)."""

    def load(name: str) -> None:
        path, currency = CATALOGS[name]
        empty_tables(app)
        with app.app_context():
            import_shopify_csv(path, currency=currency)
            reset_index()

    return load


@pytest.fixture
def bot_index(app: Flask) -> Callable[[], CatalogIndex]:
    """The bot's index of the test's tables, got as the chat gets it. Each test's tables are emptied
    with bulk SQL, which the ORM events do not see: the index starts afresh for each test."""
    with app.app_context():
        reset_index()

    def get() -> CatalogIndex:
        with app.app_context():
            return get_index()

    return get


@pytest.fixture
def add_tags(app: Flask) -> Callable[..., None]:
    """Tag a product (tags are created on first use)."""

    def add(product_id: int, *names: str) -> None:
        with app.app_context():
            product = db.session.get(Product, product_id)
            for name in names:
                tag = db.session.scalar(sa.select(Tag).filter_by(slug=slugify(name)))
                product.tags.append(tag or Tag(name=name, slug=slugify(name)))
            db.session.commit()

    return add


def find(app: Flask, text: str, limit: int = 6, **context: object) -> list[str]:
    """Handles of the bot's search results for a message, best first."""
    with app.app_context():
        index = get_index()
        slots = understand(text, index.vocabulary).slots
        return [hit.doc.handle for hit in index.search(slots, limit, **context)]
