"""The cart page's discount forms (CSRF-protected FlaskForms); shop.discounts checks the code itself."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length

from shop.discounts import CODE_MAX


class DiscountCodeForm(FlaskForm):
    """A code typed on the cart page ("welcome10 " is WELCOME10: shop.discounts.clean_code)."""

    code = StringField(
        _l("Discount code"),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[
            DataRequired(message=_l("Please type a discount code.")),
            Length(max=CODE_MAX, message=_l("A discount code has at most %(max)d characters.", max=CODE_MAX)),
        ],
    )
    submit = SubmitField(_l("Apply"))


class RemoveDiscountForm(FlaskForm):
    submit = SubmitField(_l("Remove"))
