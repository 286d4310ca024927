"""The bot's settings page: the owner's switches, proactive messages and the FAQ."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Regexp, ValidationError

from bot import faq
from bot.models import CART_IDLE_RANGE, GREETING_DELAY_RANGE, TEXT_MAX

#: FAQ answers are chat messages: the chat's own limit.
ANSWER_MAX = 4000


def _text(label, message):
    return TextAreaField(label, validators=[DataRequired(message=message), Length(max=TEXT_MAX)])


class SettingsForm(FlaskForm):
    bot_enabled = BooleanField(_l("The bot answers shoppers"))
    greeting_enabled = BooleanField(_l("Greet shoppers on product pages"))
    greeting_delay_seconds = IntegerField(
        _l("After how many seconds on a product page"),
        validators=[
            InputRequired(message=_l("Enter a number of seconds.")),
            NumberRange(
                *GREETING_DELAY_RANGE,
                message=_l("Enter a number of seconds from %(min)s to %(max)s."),
            ),
        ],
    )
    greeting_text_en = _text(_l("Greeting in English"), _l("Write the greeting in English."))
    greeting_text_fr = _text(_l("Greeting in French"), _l("Write the greeting in French."))
    cart_idle_enabled = BooleanField(_l("Nudge shoppers whose cart is idle"))
    cart_idle_minutes = IntegerField(
        _l("After how many minutes without a cart change"),
        validators=[
            InputRequired(message=_l("Enter a number of minutes.")),
            NumberRange(*CART_IDLE_RANGE, message=_l("Enter a number of minutes from %(min)s to %(max)s.")),
        ],
    )
    cart_idle_text_en = _text(_l("Cart reminder in English"), _l("Write the cart reminder in English."))
    cart_idle_text_fr = _text(_l("Cart reminder in French"), _l("Write the cart reminder in French."))
    submit = SubmitField(_l("Save settings"))


class FaqForm(FlaskForm):
    """An FAQ entry; the topic only when adding one (it is what the bot asks for)."""

    topic = StringField(
        _l("Topic"),
        filters=[lambda v: v.strip().lower() if v else v],
        validators=[
            DataRequired(message=_l("Enter a topic, for example “payment”.")),
            Length(max=40),
            Regexp(
                r"^[a-z][a-z0-9_-]*$",
                message=_l("Lower-case letters, digits, - and _ only, starting with a letter."),
            ),
        ],
    )
    answer_en = TextAreaField(
        _l("Answer in English"),
        validators=[DataRequired(message=_l("Write the answer in English.")), Length(max=ANSWER_MAX)],
    )
    answer_fr = TextAreaField(
        _l("Answer in French"),
        validators=[DataRequired(message=_l("Write the answer in French.")), Length(max=ANSWER_MAX)],
    )
    submit = SubmitField(_l("Save answer"))

    def __init__(self, *args, editing: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing is not None:
            del self.topic  # a topic is renamed by adding the new one and deleting the old

    def validate_topic(self, field: StringField) -> None:
        if faq.get(field.data) is not None:
            raise ValidationError(_l("This topic already has an answer: edit it in the list."))


class DeleteForm(FlaskForm):
    submit = SubmitField(_l("Delete"))
