"""The bot's quality on a labelled set of shopper messages (tests/bot/utterances.jsonl).

Each line: the catalog it is asked over (the demo or a real Shopify export), the message, the intent a
person would read in it, optionally the product on screen, and for searches the products that must be in
the first three results. Prints intent accuracy and top-3 hit rate; fails below 95% and 90%.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from flask import Flask

from bot.reply import BotContext, respond
from bot.search import get_index
from tests.bot.conftest import LoadCatalog

UTTERANCES = [
    json.loads(line)
    for line in (Path(__file__).parent / "utterances.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]
MIN_INTENT_ACCURACY = 0.95
MIN_TOP3_HIT_RATE = 0.90


def test_labelled_set_is_large_and_bilingual() -> None:
    assert len(UTTERANCES) >= 150
    assert {u["catalog"] for u in UTTERANCES} == {"demo", "outdoor", "paris"}
    assert sum("top3" in u for u in UTTERANCES) >= 60


def test_intent_accuracy_and_top3_hit_rate(app: Flask, load_catalog: LoadCatalog) -> None:
    by_catalog: dict[str, list[dict]] = defaultdict(list)
    for utterance in UTTERANCES:
        by_catalog[utterance["catalog"]].append(utterance)
    intents = hits = searches = 0
    failures = []
    for catalog, utterances in by_catalog.items():
        load_catalog(catalog)
        with app.app_context():
            index = get_index()
            for u in utterances:
                product = index.by_handle[u["product"]].id if "product" in u else None
                reply = respond(u["text"], BotContext(product_id=product))
                if reply.intent == u["intent"]:
                    intents += 1
                else:
                    failures.append(f"{catalog}: {u['text']!r} -> {reply.intent}, expected {u['intent']}")
                if "top3" in u:
                    searches += 1
                    top3 = [card.handle for card in reply.products[:3]]
                    if set(u["top3"]) & set(top3):
                        hits += 1
                    else:
                        failures.append(f"{catalog}: {u['text']!r} top 3 {top3}, expected one of {u['top3']}")
    accuracy, hit_rate = intents / len(UTTERANCES), hits / searches
    print(
        f"\nbot quality: intent accuracy {accuracy:.1%} ({intents}/{len(UTTERANCES)}), "
        f"top-3 hit rate {hit_rate:.1%} ({hits}/{searches})"
    )
    print("\n".join(failures))
    assert accuracy >= MIN_INTENT_ACCURACY, failures
    assert hit_rate >= MIN_TOP3_HIT_RATE, failures
