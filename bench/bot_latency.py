"""Bot reply time (server side, no network) on a large catalog, against a bare baseline in the same run.

    .venv/bin/python bench/bot_latency.py [--products 10000] [--rounds 20] [--database-url URL]

Generates the storefront bench's catalog (bench/storefront.py) in a temporary SQLite database (or the given
one, whose tables are dropped and recreated), builds the bot's index once, outside the timing (as a server
process does on its first message; it is then patched on changes, never rebuilt per message), then times
`bot.reply.respond` (understanding, search, recommendations, FAQ) over a mix of shopper messages in English
and French with typos: fixed ones plus, each round, new searches combining the catalog's common words (the
slow kind: each such word is on ~20% of the products). The first round starts with the index's caches
empty and is also reported on its own. The baseline is the bare keyword match: a dict lookup of each
message's words. Then one product is edited through the ORM and the index patch is timed.
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

from bench.storefront import NOUNS, WORDS, catalog_app
from bot.reply import BotContext, respond
from bot.search import get_index, reset_index
from extensions import db
from shop.models import Product
from shop.text import words

#: (message, product on screen?) - a realistic mix: mostly searches, then questions about a product.
MESSAGES = [
    ("hi", False),
    ("a round table under 150", False),
    ("I'm looking for a blue teak chair", False),
    ("je cherche une lanterne solaire entre 20 et 40 euros", False),
    ("pot en terre cuite pour l'exterieur", False),
    ("chaise pliante verte moins de 50 €", False),
    ("rattan lantren", False),
    ("do you have large ceramic mugs", False),
    ("coussin gris", False),
    ("something green under 30", False),
    ("outdoor furniture", False),
    ("how much is it?", True),
    ("what sizes does it come in", True),
    ("is it in stock", True),
    ("show me similar ones", True),
    ("what goes with this?", True),
    ("add the medium one", True),
    ("c'est trop cher", True),
    ("where is my ordr", False),
    ("quels sont les frais de port", False),
    ("talk to a human", False),
    ("tell me a joke", False),
]
#: Searches made up each round from the catalog's words: "{word} {word} {noun} {price}".
GENERATED_PER_ROUND = 6
PRICES = ["", "under 80", "moins de 200 €", "between 20 and 60", "entre 100 et 300 euros", "around 50"]


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, int(len(ordered) * fraction) - 1)]


def round_messages(rng: random.Random) -> list[tuple[str, bool]]:
    made = [
        (f"{' '.join(rng.sample(WORDS, 2))} {rng.choice(list(NOUNS.values()))} {rng.choice(PRICES)}", False)
        for _ in range(GENERATED_PER_ROUND)
    ]
    return [*MESSAGES, *made]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        app = catalog_app(url, args.products)
        with app.app_context():
            reset_index()
            started = time.perf_counter()
            index = get_index()
            built = time.perf_counter() - started
            print(f"bot index built once, not timed below: {built:.2f}s ({len(index)} products)")
            product_id = index.by_handle["product-42"].id
            keywords = dict.fromkeys(("hi", "order", "cart", "shipping", "table", "chair"), True)
            rng = random.Random(11)
            baseline, samples, first_round = [], [], []
            for n in range(args.rounds):
                for text, on_product in round_messages(rng):
                    start = time.perf_counter()
                    any(keywords.get(w) for w in words(text))
                    baseline.append((time.perf_counter() - start) * 1000)
                    start = time.perf_counter()
                    respond(text, BotContext(product_id=product_id if on_product else None))
                    samples.append((time.perf_counter() - start) * 1000)
                    if n == 0:
                        first_round.append(samples[-1])
                    db.session.rollback()  # as after each chat event: no session state carried over
            product = db.session.get(Product, product_id)
            product.title = "Sage Linen Lantern 42"
            db.session.commit()
            started = time.perf_counter()
            patched = get_index()
            patch_ms = (time.perf_counter() - started) * 1000
            assert patched is index, "the index was rebuilt"
            assert index.docs[product_id].title == "Sage Linen Lantern 42"
        bare = statistics.median(baseline)
        p50, p95 = statistics.median(samples), percentile(samples, 0.95)
        print(f"bare keyword match: p50 {bare:.4f} ms")
        worst = max(samples)
        print(f"bot reply ({len(samples)} messages): p50 {p50:.2f} ms, p95 {p95:.2f} ms, max {worst:.2f} ms")
        print("target: p95 < 25 ms")
        cold50, cold95 = statistics.median(first_round), percentile(first_round, 0.95)
        print(
            f"first round, caches empty ({len(first_round)} msgs): p50 {cold50:.2f} ms, p95 {cold95:.2f} ms"
        )
        print(f"ratio p50 / bare: {p50 / bare:.0f}x, p95 / bare: {p95 / bare:.0f}x")
        print(f"one product edited through the ORM: index patched in {patch_ms:.1f} ms (no rebuild)")


if __name__ == "__main__":
    main()
