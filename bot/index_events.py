"""Keeps the bot's catalog index current: products changed through the ORM are re-indexed after commit.

Listens to SQLAlchemy session events, so the shop needs no change and no import of the bot. Changes made
without the ORM (bulk SQL, another process) are caught by the index's periodic fingerprint check instead.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from bot.search import mark_changed
from shop.models import Collection, Product, ProductImage, Tag, Variant

_KEY = "bot_catalog_changes"


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context: Any) -> None:
    changes: set[int] = session.info.setdefault(_KEY, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Product) and obj.id is not None:
            changes.add(obj.id)
        elif isinstance(obj, Variant | ProductImage) and obj.product_id is not None:
            changes.add(obj.product_id)
        elif isinstance(obj, Tag | Collection):
            session.info["bot_catalog_rebuild"] = True


@event.listens_for(Session, "after_commit")
def _publish(session: Session) -> None:
    changes = session.info.pop(_KEY, None)
    rebuild = session.info.pop("bot_catalog_rebuild", False)
    if not changes and not rebuild:
        return
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, sa.Connection) else bind
    mark_changed(engine, changes or (), rebuild=rebuild)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_KEY, None)
    session.info.pop("bot_catalog_rebuild", None)
