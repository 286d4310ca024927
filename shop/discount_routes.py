"""The owner's discount pages (managers only): caps and the bot's rules, shop codes, and the list of every
offer with what discounts cost. The work is in shop/discounts.py and shop/discount_admin.py."""

from __future__ import annotations

import functools

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from shop import bp, discount_admin, discounts
from shop.forms import DiscountSettingsForm, OfferFilterForm, ShopCodeForm, WithdrawCodeForm
from shop.money import to_major


def manager_required(view):
    """chat.routes.manager_required (signed-in managers only; others 403, strangers to the sign-in page),
    looked up at the first request: the chat imports the shop, so importing it as this module loads would be
    circular when the chat is imported first."""

    @functools.wraps(view)
    def wrapped(*args, **kwargs):
        from chat.routes import manager_required as chat_manager_required

        return chat_manager_required(view)(*args, **kwargs)

    return wrapped


@bp.route("/seller/discounts", methods=["GET", "POST"])
@manager_required
def discount_settings():
    form = DiscountSettingsForm(obj=discounts.load_settings())
    if form.validate_on_submit():
        discounts.save_settings(**form.values())
        flash(_("Discount settings saved."), "success")
        return redirect(url_for("shop.discount_settings"))
    return _settings_page(form, ShopCodeForm(formdata=None))


@bp.post("/seller/discounts/codes")
@manager_required
def discount_code_create():
    form = ShopCodeForm()
    problem = None
    if form.validate_on_submit():
        try:
            offer = discounts.shop_code(current_user, **form.values())
        except discounts.DiscountError as error:
            if error.code == "code_taken":
                form.code.errors.append(str(error))
            else:
                problem = str(error)
        else:
            flash(_("The code %(code)s is ready: %(label)s.", code=offer.code, label=discounts.label(offer)),
                  "success")  # fmt: skip
            return redirect(url_for("shop.discount_offers", made_by="shop"))
    return _settings_page(DiscountSettingsForm(formdata=None, obj=discounts.load_settings()), form, problem)


@bp.get("/seller/discounts/offers")
@manager_required
def discount_offers():
    form = OfferFilterForm(formdata=request.args)
    filters = form.filters() if form.validate() else discount_admin.OfferFilters()
    page = discount_admin.list_offers(filters, request.args.get("page", 1, type=int) or 1)
    return render_template(
        "shop/discounts/offers.html", form=form, page=page, withdraw_form=WithdrawCodeForm()
    )


@bp.post("/seller/discounts/offers/<int:offer_id>/withdraw")
@manager_required
def discount_withdraw(offer_id: int):
    if WithdrawCodeForm().validate_on_submit():
        try:
            offer = discount_admin.withdraw(offer_id, current_user)
        except discounts.DiscountError as error:
            flash(str(error), "error")
        else:
            flash(_("The code %(code)s was withdrawn: shoppers can no longer use it.", code=offer.code),
                  "success")  # fmt: skip
    return redirect(url_for("shop.discount_offers", **request.args))  # back to the list as it was filtered


def _settings_page(form: DiscountSettingsForm, code_form: ShopCodeForm, code_problem: str | None = None):
    currency = current_app.config["SHOP_CURRENCY"]
    return render_template(
        "shop/discounts/settings.html",
        form=form,
        code_form=code_form,
        code_problem=code_problem,
        currency=currency,
        amount_example=to_major(2000, currency),  # how amounts are typed: "20.00" (no currency sign)
    )
