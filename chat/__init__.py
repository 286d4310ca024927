"""Conversations between shoppers, the bot and sellers (built in the chat issue)."""

from flask import Blueprint

bp = Blueprint("chat", __name__)
