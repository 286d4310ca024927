"""Fixtures for the bot: catalogs loaded as a shop owner would (demo or a real Shopify export)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from bot.search import reset_index
from shop.commands import DEMO_CATALOG
from shop.importer import import_shopify_csv
from tests.conftest import FIXTURES, empty_tables

#: Catalog name (as in utterances.jsonl) -> (file, currency of its prices).
CATALOGS: dict[str, tuple[Path, str]] = {
    "demo": (DEMO_CATALOG, "EUR"),
    "outdoor": (FIXTURES / "great-outdoor-furniture.csv", "INR"),
    "paris": (FIXTURES / "paris-pousse-plants-fr.csv", "EUR"),
}

LoadCatalog = Callable[[str], None]


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
