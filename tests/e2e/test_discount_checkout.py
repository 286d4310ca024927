"""Discounts on the shopper's side, in Chromium against the real server and its localstripe: a seller
offers 10% from the inbox, the shopper applies the offer card, the open checkout shows the new total, the
shopper pays with a test card and the order keeps the discount; and the "Have a discount code?" box of the
widget (refusals, the demo code WELCOME10, removing it) with the checkout following each change.

The shopper is the `page` fixture; the seller signs in in a browser context of its own."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.widget import (
    CARD_OK,
    CONFIRMED,
    add_to_cart,
    claim,
    continue_to_payment,
    fill_details,
    message,
    offer_card,
    open_chat,
    order_confirmed,
    panel,
    pay_button,
    pay_with,
    say,
    seller_log,
    start_checkout,
)

TABLE = ("folding-teak-side-table", "Folding Teak Side Table")  # €79.00, 18 in stock
POT = "terracotta-garden-pot"  # €12.90 (size S first), 40 in stock


@pytest.fixture(scope="module")
def login(seller_account) -> tuple[str, str]:
    return seller_account("Nina")


# --- The shopper's widget ----------------------------------------------------------------------------------


def checkout_card(page: Page) -> Locator:
    return message(page, "Order summary").last


def totals(card: Locator) -> dict[str, str]:
    """The card's amounts: {"Subtotal": "€79.00", "Discount (10% off …)": "−€7.90", "Total": ...}."""
    rows = card.locator(".chat-totals__row")
    return {
        row.locator("dt").inner_text(): row.locator("dd").inner_text() for row in rows.all()
    }  # fmt: skip


def code_box(page: Page, where: str) -> Locator:
    """The "Have a discount code?" box: in the actions bar ("bar") or under the checkout's totals ("pay")."""
    return panel(page).locator(
        ".chat-actions__discount .chat-discount" if where == "bar" else ".chat-pay .chat-discount"
    )


def type_code(page: Page, where: str, code: str) -> None:
    box = code_box(page, where)
    field = box.get_by_role("textbox", name="Your discount code")
    if not field.is_visible():
        toggle = box.get_by_role("button", name="Have a discount code?")
        toggle.click()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        expect(field).to_be_focused()
    field.fill(code)
    field.press("Enter")


# --- The seller's inbox ------------------------------------------------------------------------------------


def offer_ten_percent_on(inbox: Page, title: str, note: str) -> None:
    """From the open conversation: 10% on a product of the shopper's cart, with a note."""
    inbox.get_by_role("button", name="Make an offer").click()
    form = inbox.get_by_role("form", name="Make an offer")
    expect(form).to_be_visible()
    form.get_by_label("Percent off").fill("10")
    form.get_by_label("Applies to").select_option(label=f"{title} (in the cart)")
    form.get_by_label("Note for the shopper (optional)").fill(note)
    form.get_by_role("button", name="Send offer").click()
    expect(form).to_be_hidden()


# --- Tests -------------------------------------------------------------------------------------------------


def test_a_seller_offers_ten_percent_the_shopper_applies_it_and_pays_the_discounted_total(
    page: Page, seller_inbox, login, check_a11y, console_errors
) -> None:
    handle, title = TABLE
    label = f"10% off {title}"
    add_to_cart(page, handle)
    open_chat(page)
    hello = f"Any discount on the side table? {uuid.uuid4().hex[:8]}"
    say(page, hello)
    seller = seller_inbox(login)
    claim(seller, hello)

    # The shopper goes to checkout first: the card and the Pay button say the full price.
    start_checkout(page)
    expect(checkout_card(page).locator(".chat-totals__row--total dd")).to_have_text("€83.90")  # 79.00 + 4.90
    fill_details(page)
    continue_to_payment(page)
    expect(pay_button(page)).to_have_text("Pay €83.90")

    offer_ten_percent_on(seller, title, "For your first table")

    # The offer card: the note as its title, what it gives, until when, the code, and Apply.
    offer = offer_card(page, label)
    expect(offer).to_be_visible()
    expect(offer.locator(".chat-offer__title")).to_have_text("For your first table")
    expect(offer).to_contain_text(re.compile(r"Valid until \w+day \d+ \w+, \d\d:\d\d"))
    expect(offer).to_contain_text(re.compile(r"Code: OFFER-[A-Z0-9]{8}"))
    apply = offer.get_by_role("button", name=f"Apply {label}")
    check_a11y("the widget with an offer card and the payment form")
    apply.click()

    expect(offer.get_by_role("button", name=f"Applied {label}")).to_have_attribute("aria-disabled", "true")
    expect(offer.get_by_role("button", name=f"Applied {label}")).to_be_focused()  # the focus stays put
    expect(offer).to_contain_text("The discount is on your cart.")
    expect(message(page, f"{label} applied: −€7.90.")).to_be_visible()  # the note, for both sides
    # The open checkout fetched its amounts again: the discount line, the new total, the Pay button.
    card = checkout_card(page)
    expect(card.locator(".chat-totals__row--total dd")).to_have_text("€76.00")  # 79.00 − 7.90 + 4.90
    assert totals(card) == {
        "Subtotal": "€79.00",
        f"Discount ({label})": "−€7.90",
        "Shipping": "€4.90",
        "Total": "€76.00",
    }
    expect(pay_button(page)).to_have_text("Pay €76.00")
    # The seller sees it applied.
    expect(seller_log(seller)).to_contain_text(f"{label} applied: −€7.90.")

    pay_with(page, CARD_OK)
    name = order_confirmed(page)
    order = message(page, CONFIRMED)
    expect(order).to_contain_text("Paid")
    expect(order.locator(".chat-totals__row--discount dd")).to_have_text("−€7.90")
    expect(order.locator(".chat-totals__row--total dd")).to_have_text("€76.00")
    # The cart became the order, which used the offer: once only.
    offer.get_by_role("button", name=f"Apply {label}").click()
    expect(offer.get_by_role("alert")).to_have_text("This offer has already been used.")

    order.get_by_role("link", name=f"View order {name}").click()
    expect(page.get_by_role("heading", level=1, name=f"Order {name}")).to_be_visible()
    amounts = page.locator("dl.totals")
    expect(amounts).to_contain_text("Discount")
    expect(amounts).to_contain_text("−€7.90")
    expect(amounts).to_contain_text(re.compile(r"Total\s*€76\.00"))
    assert console_errors == []


def test_a_code_typed_in_the_widget_and_removed_again_while_paying(
    page: Page, check_a11y, console_errors
) -> None:
    add_to_cart(page, POT)
    open_chat(page)

    # Each refusal says why, next to the field, which keeps the focus.
    type_code(page, "bar", "nope42")
    box = code_box(page, "bar")
    field = box.get_by_role("textbox", name="Your discount code")
    expect(box.get_by_role("alert")).to_have_text("The code NOPE42 does not exist.")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()
    type_code(page, "bar", "WELCOME10")
    expect(box.get_by_role("alert")).to_have_text(
        "This code needs an order of at least €30.00 (your cart: €12.90)."
    )

    add_to_cart(page, POT, 2)  # €38.70 now; the widget comes back with the page
    expect(panel(page)).to_be_hidden()
    open_chat(page)
    type_code(page, "bar", "welcome10")
    box = code_box(page, "bar")
    expect(box.get_by_role("status")).to_have_text("10% off your order applied: −€3.87.")
    expect(box).to_contain_text("Your discount: 10% off your order")
    expect(box.get_by_role("button", name="Have a discount code?")).to_be_focused()
    check_a11y("the widget with a discount applied")

    # While paying, the box sits under the checkout's totals (the bar's is hidden: one form at a time).
    start_checkout(page)
    expect(code_box(page, "bar")).to_be_hidden()
    card = checkout_card(page)
    expect(card.locator(".chat-totals__row--discount")).to_have_text(
        re.compile(r"Discount \(10% off your order\)\s*−€3\.87")
    )
    fill_details(page)
    continue_to_payment(page)
    expect(pay_button(page)).to_have_text("Pay €39.73")  # 38.70 − 3.87 + 4.90

    pay_box = code_box(page, "pay")
    pay_box.get_by_role("button", name="Remove the discount 10% off your order").click()
    expect(pay_box.get_by_role("status")).to_have_text("The discount was removed from your cart.")
    expect(pay_button(page)).to_have_text("Pay €43.60")  # 38.70 + 4.90
    expect(card.locator(".chat-totals__row--discount")).to_have_count(0)
    expect(message(page, "10% off your order was removed from the cart")).to_be_visible()

    type_code(page, "pay", "WELCOME10")
    expect(pay_button(page)).to_have_text("Pay €39.73")
    expect(checkout_card(page).locator(".chat-totals__row--discount dd")).to_have_text("−€3.87")

    # The cart page, in another tab, agrees; lowering the quantity there below the code's minimum is told in
    # the chat, and the open checkout loses the discount before anything is paid.
    cart_tab = page.context.new_page()
    cart_tab.goto("/cart")
    expect(cart_tab.locator("dl.totals")).to_contain_text("Discount (10% off your order)")
    expect(cart_tab.locator("#cart-discount")).to_have_text("−€3.87")
    expect(cart_tab.locator("#cart-total")).to_have_text("€34.83")
    cart_tab.get_by_role("spinbutton", name=re.compile(r"^Quantity of Terracotta Garden Pot")).fill("1")
    cart_tab.get_by_role("button", name=re.compile(r"^Update quantity of Terracotta Garden Pot")).click()
    minimum = "This code needs an order of at least €30.00 (your cart: €12.90)."
    expect(cart_tab.locator("#cart-discount-problem")).to_contain_text(minimum)
    expect(cart_tab.locator("#cart-total")).to_have_text("€12.90")

    expect(message(page, f"Your discount 10% off your order no longer applies: {minimum}")).to_be_visible()
    expect(pay_button(page)).to_have_text("Pay €17.80")  # 12.90 + 4.90
    card = checkout_card(page)
    expect(card.locator(".chat-checkout__problem")).to_have_text(minimum)
    expect(card.locator(".chat-totals__row--discount")).to_have_count(0)
    assert console_errors == []
