"""The owner's bot settings at /seller/bot: defaults, managers only, validation, what the chat reads."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bot import settings
from bot.models import BotSettings
from extensions import db
from tests.chat.conftest import make_seller  # noqa: F401  (fixture)

VALID = {
    "bot_enabled": "y",
    "greeting_enabled": "y",
    "greeting_delay_seconds": "20",
    "greeting_text_en": "Hi there!",
    "greeting_text_fr": "Bonjour !",
    "cart_idle_minutes": "15",
    "cart_idle_text_en": "Still there?",
    "cart_idle_text_fr": "Toujours là ?",
}


@pytest.fixture
def signed_in(app: Flask, make_seller):  # noqa: F811
    """An HTTP client signed in as a new seller of that role."""

    def sign_in(role: str = "manager", name: str = "Mia") -> FlaskClient:
        make_seller(name, role=role)
        client = app.test_client()
        response = client.post(
            "/seller", data={"email": f"{name.lower()}@example.com", "password": "pa55word!"}
        )
        assert response.status_code == 302
        return client

    return sign_in


def test_defaults_bot_on_proactive_off_nothing_stored(app) -> None:
    with app.app_context():
        current = settings.load()
        assert settings.bot_enabled() is True
        assert (current.greeting_enabled, current.cart_idle_enabled) == (False, False)
        assert not current.any_proactive
        assert current.text("greeting", "fr") == settings.DEFAULT_TEXTS["greeting"]["fr"]
        assert current.text("cart_idle", "de") == settings.DEFAULT_TEXTS["cart_idle"]["en"]
        assert db.session.get(BotSettings, 1) is None


def test_manager_sees_the_page_and_the_nav_link(signed_in) -> None:
    client = signed_in("manager")
    assert 'href="/seller/bot"' in client.get("/seller/inbox").get_data(as_text=True)
    page = client.get("/seller/bot")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert settings.DEFAULT_TEXTS["greeting"]["en"] in html
    assert '<input checked id="bot_enabled" name="bot_enabled" type="checkbox"' in html


def test_sellers_get_403_and_strangers_sign_in_first(client, signed_in) -> None:
    anonymous = client.get("/seller/bot")
    assert anonymous.status_code == 302
    assert "/seller" in anonymous.headers["Location"]
    seller = signed_in("seller", "Sam")
    assert 'href="/seller/bot"' not in seller.get("/seller/inbox").get_data(as_text=True)
    assert seller.get("/seller/bot").status_code == 403
    assert seller.post("/seller/bot", data=VALID).status_code == 403
    with client.application.app_context():
        assert db.session.get(BotSettings, 1) is None


def test_saving_stores_the_settings(app, signed_in) -> None:
    client = signed_in()
    response = client.post("/seller/bot", data=VALID)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/seller/bot")
    assert "Bot settings saved." in client.get("/seller/bot").get_data(as_text=True)
    with app.app_context():
        saved = settings.load()
        assert saved.greeting_enabled
        assert saved.greeting_delay_seconds == 20
        assert not saved.cart_idle_enabled  # unchecked box
        assert saved.text("greeting", "fr") == "Bonjour !"
        assert saved.cart_idle_minutes == 15

    bot_off = {name: value for name, value in VALID.items() if name != "bot_enabled"}  # box unchecked
    client.post("/seller/bot", data=bot_off)
    with app.app_context():
        assert settings.bot_enabled() is False


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"greeting_delay_seconds": "0"}, "Enter a number of seconds from 1 to 600."),
        ({"greeting_delay_seconds": "601"}, "Enter a number of seconds from 1 to 600."),
        ({"greeting_delay_seconds": ""}, "Enter a number of seconds."),
        ({"cart_idle_minutes": "abc"}, "Enter a number of minutes from 1 to 240."),
        ({"cart_idle_minutes": "241"}, "Enter a number of minutes from 1 to 240."),
        ({"greeting_text_en": "  "}, "Write the greeting in English."),
        ({"cart_idle_text_fr": ""}, "Write the cart reminder in French."),
        ({"greeting_text_en": "x" * 501}, "Field cannot be longer than 500 characters."),
    ],
)
def test_invalid_values_are_explained_and_not_saved(app, signed_in, changes, message) -> None:
    client = signed_in()
    response = client.post("/seller/bot", data={**VALID, **changes})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html
    assert 'aria-invalid="true"' in html
    with app.app_context():
        assert db.session.get(BotSettings, 1) is None


def test_a_post_without_csrf_token_is_refused(app, signed_in, monkeypatch) -> None:
    client = signed_in()
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post("/seller/bot", data=VALID).status_code == 400
    with app.app_context():
        assert db.session.get(BotSettings, 1) is None


def test_save_rejects_unknown_names_and_keeps_one_row(app) -> None:
    with app.app_context():
        with pytest.raises(TypeError):
            settings.save(colour="green")
        settings.save(cart_idle_enabled=True)
        settings.save(cart_idle_minutes=3)
        assert db.session.query(BotSettings).count() == 1
        assert settings.load().cart_idle_enabled
        assert settings.load().cart_idle_minutes == 3
