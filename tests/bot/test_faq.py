"""The shop FAQ: answered from the default file until the owner's copy is stored, then from the database;
managers edit it at /seller/bot and the bot's answers follow."""

from __future__ import annotations

import json

import pytest
from flask import Flask

from bot import faq, settings
from bot.models import FaqEntry
from bot.reply import respond
from bot.search import reset_index
from extensions import db
from tests.bot.test_settings import signed_in  # noqa: F401  (fixture)
from tests.chat.conftest import make_seller  # noqa: F401  (fixture)

DEFAULTS = json.loads(faq.DEFAULT_FAQ.read_text(encoding="utf-8"))


@pytest.fixture
def manager(signed_in):  # noqa: F811
    return signed_in("manager")


def test_defaults_answer_until_the_owner_stores_a_copy(app: Flask) -> None:
    with app.app_context():
        assert faq.answer("shipping", "fr") == DEFAULTS["shipping"]["fr"]
        assert faq.answer("returns", "en") == DEFAULTS["returns"]["en"]
        assert faq.answer("returns", "de") == DEFAULTS["returns"]["en"]
        assert faq.answer("_comment", "en") is None
        assert faq.answer("opening-hours", "en") is None
        assert [e.topic for e in faq.entries()] == ["contact", "payment", "returns", "shipping"]
        assert db.session.query(FaqEntry).count() == 0


def test_the_faq_source_interface_still_answers(app: Flask) -> None:
    with app.app_context():
        source: faq.FaqSource = faq.faq_source()
        assert source.answer("payment", "en") == DEFAULTS["payment"]["en"]
        assert faq.JsonFaq(faq.DEFAULT_FAQ).answer("shipping", "fr") == DEFAULTS["shipping"]["fr"]


def test_the_first_save_stores_the_defaults_once(app: Flask) -> None:
    with app.app_context():
        settings.save(greeting_enabled=True)
        settings.ensure_stored()
        stored = {e.topic: e for e in db.session.scalars(db.select(FaqEntry))}
        assert set(stored) == {"shipping", "returns", "payment", "contact"}
        assert stored["returns"].answer_fr == DEFAULTS["returns"]["fr"]


def test_an_owner_faq_file_from_before_seeds_the_table(app: Flask, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    (tmp_path / faq.INSTANCE_FILE).write_text(json.dumps({"shipping": {"en": "Own text", "fr": "Mon texte"}}))
    with app.app_context():
        assert faq.answer("shipping", "fr") == "Mon texte"
        settings.ensure_stored()
        assert [e.topic for e in faq.entries()] == ["shipping"]


def test_manager_edits_an_answer_and_the_bot_uses_it(app: Flask, manager) -> None:
    page = manager.get("/seller/bot/faq/shipping")
    assert page.status_code == 200
    assert DEFAULTS["shipping"]["en"] in page.get_data(as_text=True)
    response = manager.post(
        "/seller/bot/faq/shipping",
        data={
            "answer_en": "Free delivery in Lyon within a day.",
            "answer_fr": "Livraison gratuite à Lyon en un jour.",
        },
    )
    assert response.status_code == 302
    assert "Answer on “shipping” saved." in manager.get("/seller/bot").get_data(as_text=True)
    with app.app_context():
        assert faq.answer("shipping", "en") == "Free delivery in Lyon within a day."
        assert faq.answer("shipping", "fr") == "Livraison gratuite à Lyon en un jour."
        assert faq.answer("returns", "en") == DEFAULTS["returns"]["en"]  # the other defaults were stored too
        reset_index()
        reply = respond("how long does shipping take?")
        assert (reply.intent, reply.text) == ("shipping", "Free delivery in Lyon within a day.")
        assert respond("quels sont les délais de livraison ?").text == "Livraison gratuite à Lyon en un jour."


def test_manager_adds_and_deletes_a_topic(app: Flask, manager) -> None:
    data = {
        "topic": " Gift-Wrap ",
        "answer_en": "We wrap gifts for free.",
        "answer_fr": "Emballage cadeau offert.",
    }
    assert manager.post("/seller/bot/faq", data=data).status_code == 302
    with app.app_context():
        assert faq.answer("gift-wrap", "fr") == "Emballage cadeau offert."

    again = manager.post("/seller/bot/faq", data=data)
    assert again.status_code == 200
    assert "This topic already has an answer: edit it in the list." in again.get_data(as_text=True)

    assert manager.post("/seller/bot/faq/returns/delete").status_code == 302
    with app.app_context():
        assert faq.answer("returns", "en") is None  # deleted stays deleted: no fallback to the default
        assert "returns" not in [e.topic for e in faq.entries()]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"topic": ""}, "Enter a topic, for example “payment”."),
        ({"topic": "2 words"}, "Lower-case letters, digits, - and _ only, starting with a letter."),
        ({"topic": "x" * 41}, "Field cannot be longer than 40 characters."),
        ({"answer_en": " "}, "Write the answer in English."),
        ({"answer_fr": ""}, "Write the answer in French."),
    ],
)
def test_invalid_answers_are_explained(app: Flask, manager, changes, message) -> None:
    data = {"topic": "hours", "answer_en": "9 to 6.", "answer_fr": "De 9 h à 18 h.", **changes}
    response = manager.post("/seller/bot/faq", data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert faq.answer("hours", "en") is None


def test_editing_needs_both_languages(app: Flask, manager) -> None:
    response = manager.post("/seller/bot/faq/returns", data={"answer_en": "30 days.", "answer_fr": ""})
    assert response.status_code == 200
    assert "Write the answer in French." in response.get_data(as_text=True)
    with app.app_context():
        assert faq.answer("returns", "en") == DEFAULTS["returns"]["en"]


def test_unknown_topic_is_404_and_sellers_are_403(app: Flask, manager, signed_in) -> None:  # noqa: F811
    assert manager.get("/seller/bot/faq/nothing-here").status_code == 404
    seller = signed_in("seller", "Sam")
    assert seller.get("/seller/bot/faq/shipping").status_code == 403
    assert (
        seller.post("/seller/bot/faq/shipping", data={"answer_en": "x", "answer_fr": "y"}).status_code == 403
    )
    assert seller.post("/seller/bot/faq/shipping/delete").status_code == 403
    assert (
        seller.post("/seller/bot/faq", data={"topic": "a", "answer_en": "x", "answer_fr": "y"}).status_code
        == 403
    )
    with app.app_context():
        assert faq.answer("shipping", "en") == DEFAULTS["shipping"]["en"]
