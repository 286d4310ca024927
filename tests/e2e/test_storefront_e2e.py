"""A shopper in Chromium against the real server (gunicorn + gevent, demo catalog)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect


def test_browse_search_pick_variant_add_and_change_quantity(page: Page, check_a11y, console_errors) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", name="Featured products")).to_be_visible()
    check_a11y("home")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Collections").click()
    page.get_by_role("link", name=re.compile(r"^Tables")).click()
    expect(page.get_by_role("heading", level=1, name="Tables")).to_be_visible()
    expect(page.get_by_role("link", name="Marble Top Garden Table")).to_have_count(0)  # a draft
    check_a11y("collection")

    search = page.get_by_role("search").first.get_by_role("searchbox", name="Search products")
    search.fill("teak round")
    search.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("teak round")
    check_a11y("search")
    page.get_by_role("link", name="Round Teak Garden Table").first.click()

    expect(page.get_by_role("heading", level=1, name="Round Teak Garden Table")).to_be_visible()
    price = page.locator("#product-price")
    expect(price).to_contain_text("€139.00")
    page.get_by_role("radio", name="100 cm").check()
    expect(price).to_contain_text("€179.00")  # the picker updates the price without a reload
    expect(page).to_have_url(re.compile(r"variant=\d+"))
    check_a11y("product")

    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add to cart").click()

    expect(page).to_have_url(re.compile(r"/cart$"))
    expect(page.get_by_role("status").filter(has_text="was added to your cart")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("Round Teak Garden Table"))
    expect(row).to_contain_text("100 cm")
    expect(page.locator("#cart-subtotal")).to_have_text("€358.00")
    check_a11y("cart")

    page.get_by_role("spinbutton", name="Quantity of Round Teak Garden Table – 100 cm").fill("3")
    page.get_by_role("button", name="Update quantity of Round Teak Garden Table – 100 cm").click()
    expect(page.locator("#cart-subtotal")).to_have_text("€537.00")
    expect(page.get_by_role("link", name=re.compile(r"^Cart"))).to_contain_text("(3)")

    # More than the stock (8 units of 100 cm): a clear message, nothing changed.
    page.get_by_role("spinbutton", name="Quantity of Round Teak Garden Table – 100 cm").fill("20")
    page.get_by_role("button", name="Update quantity of Round Teak Garden Table – 100 cm").click()
    expect(page.get_by_role("alert")).to_contain_text("Only 8 of Round Teak Garden Table (100 cm) are left")
    expect(page.locator("#cart-subtotal")).to_have_text("€537.00")

    page.get_by_role("button", name="Remove Round Teak Garden Table – 100 cm").click()
    expect(page.get_by_text("Your cart is empty.")).to_be_visible()
    assert console_errors == []


def test_cart_is_kept_across_visits(page: Page, browser, base_url: str) -> None:
    page.goto("/products/olive-tree")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#cart-subtotal")).to_be_visible()
    cookies = page.context.cookies()
    # "Tomorrow": a new browser context carrying only the persistent cookies.
    later = browser.new_context(base_url=base_url)
    later.add_cookies([c for c in cookies if c["expires"] and c["expires"] > 0])
    again = later.new_page()
    again.goto("/cart")
    expect(again.get_by_role("row", name=re.compile("Olive Tree"))).to_be_visible()
    later.close()


def test_unreachable_image_gets_a_placeholder(page: Page) -> None:
    page.route("**/static/demo/round-teak-garden-table.svg", lambda route: route.abort())
    page.goto("/products/round-teak-garden-table")
    main_image = page.locator(".product__gallery > img")
    expect(main_image).to_have_attribute("src", "/static/img/placeholder.svg")
    expect(page.get_by_role("heading", level=1)).to_have_text("Round Teak Garden Table")


def test_french_shopper(page: Page, check_a11y, console_errors) -> None:
    page.goto("/")
    page.get_by_role("navigation", name="Language").get_by_role("link", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", name="Produits en vedette")).to_be_visible()
    search = page.get_by_role("search").first.get_by_role("searchbox")
    search.fill("elegance creme")  # no accents typed; the product has them
    search.press("Enter")
    page.get_by_role("link", name="Chaise Longue Élégance").click()
    expect(page.locator("#product-price")).to_contain_text("€")
    expect(page.locator("#product-price")).to_contain_text(",")  # 349,00 € style
    check_a11y("product (fr)")
    assert console_errors == []


def test_sold_out_variant_cannot_be_added(page: Page) -> None:
    page.goto("/products/stacking-bistro-chair")
    page.get_by_role("radio", name="Terracotta Red").check()
    expect(page.locator("#product-stock")).to_have_text("Sold out")
    expect(page.get_by_role("button", name="Sold out")).to_be_disabled()
    page.get_by_role("radio", name="Sage Green").check()
    expect(page.get_by_role("button", name="Add to cart")).to_be_enabled()


def test_sold_out_choice_without_javascript_gets_a_message(browser, base_url: str) -> None:
    context = browser.new_context(base_url=base_url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/products/stacking-bistro-chair")
    page.get_by_role("radio", name="Terracotta Red").check()
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("alert")).to_contain_text("Stacking Bistro Chair (Terracotta Red) is sold out.")
    context.close()


def test_draft_products_are_404(page: Page) -> None:
    response = page.goto("/products/marble-top-garden-table")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")


def test_accessibility_check_can_fail(page: Page, check_a11y) -> None:
    """The axe check is real: a page with an unlabelled image and input fails it."""
    page.set_content('<html><body><img src="x.png"><input type="text"></body></html>')
    with pytest.raises(AssertionError, match="image-alt"):
        check_a11y("a broken page")
