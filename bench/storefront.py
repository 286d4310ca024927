"""Storefront latency on a large catalog, against a bare Flask baseline measured in the same run.

    .venv/bin/python bench/storefront.py [--products 10000] [--requests 200] [--database-url URL]

Generates a catalog (products with 3 variants, tags, a type collection) in a temporary SQLite database (or
the given one, whose tables are dropped and recreated), then times, through the WSGI test client (no
network): the home page, a collection page, a product page, search queries, and /cart.json. The baseline
is a bare Flask app answering a constant string: each ratio says how many bare requests one page costs.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask import Flask

from app import create_app
from config import TestConfig
from extensions import db
from shop.models import Collection, Product, ProductImage, Tag, Variant

WORDS = (
    "round square teak oak metal rattan wicker terracotta ceramic linen cotton glass stone outdoor garden "
    "balcony patio dining folding stacking blue green red white black grey sage navy cream small large"
).split()
TYPES = ["Tables", "Chairs", "Planters", "Plants", "Lighting", "Tableware", "Cushions", "Rugs"]
NOUNS = {"Tables": "table", "Chairs": "chair", "Planters": "pot", "Plants": "tree", "Lighting": "lantern",
         "Tableware": "mug", "Cushions": "cushion", "Rugs": "rug"}  # fmt: skip


def generate(count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    collections = {t: Collection(handle=t.lower(), title=t) for t in TYPES}
    tags = {w: Tag(name=w, slug=w) for w in WORDS}
    db.session.add_all([*collections.values(), *tags.values()])
    for n in range(count):
        product_type = rng.choice(TYPES)
        adjectives = rng.sample(WORDS, 3)
        title = f"{' '.join(a.title() for a in adjectives)} {NOUNS[product_type].title()} {n}"
        product = Product(
            handle=f"product-{n}",
            title=title,
            body_html=f"<p>A {' '.join(rng.sample(WORDS, 8))} {NOUNS[product_type]} for the garden.</p>",
            vendor=rng.choice(["Jardin & Bois", "Terre & Feuille", "Atelier Lumen"]),
            product_type=product_type,
            option1_name="Size",
        )
        db.session.add(product)
        product.collections = [collections[product_type]]
        product.tags = [tags[w] for w in adjectives]
        base = rng.randrange(500, 90_000)
        product.variants = [
            Variant(option1=size, price=base + i * 1000, inventory_quantity=rng.randrange(0, 30), position=i)
            for i, size in enumerate(["S", "M", "L"], start=1)
        ]
        product.images = [ProductImage(src=f"https://cdn.example.invalid/{n}.jpg", position=1)]
        product.refresh_search_text()
        if n % 1000 == 999:
            db.session.commit()
    db.session.commit()


def timed(client, url: str, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return samples


def catalog_app(url: str, products: int) -> Flask:
    """The shop (test configuration) on the database at `url`, emptied and filled with a generated catalog."""
    app = create_app(type("BenchConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": url}))
    with app.app_context():
        db.drop_all()
        db.create_all()
        started = time.perf_counter()
        generate(products)
        elapsed = time.perf_counter() - started
        print(f"generated {products} products in {elapsed:.1f}s on {url.split(':')[0]}")
    return app


def bare_app() -> Flask:
    app = Flask("bare")
    app.add_url_rule("/", "index", lambda: "ok")
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        app = catalog_app(url, args.products)
        client = app.test_client()
        client.post("/products/product-1/add", data={"quantity": "1", "option1": "S"})
        baseline = statistics.median(timed(bare_app().test_client(), "/", args.requests * 5))
        pages = {
            "home": "/",
            "collection": "/collections/tables?sort=price-asc",
            "product": "/products/product-42",
            "search 1 word": "/search?q=teak",
            "search 3 words": "/search?q=round+blue+table",
            "search no hit": "/search?q=zzzz",
            "cart.json": "/cart.json",
        }
        print(f"bare Flask baseline: p50 {baseline:.3f} ms")
        print(f"{'page':<16}{'p50 ms':>9}{'p95 ms':>9}{'p50 / bare':>12}")
        for name, page_url in pages.items():
            samples = sorted(timed(client, page_url, args.requests))
            p50, p95 = statistics.median(samples), samples[int(len(samples) * 0.95) - 1]
            print(f"{name:<16}{p50:>9.2f}{p95:>9.2f}{p50 / baseline:>11.0f}x")
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
