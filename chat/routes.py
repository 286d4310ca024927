"""HTTP side of the chat: the widget's session bootstrap, seller sign-in, the inbox page, saved replies."""

from __future__ import annotations

import functools

from flask import abort, flash, g, jsonify, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from chat import bp, notify, service
from chat.forms import CannedForm, DeleteForm, LoginForm, LogoutForm
from chat.models import CannedResponse, Seller
from extensions import db, login_manager
from shop.customers import current_customer


@login_manager.user_loader
def load_seller(seller_id: str) -> Seller | None:
    seller = db.session.get(Seller, int(seller_id)) if seller_id.isdigit() else None
    return seller if seller is not None and seller.active else None


@bp.post("/chat/session")
def chat_session():
    """The widget's first call: makes sure the shopper exists (sets the cookie) before the socket connects."""
    customer = current_customer(create=True)
    db.session.commit()
    conversation = service.current_conversation(customer)
    return jsonify(
        conversation_id=conversation.id if conversation else None,
        email=customer.email,
        sellers_online=service.sellers_online(),
    )


def manager_required(view):
    @functools.wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not current_user.is_manager:
            abort(403)
        return view(*args, **kwargs)

    return wrapped


@bp.route("/seller", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("chat.inbox"))
    form = LoginForm()
    if form.validate_on_submit():
        seller = db.session.scalar(db.select(Seller).filter_by(email=form.email.data.strip().lower()))
        if seller is None or not seller.active or not seller.check_password(form.password.data):
            flash(_("Wrong email or password."), "error")
        else:
            session.permanent = True  # expires after SELLER_SESSION_HOURS without activity
            login_user(seller)
            return redirect(url_for("chat.inbox"))
    return render_template("chat/login.html", form=form)


@bp.post("/seller/logout")
@login_required
def logout():
    if LogoutForm().validate_on_submit():
        logout_user()
        flash(_("You are signed out."), "success")
    return redirect(url_for("chat.login"))


@bp.route("/seller/inbox")
@login_required
def inbox():
    return render_template("chat/inbox.html", logout_form=LogoutForm())


@bp.route("/seller/canned", methods=["GET", "POST"])
@manager_required
def canned_list():
    form = CannedForm()
    if form.validate_on_submit():
        db.session.add(
            CannedResponse(shortcut=form.shortcut.data.lower(), title=form.title.data, body=form.body.data)
        )
        db.session.commit()
        flash(_("Saved reply added."), "success")
        return redirect(url_for("chat.canned_list"))
    return render_template(
        "chat/canned.html", form=form, canned=service.canned_responses(), delete_form=DeleteForm()
    )


@bp.route("/seller/canned/<int:canned_id>", methods=["GET", "POST"])
@manager_required
def canned_edit(canned_id: int):
    canned = db.session.get(CannedResponse, canned_id) or abort(404)
    form = CannedForm(obj=canned, editing=canned)
    if form.validate_on_submit():
        canned.shortcut, canned.title, canned.body = (
            form.shortcut.data.lower(),
            form.title.data,
            form.body.data,
        )
        db.session.commit()
        flash(_("Saved reply updated."), "success")
        return redirect(url_for("chat.canned_list"))
    return render_template("chat/canned_edit.html", form=form, canned=canned)


@bp.post("/seller/canned/<int:canned_id>/delete")
@manager_required
def canned_delete(canned_id: int):
    canned = db.session.get(CannedResponse, canned_id) or abort(404)
    if DeleteForm().validate_on_submit():
        db.session.delete(canned)
        db.session.commit()
        flash(_("Saved reply deleted."), "success")
    return redirect(url_for("chat.canned_list"))


@bp.get("/chat/resume/<token>")
def resume(token: str):
    """The link in a reply email: this browser becomes that shopper (cart, conversation); the chat opens."""
    customer = notify.customer_from_resume_token(token)
    if customer is None:
        message = _("This link has expired or is not valid.")
        return render_template(
            "errors/error.html", status=400, title=_("Link not valid"), message=message
        ), 400
    g.customer = customer  # shop.customers.remember_shopper (after_request) sends the signed shopper cookie
    response = redirect(url_for("shop.home", chat="open"))
    response.headers["Cache-Control"] = "no-store"  # it sets an identity cookie: never from a cache
    return response
