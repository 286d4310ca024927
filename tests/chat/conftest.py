"""Chat fixtures: sellers, and Socket.IO test clients for shoppers and sellers sharing cookies with HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from chat.models import Seller
from extensions import db, socketio


@pytest.fixture
def make_seller(app: Flask) -> Callable[..., int]:
    def make(
        name: str = "Ana", email: str | None = None, role: str = "seller", password: str = "pa55word!"
    ) -> int:
        with app.app_context():
            seller = Seller(email=email or f"{name.lower()}@example.com", name=name, role=role)
            seller.set_password(password)
            db.session.add(seller)
            db.session.commit()
            return seller.id

    return make


@pytest.fixture
def sockets() -> Iterator[list]:
    """Socket test clients made by a test; disconnected afterwards, as a closing browser would."""
    made: list = []
    yield made
    for sock in made:
        for namespace in ("/shopper", "/seller"):
            if sock.is_connected(namespace):
                sock.disconnect(namespace=namespace)


@pytest.fixture
def shopper(app: Flask, sockets: list) -> Callable[[], tuple[FlaskClient, object]]:
    """A new shopper: an HTTP client with the identity cookie, and a connected /shopper socket."""

    def make(http: FlaskClient | None = None):
        http = http or app.test_client()
        assert http.post("/chat/session").status_code == 200
        sock = socketio.test_client(app, namespace="/shopper", flask_test_client=http)
        sockets.append(sock)
        assert sock.is_connected("/shopper")
        return http, sock

    return make


@pytest.fixture
def seller_client(app: Flask, make_seller, sockets: list) -> Callable[..., tuple[FlaskClient, object]]:
    """A signed-in seller: an HTTP client with the session, and a connected /seller socket."""

    def make(name: str = "Ana", role: str = "seller"):
        make_seller(name, role=role)
        http = app.test_client()
        response = http.post(
            "/seller", data={"email": f"{name.lower()}@example.com", "password": "pa55word!"}
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        sock = socketio.test_client(app, namespace="/seller", flask_test_client=http)
        sockets.append(sock)
        assert sock.is_connected("/seller")
        return http, sock

    return make


def call(sock, event: str, data: dict | None = None, namespace: str = "/shopper") -> dict:
    """Emit with an acknowledgement and return the ack payload."""
    return sock.emit(event, data or {}, namespace=namespace, callback=True)


def received(sock, event: str, namespace: str) -> list:
    """Payloads of the events of that name received so far (and forgets everything received)."""
    # The test client reports events named "message" (send()'s name) with the payload itself as args.
    return [
        r["args"] if r["name"] == "message" else r["args"][0]
        for r in sock.get_received(namespace)
        if r["name"] == event
    ]
