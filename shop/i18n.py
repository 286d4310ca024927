"""Locale selection: an explicit choice (cookie) wins, then the browser's Accept-Language."""

from __future__ import annotations

from flask import current_app, request

LOCALE_COOKIE = "locale"


def select_locale() -> str:
    supported = current_app.config["SHOP_LOCALES"]
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen in supported:
        return chosen
    return request.accept_languages.best_match(supported) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config.get("SHOP_TIMEZONE", "UTC")
