"""Application factory: `create_app()` reads like a table of contents."""

from __future__ import annotations

from flask import Flask

from config import Config
from extensions import babel, csrf, db, login_manager, migrate, socketio


def create_app(config: type[Config] | object = Config) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(config)
    register_extensions(app)
    register_blueprints(app)
    register_socketio(app)
    register_commands(app)
    register_errorhandlers(app)
    register_security_headers(app)
    return app


def register_extensions(app: Flask) -> None:
    from shop.i18n import select_locale, select_timezone

    db.init_app(app)
    migrate.init_app(app, db, render_as_batch=True)  # batch mode: ALTER TABLE works on SQLite too
    csrf.init_app(app)
    login_manager.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)


def register_blueprints(app: Flask) -> None:
    import bot
    import chat
    import insights
    import payments
    import shop

    app.register_blueprint(shop.bp)
    app.register_blueprint(chat.bp)
    app.register_blueprint(payments.bp)
    app.register_blueprint(insights.bp)
    payments.init_app(app)
    bot.init_app(app)  # its blueprint (seller pages) and its periodic task (proactive messages)


def register_socketio(app: Flask) -> None:
    from chat import events
    from chat.store import MessageWriter, Store

    socketio.init_app(
        app,
        async_mode=app.config["SOCKETIO_ASYNC_MODE"],
        message_queue=app.config["REDIS_URL"],
        channel=app.config["SOCKETIO_CHANNEL"],
        cors_allowed_origins=list(app.config["CHAT_ALLOWED_ORIGINS"]) or None,  # None: same origin only
        max_http_buffer_size=64 * 1024,
    )
    events.register(socketio)
    writer = MessageWriter(app, socketio.server) if app.config["CHAT_GROUP_COMMIT"] else None
    app.extensions["chat_store"] = Store(writer)


def register_commands(app: Flask) -> None:
    from chat.commands import seller_cli
    from shop.commands import shop_cli

    app.cli.add_command(shop_cli)
    app.cli.add_command(seller_cli)


def register_errorhandlers(app: Flask) -> None:
    from shop.errors import register

    register(app)


def register_security_headers(app: Flask) -> None:
    from shop.security import add_security_headers

    app.after_request(add_security_headers)


if __name__ == "__main__":
    # Development only; `make run` and production serve through gunicorn (see wsgi.py).
    socketio.run(create_app(), debug=False, allow_unsafe_werkzeug=True)
