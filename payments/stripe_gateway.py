"""Every call to Stripe goes through here (the one module that imports `stripe`).

Only calls that both real Stripe and localstripe (the embedded default, a separate process) support:
SetupIntents for collecting the card in the browser, PaymentIntents created, given a payment method and
confirmed on the server, refunds with an explicit amount, and signed webhooks. With STRIPE_API_BASE unset
the client talks to api.stripe.com; `make run` points it at localstripe.

Results come back as small dataclasses of plain values, so the rest of the code never handles Stripe
objects (which changed shape in SDK 15: no dict access).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import stripe
from flask import current_app

log = logging.getLogger(__name__)


class GatewayError(Exception):
    """Stripe could not be reached or refused the request for a reason that is not the card's."""


class CardDeclined(Exception):
    """The bank refused the card; str(error) is its reason for the shopper."""

    def __init__(self, message: str, code: str = "card_declined") -> None:
        super().__init__(message)
        self.code = code


class InvalidSignature(Exception):
    """A webhook payload that does not carry a valid, fresh Stripe signature."""


@dataclass(frozen=True)
class Intent:
    """The state of a PaymentIntent as the checkout needs it."""

    id: str
    status: str
    amount: int
    currency: str
    client_secret: str
    metadata: dict[str, str]
    error_message: str = ""


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    intent: Intent | None


def configured() -> bool:
    config = current_app.config
    return bool(config["STRIPE_SECRET_KEY"] and config["STRIPE_PUBLISHABLE_KEY"])


def _client() -> stripe.StripeClient:
    clients = current_app.extensions.setdefault("stripe_clients", {})
    config = current_app.config
    key = (config["STRIPE_SECRET_KEY"], config["STRIPE_API_BASE"])
    if key not in clients:
        options: dict[str, Any] = {"max_network_retries": 2}
        if config["STRIPE_API_BASE"]:
            options["base_addresses"] = {"api": config["STRIPE_API_BASE"]}
        clients[key] = stripe.StripeClient(config["STRIPE_SECRET_KEY"], **options)
    return clients[key]


def _intent(obj: Any) -> Intent:
    error = getattr(obj, "last_payment_error", None)
    metadata = getattr(obj, "metadata", None)
    return Intent(
        id=obj.id,
        status=obj.status,
        amount=int(obj.amount),
        currency=str(obj.currency).upper(),
        client_secret=getattr(obj, "client_secret", "") or "",
        metadata=dict(metadata.to_dict()) if metadata is not None else {},
        error_message=(getattr(error, "message", "") or "") if error else "",
    )


def _call(action: str, function: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return function(*args, **kwargs)
    except stripe.CardError as error:
        raise CardDeclined(error.user_message or str(error), error.code or "card_declined") from error
    except stripe.StripeError as error:
        log.warning("Stripe %s failed: %s", action, error)
        raise GatewayError(error.user_message or str(error)) from error


def create_setup_intent(metadata: dict[str, str]) -> str:
    """A SetupIntent for the card element; returns its client secret."""
    client = _client()
    intent = _call(
        "setup intent",
        client.v1.setup_intents.create,
        {"payment_method_types": ["card"], "usage": "on_session", "metadata": metadata},
    )
    return intent.client_secret


def create_payment_intent(
    amount: int, currency: str, metadata: dict[str, str], idempotency_key: str
) -> Intent:
    intent = _call(
        "create payment intent",
        _client().v1.payment_intents.create,
        {
            "amount": amount,
            "currency": currency.lower(),
            "payment_method_types": ["card"],
            "metadata": metadata,
        },
        {"idempotency_key": idempotency_key},
    )
    return _intent(intent)


def confirm_payment_intent(intent_id: str, payment_method: str, idempotency_key: str) -> Intent:
    """Give the intent its card and confirm it (set then confirm: localstripe cannot do both in one call).

    Raises CardDeclined with the bank's reason; a 3-D Secure card comes back as requires_action.
    """
    client = _client()
    _call(
        "set payment method",
        client.v1.payment_intents.update,
        intent_id,
        {"payment_method": payment_method},
        {"idempotency_key": f"{idempotency_key}-pm"},
    )
    intent = _call(
        "confirm payment intent",
        client.v1.payment_intents.confirm,
        intent_id,
        {},
        {"idempotency_key": idempotency_key},
    )
    return _intent(intent)


def retrieve_payment_intent(intent_id: str) -> Intent:
    return _intent(_call("retrieve payment intent", _client().v1.payment_intents.retrieve, intent_id))


def cancel_payment_intent(intent_id: str) -> Intent | None:
    """Cancel an intent that will not be paid; None when it can no longer be cancelled."""
    try:
        return _intent(_client().v1.payment_intents.cancel(intent_id))
    except stripe.StripeError as error:
        log.info("could not cancel %s: %s", intent_id, error)
        return None


def refund(intent_id: str, amount: int, idempotency_key: str) -> str:
    """Refund `amount` (always explicit: localstripe refunds everything again without one). Returns its id."""
    result = _call(
        "refund",
        _client().v1.refunds.create,
        {"payment_intent": intent_id, "amount": amount},
        {"idempotency_key": idempotency_key},
    )
    if result.status == "failed":
        raise GatewayError("The refund failed.")
    return result.id


def parse_event(payload: bytes, signature: str | None) -> Event:
    """Verify a webhook's signature on the raw body (and its age) and read the event."""
    secret = current_app.config["STRIPE_WEBHOOK_SECRET"]
    if not signature or not secret:
        raise InvalidSignature("missing signature")
    try:
        event = stripe.Webhook.construct_event(
            payload, signature, secret, tolerance=current_app.config["STRIPE_WEBHOOK_TOLERANCE"]
        )
    except stripe.SignatureVerificationError as error:
        raise InvalidSignature(str(error)) from error
    except ValueError as error:  # not JSON
        raise InvalidSignature("payload is not an event") from error
    obj = event.data.object
    intent = _intent(obj) if getattr(obj, "object", None) == "payment_intent" else None
    return Event(id=event.id, type=event.type, intent=intent)
