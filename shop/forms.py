"""Storefront forms (CSRF-protected FlaskForms)."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)

from shop import discount_admin
from shop.cart import MAX_LINE_QUANTITY
from shop.discounts import NOTE_MAX, SETTING_FIELDS
from shop.formatting import money
from shop.models import utcnow
from shop.money import MoneyError, parse_price, to_major


def _quantity_message(low: int):
    return _l(
        "Quantity must be a whole number between %(low)d and %(high)d.", low=low, high=MAX_LINE_QUANTITY
    )


class AddToCartForm(FlaskForm):
    """Posted from a product page. Without JavaScript the option radios pick the variant; with it,
    the script also fills `variant_id`. The server resolves either way and checks stock."""

    variant_id = HiddenField()
    option1 = StringField(validators=[Optional()])
    option2 = StringField(validators=[Optional()])
    option3 = StringField(validators=[Optional()])
    quantity = IntegerField(
        _l("Quantity"),
        default=1,
        validators=[
            InputRequired(_quantity_message(1)),
            NumberRange(1, MAX_LINE_QUANTITY, _quantity_message(1)),
        ],
    )
    submit = SubmitField(_l("Add to cart"))


class UpdateLineForm(FlaskForm):
    quantity = IntegerField(
        _l("Quantity"),
        validators=[
            InputRequired(_quantity_message(0)),
            NumberRange(0, MAX_LINE_QUANTITY, _quantity_message(0)),
        ],
    )
    submit = SubmitField(_l("Update"))


class RemoveLineForm(FlaskForm):
    submit = SubmitField(_l("Remove"))


# --- Discounts (the owner's pages at /seller/discounts) --------------------------------------------------


class MoneyField(StringField):
    """An amount typed in major units ("20.00", "20,5") whose data is minor units (2000) in SHOP_CURRENCY;
    an empty box gives None."""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(to_major(self.data, current_app.config["SHOP_CURRENCY"]))

    def process_formdata(self, valuelist: list[str]) -> None:
        text = valuelist[0].strip() if valuelist else ""
        self.data = None
        if not text:
            return
        currency = current_app.config["SHOP_CURRENCY"]
        try:
            self.data = parse_price(text, currency)
        except MoneyError:
            example = to_major(2000, currency)
            raise ValueError(
                _("“%(text)s” is not an amount: write it like %(example)s.", text=text, example=example)
            ) from None


def _choices(*pairs) -> list[SelectChoice]:
    """(value, label) pairs as the options of a select."""
    return [SelectChoice(value, label) for value, label in pairs]


def _whole(label, low: int, high: int, unit: str):
    """A required whole number from `low` to `high`; `unit` (a key of _WHOLE_MESSAGES) words its messages."""
    missing, out_of_range = _WHOLE_MESSAGES[unit]
    return IntegerField(
        label, validators=[InputRequired(message=missing), NumberRange(low, high, message=out_of_range)]
    )


_WHOLE_MESSAGES = {
    "percent": (_l("Enter a percent."), _l("Enter a percent from %(min)s to %(max)s.")),
    "hours": (_l("Enter a number of hours."), _l("Enter a number of hours from %(min)s to %(max)s.")),
    "minutes": (_l("Enter a number of minutes."), _l("Enter a number of minutes from %(min)s to %(max)s.")),
    "days": (_l("Enter a number of days."), _l("Enter a number of days from %(min)s to %(max)s.")),
    "orders": (_l("Enter a number of orders."), _l("Enter a number of orders from %(min)s to %(max)s.")),
}


def _amount_required(form: FlaskForm, field: MoneyField) -> None:
    """An amount must be typed (a blank box is not 0); text that is not an amount has its own message."""
    if field.data is None and not field.process_errors:
        raise StopValidation(_l("Enter an amount, 0 or more."))


def _amount(label):
    return MoneyField(
        label, validators=[_amount_required], render_kw={"required": True, "inputmode": "decimal"}
    )


class DiscountSettingsForm(FlaskForm):
    """Every field of shop.discounts.Settings; amounts typed in major units, stored in minor units."""

    seller_max_percent = _whole(_l("Highest percent a seller may give"), 0, 100, "percent")
    seller_max_amount = _amount(_l("Highest fixed amount a seller may give"))
    manager_max_percent = _whole(_l("Highest percent a manager may give"), 0, 100, "percent")
    manager_max_amount = _amount(_l("Highest fixed amount a manager may give"))
    default_expiry_hours = _whole(_l("Offers last (hours)"), 1, 8760, "hours")
    first_order_enabled = BooleanField(_l("Offer a discount on a shopper's first order"))
    first_order_percent = _whole(_l("First order: percent off"), 1, 100, "percent")
    loyalty_enabled = BooleanField(_l("Offer a discount to loyal shoppers"))
    loyalty_percent = _whole(_l("Loyalty: percent off"), 1, 100, "percent")
    loyalty_min_orders = _whole(_l("Loyal after this many paid orders"), 0, 10000, "orders")
    loyalty_min_spent = _amount(_l("…or after spending at least"))
    price_objection_enabled = BooleanField(_l("Offer a discount when a shopper finds it too expensive"))
    price_objection_percent = _whole(_l("Price objection: percent off"), 1, 100, "percent")
    abandoned_cart_enabled = BooleanField(_l("Offer a discount on an idle cart"))
    abandoned_cart_percent = _whole(_l("Idle cart: percent off"), 1, 100, "percent")
    abandoned_cart_minutes = _whole(_l("After how many idle minutes"), 1, 1440, "minutes")
    rule_period_days = _whole(_l("At most one rule discount per shopper every (days)"), 1, 365, "days")
    submit = SubmitField(_l("Save settings"))

    def validate_seller_max_percent(self, field: IntegerField) -> None:
        manager = self.manager_max_percent.data
        if field.data is not None and manager is not None and 0 <= manager < field.data <= 100:
            raise ValidationError(_l("A seller's cap cannot be above a manager's (%(cap)s%%).", cap=manager))

    def validate_seller_max_amount(self, field: MoneyField) -> None:
        manager = self.manager_max_amount.data
        if field.data is not None and manager is not None and field.data > manager:
            raise ValidationError(
                _l("A seller's cap cannot be above a manager's (%(cap)s).", cap=money(manager))
            )

    def validate_loyalty_min_spent(self, field: MoneyField) -> None:
        if self.loyalty_enabled.data and field.data == 0 and self.loyalty_min_orders.data == 0:
            raise ValidationError(
                _l("Set a number of orders or an amount spent, or turn the loyalty discount off.")
            )

    def values(self) -> dict[str, object]:
        """The settings as shop.discounts.save_settings takes them."""
        return {name: getattr(self, name).data for name in SETTING_FIELDS}


class ShopCodeForm(FlaskForm):
    """A public code a manager publishes (shop.discounts.shop_code checks the rest)."""

    code = StringField(
        _l("Code"),
        filters=[lambda v: v.strip().upper() if v else v],
        validators=[
            DataRequired(message=_l("Enter the code shoppers will type, for example SUMMER10.")),
            Regexp(r"^[A-Z0-9_-]{1,40}$", message=_l("A code is 1 to 40 letters, digits, - or _.")),
        ],
    )
    kind = SelectField(
        _l("Kind"), choices=_choices(("percent", _l("Percent off")), ("fixed", _l("Fixed amount off")))
    )
    value = StringField(
        _l("Value"), validators=[DataRequired(message=_l("Enter the percent or the amount."))]
    )
    scope = SelectField(
        _l("Applies to"),
        choices=_choices(
            ("order", _l("The whole order")),
            ("product", _l("One product")),
            ("collection", _l("One collection")),
        ),
    )
    product = StringField(_l("Product handle"), filters=[lambda v: v.strip().lower() if v else v])
    collection = SelectField(_l("Collection"), validate_choice=False)
    min_subtotal = MoneyField(
        _l("Minimum order"), validators=[Optional()], render_kw={"inputmode": "decimal"}
    )
    expires_on = DateField(_l("Last day it can be used"), validators=[Optional()])
    usage_limit = IntegerField(
        _l("Uses in all"),
        validators=[Optional(), NumberRange(min=1, message=_l("The number of uses must be at least 1."))],
    )
    note = StringField(_l("Note"), validators=[Length(max=NOTE_MAX)])
    submit = SubmitField(_l("Create code"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.collection.choices = _choices(
            ("", _("Choose a collection")),
            *((str(cid), title) for cid, title in discount_admin.collections()),
        )
        self.target_id: int | None = None
        self.minor_value: int | None = None

    def validate_value(self, field: StringField) -> None:
        text = field.data.strip()
        if self.kind.data == "percent":
            if not text.isdigit() or not 1 <= int(text) <= 100:
                raise ValidationError(_l("A percent is a whole number from 1 to 100."))
            self.minor_value = int(text)
            return
        currency = current_app.config["SHOP_CURRENCY"]
        try:
            amount = parse_price(text, currency)
        except MoneyError:
            amount = 0
        if amount <= 0:
            example = to_major(2000, currency)
            raise ValidationError(
                _l("Enter an amount above zero, written like %(example)s.", example=example)
            )
        self.minor_value = amount

    def validate_product(self, field: StringField) -> None:
        if self.scope.data != "product":
            return
        if not field.data:
            raise ValidationError(_l("Enter the handle of the product the code is for."))
        self.target_id = discount_admin.product_id(field.data)
        if self.target_id is None:
            raise ValidationError(_l("No product has the handle “%(handle)s”.", handle=field.data))

    def validate_collection(self, field: SelectField) -> None:
        if self.scope.data != "collection":
            return
        if field.data not in {choice.value for choice in field.choices[1:]}:
            raise ValidationError(_l("Choose the collection the code is for."))
        self.target_id = int(field.data)

    def validate_expires_on(self, field: DateField) -> None:
        if field.data is not None and self.expires_at() <= utcnow():
            raise ValidationError(_l("The last day cannot be in the past."))

    def expires_at(self) -> datetime | None:
        if self.expires_on.data is None:
            return None
        return discount_admin.end_of_day(self.expires_on.data, current_app.config["SHOP_TIMEZONE"])

    def values(self) -> dict[str, object]:
        """The code as shop.discounts.shop_code takes it (after validation)."""
        return {
            "code": self.code.data,
            "kind": self.kind.data,
            "value": self.minor_value,
            "scope": self.scope.data,
            "target_id": self.target_id if self.scope.data != "order" else None,
            "min_subtotal": self.min_subtotal.data or 0,
            "expires_at": self.expires_at(),
            "usage_limit": self.usage_limit.data,
            "note": self.note.data or "",
        }


class WithdrawCodeForm(FlaskForm):
    submit = SubmitField(_l("Withdraw"))


class OfferFilterForm(FlaskForm):
    """The offers list's filters, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    made_by = SelectField(
        _l("Made by"),
        choices=_choices(
            ("", _l("Anyone")), ("seller", _l("Sellers")), ("bot", _l("The bot")), ("shop", _l("Shop codes"))
        ),
        default="",
    )
    seller = SelectField(_l("Seller"), default="")
    status = SelectField(
        _l("Status"),
        choices=_choices(("", _l("Any status")), *discount_admin.STATUS_NAMES.items()),
        default="",
    )
    redeemed = SelectField(
        _l("Redeemed"), choices=_choices(("", _l("Either")), ("yes", _l("Yes")), ("no", _l("No"))), default=""
    )
    submit = SubmitField(_l("Filter"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        sellers = [(str(seller_id), name) for seller_id, name in discount_admin.sellers()]
        self.seller.choices = _choices(("", _("Any seller")), *sellers)

    def filters(self) -> discount_admin.OfferFilters:
        """The filters chosen (after validation)."""
        return discount_admin.OfferFilters(
            source=self.made_by.data or "",
            seller_id=int(self.seller.data) if self.seller.data else None,
            status=self.status.data or "",
            redeemed={"yes": True, "no": False}.get(self.redeemed.data or ""),
        )
