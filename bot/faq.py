"""Shop FAQ answers (shipping, returns) that the shop owner edits, not hard-coded replies.

Storage: `instance/bot_faq.json` when it exists (the owner's copy), else `bot/faq_default.json` shipped with
the code. Same shape: {"topic": {"en": "...", "fr": "..."}}. The file is re-read when it changes. A later
session may back `FaqSource` with a database table edited from the seller pages; callers only use `answer`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Protocol

from flask import current_app

DEFAULT_FAQ = Path(__file__).resolve().parent / "faq_default.json"
INSTANCE_FILE = "bot_faq.json"


class FaqSource(Protocol):
    def answer(self, topic: str, language: str) -> str | None: ...


class JsonFaq:
    """FAQ read from a JSON file, re-read when its modification time changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._mtime: float | None = None
        self._entries: dict[str, dict[str, str]] = {}

    def _load(self) -> dict[str, dict[str, str]]:
        mtime = self.path.stat().st_mtime
        if mtime != self._mtime:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self._entries = {k: v for k, v in data.items() if isinstance(v, dict)}
            self._mtime = mtime
        return self._entries

    def answer(self, topic: str, language: str) -> str | None:
        entry = self._load().get(topic) or {}
        return entry.get(language) or entry.get("en")


_SOURCES: dict[Path, JsonFaq] = {}


def faq_source() -> FaqSource:
    """The owner's FAQ file in the instance folder if there is one, else the default."""
    owner = Path(current_app.instance_path) / INSTANCE_FILE
    path = owner if owner.exists() else DEFAULT_FAQ
    return _SOURCES.setdefault(path, JsonFaq(path))


def answer(topic: str, language: str) -> str | None:
    return faq_source().answer(topic, language)
