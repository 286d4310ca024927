"""A seller on the other end of the chat, for end-to-end tests: signs in over HTTP like a browser would,
then drives the /seller namespace with python-socketio (docs/chat-protocol.md)."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import requests
import socketio

NS = "/seller"


class SellerError(AssertionError):
    """The server answered {"ok": false, ...}."""


class SellerBot:
    def __init__(self, base_url: str, email: str, password: str) -> None:
        self.base_url = base_url
        self.cookie = self._sign_in(email, password)
        self.received: list[tuple[str, Any]] = []
        self.sio = socketio.Client(reconnection=False)
        for event in ("message", "typing", "read", "conversation", "presence", "context"):
            self.sio.on(event, self._recorder(event), namespace=NS)

    def _sign_in(self, email: str, password: str) -> str:
        """The session cookie of a signed-in seller, as a Cookie header value.

        The cookies are Secure (as in production) and requests, unlike a browser, does not send Secure
        cookies to http://127.0.0.1: they are passed by hand.
        """
        http = requests.Session()
        form = http.get(f"{self.base_url}/seller", timeout=10)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form.text)
        assert token, "no csrf_token in the sign-in form"
        response = http.post(
            f"{self.base_url}/seller",
            data={"email": email, "password": password, "csrf_token": token.group(1)},
            headers={"Cookie": self._cookie_header(http)},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 302, f"sign-in failed: {response.status_code}"
        http.cookies.update(response.cookies)
        return self._cookie_header(http)

    @staticmethod
    def _cookie_header(http: requests.Session) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in http.cookies)

    def _recorder(self, event: str):
        def record(data: Any = None) -> None:
            self.received.append((event, data))

        return record

    # --- Connection ------------------------------------------------------------------------------------

    def connect(self) -> SellerBot:
        self.sio.connect(
            self.base_url,
            namespaces=[NS],
            headers={"Cookie": self.cookie},
            transports=["websocket"],
            wait_timeout=10,
        )
        self.call("hello")
        return self

    def disconnect(self) -> None:
        if self.sio.connected:
            self.sio.disconnect()

    def __enter__(self) -> SellerBot:
        return self.connect()

    def __exit__(self, *exc: object) -> None:
        self.disconnect()

    def call(self, event: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        """Emit with an acknowledgement; the ack's result, or SellerError when the server refused."""
        ack = self.sio.call(event, data or {}, namespace=NS, timeout=10)
        if not ack.get("ok"):
            raise SellerError(f"{event} refused: {ack.get('error')}")
        return ack

    # --- What a seller does ----------------------------------------------------------------------------

    def find_conversation(self, text: str, timeout: float = 10) -> int:
        """The id of the conversation whose last message is `text` (a shopper just wrote it)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for conversation in self.call("inbox", {"filter": "all"})["conversations"]:
                last = conversation.get("last_message") or {}
                if last.get("text") == text:
                    return conversation["id"]
            time.sleep(0.2)
        raise AssertionError(f"no conversation ends with {text!r}")

    def open(self, conversation_id: int) -> list[dict[str, Any]]:
        """Open the conversation (its live events come to this seller); returns its messages."""
        return self.call("open", {"conversation_id": conversation_id})["messages"]

    def typing(self, conversation_id: int, typing: bool = True) -> None:
        self.call("typing", {"conversation_id": conversation_id, "typing": typing})

    def send(self, conversation_id: int, text: str) -> dict[str, Any]:
        ack = self.call(
            "send", {"conversation_id": conversation_id, "client_id": str(uuid.uuid4()), "text": text}
        )
        return ack["message"]

    def read(self, conversation_id: int, seq: int) -> None:
        self.call("read", {"conversation_id": conversation_id, "seq": seq})

    def wait_for(self, event: str, predicate=lambda data: True, timeout: float = 10) -> Any:
        """The first `event` received (since connecting) that satisfies predicate."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, data in list(self.received):
                if name == event and predicate(data):
                    return data
            time.sleep(0.05)
        raise AssertionError(f"no {event} event received within {timeout}s")
