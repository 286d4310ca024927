"""Paying inside the chat panel (docs/checkout.md) in Chromium against the real server and the localstripe
that scripts/run.sh starts (fake Stripe API, its Stripe.js and signed webhooks). Each test has its own browser
context, hence its own shopper and cart; sellers sign in in contexts of their own."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.widget import (
    CARD_3DS,
    CARD_DECLINED,
    CARD_OK,
    CONFIRMED,
    ORDER_TIMEOUT,
    add_to_cart,
    chat_log,
    continue_to_payment,
    details_form,
    fill_details,
    message,
    open_chat,
    open_conversation,
    order_confirmed,
    panel,
    pay_button,
    pay_with,
    payment_form,
    say,
    start_checkout,
)

PRODUCT = "english-lavender"  # 40 in stock: every test of the session buys some


@pytest.fixture(scope="module")
def logins(seller_account) -> dict[str, tuple[str, str]]:
    return {"seller": seller_account("Dora"), "manager": seller_account("Marc", role="manager")}


def checkout_and_pay(page: Page) -> str:
    """Cart, chat, checkout, details, card: the order name once confirmed."""
    add_to_cart(page, PRODUCT)
    open_chat(page)
    start_checkout(page)
    fill_details(page)
    continue_to_payment(page)
    pay_with(page, CARD_OK)
    return order_confirmed(page)


# --- Tests -------------------------------------------------------------------------------------------------


def test_pay_in_the_chat_then_open_the_order_status_page(page: Page, check_a11y, console_errors) -> None:
    add_to_cart(page, PRODUCT)
    open_chat(page)
    start_checkout(page)
    card = message(page, "Order summary")
    expect(card).to_contain_text("English Lavender")
    expect(card).to_contain_text("Subtotal")
    expect(card).to_contain_text("Shipping")
    total = card.locator(".chat-totals__row--total dd").inner_text()
    expect(card.locator(".chat-totals")).not_to_contain_text("Discount")  # none in this cart

    fill_details(page)
    continue_to_payment(page)
    expect(pay_button(page)).to_have_text(f"Pay {total}")  # the total the card shows
    expect(panel(page).get_by_text("Ana Martin")).to_be_visible()  # the details, summed up
    check_a11y("chat panel with the card field")
    url = page.url
    pay_with(page, CARD_OK)

    expect(panel(page).get_by_text("Payment received — confirming your order…")).to_be_visible()
    name = order_confirmed(page)
    order = message(page, CONFIRMED)
    expect(order).to_contain_text("Paid")
    expect(order).to_contain_text(total)
    expect(payment_form(page)).to_have_count(0)  # the form is gone once paid
    expect(details_form(page)).to_have_count(0)
    assert page.url == url  # never left the page

    # "My orders": the status of the shopper's orders, as cards in the conversation.
    panel(page).get_by_role("button", name="My orders").click()
    expect(message(page, re.compile(rf"^Order {name}(?! is)"))).to_be_visible()

    order.get_by_role("link", name=f"View order {name}").click()
    expect(page.get_by_role("heading", level=1, name=f"Order {name}")).to_be_visible()
    expect(page.locator(".order-status")).to_contain_text("Paid")
    assert console_errors == []


def test_declined_card_shows_the_reason_then_another_card_pays(page: Page, console_errors) -> None:
    add_to_cart(page, PRODUCT)
    open_chat(page)
    start_checkout(page)
    fill_details(page)
    continue_to_payment(page)
    pay_with(page, CARD_DECLINED)

    alert = payment_form(page).get_by_role("alert")
    expect(alert).to_have_text("Your card was declined.")
    expect(message(page, "Payment declined: Your card was declined.")).to_be_visible()
    number = payment_form(page).get_by_placeholder("number", exact=True)
    expect(number).to_have_value("")  # a fresh card field for another card
    expect(number).to_be_focused()
    expect(pay_button(page)).to_be_enabled()

    pay_with(page, CARD_OK)
    order_confirmed(page)
    expect(payment_form(page)).to_have_count(0)
    assert console_errors == []


def test_3d_secure_inside_the_panel_on_a_narrow_screen(page: Page, console_errors) -> None:
    page.set_viewport_size({"width": 375, "height": 667})
    add_to_cart(page, PRODUCT)
    open_chat(page)
    start_checkout(page)
    fill_details(page)
    continue_to_payment(page)
    # The form scrolls inside the panel; the page itself does not grow sideways.
    log_box = chat_log(page)
    assert log_box.evaluate("log => log.scrollHeight > log.clientHeight")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    url = page.url
    pay_with(page, CARD_3DS)

    # Stripe.js asks the bank when the card is set up, and again for the payment (localstripe's overlay).
    challenge = page.get_by_role("button", name="Complete authentication")
    challenge.click()
    challenge.click()
    order_confirmed(page)
    assert page.url == url
    assert console_errors == []


def test_failed_3d_secure_keeps_the_form_for_another_try(page: Page, console_errors) -> None:
    add_to_cart(page, PRODUCT)
    open_chat(page)
    start_checkout(page)
    fill_details(page)
    continue_to_payment(page)
    pay_with(page, CARD_3DS)
    page.get_by_role("button", name="Fail authentication").click()  # when the card is set up
    alert = payment_form(page).get_by_role("alert")
    expect(alert).to_contain_text("authentication failed")
    expect(pay_button(page)).to_be_enabled()

    pay_button(page).click()  # the same card, with a fresh set-up
    page.get_by_role("button", name="Complete authentication").click()
    page.get_by_role("button", name="Fail authentication").click()  # when it is charged
    expect(alert).not_to_be_empty()
    expect(payment_form(page).get_by_placeholder("number", exact=True)).to_have_value("")
    expect(payment_form(page)).to_be_visible()

    pay_with(page, CARD_OK)
    order_confirmed(page)
    assert console_errors == []


def test_a_seller_sends_the_checkout_and_watches_the_order_arrive(
    page: Page, seller_inbox, logins, console_errors
) -> None:
    add_to_cart(page, PRODUCT)
    open_chat(page)
    hello = f"I would like to order {uuid.uuid4().hex[:8]}"
    say(page, hello)

    inbox = seller_inbox(logins["seller"])
    open_conversation(inbox, hello)
    seller_log = inbox.get_by_role("log", name="Messages")
    inbox.get_by_role("button", name="Send checkout").click()
    seller_card = seller_log.locator(".inbox-log__list > li").filter(has_text="Order summary")
    expect(seller_card).to_contain_text("English Lavender")

    expect(details_form(page)).to_be_visible()  # the shopper got it, with the form under it
    fill_details(page)
    continue_to_payment(page)
    pay_with(page, CARD_OK)
    name = order_confirmed(page)

    seller_order = seller_log.locator(".inbox-log__list > li").filter(has_text=f"Order {name} confirmed")
    expect(seller_order).to_be_visible(timeout=ORDER_TIMEOUT)
    expect(seller_order).to_contain_text("Paid")
    expect(seller_log.locator("form")).to_have_count(0)  # sellers see the cards, never the payment form

    inbox.reload()  # the context panel lists the order; a seller who is not a manager cannot refund it
    inbox.locator("#conversation-list").get_by_role("button").filter(has_text=name).click()
    context = inbox.get_by_role("complementary", name="Shopper")
    expect(context.get_by_role("link", name=name)).to_be_visible()
    expect(context.get_by_role("button", name="Refund")).to_have_count(0)
    assert console_errors == []


def test_details_are_checked_field_by_field(page: Page, check_a11y, console_errors) -> None:
    page.goto("/")
    open_chat(page)
    panel(page).get_by_role("button", name="Checkout").click()
    expect(panel(page).get_by_role("alert").filter(has_text="Your cart is empty")).to_be_visible()
    panel(page).get_by_role("button", name="My orders").click()
    expect(message(page, "You have no orders yet.")).to_be_visible()

    add_to_cart(page, PRODUCT)
    open_chat(page)
    start_checkout(page)
    expect(details_form(page).get_by_label("Email", exact=True)).to_be_focused()  # asked for: ready to type
    check_a11y("chat panel with the details form")
    fill_details(page, Email="not-an-email", **{"Full name": ""})
    details_form(page).get_by_role("button", name="Continue to payment").click()

    form = details_form(page)
    expect(form.get_by_role("alert")).to_have_text("Please correct the highlighted fields.")
    email = form.get_by_label("Email", exact=True)
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description("Please enter a valid email address.")
    expect(email).to_be_focused()  # the first field to correct
    full_name = form.get_by_label("Full name")
    expect(full_name).to_have_attribute("aria-invalid", "true")
    expect(full_name).to_have_accessible_description("Please enter your name.")
    city = form.get_by_label("City")
    expect(city).not_to_have_attribute("aria-invalid", "true")
    check_a11y("chat panel with errors in the details form")

    email.fill("ana@example.com")
    full_name.fill("Ana Martin")
    continue_to_payment(page)
    expect(details_form(page)).to_be_hidden()
    panel(page).get_by_role("button", name="Change delivery details").click()
    expect(details_form(page).get_by_label("Email", exact=True)).to_have_value("ana@example.com")
    expect(email).not_to_have_attribute("aria-invalid", "true")
    assert console_errors == []


def test_a_manager_refunds_part_of_an_order_from_the_inbox(
    page: Page, seller_inbox, logins, console_errors
) -> None:
    name = checkout_and_pay(page)
    thanks = f"Thank you! {uuid.uuid4().hex[:8]}"
    say(page, thanks)

    inbox = seller_inbox(logins["manager"])
    inbox.locator("#conversation-list").get_by_role("button").filter(has_text=thanks).click()
    context = inbox.get_by_role("complementary", name="Shopper")
    refund = context.get_by_role("form", name=f"Refund order {name}")
    amount = refund.get_by_label("Refund amount")

    amount.fill("5000")  # more than was paid
    refund.get_by_role("button", name="Refund").click()
    expect(refund.get_by_role("alert")).not_to_be_empty()
    expect(amount).to_have_attribute("aria-invalid", "true")

    amount.fill("5")
    refund.get_by_role("button", name="Refund").click()
    expect(context).to_contain_text("€5.00 refunded")
    expect(context).to_contain_text("Partially refunded")
    seller_log = inbox.get_by_role("log", name="Messages")
    expect(seller_log).to_contain_text(f"€5.00 refunded on order {name}")

    refunded = message(page, f"€5.00 refunded on order {name}")  # the shopper sees it live
    expect(refunded).to_be_visible()
    expect(refunded).to_contain_text("Partially refunded")
    assert console_errors == []


def test_a_cart_changed_after_the_total_was_shown_costs_its_new_total(page: Page, console_errors) -> None:
    add_to_cart(page, PRODUCT)
    open_chat(page)
    start_checkout(page)
    fill_details(page)
    continue_to_payment(page)
    shown = pay_button(page).inner_text()
    other_tab = page.context.new_page()  # meanwhile, in another tab, one more product
    add_to_cart(other_tab, "olive-tree")
    other_tab.close()

    pay_with(page, CARD_OK)
    alert = payment_form(page).get_by_role("alert")
    expect(alert).to_contain_text("Your order changed since the total was shown")
    expect(pay_button(page)).not_to_have_text(shown)
    expect(pay_button(page)).to_be_focused()  # pressing it again pays the new total
    card = message(page, "Order summary")
    expect(card).to_contain_text("Olive Tree")  # the card shows what Pay now charges
    new_total = card.locator(".chat-totals__row--total dd").inner_text()
    expect(pay_button(page)).to_have_text(f"Pay {new_total}")

    pay_button(page).click()
    order_confirmed(page)
    order = message(page, CONFIRMED)
    expect(order).to_contain_text("Olive Tree")
    expect(order).to_contain_text(new_total)
    assert console_errors == []
