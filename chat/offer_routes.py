"""The inbox's discount calls: a seller makes an offer in a conversation; managers list, approve and decline
the offers waiting above a seller's cap.

Thin views over shop.discounts (terms, caps, decisions) and chat.offers (the card or note in the conversation,
the managers told). JSON in and out, CSRF in the X-CSRFToken header (checked by CSRFProtect for every POST);
answers are `{"ok": true, ...}` or `{"ok": false, "error": {"code", "message", "fields"?}}`, as the payments
calls answer. The views sit in a blueprint nested in `chat`'s, so that its JSON error handlers (signed out,
expired CSRF token, refused discount) apply to these calls only and not to the seller's HTML pages.
"""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from wtforms import StringField
from wtforms.validators import AnyOf, DataRequired, Length, ValidationError

from chat import bp, broadcast, offers, service
from chat.models import Conversation, Seller
from extensions import db
from shop import cart as carts
from shop import discounts
from shop.discounts import DiscountError
from shop.formatting import money
from shop.models import DISCOUNT_SCOPES, Collection, Customer, Product
from shop.money import MoneyError, parse_price, to_major

offers_bp = Blueprint("offers", __name__)

#: HTTP status of each refusal; any other DiscountError is 400.
STATUS = {"not_signed_in": 401, "forbidden": 403, "not_found": 404, "already_decided": 409}
MAX_HOURS = 24 * 365


def fail(code: str, message: str, status: int = 400, **extra: Any):
    return jsonify(ok=False, error={"code": code, "message": message, **extra}), status


@offers_bp.errorhandler(DiscountError)
def discount_error(error: DiscountError):
    db.session.rollback()
    return fail(error.code, str(error), STATUS.get(error.code, 400), **error.extra)


@offers_bp.errorhandler(CSRFError)
def csrf_error(error: CSRFError):
    return fail("csrf", _("Your session expired. Please reload the page and try again."))


@offers_bp.errorhandler(HTTPException)
def http_error(error: HTTPException):
    return fail(error.name.lower().replace(" ", "_"), error.description or error.name, error.code or 500)


def seller_call(view):
    """The view gets the signed-in seller as its first argument; anyone else gets a 401 JSON answer (not
    login_required's redirect to the sign-in page, which a fetch would follow)."""

    @functools.wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        seller = current_user._get_current_object() if current_user.is_authenticated else None
        if not isinstance(seller, Seller):
            raise DiscountError("not_signed_in", _("Sign in as a seller first."))
        return view(seller, *args, **kwargs)

    return wrapped


def manager_call(view):
    @functools.wraps(view)
    def wrapped(seller: Seller, *args: Any, **kwargs: Any):
        if not seller.is_manager:
            raise DiscountError("forbidden", _("Only a manager can approve or decline discounts."))
        return view(seller, *args, **kwargs)

    return seller_call(wrapped)


def _conversation_for(seller: Seller, conversation_id: int) -> Conversation:
    """The conversation, if this seller may make offers in it (theirs, one nobody has, or any for a manager:
    the rule for transfer and resolve too)."""
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None:
        raise DiscountError("not_found", _("This conversation does not exist."))
    if not service._may_manage(conversation, seller):
        message = _("Only the seller who has this conversation, or a manager, can make an offer in it.")
        raise DiscountError("forbidden", message)
    return conversation


# --- The form ----------------------------------------------------------------------------------------------


def _amount_example() -> str:
    return str(to_major(2000, current_app.config["SHOP_CURRENCY"]))


def _minor_units(text: str) -> int | None:
    try:
        return parse_price(text, current_app.config["SHOP_CURRENCY"])
    except MoneyError:
        return None


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


class OfferForm(FlaskForm):
    """A seller's offer, posted as JSON by the inbox (or as form data). Amounts are typed in major units
    ("12.50") and become minor units; the caps are shop.discounts' to check, not the form's."""

    class Meta:
        csrf = False  # checked for the whole request by CSRFProtect (X-CSRFToken header), not per form

    kind = StringField(
        _l("Discount"),
        default="percent",
        validators=[AnyOf(("percent", "fixed"), message=_l("Choose a percent or a fixed amount."))],
    )
    value = StringField(
        _l("Value"), filters=[_strip], validators=[DataRequired(_l("Enter the percent or the amount off."))]
    )
    scope = StringField(
        _l("Applies to"),
        default="order",
        validators=[AnyOf(DISCOUNT_SCOPES, message=_l("Choose what the discount applies to."))],
    )
    product_id = StringField(_l("Product"), filters=[_strip])
    collection_id = StringField(_l("Collection"), filters=[_strip])
    min_subtotal = StringField(_l("Minimum order"), filters=[_strip])
    expires_in_hours = StringField(_l("Expires in (hours)"), filters=[_strip])
    note = StringField(
        _l("Note for the shopper"),
        filters=[_strip],
        validators=[Length(max=discounts.NOTE_MAX, message=_l("A note is at most 200 characters."))],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.minor_value: int | None = None
        self.target_id: int | None = None

    @classmethod
    def from_request(cls) -> OfferForm:
        """From a JSON object (strings and whole numbers), else from the posted form data."""
        payload = request.get_json(silent=True)
        if payload is None:
            return cls()
        data = payload if isinstance(payload, dict) else {}
        values = {
            key: str(value)
            for key, value in data.items()
            if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
        }
        return cls(formdata=MultiDict(values))

    def validate_value(self, field: StringField) -> None:
        text = field.data or ""
        if self.kind.data == "percent":
            if not text.isdigit() or not 1 <= int(text) <= 100:
                raise ValidationError(_l("A percent is a whole number from 1 to 100."))
            self.minor_value = int(text)
        elif self.kind.data == "fixed":
            amount = _minor_units(text)
            if amount is None or amount <= 0:
                raise ValidationError(
                    _l("Enter an amount above zero, written like %(example)s.", example=_amount_example())
                )
            self.minor_value = amount

    def validate_product_id(self, field: StringField) -> None:
        if self.scope.data != "product":
            return
        product = db.session.get(Product, int(field.data)) if (field.data or "").isdigit() else None
        if product is None or not product.is_visible:
            raise ValidationError(_l("Choose the product the discount is for."))
        self.target_id = product.id

    def validate_collection_id(self, field: StringField) -> None:
        if self.scope.data != "collection":
            return
        collection = db.session.get(Collection, int(field.data)) if (field.data or "").isdigit() else None
        if collection is None:
            raise ValidationError(_l("Choose the collection the discount is for."))
        self.target_id = collection.id

    def validate_min_subtotal(self, field: StringField) -> None:
        if field.data and _minor_units(field.data) is None:
            raise ValidationError(
                _l("Write the minimum order as an amount like %(example)s.", example=_amount_example())
            )

    def validate_expires_in_hours(self, field: StringField) -> None:
        if field.data and (not field.data.isdigit() or not 1 <= int(field.data) <= MAX_HOURS):
            raise ValidationError(_l("An offer lasts from 1 to %(max)s hours (a year).", max=MAX_HOURS))

    def values(self) -> dict[str, Any]:
        """The offer as shop.discounts.seller_offer takes it (after validation)."""
        return {
            "kind": self.kind.data,
            "value": self.minor_value,
            "scope": self.scope.data,
            "target_id": self.target_id,
            "min_subtotal": _minor_units(self.min_subtotal.data) if self.min_subtotal.data else 0,
            "expires_in_hours": int(self.expires_in_hours.data) if self.expires_in_hours.data else None,
            "note": self.note.data or "",
        }

    def errors_by_field(self) -> dict[str, str]:
        return {name: str(messages[0]) for name, messages in self.errors.items() if messages}


# --- Making an offer ---------------------------------------------------------------------------------------


def cap_text(seller: Seller, settings: discounts.Settings) -> str:
    """What this seller may offer alone, and (a seller) up to where a manager approves."""

    def limits(role: str) -> dict[str, str]:
        return {"percent": f"{settings.cap(role, 'percent')}%", "amount": money(settings.cap(role, "fixed"))}

    if seller.is_manager:
        return _("You can offer up to %(percent)s or %(amount)s.", **limits("manager"))
    manager = limits("manager")
    return _(
        "You can offer up to %(percent)s or %(amount)s alone; above that, up to %(manager_percent)s or "
        "%(manager_amount)s, a manager approves.",
        **limits("seller"),
        manager_percent=manager["percent"],
        manager_amount=manager["amount"],
    )


def _product_choices(conversation: Conversation) -> list[dict[str, Any]]:
    """The products an offer can be for: those in the shopper's cart, and the one they are looking at."""
    choices: dict[int, dict[str, Any]] = {}
    cart = carts.open_cart(conversation.customer)
    for line in cart.lines if cart else []:
        product = line.variant.product
        if product.is_visible:
            choices.setdefault(product.id, {"id": product.id, "title": product.title, "in_cart": True})
    viewing = service.current_product(conversation.customer)
    if viewing is not None and viewing.is_visible and viewing.id not in choices:
        choices[viewing.id] = {"id": viewing.id, "title": viewing.title, "in_cart": False, "viewing": True}
    elif viewing is not None and viewing.id in choices:
        choices[viewing.id]["viewing"] = True
    return list(choices.values())


@offers_bp.get("/seller/conversations/<int:conversation_id>/offers/new")
@seller_call
def offer_options(seller: Seller, conversation_id: int):
    """What the inbox's offer form offers for this conversation: products, collections, caps, expiry."""
    conversation = _conversation_for(seller, conversation_id)
    settings = discounts.load_settings()
    collections = db.session.execute(sa.select(Collection.id, Collection.title).order_by(Collection.title))
    return jsonify(
        ok=True,
        cap_text=cap_text(seller, settings),
        default_expiry_hours=settings.default_expiry_hours,
        products=_product_choices(conversation),
        collections=[{"id": cid, "title": title} for cid, title in collections],
        amount_example=_amount_example(),
    )


@offers_bp.post("/seller/conversations/<int:conversation_id>/offers")
@seller_call
def make_offer(seller: Seller, conversation_id: int):
    """A seller's offer to the conversation's shopper: the card in the conversation, or (above the seller's
    cap) a note and the managers asked to approve it."""
    conversation = _conversation_for(seller, conversation_id)
    form = OfferForm.from_request()
    if not form.validate():
        return fail("invalid", _("Please correct the highlighted fields."), fields=form.errors_by_field())
    try:
        offer = discounts.seller_offer(seller, conversation, **form.values())
    except DiscountError as error:
        db.session.rollback()
        field = "value" if error.code == "over_cap" else None
        extra = {"fields": {field: str(error)}} if field else {}
        return fail(error.code, str(error), **extra)
    offers.offer_made(offer, seller)
    broadcast.push_context(conversation.customer)  # the shopper's offers in the sellers' context panels
    pending = offer.status == "pending"
    if pending:
        message = _("%(label)s is waiting for a manager's approval.", label=discounts.label(offer))
    else:
        message = _("Offer sent: %(label)s.", label=discounts.label(offer))
    return jsonify(ok=True, offer=discounts.offer_data(offer), pending=pending, message=message), 201


# --- Managers: approvals -----------------------------------------------------------------------------------


@offers_bp.get("/seller/offers/pending")
@manager_call
def pending_offers(manager: Seller):
    """Offers waiting for a manager, oldest first (kept live by the `offer_pending` and `offer_decided`
    socket events)."""
    return jsonify(ok=True, offers=[offers.pending_data(offer) for offer in discounts.pending_offers()])


def _decide(manager: Seller, offer_id: int, approve: bool):
    offer = discounts.decide(offer_id, manager, approve)
    offers.offer_decided(offer, manager)
    customer = db.session.get(Customer, offer.customer_id) if offer.customer_id else None
    if customer is not None:
        broadcast.push_context(customer)
    if approve:
        message = _("Approved: %(label)s.", label=discounts.label(offer))
    else:
        message = _("Declined: %(label)s.", label=discounts.label(offer))
    return jsonify(ok=True, offer=discounts.offer_data(offer), message=message)


@offers_bp.post("/seller/offers/<int:offer_id>/approve")
@manager_call
def approve_offer(manager: Seller, offer_id: int):
    """The offer card goes to the shopper, from the manager who approved it."""
    return _decide(manager, offer_id, True)


@offers_bp.post("/seller/offers/<int:offer_id>/decline")
@manager_call
def decline_offer(manager: Seller, offer_id: int):
    """The shopper and the seller are told it was not approved."""
    return _decide(manager, offer_id, False)


bp.register_blueprint(offers_bp)
