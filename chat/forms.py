"""Seller-side forms."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Regexp, ValidationError

from chat.models import CannedResponse
from extensions import db


class LoginForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        filters=[lambda v: v.strip().lower() if v else v],
        validators=[DataRequired(), Email(), Length(max=255)],
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Sign in"))


class LogoutForm(FlaskForm):
    submit = SubmitField(_l("Sign out"))


class CannedForm(FlaskForm):
    shortcut = StringField(
        _l("Shortcut"),
        validators=[
            DataRequired(),
            Length(max=40),
            Regexp(r"^[a-z0-9-]+$", flags=re.I, message=_l("Letters, digits and dashes only.")),
        ],
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=120)])
    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=4000)])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, editing: CannedResponse | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing

    def validate_shortcut(self, field: StringField) -> None:
        existing = db.session.scalar(db.select(CannedResponse).filter_by(shortcut=field.data.lower()))
        if existing is not None and existing is not self.editing:
            raise ValidationError(_l("Another saved reply already uses this shortcut."))


class DeleteForm(FlaskForm):
    submit = SubmitField(_l("Delete"))
