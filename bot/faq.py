"""Shop FAQ answers (shipping, returns...) that the shop owner edits at /seller/bot, not hard-coded replies.

Storage: the `faq_entry` table. Until a manager first saves the bot's settings or the FAQ, nothing is
stored and the answers come from the default file: `instance/bot_faq.json` when it exists (an owner's copy
from before the FAQ was editable), else `bot/faq_default.json` shipped with the code; the first save
stores that file's entries (`store_defaults`), and from then on the table alone answers (an entry the
owner deleted stays deleted). Callers only use `answer(topic, language)`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from flask import current_app

from bot import settings
from bot.models import BotSettings, FaqEntry
from extensions import db

DEFAULT_FAQ = Path(__file__).resolve().parent / "faq_default.json"
INSTANCE_FILE = "bot_faq.json"


class FaqSource(Protocol):
    def answer(self, topic: str, language: str) -> str | None: ...


@dataclass(frozen=True)
class Entry:
    topic: str
    answer_en: str
    answer_fr: str

    def answer(self, language: str) -> str:
        return (self.answer_fr if language == "fr" else "") or self.answer_en


class JsonFaq:
    """FAQ read from a JSON file ({"topic": {"en": "...", "fr": "..."}}), re-read when it changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._mtime: float | None = None
        self._entries: dict[str, Entry] = {}

    def entries(self) -> dict[str, Entry]:
        mtime = self.path.stat().st_mtime
        if mtime != self._mtime:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            self._entries = {
                topic: Entry(topic, value.get("en", ""), value.get("fr", ""))
                for topic, value in data.items()
                if isinstance(value, dict) and value.get("en")
            }
            self._mtime = mtime
        return self._entries

    def answer(self, topic: str, language: str) -> str | None:
        entry = self.entries().get(topic)
        return entry.answer(language) if entry else None


class DbFaq:
    """The owner's FAQ in the database; the default file while nothing was ever stored."""

    def answer(self, topic: str, language: str) -> str | None:
        entry = db.session.scalar(sa.select(FaqEntry).filter_by(topic=topic))
        if entry is not None:
            return Entry(entry.topic, entry.answer_en, entry.answer_fr).answer(language)
        return None if stored() else default_source().answer(topic, language)


_DEFAULTS: dict[Path, JsonFaq] = {}


def default_source() -> JsonFaq:
    """The owner's old FAQ file in the instance folder if there is one, else the shipped default."""
    owner = Path(current_app.instance_path) / INSTANCE_FILE
    path = owner if owner.exists() else DEFAULT_FAQ
    return _DEFAULTS.setdefault(path, JsonFaq(path))


def faq_source() -> FaqSource:
    return DbFaq()


def answer(topic: str, language: str) -> str | None:
    """The FAQ's answer on a topic in a language (English when there is no French), or None."""
    return faq_source().answer(topic, language)


# --- Editing (the seller pages) ---------------------------------------------------------------------------


def stored() -> bool:
    """Has the owner's FAQ been stored (the first save of the bot's settings or FAQ stores the defaults)?"""
    return db.session.get(BotSettings, 1) is not None


def entries() -> list[Entry]:
    """The FAQ as the bot answers it, by topic."""
    if not stored():
        return sorted(default_source().entries().values(), key=lambda e: e.topic)
    rows = db.session.scalars(sa.select(FaqEntry).order_by(FaqEntry.topic))
    return [Entry(r.topic, r.answer_en, r.answer_fr) for r in rows]


def get(topic: str) -> Entry | None:
    return next((e for e in entries() if e.topic == topic), None)


def store_defaults() -> None:
    """Add the default file's entries to the session (the caller commits; bot.settings.ensure_stored)."""
    for entry in default_source().entries().values():
        db.session.add(FaqEntry(topic=entry.topic, answer_en=entry.answer_en, answer_fr=entry.answer_fr))


def put(topic: str, answer_en: str, answer_fr: str) -> None:
    """Add or replace the answers on a topic."""
    settings.ensure_stored()
    row = db.session.scalar(sa.select(FaqEntry).filter_by(topic=topic))
    if row is None:
        db.session.add(FaqEntry(topic=topic, answer_en=answer_en, answer_fr=answer_fr))
    else:
        row.answer_en, row.answer_fr = answer_en, answer_fr
    db.session.commit()


def delete(topic: str) -> bool:
    """Remove a topic; False when there was none."""
    settings.ensure_stored()
    deleted = db.session.execute(sa.delete(FaqEntry).where(FaqEntry.topic == topic)).rowcount
    db.session.commit()
    return bool(deleted)
