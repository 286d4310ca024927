"""Conversations between shoppers, the bot and sellers (built in the chat issue)."""

from flask import Blueprint

bp = Blueprint("chat", __name__)

from chat import models, offer_routes, routes  # noqa: E402,F401  (tables and views register themselves)
