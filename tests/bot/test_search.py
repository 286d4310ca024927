"""The bot's catalog search (filters, words, typos, accents) and its index kept current through the ORM."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

import bot.search
from bot.reply import BotContext, respond
from bot.search import CatalogIndex
from extensions import db
from shop.models import Product, Variant
from tests.bot.conftest import find

pytestmark = pytest.mark.usefixtures("bot_index")


@pytest.fixture
def shop(make_product, add_tags) -> dict[str, int]:
    """A small garden shop."""
    ids = {
        "teak-table": make_product(
            "Round Teak Table",
            handle="teak-table",
            product_type="Tables",
            option1_name="Size",
            variants=[{"option1": "80 cm", "price": 3000}, {"option1": "120 cm", "price": 12000}],
        ),
        "oak-table": make_product("Oak Dining Table", handle="oak-table", product_type="Tables",
                                  variants=[{"price": 8000}]),
        "folding-chair": make_product("Folding Chair", handle="folding-chair", product_type="Chairs",
                                      variants=[{"price": 4500}]),
        "blue-pot": make_product(
            "Glazed Pot",
            handle="blue-pot",
            product_type="Pots",
            option1_name="Colour",
            variants=[{"option1": "Blue", "price": 2500}, {"option1": "White", "price": 2500}],
        ),
        "green-pot": make_product("Sage Green Pot", handle="green-pot", product_type="Pots",
                                  variants=[{"price": 2000}]),
        "jardiniere": make_product("Jardinière Émaillée", handle="jardiniere", product_type="Pots",
                                   variants=[{"price": 3500}]),
        "lantern": make_product("Solar Lantern", handle="lantern", product_type="Lighting",
                                body_html="<p>A lantern in warm red glass.</p>", variants=[{"price": 1900}]),
        "cushion": make_product(
            "Linen Cushion",
            handle="cushion",
            product_type="Cushions",
            option1_name="Size",
            variants=[{"option1": "Small", "price": 1500}, {"option1": "Medium", "price": 1900}],
        ),
        "plain-pot": make_product("Small Pot", handle="plain-pot", product_type="Pots",
                                  option1_name="Size", variants=[{"option1": "S", "price": 900}]),
    }  # fmt: skip
    add_tags(ids["cushion"], "Outdoor")
    add_tags(ids["folding-chair"], "Outdoor")
    return ids


def test_price_bounds_filter_on_variant_prices(app: Flask, shop) -> None:
    # The teak table has a 30 € variant: it fits under 50, though its other size costs 120 €.
    assert find(app, "table under 50") == ["teak-table"]
    assert find(app, "table moins de 50 €") == ["teak-table"]
    assert find(app, "table between 100 and 150") == ["teak-table"]
    assert find(app, "table entre 60 et 90 euros") == ["oak-table"]
    assert find(app, "table over 200") == []


def test_price_alone_lists_the_cheapest_in_the_bounds(app: Flask, shop) -> None:
    assert find(app, "something under 20", 3) == ["plain-pot", "cushion", "lantern"]


def test_colour_filters_on_options_and_title(app: Flask, shop) -> None:
    assert find(app, "blue pot") == ["blue-pot"]
    assert find(app, "pot vert") == ["green-pot"]


def test_colour_falls_back_to_the_description(app: Flask, shop) -> None:
    # No product is red by its title, tags or options; the lantern's description says so.
    assert find(app, "something red") == ["lantern"]


def test_type_and_tag(app: Flask, shop) -> None:
    assert set(find(app, "tables")) == {"teak-table", "oak-table"}
    assert find(app, "outdoor cushion")[0] == "cushion"
    assert set(find(app, "outdoor")) == {"cushion", "folding-chair"}


def test_more_words_matched_first(app: Flask, shop) -> None:
    assert find(app, "round teak table")[0] == "teak-table"
    assert find(app, "oak table")[:2] == ["oak-table", "teak-table"]


def test_typos_accents_and_synonyms(app: Flask, shop) -> None:
    assert find(app, "solar lantren") == ["lantern"]
    assert find(app, "jardiniere emaillee")[0] == "jardiniere"  # accents not typed
    assert find(app, "Jardinière émaillée")[0] == "jardiniere"
    assert find(app, "chaise pliante") == ["folding-chair"]  # French words, English catalog


def test_size_asked_for_comes_first(app: Flask, shop) -> None:
    assert find(app, "small pot")[0] == "plain-pot"
    assert find(app, "medium cushion") == ["cushion"]
    assert find(app, "table 120 cm")[0] == "teak-table"


def test_unknown_words_find_nothing(app: Flask, shop) -> None:
    assert find(app, "zzzz qqq") == []
    assert find(app, "trampoline") == []


def test_exclude_and_limit(app: Flask, shop) -> None:
    assert find(app, "pot", 2) == find(app, "pot")[:2]
    assert "blue-pot" not in find(app, "pot", exclude=[shop["blue-pot"]])


def test_drafts_and_unpublished_products_are_not_indexed(app: Flask, make_product) -> None:
    make_product("Teak Bench", handle="draft-bench", status="draft")
    make_product("Teak Stool", handle="hidden-stool", published=False)
    make_product("Teak Chair", handle="teak-chair")
    assert find(app, "teak") == ["teak-chair"]


# --- Kept current through the ORM (bot.index_events), without a rebuild per message -------------------


def test_an_edited_product_is_reindexed_after_commit(app: Flask, shop, bot_index) -> None:
    index = bot_index()
    with app.app_context():
        product = db.session.get(Product, shop["oak-table"])
        product.title = "Oak Bistro Table"
        product.variants[0].price = 2500
        db.session.commit()
    assert bot_index() is index  # patched, not rebuilt
    assert index.docs[shop["oak-table"]].title == "Oak Bistro Table"
    assert find(app, "bistro") == ["oak-table"]
    assert find(app, "dining table")[0] == "oak-table"
    assert "oak-table" in find(app, "table under 30")


def test_a_rolled_back_change_is_not_indexed(app: Flask, shop, bot_index) -> None:
    index = bot_index()
    with app.app_context():
        db.session.get(Product, shop["oak-table"]).title = "Oak Bistro Table"
        db.session.flush()
        db.session.rollback()
    assert bot_index() is index
    assert find(app, "bistro") == []


def test_added_and_deleted_products(app: Flask, shop, make_product, bot_index) -> None:
    index = bot_index()
    new_id = make_product("Wicker Armchair", handle="armchair", product_type="Chairs")
    assert find(app, "wicker") == ["armchair"]
    assert find(app, "fauteuil") == ["armchair"]  # its synonyms too
    with app.app_context():
        db.session.delete(db.session.get(Product, new_id))
        db.session.delete(db.session.get(Product, shop["lantern"]))
        db.session.commit()
    assert find(app, "wicker") == []
    assert find(app, "lantern") == []
    assert bot_index() is index
    assert "lantern" not in index.by_handle


def test_a_product_made_draft_leaves_the_index(app: Flask, shop, bot_index) -> None:
    bot_index()
    with app.app_context():
        db.session.get(Product, shop["lantern"]).status = "draft"
        db.session.commit()
    assert find(app, "lantern") == []


def test_a_variant_change_reindexes_its_product(app: Flask, shop) -> None:
    assert find(app, "folding chair under 20") == []
    with app.app_context():
        variant = db.session.scalar(sa.select(Variant).filter_by(product_id=shop["folding-chair"]))
        variant.price = 1500
        db.session.commit()
    assert find(app, "folding chair under 20") == ["folding-chair"]


def test_messages_do_not_rebuild_or_reload_the_index(app: Flask, shop, bot_index, monkeypatch) -> None:
    bot_index()
    loads: list[object] = []
    real_load = bot.search.load_docs
    monkeypatch.setattr(bot.search, "load_docs", lambda ids=None: loads.append(ids) or real_load(ids))
    with app.app_context():
        for text in ("round teak table", "blue pot under 30", "chaise pliante", "hello"):
            respond(text, BotContext())
    assert loads == []
    with app.app_context():
        db.session.get(Product, shop["cushion"]).title = "Linen Floor Cushion"
        db.session.commit()
        respond("floor cushion", BotContext())
        respond("floor cushion", BotContext())
    assert loads == [{shop["cushion"]}]  # only the changed product, once


def test_the_vocabulary_follows_the_catalog(app: Flask, shop, make_product, bot_index) -> None:
    assert "hammock" not in bot_index().vocabulary.content
    new_id = make_product("Striped Hammock", handle="hammock")
    assert "hammock" in bot_index().vocabulary.content
    assert find(app, "hamock") == ["hammock"]  # a typo of a word only this new product has
    with app.app_context():
        db.session.delete(db.session.get(Product, new_id))
        db.session.commit()
    assert "hammock" not in bot_index().vocabulary.content


def test_cached_word_scores_are_dropped_on_change(app: Flask, shop, bot_index) -> None:
    index: CatalogIndex = bot_index()
    before = index.group_scores("pot")
    assert index.group_scores("pot") is before  # cached between messages
    index.remove(shop["green-pot"])
    after = index.group_scores("pot")
    assert shop["green-pot"] in before
    assert shop["green-pot"] not in after
