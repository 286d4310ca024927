"""The checkout details form, filled in the chat and posted as JSON (CSRF comes in the X-CSRFToken header)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from payments import shipping


def _strip(value: str | None) -> str | None:
    return " ".join(value.split()) if isinstance(value, str) else value


class DetailsForm(FlaskForm):
    class Meta:
        csrf = False  # checked for the whole request by CSRFProtect (header), not per form

    email = EmailField(
        _l("Email"),
        filters=[lambda v: v.strip().lower() if isinstance(v, str) else v],
        validators=[
            DataRequired(_l("Please enter your email.")),
            Email(_l("Please enter a valid email address.")),
            Length(max=255),
        ],
    )
    name = StringField(
        _l("Full name"),
        filters=[_strip],
        validators=[DataRequired(_l("Please enter your name.")), Length(max=255)],
    )
    address1 = StringField(
        _l("Address"),
        filters=[_strip],
        validators=[DataRequired(_l("Please enter your street address.")), Length(max=255)],
    )
    address2 = StringField(
        _l("Apartment, suite (optional)"), filters=[_strip], validators=[Optional(), Length(max=255)]
    )
    city = StringField(
        _l("City"),
        filters=[_strip],
        validators=[DataRequired(_l("Please enter your city.")), Length(max=255)],
    )
    postal_code = StringField(
        _l("Postal code"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Please enter your postal code.")),
            Length(max=16),
            Regexp(
                r"^[A-Za-z0-9][A-Za-z0-9 -]{1,14}[A-Za-z0-9]$", message=_l("This postal code is not valid.")
            ),
        ],
    )
    country = SelectField(
        _l("Country"),
        validate_choice=True,
        validators=[DataRequired(_l("Please choose a country."))],
    )

    @classmethod
    def from_json(cls, payload: Any) -> DetailsForm:
        data = payload if isinstance(payload, dict) else {}
        values = MultiDict({key: value for key, value in data.items() if isinstance(value, str)})
        form = cls(formdata=values)
        form.country.choices = [("", ""), *shipping.countries()]
        form.country.gettext = lambda message: str(_l("Please choose a country."))  # type: ignore[attr-defined]
        return form

    def errors_by_field(self) -> dict[str, str]:
        return {name: str(messages[0]) for name, messages in self.errors.items() if messages}
