"""The shopping assistant: understands shopper messages (English and French), searches the catalog and
recommends products. Plain Python that returns data; the chat decides what to send (see `bot.reply`).
The owner's settings, FAQ and proactive messages are edited at /seller/bot (bot/routes.py)."""

from flask import Blueprint, Flask

from bot import index_events  # noqa: F401  (registers the listeners that keep the catalog index current)

bp = Blueprint("bot", __name__)

from bot import models, routes  # noqa: E402,F401  (tables and views register themselves)


def init_app(app: Flask) -> None:
    """The seller pages, and the proactive messages in each server process's background loop."""
    from bot import commands, conversation, proactive, settings

    app.register_blueprint(bp)
    app.extensions.setdefault("periodic_tasks", {})["send proactive messages"] = proactive.send_due
    # The chat asks these without importing the bot: does it answer first, and its answer to a message.
    app.extensions["chat_bot_enabled"] = settings.bot_enabled
    app.extensions["chat_bot_answer"] = conversation.answer
    app.cli.add_command(commands.bot_cli)
