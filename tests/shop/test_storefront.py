"""Storefront pages through the test client, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from extensions import db
from shop.models import Collection, Product, Tag


@pytest.fixture
def catalog(app, make_product) -> dict[str, int]:
    """A small catalog: a table with sizes, a sale pot, a French product, a draft product."""
    ids = {
        "table": make_product(
            title="Round Teak Table",
            handle="round-teak-table",
            option1_name="Size",
            vendor="Teak & Co",
            body_html="<p>Solid teak, oiled. Dimensions: 80 cm diameter.</p>",
            variants=[
                {"option1": "80 cm", "price": 13900, "inventory_quantity": 3},
                {"option1": "100 cm", "price": 17900, "inventory_quantity": 0},
                {
                    "option1": "120 cm",
                    "price": 22900,
                    "inventory_quantity": 0,
                    "inventory_policy": "continue",
                },
            ],
        ),
        "pot": make_product(
            title="Terracotta Pot",
            handle="terracotta-pot",
            variants=[{"price": 1250, "compare_at_price": 1500}],
        ),
        "french": make_product(
            title="Pot en terre cuite émaillée",
            handle="pot-emaille",
            body_html="<p>Idéal pour l'extérieur.</p>",
            variants=[{"price": 2490}],
        ),
        "draft": make_product(title="Secret Prototype Chair", handle="secret-chair", status="draft"),
        "unpublished": make_product(title="Hidden Lamp", handle="hidden-lamp", published=False),
    }
    with app.app_context():
        tables = Collection(handle="tables", title="Tables")
        db.session.add(tables)
        tables.products.append(db.session.get(Product, ids["table"]))
        tables.products.append(db.session.get(Product, ids["draft"]))
        pot = db.session.get(Product, ids["pot"])
        pot.tags.append(Tag(name="Outdoor", slug="outdoor"))
        pot.refresh_search_text()
        db.session.add(tables)
        db.session.commit()
    return ids


def test_home_lists_products_and_collections(client, catalog) -> None:
    html = client.get("/").get_data(as_text=True)
    assert "Round Teak Table" in html
    assert 'href="/collections/tables"' in html
    assert "Secret Prototype Chair" not in html
    assert "Hidden Lamp" not in html


def test_collection_page_shows_only_visible_products(client, catalog) -> None:
    html = client.get("/collections/tables").get_data(as_text=True)
    assert "Round Teak Table" in html
    assert "Secret Prototype Chair" not in html
    assert "1 product" in html
    assert client.get("/collections/nope").status_code == 404


def test_collection_tag_filter_and_sort(client, catalog) -> None:
    html = client.get("/collections/all?tag=outdoor").get_data(as_text=True)
    assert "Terracotta Pot" in html
    assert "Round Teak Table" not in html
    html = client.get("/collections/all?sort=price-asc").get_data(as_text=True)
    assert html.index("Terracotta Pot") < html.index("Pot en terre cuite") < html.index("Round Teak Table")
    html = client.get("/collections/all?sort=price-desc").get_data(as_text=True)
    assert html.index("Round Teak Table") < html.index("Terracotta Pot")
    assert client.get("/collections/all?sort=<script>&page=abc").status_code == 200


def test_draft_and_unpublished_products_are_404(client, catalog) -> None:
    for handle in ("secret-chair", "hidden-lamp"):
        assert client.get(f"/products/{handle}").status_code == 404
        assert client.get(f"/products/{handle}.json").status_code == 404
    assert client.get("/products/does-not-exist").status_code == 404


@pytest.mark.parametrize(
    ("query", "found", "not_found"),
    [
        ("teak", ["Round Teak Table"], ["Terracotta Pot"]),
        ("TERRE CUITE", ["Pot en terre cuite"], ["Round Teak Table"]),
        ("emaillee", ["Pot en terre cuite"], []),  # no accents in the query, accents in the product
        ("exterieur", ["Pot en terre cuite"], []),  # found in the description
        ("outdoor", ["Terracotta Pot"], []),  # a tag
        ("teak & co", ["Round Teak Table"], []),  # the vendor
        ("80 cm", ["Round Teak Table"], []),  # an option value
        ("prototype", [], ["Secret Prototype Chair"]),  # drafts never show
    ],
)
def test_search(client, catalog, query, found, not_found) -> None:
    html = client.get("/search", query_string={"q": query}).get_data(as_text=True)
    for title in found:
        assert title in html
    for title in not_found:
        assert title not in html


def test_search_ranks_title_matches_first(client, catalog, make_product) -> None:
    make_product(title="Garden Bench", handle="bench", body_html="<p>Goes with any teak table.</p>")
    html = client.get("/search?q=teak").get_data(as_text=True)
    assert "2 products found" in html
    assert html.index("Round Teak Table") < html.index("Garden Bench")


@pytest.mark.parametrize(
    "query",
    ["x" * 10_000, "' OR 1=1; DROP TABLE product; --", "<script>alert(1)</script>", "%", "_", "\\", "   "],
)
def test_hostile_search_queries_are_harmless(client, catalog, query) -> None:
    response = client.get("/search", query_string={"q": query})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert client.get("/products/round-teak-table").status_code == 200  # nothing was dropped


def test_product_page(client, catalog) -> None:
    html = client.get("/products/round-teak-table").get_data(as_text=True)
    assert "<h1>Round Teak Table</h1>" in html
    assert "€139.00" in html
    for size in ("80 cm", "100 cm", "120 cm"):
        assert f'value="{size}"' in html
    assert "Only 3 left" in html
    assert "Dimensions: 80 cm diameter." in html
    html = client.get("/products/terracotta-pot").get_data(as_text=True)
    assert "€12.50" in html
    assert "€15.00" in html


def test_product_stock_states(client, catalog, app) -> None:
    with app.app_context():
        product = db.session.get(Product, catalog["table"])
        sold_out, backorder = product.variants[1].id, product.variants[2].id
    assert "Sold out" in client.get(f"/products/round-teak-table?variant={sold_out}").get_data(as_text=True)
    html = client.get(f"/products/round-teak-table?variant={backorder}").get_data(as_text=True)
    assert "Available on backorder" in html


def test_product_json(client, catalog) -> None:
    data = client.get("/products/round-teak-table.json").get_json()["product"]
    assert data["handle"] == "round-teak-table"
    assert data["options"] == [{"name": "Size", "position": 1}]
    assert [(v["title"], v["price"], v["available"]) for v in data["variants"]] == [
        ("80 cm", 13900, True),
        ("100 cm", 17900, False),
        ("120 cm", 22900, True),
    ]
    assert all(isinstance(v["id"], int) for v in data["variants"])


def test_placeholder_for_products_without_images(client, app, make_product) -> None:
    pid = make_product(title="Bare", handle="bare")
    with app.app_context():
        product = db.session.get(Product, pid)
        product.images.clear()
        db.session.commit()
    assert "/static/img/placeholder.svg" in client.get("/products/bare").get_data(as_text=True)


def test_remote_images_can_fall_back(client, catalog) -> None:
    html = client.get("/products/terracotta-pot").get_data(as_text=True)
    assert "data-fallback" in html  # static/js/images.js swaps in the placeholder when the CDN fails
    assert "/static/js/images.js" in html


def test_french_interface(client, catalog) -> None:
    html = client.get("/cart", headers={"Accept-Language": "fr-FR,fr;q=0.9"}).get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "Votre panier" in html


def test_language_switcher_remembers_choice(client, catalog) -> None:
    response = client.get("/locale/fr?next=/cart")
    assert response.status_code == 302
    assert response.headers["Location"] == "/cart"
    assert "Votre panier" in client.get("/cart", headers={"Accept-Language": "en"}).get_data(as_text=True)
    # an open redirect is refused
    assert client.get("/locale/en?next=https://evil.example/").headers["Location"] == "/"
    assert client.get("/locale/en?next=//evil.example/").headers["Location"] == "/"


def test_security_headers(client, catalog) -> None:
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "<script>" not in response.get_data(as_text=True)  # no inline scripts anywhere


def test_errors_are_pages_not_tracebacks(client) -> None:
    response = client.get("/products/nope")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)
    assert client.get("/products/nope.json").get_json()["error"] == "Page not found"
    assert client.post("/cart").status_code == 405
