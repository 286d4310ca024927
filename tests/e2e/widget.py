"""Locators and steps shared by the end-to-end tests: the shopper's chat widget (messages, checkout inside the
panel, localstripe's test cards) and the seller inbox's side of a conversation. Plain functions of a Page;
the fixtures (pages of their own, signed-in sellers) are in conftest.py."""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page, expect

CARD_OK = "4242424242424242"
CARD_DECLINED = "4000000000000341"  # declined when charged (localstripe: 402 card_declined)
CARD_3DS = "4000002500003155"  # the bank asks for 3-D Secure
ADDRESS = {
    "Email": "ana@example.com",
    "Full name": "Ana Martin",
    "Address": "12 rue des Lilas",
    "City": "Paris",
    "Postal code": "75011",
}
CONFIRMED = re.compile(r"Order (#\d+) is confirmed")
#: The webhook comes about a second after the charge; the order message follows it.
ORDER_TIMEOUT = 15_000


# --- The shopper's widget ----------------------------------------------------------------------------------


def panel(page: Page) -> Locator:
    return page.get_by_role("dialog", name="Chat with us")


def chat_log(page: Page) -> Locator:
    return panel(page).get_by_role("log", name="Messages")


def message(page: Page, text: str | re.Pattern[str]) -> Locator:
    """A message of the conversation (not the lines inside a card) that contains text."""
    return chat_log(page).locator(".chat-log__list > li").filter(has_text=text)


def offer_card(page: Page, label: str) -> Locator:
    """The offer card ("10% off your order") in the shopper's conversation."""
    return chat_log(page).locator(".chat-msg--type-offer").filter(has_text=label)


def add_to_cart(page: Page, handle: str, quantity: int = 1) -> None:
    page.goto(f"/products/{handle}")
    page.get_by_label("Quantity").fill(str(quantity))
    page.get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(re.compile(r"/cart$"))


def open_chat(page: Page) -> None:
    page.get_by_role("button", name="Chat").click()
    expect(panel(page)).to_be_visible()


def say(page: Page, text: str) -> None:
    box = panel(page).get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")
    expect(message(page, text)).to_contain_text("Sent")


# --- Checkout inside the panel -----------------------------------------------------------------------------


def details_form(page: Page) -> Locator:
    return panel(page).get_by_role("form", name="Delivery details")


def payment_form(page: Page) -> Locator:
    return panel(page).get_by_role("form", name="Payment")


def pay_button(page: Page) -> Locator:
    return payment_form(page).get_by_role("button", name=re.compile(r"^Pay €\d"))


def start_checkout(page: Page) -> None:
    panel(page).get_by_role("button", name="Checkout").click()
    expect(message(page, "Order summary")).to_be_visible()
    expect(details_form(page)).to_be_visible()


def fill_details(page: Page, **overrides: str) -> None:
    """ADDRESS in the delivery details form, with some fields changed: fill_details(page, Email="x")."""
    form = details_form(page)
    for label, value in {**ADDRESS, **overrides}.items():
        form.get_by_label(label, exact=True).fill(value)
    form.get_by_label("Country").select_option("FR")


def continue_to_payment(page: Page) -> None:
    details_form(page).get_by_role("button", name="Continue to payment").click()
    expect(pay_button(page)).to_be_enabled()  # Stripe.js loaded, the card field mounted


def fill_card(page: Page, number: str) -> None:
    """localstripe's card element: plain inputs named by their placeholders."""
    card = payment_form(page).get_by_role("group", name="Card details")
    for placeholder, value in (
        ("number", number), ("exp_month", "12"), ("exp_year", "34"), ("cvc", "123"),
        ("postal_code", ADDRESS["Postal code"]),
    ):  # fmt: skip
        card.get_by_placeholder(placeholder, exact=True).fill(value)


def pay_with(page: Page, number: str) -> None:
    fill_card(page, number)
    pay_button(page).click()


def order_confirmed(page: Page) -> str:
    """Waits for the order card in the conversation; its order name ("#1001")."""
    card = message(page, CONFIRMED)
    expect(card).to_be_visible(timeout=ORDER_TIMEOUT)
    found = CONFIRMED.search(card.inner_text())
    assert found, card.inner_text()
    return found.group(1)


# --- The seller inbox --------------------------------------------------------------------------------------


def seller_log(inbox: Page) -> Locator:
    return inbox.get_by_role("log", name="Messages")


def open_conversation(inbox: Page, text: str) -> None:
    """Open the conversation whose newest message (shown in the list) contains text."""
    inbox.locator("#conversation-list").get_by_role("button").filter(has_text=text).click()
    expect(seller_log(inbox).get_by_role("listitem").filter(has_text=text)).to_be_visible()


def claim(inbox: Page, text: str) -> None:
    """Open the shopper's conversation and claim it."""
    open_conversation(inbox, text)
    inbox.get_by_role("button", name="Claim").click()
    expect(inbox.locator("#conversation-status")).to_have_text("Assigned to you")
