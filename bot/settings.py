"""The shop owner's bot settings: read by the chat (`bot_enabled()`) and the proactive messages.

Until a manager first saves them (at /seller/bot) nothing is stored and the defaults below apply: the bot
on, each proactive message off. The first save also stores the default FAQ (bot/faq.py), so the owner
edits a copy from then on.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import sqlalchemy as sa
from flask import current_app

from bot.models import BotSettings
from extensions import db

#: The proactive texts before the owner writes their own.
DEFAULT_TEXTS: dict[str, dict[str, str]] = {
    "greeting": {
        "en": "Hello! Any question about this product? I can tell you about sizes, stock or delivery.",
        "fr": "Bonjour ! Une question sur ce produit ? Je peux vous renseigner sur les tailles, le stock "
        "ou la livraison.",
    },
    "cart_idle": {
        "en": "Your cart is waiting for you. Any question before you order? I'm here to help.",
        "fr": "Votre panier vous attend. Une question avant de commander ? Je suis là pour vous aider.",
    },
}


@dataclass(frozen=True)
class Settings:
    """The settings as plain values (no session attached): safe to keep and pass around."""

    bot_enabled: bool = True
    greeting_enabled: bool = False
    greeting_delay_seconds: int = 30
    greeting_text_en: str = DEFAULT_TEXTS["greeting"]["en"]
    greeting_text_fr: str = DEFAULT_TEXTS["greeting"]["fr"]
    cart_idle_enabled: bool = False
    cart_idle_minutes: int = 10
    cart_idle_text_en: str = DEFAULT_TEXTS["cart_idle"]["en"]
    cart_idle_text_fr: str = DEFAULT_TEXTS["cart_idle"]["fr"]

    def text(self, kind: str, language: str) -> str:
        """A proactive message's text in the shopper's language (English when not French)."""
        return getattr(self, f"{kind}_text_{'fr' if language == 'fr' else 'en'}")

    @property
    def any_proactive(self) -> bool:
        return self.bot_enabled and (self.greeting_enabled or self.cart_idle_enabled)


FIELDS = tuple(Settings.__dataclass_fields__)


def load() -> Settings:
    """The stored settings, or the defaults when a manager never saved any (one primary-key read)."""
    row = db.session.get(BotSettings, 1)
    if row is None:
        return defaults()
    return Settings(**{name: getattr(row, name) for name in FIELDS})


def defaults() -> Settings:
    """Before a manager saves: the bot as BOT_ENABLED says (on unless set to 0), proactive messages off."""
    return Settings(bot_enabled=bool(current_app.config.get("BOT_ENABLED", True)))


def bot_enabled() -> bool:
    """May the bot answer shoppers? The owner's switch, on by default."""
    return load().bot_enabled


def ensure_stored() -> BotSettings:
    """The settings row, created with the defaults (and the default FAQ stored) the first time; committed."""
    from bot import faq  # faq reads the settings row to know whether its defaults were stored

    row = db.session.get(BotSettings, 1)
    if row is not None:
        return row
    db.session.add(BotSettings(id=1, **asdict(defaults())))
    faq.store_defaults()
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # another process stored them first: use theirs
        db.session.rollback()
    return db.session.get(BotSettings, 1)


def save(**values: object) -> Settings:
    """Store new values (names of `Settings` fields) and return the settings as now stored."""
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown bot settings: {', '.join(sorted(unknown))}")
    row = ensure_stored()
    for name, value in values.items():
        setattr(row, name, value)
    db.session.commit()
    return load()
