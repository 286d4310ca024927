"""Configuration read from environment variables.

Every setting is listed in README.md ("Configuration"). `Config` is what `make run` and production use;
`TestConfig` is what the test suite builds the app with.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import ClassVar

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = BASE_DIR / "instance"


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in instance/ (never in git)."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    INSTANCE_DIR.mkdir(exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def database_url(url: str | None) -> str:
    """Normalise a DATABASE_URL: SQLite by default, psycopg 3 for postgres:// URLs."""
    if not url:
        INSTANCE_DIR.mkdir(exist_ok=True)
        return f"sqlite:///{INSTANCE_DIR / 'shop.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Config:
    SECRET_KEY = _secret_key()
    SQLALCHEMY_DATABASE_URI = database_url(os.environ.get("DATABASE_URL"))
    #: Pooled database connections per server process (PostgreSQL); gevent serves many requests at once.
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = (
        {"pool_pre_ping": True}
        if SQLALCHEMY_DATABASE_URI.startswith("sqlite")
        else {
            # No ping per checkout (a round trip on every chat event): connections are recycled instead, and
            # one dropped by a database restart is invalidated by SQLAlchemy on its first error.
            "pool_recycle": int(os.environ.get("DB_POOL_RECYCLE", "1800")),
            "pool_size": int(os.environ.get("DB_POOL_SIZE", "10")),
            "max_overflow": int(os.environ.get("DB_MAX_OVERFLOW", "20")),
        }
    )

    SHOP_NAME = os.environ.get("SHOP_NAME", "Maison Verte")
    #: ISO 4217 code; prices are stored in this currency's minor units (cents for EUR).
    SHOP_CURRENCY = os.environ.get("SHOP_CURRENCY", "EUR").upper()
    SHOP_LOCALES = ("en", "fr")
    BABEL_DEFAULT_LOCALE = os.environ.get("SHOP_DEFAULT_LOCALE", "en")
    BABEL_TRANSLATION_DIRECTORIES = str(BASE_DIR / "translations")
    SHOP_TIMEZONE = os.environ.get("SHOP_TIMEZONE", "UTC")
    PRODUCTS_PER_PAGE = 24

    # Cookies: signed, HttpOnly, SameSite=Lax, and Secure unless explicitly turned off
    # (browsers accept Secure cookies from http://localhost and http://127.0.0.1).
    SESSION_COOKIE_SECURE = _bool("COOKIE_SECURE", True)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    #: The anonymous shopper identity lives this long after the last visit.
    SHOPPER_COOKIE_NAME = "shopper"
    SHOPPER_COOKIE_MAX_AGE = timedelta(days=365)

    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session; forms left open overnight still work
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    #: Longest search query considered; longer input is cut, not rejected.
    SEARCH_MAX_LENGTH = 200

    # Chat
    #: Redis for the Socket.IO message queue: several server processes then share rooms.
    REDIS_URL = os.environ.get("REDIS_URL") or None
    #: Redis pub/sub channel of this shop: two shops on one Redis need different channels.
    SOCKETIO_CHANNEL = os.environ.get("SOCKETIO_CHANNEL", "flask-socketio")
    #: Origins allowed to open a chat connection (comma separated); unset = the shop's own origin only.
    CHAT_ALLOWED_ORIGINS = tuple(
        origin.strip() for origin in os.environ.get("CHAT_ALLOWED_ORIGINS", "").split(",") if origin.strip()
    )
    #: Commit messages from many connections together (see chat/store.py); off only for debugging.
    CHAT_GROUP_COMMIT = _bool("CHAT_GROUP_COMMIT", True)
    #: A shopper writing to a conversation resolved longer ago than this starts a new one.
    CHAT_REOPEN_DAYS = int(os.environ.get("CHAT_REOPEN_DAYS", "7"))
    SOCKETIO_ASYNC_MODE = os.environ.get("SOCKETIO_ASYNC_MODE") or None
    #: Sellers are signed out after this many hours without activity.
    SELLER_SESSION_HOURS = int(os.environ.get("SELLER_SESSION_HOURS", "12"))
    PERMANENT_SESSION_LIFETIME = timedelta(hours=SELLER_SESSION_HOURS)
    #: Absolute address of the shop, used in links sent by email (behind a proxy: the public address).
    SHOP_URL = (
        os.environ.get("SHOP_URL")
        or f"http://{os.environ.get('HOST') or '127.0.0.1'}:{os.environ.get('PORT') or '5000'}"
    ).rstrip("/")
    # Emails to shoppers who left (chat/notify.py), sent by each server process's background loop.
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or "localhost"
    MAIL_PORT = int(os.environ.get("MAIL_PORT") or "25")
    #: STARTTLS after connecting (usually port 587); MAIL_USE_SSL is TLS from the start (usually 465).
    MAIL_USE_TLS = _bool("MAIL_USE_TLS", False)
    MAIL_USE_SSL = _bool("MAIL_USE_SSL", False)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
    #: Unset: SHOP_NAME <shop@localhost> (chat/notify.py), e.g. "Maison Verte <shop@localhost>".
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER") or None
    #: Off unless MAIL_SERVER is set, so that a development machine never mails shoppers by accident.
    MAIL_ENABLED = _bool("MAIL_ENABLED", bool(os.environ.get("MAIL_SERVER")))
    #: Seconds to wait for the SMTP server (connecting and each command).
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT") or "10")
    #: How long after a seller's reply, with no widget open, the shopper gets an email. Keep it above
    #: CHAT_TASK_INTERVAL_SECONDS: an open widget is noticed only once per interval.
    CHAT_EMAIL_DELAY_SECONDS = int(os.environ.get("CHAT_EMAIL_DELAY_SECONDS") or "180")
    #: At most one email per conversation in this many minutes, however many replies there are.
    CHAT_EMAIL_WINDOW_MINUTES = int(os.environ.get("CHAT_EMAIL_WINDOW_MINUTES") or "60")
    #: The emailed link that reopens the conversation and cart works for this many days.
    CHAT_RESUME_LINK_DAYS = int(os.environ.get("CHAT_RESUME_LINK_DAYS") or "30")
    #: Period of the background loop (shopper "seen" refresh, due emails, seller presence expiry).
    CHAT_TASK_INTERVAL_SECONDS = float(os.environ.get("CHAT_TASK_INTERVAL_SECONDS") or "15")
    #: The loop never starts under TESTING (tests call chat.tasks.run_once) unless this is set.
    CHAT_TASKS_IN_TESTS = False

    # Bot (bot/): whether it answers first, until a manager sets it at /seller/bot.
    BOT_ENABLED = _bool("BOT_ENABLED", True)
    #: Run the bot's answer inside the shopper's send (tests); otherwise a background task after the ack.
    BOT_INLINE = False

    # Payments (payments/). `make run` starts localstripe and sets these to it; set real keys for Stripe.
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY") or None
    STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY") or None
    #: Signing secret of the webhook endpoint (whsec_...); webhooks are refused without it.
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET") or None
    #: Oldest webhook signature accepted, in seconds (Stripe's default tolerance).
    STRIPE_WEBHOOK_TOLERANCE = int(os.environ.get("STRIPE_WEBHOOK_TOLERANCE") or "300")
    #: Unset: api.stripe.com. localstripe: http://127.0.0.1:8420.
    STRIPE_API_BASE = (os.environ.get("STRIPE_API_BASE") or "").rstrip("/") or None
    #: Stripe.js; localstripe serves its own at <STRIPE_API_BASE>/js.stripe.com/v3/.
    STRIPE_JS_URL = os.environ.get("STRIPE_JS_URL") or (
        f"{STRIPE_API_BASE}/js.stripe.com/v3/" if STRIPE_API_BASE else "https://js.stripe.com/v3/"
    )
    #: Stock of an order being paid is held this long at most (3-D Secure left unfinished, ...).
    CHECKOUT_HOLD_MINUTES = int(os.environ.get("CHECKOUT_HOLD_MINUTES") or "15")
    #: The shop's own country (ISO code): domestic shipping rate.
    SHOP_COUNTRY = (os.environ.get("SHOP_COUNTRY") or "FR").upper()
    #: Countries the shop ships to (comma-separated ISO codes); unset = every country.
    SHIP_TO_COUNTRIES = tuple(
        code.strip().upper() for code in os.environ.get("SHIP_TO_COUNTRIES", "").split(",") if code.strip()
    )
    #: Flat shipping rates in major units of SHOP_CURRENCY; free from SHIPPING_FREE_OVER (empty: never free).
    SHIPPING_DOMESTIC = os.environ.get("SHIPPING_DOMESTIC", "4.90")
    SHIPPING_INTERNATIONAL = os.environ.get("SHIPPING_INTERNATIONAL", "14.90")
    SHIPPING_FREE_OVER = os.environ.get("SHIPPING_FREE_OVER", "100")


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    SQLALCHEMY_ENGINE_OPTIONS: ClassVar[dict] = {"pool_pre_ping": True}
    SESSION_COOKIE_SECURE = False
    WTF_CSRF_ENABLED = False
    REDIS_URL = None
    CHAT_GROUP_COMMIT = False  # the socket test client runs handlers inline; the writer has its own tests
    SOCKETIO_ASYNC_MODE = "threading"
    BOT_ENABLED = False  # chat tests talk to sellers; the bot tests turn it on
    BOT_INLINE = True
