"""`flask --app app bot enable|disable`: the owner's switch from the command line (also at /seller/bot)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from bot import settings

bot_cli = AppGroup("bot", help="The shopping bot.")


@bot_cli.command("enable")
def enable() -> None:
    """The bot answers shoppers first (new conversations start with it)."""
    settings.save(bot_enabled=True)
    click.echo("The bot answers shoppers.")


@bot_cli.command("disable")
def disable() -> None:
    """Shoppers' messages go straight to the sellers."""
    settings.save(bot_enabled=False)
    click.echo("The bot is off: shoppers talk to sellers.")
