"""Seller pages for the bot (managers only): its switch, the proactive messages, the shop FAQ."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from bot import bp, faq, settings
from bot.forms import DeleteForm, FaqForm, SettingsForm
from chat.routes import manager_required


@bp.route("/seller/bot", methods=["GET", "POST"])
@manager_required
def settings_page():
    form = SettingsForm(obj=settings.load())
    if form.validate_on_submit():
        settings.save(**{name: getattr(form, name).data for name in settings.FIELDS})
        flash(_("Bot settings saved."), "success")
        return redirect(url_for("bot.settings_page"))
    return _render(form=form, faq_form=FaqForm(formdata=None))


@bp.post("/seller/bot/faq")
@manager_required
def faq_add():
    form = FaqForm()
    if form.validate_on_submit():
        faq.put(form.topic.data, form.answer_en.data.strip(), form.answer_fr.data.strip())
        flash(_("Answer on “%(topic)s” added.", topic=form.topic.data), "success")
        return redirect(url_for("bot.settings_page", _anchor="faq"))
    return _render(form=SettingsForm(formdata=None, obj=settings.load()), faq_form=form)


@bp.route("/seller/bot/faq/<topic>", methods=["GET", "POST"])
@manager_required
def faq_edit(topic: str):
    entry = faq.get(topic) or abort(404)
    form = FaqForm(obj=entry, editing=topic)
    if form.validate_on_submit():
        faq.put(topic, form.answer_en.data.strip(), form.answer_fr.data.strip())
        flash(_("Answer on “%(topic)s” saved.", topic=topic), "success")
        return redirect(url_for("bot.settings_page", _anchor="faq"))
    return render_template("bot/faq_edit.html", form=form, topic=topic)


@bp.post("/seller/bot/faq/<topic>/delete")
@manager_required
def faq_delete(topic: str):
    if DeleteForm().validate_on_submit() and faq.delete(topic):
        flash(_("Answer on “%(topic)s” deleted.", topic=topic), "success")
    return redirect(url_for("bot.settings_page", _anchor="faq"))


def _render(form: SettingsForm, faq_form: FaqForm):
    return render_template(
        "bot/settings.html",
        form=form,
        faq_form=faq_form,
        entries=faq.entries(),
        delete_form=DeleteForm(),
    )


@bp.app_context_processor
def chat_autoconnect() -> dict[str, bool]:
    """Storefront pages connect the chat widget at once when a proactive message could come."""
    return {"chat_autoconnect": settings.load().any_proactive}
