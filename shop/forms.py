"""Storefront forms (CSRF-protected FlaskForms)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField, SubmitField
from wtforms.validators import InputRequired, NumberRange, Optional

from shop.cart import MAX_LINE_QUANTITY


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
