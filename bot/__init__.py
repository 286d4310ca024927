"""The shopping assistant: understands shopper messages (English and French), searches the catalog and
recommends products. Plain Python that returns data; the chat decides what to send (see `bot.reply`)."""

from bot import index_events  # noqa: F401  (registers the listeners that keep the catalog index current)
