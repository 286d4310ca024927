"""The anonymous shopper identity: a random token in a long-lived signed cookie.

A Customer row is created only when the shopper does something worth remembering (adds to cart, opens a
chat), so crawlers and one-page visits leave nothing behind. A tampered or unknown cookie is ignored: the
shopper simply gets a new identity.
"""

from __future__ import annotations

from flask import Response, current_app, g, request
from itsdangerous import BadSignature, URLSafeSerializer

from extensions import db
from shop.models import Customer, utcnow

_SALT = "shopper-identity"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def read_shopper_token(cookie_value: str | None) -> str | None:
    """The customer token from a signed cookie value, or None if it is missing or tampered with."""
    if not cookie_value:
        return None
    try:
        token = _serializer().loads(cookie_value)
    except BadSignature:
        return None
    return token if isinstance(token, str) and 0 < len(token) <= 64 else None


def customer_from_cookie(cookie_value: str | None) -> Customer | None:
    """The customer a cookie value designates (also used by Socket.IO handlers, which see the cookie)."""
    token = read_shopper_token(cookie_value)
    if token is None:
        return None
    return db.session.scalar(db.select(Customer).filter_by(token=token))


def current_customer(*, create: bool = False) -> Customer | None:
    """The shopper making this request; with create=True one is made (and the cookie set) if needed."""
    if "customer" not in g:
        g.customer = customer_from_cookie(request.cookies.get(current_app.config["SHOPPER_COOKIE_NAME"]))
    if g.customer is None and create:
        g.customer = Customer()
        db.session.add(g.customer)
        db.session.flush()
    return g.customer


def remember_shopper(response: Response) -> Response:
    """After each request: (re)send the identity cookie, so it lives a year after the *last* visit."""
    customer: Customer | None = g.get("customer")
    if customer is None or customer.id is None:
        return response
    config = current_app.config
    response.set_cookie(
        config["SHOPPER_COOKIE_NAME"],
        _serializer().dumps(customer.token),
        max_age=config["SHOPPER_COOKIE_MAX_AGE"],
        secure=config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    if (utcnow() - customer.last_seen_at).total_seconds() > 3600:
        customer.last_seen_at = utcnow()
        db.session.commit()
    return response
