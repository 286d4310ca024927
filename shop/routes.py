"""Storefront pages. Views stay thin: they validate a form, call shop.catalog / shop.cart / shop.orders,
and redirect (post/redirect/get) with a flashed message."""

from __future__ import annotations

from urllib.parse import urlsplit

from babel import Locale
from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from shop import bp, cart, catalog, discounts, orders
from shop.cart_forms import DiscountCodeForm, RemoveDiscountForm
from shop.customers import current_customer, remember_shopper
from shop.formatting import money
from shop.forms import AddToCartForm, RemoveLineForm, UpdateLineForm
from shop.i18n import LOCALE_COOKIE
from shop.models import Product, Variant
from shop.signals import discount_changed

bp.add_app_template_filter(money, "money")
bp.after_app_request(remember_shopper)


@bp.app_context_processor
def storefront_context() -> dict:
    customer = current_customer()
    summary = cart.summarize(cart.open_cart(customer), current_app.config["SHOP_CURRENCY"], discount=False)
    return {
        "cart_count": summary.totals.item_count,
        "shop_name": current_app.config["SHOP_NAME"],
        "current_locale": str(get_locale() or "en"),
    }


def _page_arg() -> int:
    return request.args.get("page", 1, type=int) or 1


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after a redirect, never another host."""
    if not target:
        return url_for("shop.home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("shop.home")
    return target


@bp.route("/")
def home():
    return render_template(
        "shop/home.html",
        products=catalog.featured_products(),
        collections=catalog.collections_with_counts(),
    )


@bp.route("/collections")
def collections():
    return render_template("shop/collections.html", collections=catalog.collections_with_counts())


@bp.route("/collections/<handle>")
def collection(handle: str):
    if handle == "all":
        current = None
    elif (current := catalog.get_collection(handle)) is None:
        abort(404)
    sort = request.args.get("sort", "featured")
    if sort not in catalog.SORTS and sort not in catalog.PRICE_SORTS:
        sort = "featured"
    tag = request.args.get("tag") or None
    page = catalog.list_products(
        current, tag=tag, sort=sort, page=_page_arg(), per_page=current_app.config["PRODUCTS_PER_PAGE"]
    )
    return render_template(
        "shop/collection.html",
        collection=current,
        handle=handle,
        page=page,
        sort=sort,
        tag=tag,
        tags=catalog.tags_in(current),
    )


@bp.route("/search")
def search():
    max_length = current_app.config["SEARCH_MAX_LENGTH"]
    query = request.args.get("q", "")
    results = catalog.search(
        query, page=_page_arg(), per_page=current_app.config["PRODUCTS_PER_PAGE"], max_length=max_length
    )
    return render_template("shop/search.html", query=query[:max_length], page=results)


def _product_or_404(handle: str) -> Product:
    product = catalog.get_visible_product(handle)
    if product is None:
        abort(404)
    return product


def _variant_payload(variant: Variant) -> dict:
    return {
        "id": variant.id,
        "title": variant.title,
        "options": variant.options,
        "sku": variant.sku,
        "price": variant.price,
        "compare_at_price": variant.compare_at_price,
        "available": variant.available,
        "inventory_policy": variant.inventory_policy,
        "image": variant.image.src if variant.image else None,
    }


@bp.route("/products/<handle>")
def product(handle: str):
    from bot import recommend  # here, not at the top: the bot imports the shop

    item = _product_or_404(handle)
    customer = current_customer()
    form = AddToCartForm()
    selected = _variant_from_args(item) or next((v for v in item.variants if v.available), item.variants[0])
    variants_json = {
        "currency": current_app.config["SHOP_CURRENCY"],
        "variants": [{**_variant_payload(v), "price_text": money(v.price), "stock_text": stock_label(v),
                      "compare_text": money(v.compare_at_price) if v.on_sale else ""} for v in item.variants],
    }  # fmt: skip
    return render_template(
        "shop/product.html",
        product=item,
        form=form,
        selected=selected,
        stock_text=stock_label(selected),
        variants_json=variants_json,
        also_liked=recommend.products_you_may_also_like(item.id, customer.id if customer else None),
    )


def stock_label(variant: Variant) -> str:
    """What the shopper reads about stock: sold out, few left, backorder or in stock."""
    limit = variant.stock_limit
    if not variant.available:
        return _("Sold out")
    if limit is None:
        backorder = variant.inventory_tracked and variant.inventory_quantity <= 0
        return _("Available on backorder") if backorder else _("In stock")
    if limit <= 5:
        return ngettext("Only %(num)d left", "Only %(num)d left", limit)
    return _("In stock")


def _variant_from_args(item: Product) -> Variant | None:
    wanted = request.args.get("variant", type=int)
    return next((v for v in item.variants if v.id == wanted), None)


@bp.route("/products/<handle>.json")
def product_json(handle: str):
    item = _product_or_404(handle)
    return jsonify(
        product={
            "id": item.id,
            "handle": item.handle,
            "title": item.title,
            "vendor": item.vendor,
            "product_type": item.product_type,
            "tags": [t.name for t in item.tags],
            "options": [{"name": name, "position": i} for i, name in enumerate(item.option_names, start=1)],
            "currency": current_app.config["SHOP_CURRENCY"],
            "variants": [_variant_payload(v) for v in item.variants],
            "images": [{"src": img.src, "alt": img.alt} for img in item.images],
        }
    )


def _resolve_variant(item: Product, form: AddToCartForm) -> Variant | None:
    if form.variant_id.data:
        return next((v for v in item.variants if str(v.id) == form.variant_id.data), None)
    chosen = [form.option1.data or "", form.option2.data or "", form.option3.data or ""]
    names = len(item.option_names)
    if names == 0 and len(item.variants) == 1:
        return item.variants[0]
    return next(
        (v for v in item.variants if [v.option1, v.option2, v.option3][:names] == chosen[:names]), None
    )


@bp.post("/products/<handle>/add")
def add_to_cart(handle: str):
    item = _product_or_404(handle)
    form = AddToCartForm()
    back = url_for("shop.product", handle=handle)
    if not form.validate():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return redirect(back)
    variant = _resolve_variant(item, form)
    if variant is None:
        flash(_("Please choose an available option."), "error")
        return redirect(back)
    try:
        cart.add_item(current_customer(create=True), variant.id, form.quantity.data)
    except cart.CartError as error:
        flash(str(error), "error")
        return redirect(url_for("shop.product", handle=handle, variant=variant.id))
    flash(_("%(title)s was added to your cart.", title=item.title), "success")
    return redirect(url_for("shop.view_cart"))


@bp.route("/cart")
def view_cart():
    summary = cart.summarize(cart.open_cart(current_customer()), current_app.config["SHOP_CURRENCY"])
    return render_template(
        "shop/cart.html",
        summary=summary,
        update_form=UpdateLineForm(formdata=None),
        remove_form=RemoveLineForm(),
        discount_label=discounts.label(summary.discount.offer) if summary.discount else "",
        code_form=DiscountCodeForm(formdata=None),
        remove_discount_form=RemoveDiscountForm(),
    )


@bp.route("/cart.json")
def cart_json():
    currency = current_app.config["SHOP_CURRENCY"]
    summary = cart.summarize(cart.open_cart(current_customer()), currency)
    applied = summary.discount
    return jsonify(
        currency=currency,
        item_count=summary.totals.item_count,
        subtotal=summary.totals.subtotal,
        discount=summary.totals.discount,
        total=summary.totals.total,
        # The applied discount (its amount is `discount`), with why it gives nothing now when it does not.
        offer=None
        if applied is None
        else {
            "id": applied.offer.id,
            "code": applied.offer.code,
            "label": discounts.label(applied.offer),
            "problem": applied.problem,
        },
        lines=[
            {
                "id": line.line_id,
                "variant_id": line.variant.id,
                "product_handle": line.product.handle,
                "title": line.product.title,
                "variant_title": line.variant.title,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "line_price": line.total,
                "discount": (summary.line_discounts or {}).get(line.line_id, 0),
                "available": line.available,
            }
            for line in summary.lines
        ],
    )


@bp.post("/cart/lines/<line_id>")
def update_line(line_id: str):
    form = UpdateLineForm()
    if not form.validate():
        for error in form.quantity.errors:
            flash(str(error), "error")
        return redirect(url_for("shop.view_cart"))
    try:
        kept = cart.set_quantity(current_customer(), line_id, form.quantity.data)
    except cart.CartError as error:
        flash(str(error), "error")
    else:
        flash(_("Cart updated.") if kept else _("Item removed from your cart."), "success")
    return redirect(url_for("shop.view_cart"))


@bp.post("/cart/lines/<line_id>/remove")
def remove_line(line_id: str):
    form = RemoveLineForm()
    if form.validate():
        try:
            cart.remove_line(current_customer(), line_id)
        except cart.CartError as error:
            flash(str(error), "error")
        else:
            flash(_("Item removed from your cart."), "success")
    return redirect(url_for("shop.view_cart"))


@bp.post("/cart/discount")
def apply_discount():
    """A discount code typed on the cart page (the chat's code form and offer cards use the socket)."""
    form = DiscountCodeForm()
    if not form.validate():
        for error in form.code.errors:
            flash(str(error), "error")
        return redirect(url_for("shop.view_cart"))
    customer = current_customer()
    if customer is None:  # no cookie yet: no cart either
        flash(_("Add a product to your cart before using a discount."), "error")
        return redirect(url_for("shop.view_cart"))
    try:
        result = discounts.apply(customer, code=form.code.data)
    except discounts.DiscountError as error:
        flash(str(error), "error")
    else:
        flash(result.message(), "success")
        discount_changed.send(customer, result=result)  # the chat says so; an open checkout follows
    return redirect(url_for("shop.view_cart"))


@bp.post("/cart/discount/remove")
def remove_discount():
    form = RemoveDiscountForm()
    customer = current_customer()
    if form.validate() and customer is not None:
        offer = discounts.remove(customer)
        if offer is not None:
            flash(_("%(label)s was removed from your cart.", label=discounts.label(offer)), "success")
            discount_changed.send(customer, offer=offer)
    return redirect(url_for("shop.view_cart"))


@bp.route("/orders/<token>")
def order_status(token: str):
    order = orders.get_by_token(token)
    if order is None:
        abort(404)
    names = (get_locale() or Locale("en")).territories
    return render_template("shop/order.html", order=order, country_name=lambda code: names.get(code, code))


@bp.route("/locale/<code>")
def set_locale(code: str) -> Response:
    """The language switcher: remembers the choice in a cookie and goes back to the page."""
    response = redirect(_safe_next(request.args.get("next")))
    if code in current_app.config["SHOP_LOCALES"]:
        response.set_cookie(
            LOCALE_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax",
            secure=current_app.config["SESSION_COOKIE_SECURE"], httponly=True,
        )  # fmt: skip
    return response
