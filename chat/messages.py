"""The typed message schema shared by shoppers, sellers and the bot: validation, masking, serialising.

Plain functions over plain values; no Socket.IO, no request. Adding a message type means: a builder here,
a renderer in static/js/chat-render.js, a line in docs/chat-protocol.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: Longest message text accepted, in characters.
MAX_TEXT = 4000
#: Longest client_id accepted (UUIDs are 36).
MAX_CLIENT_ID = 64
_CLIENT_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
#: A run of 13 to 19 digits, possibly split by single spaces or dashes: a card number candidate.
_CARD_RUN = re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)")


class MessageError(ValueError):
    """Invalid message input; `code` is for clients, str(error) for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Draft:
    """A message about to be stored: everything but its seq and id."""

    conversation_id: int
    sender_kind: str
    text: str
    type: str = "text"
    client_id: str | None = None
    sender_name: str = ""
    seller_id: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def mask_card_numbers(text: str) -> str:
    """Replace Luhn-valid 13-19 digit runs by •••• groups keeping the last four digits."""

    def mask(match: re.Match[str]) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        if not 13 <= len(digits) <= 19 or not luhn_valid(digits):
            return match.group(0)
        return "•••• •••• •••• " + digits[-4:]

    return _CARD_RUN.sub(mask, text)


def clean_text(text: object) -> str:
    """Validate text typed by a person: a non-empty string within MAX_TEXT, card numbers masked."""
    if not isinstance(text, str):
        raise MessageError("invalid", "A message must be text.")
    text = text.replace("\r\n", "\n").replace("\x00", "").strip()
    if not text:
        raise MessageError("empty", "The message is empty.")
    if len(text) > MAX_TEXT:
        raise MessageError("too_long", f"Messages are limited to {MAX_TEXT:,} characters.")
    return mask_card_numbers(text)


def clean_client_id(value: object) -> str:
    if not isinstance(value, str) or not _CLIENT_ID.match(value):
        raise MessageError("invalid", "client_id must be 1 to 64 letters, digits or -_.:")
    return value


def isoformat(moment: datetime | None) -> str | None:
    """UTC timestamps as ISO 8601 with a Z (the database keeps naive UTC)."""
    return moment.isoformat(timespec="milliseconds") + "Z" if moment else None


def serialize(message: Any) -> dict[str, Any]:
    """A stored Message as the protocol's Message object."""
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "seq": message.seq,
        "client_id": message.client_id,
        "type": message.type,
        "sender": {"kind": message.sender_kind, "name": message.sender_name},
        "text": message.text,
        "data": message.data or {},
        "created_at": isoformat(message.created_at),
    }
