"""Understanding one message: slots (prices, units, colours, sizes, quantity, words) and intent edge cases.

Pure functions: no database. The vocabulary stands for a small catalog's words.
"""

from __future__ import annotations

import pytest

from bot.understand import MAX_MESSAGE_LENGTH, Vocabulary, correct, price_bounds, understand

VOCABULARY = Vocabulary.build(
    ["table", "chair", "pot", "lantern", "teak", "terracotta", "cushion", "sofa", "olive", "tree"],
    types=["Tables", "Pots"],
    tags=["Outdoor"],
)


def slots(text: str):
    return understand(text, VOCABULARY).slots


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("a table under 100", None, 10000),
        ("une table à moins de 50 €", None, 5000),
        ("chairs between 20 and 40", 2000, 4000),
        ("pot entre 20 et 40 euros", 2000, 4000),
        ("entre 20 € et 40 €", 2000, 4000),
        ("between €40 and €20", 2000, 4000),  # the bounds in any order
        ("de 20 à 40 €", 2000, 4000),
        ("over 50 pots", 5000, None),
        ("à partir de 300 euros", 30000, None),
        ("under 49.90 €", None, 4990),
        ("moins de 49,90 €", None, 4990),
        ("less than $30", None, 3000),
        ("jusqu'à 100 €", None, 10000),
        ("budget 300", None, 30000),
        ("a table for 150 €", None, 15000),
        ("table around 80", 6000, 10000),
        ("tables under 1000 euros", None, 100000),
    ],
)
def test_price_bounds_in_english_and_french(text: str, low: int | None, high: int | None) -> None:
    got = slots(text)
    assert (got.price_min, got.price_max) == (low, high)


@pytest.mark.parametrize(
    ("text", "dimensions"),
    [
        ("a 80 cm table", ("80 cm",)),
        ("pot under 80 cm", ("80 cm",)),  # a measurement, not a price of 80 (nor of 8)
        ("entre 20 et 40 cm", ("40 cm",)),
        ("table over 120 cm", ("120 cm",)),
        ("table 80cm", ("80 cm",)),
        ("tables for 6 people", ()),
    ],
)
def test_units_are_not_prices(text: str, dimensions: tuple[str, ...]) -> None:
    got = slots(text)
    assert (got.price_min, got.price_max) == (None, None)
    assert got.dimensions == dimensions


def test_a_measurement_and_a_price_in_one_message() -> None:
    got = slots("pot de 40 cm à moins de 30 euros")
    assert (got.price_min, got.price_max, got.dimensions) == (None, 3000, ("40 cm",))
    assert got.terms == ("pot",)


def test_price_bounds_of_a_normalized_message() -> None:
    assert price_bounds("under 100") == (None, 10000)
    assert price_bounds("nothing about money") == (None, None)


@pytest.mark.parametrize(
    ("text", "colours"),
    [
        ("blue pot", ("blue",)),
        ("pot bleu marine", ("blue",)),  # two words for one colour
        ("coussin gris ou anthracite", ("grey",)),
        ("chaise verte et blanche", ("green", "white")),
        ("Chaise Élégance crème", ("beige",)),  # accents optional
        ("a teak table", ()),
    ],
)
def test_colours(text: str, colours: tuple[str, ...]) -> None:
    assert slots(text).colours == colours


@pytest.mark.parametrize(
    ("text", "sizes"),
    [
        ("add the medium one", ("M",)),
        ("je prends la moyenne", ("M",)),
        ("add 2 in size L", ("L",)),
        ("the small blue one", ("S",)),
        ("je veux la grande", ("L",)),
        ("extra large cushion", ("XL",)),
    ],
)
def test_sizes(text: str, sizes: tuple[str, ...]) -> None:
    assert slots(text).sizes == sizes


def test_the_medium_one_is_about_the_product_in_view() -> None:
    u = understand("add the medium one", VOCABULARY)
    assert u.intent == "add_to_cart"
    assert u.slots.sizes == ("M",)
    assert u.slots.refers_to_current
    assert u.slots.quantity == 1  # "one" is the product, and a quantity of one


@pytest.mark.parametrize(
    ("text", "quantity"),
    [
        ("add 3 of the large", 3),
        ("ajoute deux", 2),
        ("ajoute 2 au panier", 2),
        ("add 2 pots of 30 cm", 2),  # 30 is a measurement
        ("add it", None),
    ],
)
def test_quantity_to_add(text: str, quantity: int | None) -> None:
    assert slots(text).quantity == quantity


def test_quantity_only_for_adding_to_cart() -> None:
    assert slots("3 cushions").quantity is None


def test_search_words_are_typo_corrected_stemmed_and_without_stopwords() -> None:
    got = slots("I want a teak tabel under 200 eur")
    assert got.terms == ("teak", "table")
    assert got.product_types == ("tables",)
    assert correct("lantren", VOCABULARY) == "lantern"
    assert correct("shiping", VOCABULARY) == "shipping"
    assert correct("weather", VOCABULARY) == "weather"  # not "leather": another first letter


def test_tags_named_by_the_message() -> None:
    assert slots("outdoor table").tags == ("outdoor",)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("hi, where is my order", "order_status"),  # the order question wins over the greeting
        ("bonjour, je voudrais parler à un vendeur", "human"),
        ("do you have blue pots available", "search"),  # "available" is weak: a search
        ("is it in stock", "product_question"),
        ("ça coûte combien", "product_question"),
        ("c'est trop cher", "price_objection"),
        ("can I get a discount", "price_objection"),
        ("what goes with this", "complementary"),
        ("similar ones", "similar"),
        ("shiping costs", "shipping"),  # typo
        ("retourner un article", "returns"),
        ("mon panier", "show_cart"),
        ("checkout", "checkout"),
        ("merci beaucoup", "thanks_bye"),
        ("helo", "greeting"),
        ("olive tree", "search"),  # catalog words alone make a search
        ("under 50 €", "search"),  # so does a price alone
        ("weather is nice", "unknown"),
        ("zzzz qqq", "unknown"),
        ("", "unknown"),
    ],
)
def test_intents(text: str, intent: str) -> None:
    assert understand(text, VOCABULARY).intent == intent


def test_a_product_question_in_a_search_is_a_search() -> None:
    assert understand("I need the price of teak tables", VOCABULARY).intent == "search"
    assert understand("I need the price of this", VOCABULARY).intent == "product_question"
    u = understand("how much is the teak table", VOCABULARY)  # a question about the product it names
    assert (u.intent, u.slots.terms) == ("product_question", ("teak", "table"))


def test_question_topics() -> None:
    topics = {
        "how much is it": "price",
        "is it in stock": "stock",
        "what is it made of": "material",
        "how tall is it": "dimensions",
        "which colours does it come in": "options",
    }
    for text, topic in topics.items():
        u = understand(text, VOCABULARY)
        assert (u.intent, u.slots.topic) == ("product_question", topic), text


def test_language() -> None:
    assert understand("je cherche une table", VOCABULARY).language == "fr"
    assert understand("I am looking for a table", VOCABULARY).language == "en"
    assert understand("ok", VOCABULARY, language="fr").language == "fr"  # no clue: the shopper's language


def test_long_messages_are_cut() -> None:
    u = understand("table " * 1000, VOCABULARY)
    assert len(u.normalized) <= MAX_MESSAGE_LENGTH
    assert u.slots.terms == ("table",)
