"""Socket.IO handlers, one Namespace per audience. Documented in docs/chat-protocol.md.

Handlers are thin: they check who is calling (from the connection, never from the payload), validate the
payload's shape, call chat.service / chat.broadcast, and answer the acknowledgement with
{"ok": true, ...} or {"ok": false, "error": {"code", "message"}}.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import current_app, request, session
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, Namespace, emit, join_room, leave_room, rooms

from chat import broadcast, offers, service, tasks
from chat.broadcast import SELLER_NS, SELLERS_ROOM, SHOPPER_NS, SHOPPERS_ROOM
from chat.messages import Draft, MessageError, clean_client_id, clean_text, serialize
from chat.models import Seller
from chat.store import ShopperDraft, ShopperGone
from extensions import db, socketio
from shop import cart as carts
from shop import discounts
from shop.customers import customer_from_cookie
from shop.formatting import money
from shop.models import Customer

log = logging.getLogger(__name__)


def error_text(code: str, fallback: str, **extra: Any) -> str:
    """Messages for people, in the connection's language."""
    if code == "already_claimed":
        return _("%(name)s already has this conversation.", name=extra.get("owner") or _("Another seller"))
    texts = {
        "forbidden": _("Only the seller who has this conversation, or a manager, can do this."),
        "invalid": _("This request is not valid."),
        "empty": _("The message is empty."),
        "too_long": _("Messages are limited to %(n)s characters.", n="4,000"),
        "rate_limited": _("You are sending messages too fast. Please wait a moment."),
        "not_found": _("This conversation does not exist."),
        "invalid_email": _("Please enter a valid email address."),
        "server_error": _("Something went wrong on our side. Please try again."),
        "invalid_form": _("Please correct the highlighted fields."),
    }
    return texts.get(code, fallback)


def failure(code: str, message: str = "", **extra: Any) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": error_text(code, message, **extra), **extra}}


def refuse(code: str, message: str) -> None:
    """Refuse a connection; the browser's connect_error gets err.message and err.data = {code, message}."""
    raise ConnectionRefusedError(message, {"code": code, "message": message})


class RateLimiter:
    """Token bucket per connection: `rate` events a second, bursts of `burst`."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.buckets: dict[str, tuple[float, float]] = {}

    def allow(self, sid: str) -> bool:
        now = time.monotonic()
        tokens, last = self.buckets.get(sid, (float(self.burst), now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < 1:
            self.buckets[sid] = (tokens, now)
            return False
        self.buckets[sid] = (tokens - 1, now)
        return True

    def forget(self, sid: str) -> None:
        self.buckets.pop(sid, None)


def handler(method: Callable[..., dict[str, Any] | None]) -> Callable[..., dict[str, Any]]:
    """Wrap an on_<event> handler: rate limit, payload must be an object, errors become {"ok": false}."""

    @functools.wraps(method)
    def wrapped(self: ChatNamespace, data: Any = None) -> dict[str, Any]:
        if not self.limiter.allow(request.sid):
            emit("error", failure("rate_limited", retry_after=1)["error"])
            return failure("rate_limited", retry_after=1)
        if data is None:
            data = {}
        if not isinstance(data, dict):
            return failure("invalid", "The payload must be an object.")
        try:
            result = method(self, data) or {}
        except service.ChatError as error:
            db.session.rollback()
            return failure(error.code, str(error), **error.extra)
        except MessageError as error:
            db.session.rollback()
            return failure(error.code, str(error))
        except carts.CartError as error:  # its message is already in the shopper's language
            db.session.rollback()
            return failure("cart_error", str(error))
        except discounts.DiscountError as error:  # so is this one
            db.session.rollback()
            return {"ok": False, "error": {"code": error.code, "message": str(error)}}
        except (sa.exc.SQLAlchemyError, LookupError):
            # The protocol promises one answer per call: a database failure (pool timeout, lock) is one too.
            db.session.rollback()
            log.exception("%s failed", method.__name__)
            return failure("server_error")
        return {"ok": True, **result}

    return wrapped


class ChatNamespace(Namespace):
    def __init__(self, namespace: str) -> None:
        super().__init__(namespace)
        self.limiter = RateLimiter(rate=10, burst=20)
        #: Connections of this process: sid -> customer or seller id (for presence and "seen" refreshes).
        self.connected: dict[str, int] = {}

    def on_disconnect(self, reason: Any = None) -> None:
        self.limiter.forget(request.sid)
        self.connected.pop(request.sid, None)


def _current_customer() -> Customer:
    customer = db.session.get(Customer, session.get("customer_id"))
    if customer is None:
        raise service.ChatError("not_found", "This shopper no longer exists.")
    return customer


def _bot_answers(conversation_id: int, customer_id: int, text: str) -> None:
    """The bot answers after the shopper's message is acknowledged (inline under BOT_INLINE: tests)."""
    answer = current_app.extensions.get("chat_bot_answer")
    if answer is None:
        return
    app = current_app._get_current_object()

    def run() -> None:
        with app.app_context():
            try:
                answer(conversation_id, customer_id, text)
            except Exception:  # the shopper's message is stored; a failing bot must not take the chat down
                db.session.rollback()
                log.exception("the bot could not answer in conversation %s", conversation_id)
            finally:
                db.session.remove()

    if app.config["BOT_INLINE"]:
        answer(conversation_id, customer_id, text)
    else:
        socketio.start_background_task(run)


class ShopperNamespace(ChatNamespace):
    """The chat widget. Identity: the signed shopper cookie sent with the handshake."""

    def on_connect(self, auth: Any = None) -> None:
        """Sent by the widget when it connects; refused without a shopper cookie."""
        tasks.ensure_started(current_app._get_current_object())
        customer = customer_from_cookie(request.cookies.get(current_app.config["SHOPPER_COOKIE_NAME"]))
        if customer is None:
            refuse("no_identity", "Open the chat from the shop first.")
        session["customer_id"] = customer.id
        self.connected[request.sid] = customer.id
        join_room(broadcast.customer_room(customer.id))
        join_room(SHOPPERS_ROOM)
        locale = str(get_locale() or "")
        if locale in current_app.config["SHOP_LOCALES"] and customer.locale != locale:
            customer.locale = locale  # the bot, emails and proactive messages speak the shopper's language
            db.session.commit()
        service.touch_shoppers([customer.id])

    def on_disconnect(self, reason: Any = None) -> None:
        customer_id = self.connected.get(request.sid)
        super().on_disconnect(reason)
        if customer_id is not None:
            service.touch_shoppers([customer_id])

    @handler
    def on_hello(self, data: dict[str, Any]) -> dict[str, Any]:
        """Shopper (re)connects: already subscribed at connect, now fetch what was missed after after_seq."""
        customer = _current_customer()
        page = service.record_page(customer, data.get("page"))
        conversation = service.current_conversation(customer)
        messages = []
        if conversation is not None:
            messages = [serialize(m) for m in service.messages_after(conversation.id, data.get("after_seq"))]
            if page is not None:
                self._context_changed(customer, conversation.id)
        return {
            "conversation": service.summary(conversation) if conversation else None,
            "messages": messages,
            "sellers_online": service.sellers_online(),
            "email": customer.email,
            # Whether a first message would go to the bot (the widget shows "Assistant", not "no seller").
            "bot": service.initial_status() == "bot",
        }

    @handler
    def on_send(self, data: dict[str, Any]) -> dict[str, Any]:
        """Shopper sends a text; stored, then emitted as `message` to the shopper's tabs and the sellers."""
        return self._post(self._draft(session["customer_id"], data))

    @staticmethod
    def _draft(customer_id: int, data: dict[str, Any]) -> ShopperDraft:
        return ShopperDraft(
            customer_id=customer_id,
            client_id=clean_client_id(data.get("client_id")),
            text=clean_text(data.get("text")),
        )

    @staticmethod
    def _post(draft: ShopperDraft) -> dict[str, Any]:
        # Reads nothing: who is sending comes from the connection, and the store finds the conversation
        # (a new one, or the resolved one reopened with a note) in its batch.
        try:
            stored = broadcast.post(draft)
        except ShopperGone:
            raise service.ChatError("not_found", "This shopper no longer exists.") from None
        if stored.duplicate or stored.conversation is None:
            return {"message": stored.message, "duplicate": stored.duplicate}
        if offers.typed_in_chat(draft.customer_id, stored.conversation_id, draft.text):
            pass  # a discount code: applied (or refused) with a note, not a question for the bot
        elif stored.conversation["status"] == "bot":
            _bot_answers(stored.conversation_id, draft.customer_id, draft.text)
        return {"message": stored.message, "duplicate": stored.duplicate}

    @handler
    def on_add_to_cart(self, data: dict[str, Any]) -> dict[str, Any]:
        """ "Add to cart" on a product card in the chat: the variant goes into the shopper's real cart."""
        customer = _current_customer()
        carts.add_item(customer, data.get("variant_id"), data.get("quantity", 1))
        summary = carts.summarize(carts.open_cart(customer), current_app.config["SHOP_CURRENCY"])
        return {
            "cart": {
                "item_count": summary.totals.item_count,
                "total_text": money(summary.totals.total, current_app.config["SHOP_CURRENCY"]),
            },
            "message": _("Added to your cart."),
        }

    @handler
    def on_apply_discount(self, data: dict[str, Any]) -> dict[str, Any]:
        """ "Apply" on an offer card ({offer_id}) or a code typed in the widget ({code}): the discount goes on
        the shopper's cart; `discount_applied` is posted in the conversation and `cart_updated` emitted."""
        customer = _current_customer()
        result = discounts.apply(customer, offer_id=data.get("offer_id"), code=data.get("code"))
        offers.applied(service.current_conversation(customer), result)
        offers.cart_updated(customer)
        broadcast.push_context(customer)
        return {"message": result.message(), "cart": offers.cart_summary(customer)}

    @handler
    def on_remove_discount(self, data: dict[str, Any]) -> dict[str, Any]:
        """The shopper takes the applied discount off their cart (the offer stays usable until it expires)."""
        customer = _current_customer()
        offer = discounts.remove(customer)
        if offer is not None:
            offers.removed(service.current_conversation(customer), offer)
            offers.cart_updated(customer)
            broadcast.push_context(customer)
        return {"cart": offers.cart_summary(customer)}

    @handler
    def on_form_submit(self, data: dict[str, Any]) -> dict[str, Any]:
        """The shopper answers an in-chat form (the bot's handover form): stored as a `form_response`."""
        customer = _current_customer()
        try:
            draft, email = service.form_answer(customer, data.get("seq"), data.get("values"))
        except service.ChatError as error:
            if error.code == "invalid_form":
                texts = {
                    "required": _("Please fill in this field."),
                    "invalid_email": _("Please enter a valid email address."),
                    "too_long": _("Please keep it under %(n)s characters.", n=service.MAX_FORM_ANSWER),
                }
                fields = error.extra.get("fields", {})
                error.extra["fields"] = {
                    name: texts.get(code, error_text("invalid", "")) for name, code in fields.items()
                }
            raise
        stored = broadcast.post(draft)
        if email and not customer.email:
            service.set_email(customer, email)  # replies can reach them by email
        self._context_changed(customer, stored.conversation_id)
        return {"message": stored.message, "duplicate": stored.duplicate}

    def trigger_event(self, event: str, *args: Any) -> Any:
        """Flask-SocketIO's dispatch, except that `send` tries `_send_fast` first."""
        if event == "send" and len(args) == 2 and (reply := self._send_fast(*args)) is not None:
            return reply
        return super().trigger_event(event, *args)

    def _send_fast(self, sid: str, data: Any) -> dict[str, Any] | None:
        """`on_send` in an app context only, without the request context that Flask-SocketIO builds for
        every event (routing the URL, opening the cookie session): building it cost more than storing
        the message, and a shopper's send needs neither (the store reads and writes in its own context).

        Only the common case: a valid message from a shopper connected to this process, within the rate
        limit, stored without error. Otherwise this returns None and the event goes to `on_send`, which
        answers with the error in the shopper's language (or stores the message: a resend is no duplicate).
        """
        customer_id = self.connected.get(sid)
        environ = self.server.get_environ(sid, namespace=self.namespace)
        if customer_id is None or environ is None or not isinstance(data, dict):
            return None
        try:
            draft = self._draft(customer_id, data)
        except MessageError:
            return None
        if not self.limiter.allow(sid):
            return None
        with environ["flask.app"].app_context():
            try:
                return {"ok": True, **self._post(draft)}
            except (MessageError, sa.exc.SQLAlchemyError, LookupError):
                db.session.rollback()
                return None

    @handler
    def on_typing(self, data: dict[str, Any]) -> None:
        """Shopper is (not) typing; emitted as `typing` to the sellers who have the conversation open."""
        customer = _current_customer()
        conversation = service.current_conversation(customer)
        if conversation is not None:
            payload = {
                "conversation_id": conversation.id,
                "who": "shopper",
                "name": service.shopper_name(customer),
                "typing": bool(data.get("typing")),
            }
            emit("typing", payload, to=broadcast.conversation_room(conversation.id), namespace=SELLER_NS)

    @handler
    def on_read(self, data: dict[str, Any]) -> dict[str, Any]:
        """Shopper has read up to seq; emitted as `read` to sellers and to the shopper's other tabs."""
        conversation = service.current_conversation(_current_customer())
        if conversation is None:
            return {}
        seq = service.mark_read(conversation, "shopper", data.get("seq"))
        payload = {"conversation_id": conversation.id, "who": "shopper", "seq": seq}
        emit("read", payload, to=broadcast.conversation_room(conversation.id), namespace=SELLER_NS)
        emit("read", payload, to=broadcast.customer_room(conversation.customer_id), namespace=SHOPPER_NS)
        return {"seq": seq}

    @handler
    def on_page(self, data: dict[str, Any]) -> None:
        """The widget moved to another page: the sellers' context panel follows."""
        customer = _current_customer()
        if service.record_page(customer, data) is not None:
            conversation = service.current_conversation(customer)
            if conversation is not None:
                self._context_changed(customer, conversation.id)

    @handler
    def on_email(self, data: dict[str, Any]) -> dict[str, Any]:
        """Shopper leaves an email so replies reach them when they are gone."""
        customer = _current_customer()
        email = service.set_email(customer, data.get("email"))
        conversation = service.current_conversation(customer)
        if conversation is not None:
            broadcast.system_message(conversation, "email_left", f"Email left: {email}", email)
            self._context_changed(customer, conversation.id)
        return {"email": email}

    def _context_changed(self, customer: Customer, conversation_id: int) -> None:
        broadcast.push_context(customer)


def _seller() -> Seller:
    """The calling seller, read again at every event (one primary-key query; sellers' events are few): a
    seller deactivated while connected is refused from their next event on, and taken out of every room,
    so that their inbox stops receiving conversations too."""
    seller = db.session.get(Seller, session.get("seller_id"))
    if seller is None or not seller.active:
        for room in rooms():
            if room != request.sid:
                leave_room(room)
        raise service.ChatError("forbidden", "Your seller account is not active.")
    return seller


class SellerNamespace(ChatNamespace):
    """The seller inbox. Identity: the signed-in seller's session."""

    def on_connect(self, auth: Any = None) -> None:
        """Sent by the inbox page; refused unless a seller is signed in."""
        tasks.ensure_started(current_app._get_current_object())
        if not current_user.is_authenticated or not isinstance(current_user._get_current_object(), Seller):
            refuse("not_signed_in", "Sign in as a seller first.")
        seller = current_user._get_current_object()
        session["seller_id"] = seller.id
        self.connected[request.sid] = seller.id
        join_room(SELLERS_ROOM)
        join_room(f"seller:{seller.id}")
        service.touch_seller(seller)
        self._unless_gone(seller)
        self._presence(seller)

    def on_disconnect(self, reason: Any = None) -> None:
        seller_id = self.connected.get(request.sid)
        super().on_disconnect(reason)
        if seller_id is not None and seller_id not in self.connected.values():
            seller = db.session.get(Seller, seller_id)
            if seller is not None:
                seller.last_seen_at = None
                db.session.commit()
                self._presence(seller)

    def _unless_gone(self, seller: Seller) -> None:
        """Undo a touch when this inbox disconnected while its event was being handled (events and the
        disconnect are handled concurrently): the seller must not look online for PRESENCE_TIMEOUT more."""
        if request.sid not in self.connected and seller.id not in self.connected.values():
            seller.last_seen_at = None
            db.session.commit()

    def _presence(self, seller: Seller) -> None:
        emit("presence", {"seller": service.seller_summary(seller)}, to=SELLERS_ROOM, namespace=SELLER_NS)
        broadcast.presence_changed()

    @handler
    def on_hello(self, data: dict[str, Any]) -> dict[str, Any]:
        """Inbox page loaded: who am I, the team, open conversations, saved replies."""
        seller = _seller()
        return {
            "seller": service.seller_summary(seller),
            "sellers": [service.seller_summary(s) for s in service.all_sellers()],
            "conversations": [service.summary(c) for c in service.inbox(seller, "open")],
            "canned": [
                {"id": c.id, "shortcut": c.shortcut, "title": c.title, "body": c.body}
                for c in service.canned_responses()
            ],
        }

    @handler
    def on_inbox(self, data: dict[str, Any]) -> dict[str, Any]:
        """Seller picks a filter (open, waiting, mine, resolved, all)."""
        seller = _seller()
        return {
            "conversations": [
                service.summary(c) for c in service.inbox(seller, str(data.get("filter", "open")))
            ]
        }

    @handler
    def on_open(self, data: dict[str, Any]) -> dict[str, Any]:
        """Seller opens a conversation: joins its room (live messages), gets history and context."""
        _seller()
        conversation = service.get_conversation(data.get("conversation_id"))
        join_room(broadcast.conversation_room(conversation.id))
        messages = service.messages_after(conversation.id, data.get("after_seq"))
        return {
            "conversation": service.summary(conversation),
            "messages": [serialize(m) for m in messages],
            "context": service.context(conversation.customer, conversation.id),
        }

    @handler
    def on_close(self, data: dict[str, Any]) -> None:
        """Seller closes the conversation pane: no more live events for it."""
        conversation = service.get_conversation(data.get("conversation_id"))
        leave_room(broadcast.conversation_room(conversation.id))

    def _send(self, conversation_id: Any, client_id: Any, **fields: Any) -> dict[str, Any]:
        seller = _seller()
        conversation = service.get_conversation(conversation_id)
        stored = broadcast.post(
            Draft(
                conversation_id=conversation.id,
                sender_kind="seller",
                client_id=clean_client_id(client_id),
                sender_name=seller.name,
                seller_id=seller.id,
                **fields,
            )
        )
        return {"message": stored.message, "duplicate": stored.duplicate}

    @handler
    def on_send(self, data: dict[str, Any]) -> dict[str, Any]:
        """Seller replies with text; emitted as `message` to the shopper and the other sellers."""
        return self._send(
            data.get("conversation_id"), data.get("client_id"), text=clean_text(data.get("text"))
        )

    @handler
    def on_send_product(self, data: dict[str, Any]) -> dict[str, Any]:
        """Seller sends a product card (found with search_products)."""
        handle = data.get("handle")
        product = service.get_visible_product(handle) if isinstance(handle, str) else None
        if product is None:
            raise service.ChatError("not_found", "This product does not exist.")
        card = service.product_summary(product)
        return self._send(
            data.get("conversation_id"),
            data.get("client_id"),
            type="product_card",
            text=f"{card['title']} – {card['price_text']} {card['url']}",
            data={"product": card},
        )

    @handler
    def on_typing(self, data: dict[str, Any]) -> None:
        """Seller is (not) typing: the shopper sees "Seller is typing…", other sellers see who."""
        seller = _seller()
        conversation = service.get_conversation(data.get("conversation_id"))
        payload = {
            "conversation_id": conversation.id,
            "who": "seller",
            "name": seller.name,
            "typing": bool(data.get("typing")),
        }
        emit("typing", payload, to=broadcast.customer_room(conversation.customer_id), namespace=SHOPPER_NS)
        emit(
            "typing",
            payload,
            to=broadcast.conversation_room(conversation.id),
            namespace=SELLER_NS,
            skip_sid=request.sid,
        )

    @handler
    def on_read(self, data: dict[str, Any]) -> dict[str, Any]:
        """Seller has read up to seq: read receipts for the shopper, unread count cleared in inboxes."""
        _seller()
        conversation = service.get_conversation(data.get("conversation_id"))
        seq = service.mark_read(conversation, "seller", data.get("seq"))
        payload = {"conversation_id": conversation.id, "who": "seller", "seq": seq}
        emit("read", payload, to=broadcast.customer_room(conversation.customer_id), namespace=SHOPPER_NS)
        emit("read", payload, to=broadcast.conversation_room(conversation.id), namespace=SELLER_NS)
        broadcast.conversation_changed(conversation)
        return {"seq": seq}

    @handler
    def on_claim(self, data: dict[str, Any]) -> dict[str, Any]:
        """Seller takes a waiting conversation; exactly one of two racing sellers gets it."""
        seller = _seller()
        conversation = service.claim(data.get("conversation_id"), seller)
        broadcast.system_message(
            conversation, "claimed", f"{seller.name} joined the conversation", seller.name
        )
        return {"conversation": broadcast.conversation_changed(conversation)}

    @handler
    def on_transfer(self, data: dict[str, Any]) -> dict[str, Any]:
        """Seller hands the conversation to another seller."""
        seller = _seller()
        conversation, target = service.transfer(data.get("conversation_id"), seller, data.get("seller_id"))
        text = f"{seller.name} handed the conversation over to {target.name}"
        broadcast.system_message(conversation, "transferred", text, target.name)
        return {"conversation": broadcast.conversation_changed(conversation)}

    @handler
    def on_resolve(self, data: dict[str, Any]) -> dict[str, Any]:
        """Seller closes the conversation; a new shopper message reopens it."""
        seller = _seller()
        conversation = service.resolve(data.get("conversation_id"), seller)
        broadcast.system_message(
            conversation, "resolved", f"{seller.name} closed the conversation", seller.name
        )
        return {"conversation": broadcast.conversation_changed(conversation)}

    @handler
    def on_presence(self, data: dict[str, Any]) -> dict[str, Any]:
        """Seller sets online/away (also sent every 30 s as a heartbeat)."""
        seller = _seller()
        previous = service.presence_of(seller)
        status = data.get("status")
        service.touch_seller(seller, status if isinstance(status, str) else None)
        self._unless_gone(seller)
        if service.presence_of(seller) != previous:
            self._presence(seller)
        return {"seller": service.seller_summary(seller)}

    @handler
    def on_search_products(self, data: dict[str, Any]) -> dict[str, Any]:
        """Seller searches the catalog from the conversation pane."""
        _seller()
        query = data.get("q")
        if not isinstance(query, str):
            raise service.ChatError("invalid", "q must be text.")
        page = service.search_products(query)
        return {"products": [service.product_summary(p) for p in page]}

    @handler
    def on_render_canned(self, data: dict[str, Any]) -> dict[str, Any]:
        """Seller picks a saved reply: its text with the shopper's name and product filled in."""
        _seller()
        conversation = service.get_conversation(data.get("conversation_id"))
        return {"text": service.render_canned(data.get("canned_id"), conversation)}


def register(socketio: Any) -> None:
    """Add the namespaces once: the socketio object outlives apps (the tests build many)."""
    if not any(isinstance(handler, ChatNamespace) for handler in socketio.namespace_handlers):
        socketio.on_namespace(ShopperNamespace(SHOPPER_NS))
        socketio.on_namespace(SellerNamespace(SELLER_NS))
