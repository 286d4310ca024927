"""Posting a message and telling everyone concerned: the one path for shopper, seller, bot and system
messages. Emits go through the Socket.IO server, or through the Redis message queue when REDIS_URL is set,
so a message posted by any process (a web request, a webhook, a worker) reaches every browser."""

from __future__ import annotations

from typing import Any

from flask import current_app

from chat import service
from chat.messages import Draft
from chat.models import Conversation
from chat.store import ShopperDraft, Store, Stored
from extensions import socketio
from shop.models import Customer
from shop.signals import cart_changed

SHOPPER_NS = "/shopper"
SELLER_NS = "/seller"
SELLERS_ROOM = "sellers"
SHOPPERS_ROOM = "shoppers"


def customer_room(customer_id: int) -> str:
    return f"customer:{customer_id}"


def conversation_room(conversation_id: int) -> str:
    return f"conversation:{conversation_id}"


def store() -> Store:
    return current_app.extensions["chat_store"]


def post(draft: Draft | ShopperDraft) -> Stored:
    """Store a message, then push it (and any note the store added after it) to the shopper's tabs and the
    sellers who have it open, and its conversation to every inbox. Reads nothing: the store returns the
    conversation as the message's transaction left it."""
    stored = store().append(draft)
    if not stored.duplicate:
        assert stored.conversation is not None
        customer_id = stored.conversation["shopper"]["id"]
        for message in (stored.message, *stored.notes):
            socketio.emit("message", message, to=customer_room(customer_id), namespace=SHOPPER_NS)
            socketio.emit(
                "message", message, to=conversation_room(stored.conversation_id), namespace=SELLER_NS
            )
        _announce(stored.conversation)
    return stored


def conversation_changed(conversation: Conversation) -> dict[str, Any]:
    """Push a conversation's new state to every seller's inbox and to the shopper's tabs."""
    data = service.summary(conversation)
    _announce(data)
    return data


def _announce(data: dict[str, Any]) -> None:
    socketio.emit("conversation", data, to=SELLERS_ROOM, namespace=SELLER_NS)
    shopper_view = {key: data[key] for key in ("id", "status", "assignee", "last_seq", "seller_read_seq")}
    socketio.emit("conversation", shopper_view, to=customer_room(data["shopper"]["id"]), namespace=SHOPPER_NS)


def system_message(conversation: Conversation, event: str, text: str, name: str = "") -> Stored:
    """A centred note in the conversation ("Ana joined the conversation")."""
    return post(
        Draft(
            conversation_id=conversation.id,
            sender_kind="system",
            type="system",
            text=text,
            data={"event": event, "name": name},
        )
    )


def presence_changed() -> None:
    socketio.emit(
        "presence", {"sellers_online": service.sellers_online()}, to=SHOPPERS_ROOM, namespace=SHOPPER_NS
    )


def push_context(customer: Customer) -> None:
    """The shopper's context (page, cart, orders...) changed: refresh it in the sellers' panels."""
    conversation = service.current_conversation(customer)
    if conversation is not None:
        payload = {"conversation_id": conversation.id, "context": service.context(customer, conversation.id)}
        socketio.emit("context", payload, to=SELLERS_ROOM, namespace=SELLER_NS)


@cart_changed.connect
def _cart_changed(customer: Customer, **extra: Any) -> None:
    push_context(customer)
