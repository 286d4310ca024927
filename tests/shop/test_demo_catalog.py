"""The demo catalog `make run` loads: it imports cleanly and every page of it renders."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from extensions import db
from shop.commands import DEMO_CATALOG
from shop.importer import import_shopify_csv
from shop.models import Collection, Product


@pytest.fixture
def demo(app) -> list[str]:
    with app.app_context():
        result = import_shopify_csv(DEMO_CATALOG, currency="EUR")
        assert (result.errors, result.warnings) == ([], [])
        return list(db.session.scalars(sa.select(Product.handle).where(Product.status == "active")))


def test_every_demo_page_renders(app, client, demo) -> None:
    assert len(demo) == 30
    for handle in demo:
        page = client.get(f"/products/{handle}")
        assert page.status_code == 200, handle
        assert client.get(f"/products/{handle}.json").status_code == 200
    with app.app_context():
        collections = list(db.session.scalars(sa.select(Collection.handle)))
    assert sorted(collections) == ["chairs", "lighting", "planters", "plants", "tables", "tableware"]
    for handle in [*collections, "all"]:
        assert client.get(f"/collections/{handle}").status_code == 200
    home = client.get("/").get_data(as_text=True)
    assert home.count('class="card"') == 8


def test_product_with_several_images(client, demo) -> None:
    html = client.get("/products/round-teak-garden-table").get_data(as_text=True)
    assert html.count("/static/demo/round-teak-garden-table") == 3
    assert 'alt="Round Teak Garden Table, in the garden"' in html


def test_demo_drafts_are_hidden(client, demo) -> None:
    assert client.get("/products/marble-top-garden-table").status_code == 404
    assert "Marble" not in client.get("/search?q=marble").get_data(as_text=True)
