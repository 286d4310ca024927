"""Discounts from the seller inbox in Chromium against the real server: a seller makes an offer from the
conversation pane and the shopper's widget shows the card; above the seller's cap a manager approves it from
the inbox's approval list first. The seller's inbox is the `page` fixture; the shopper and the manager have
browser contexts of their own."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.widget import chat_log, claim, offer_card, open_chat, say, seller_log


@pytest.fixture(scope="module")
def logins(seller_account) -> dict[str, tuple[str, str]]:
    return {"seller": seller_account("Sami"), "manager": seller_account("Mona", role="manager")}


def shopper_says_hello(new_page: Callable[[], Page]) -> tuple[Page, str]:
    shopper = new_page()
    shopper.goto("/products/english-lavender")
    open_chat(shopper)
    hello = f"Any discount on lavender? {uuid.uuid4().hex[:8]}"
    say(shopper, hello)
    return shopper, hello


# --- The inbox ---------------------------------------------------------------------------------------------


def offer_form(inbox: Page) -> Locator:
    return inbox.get_by_role("form", name="Make an offer")


def open_offer_form(inbox: Page) -> Locator:
    toggle = inbox.get_by_role("button", name="Make an offer")
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    form = offer_form(inbox)
    expect(form).to_be_visible()
    return form


def make_offer(inbox: Page, percent: str) -> None:
    form = open_offer_form(inbox)
    form.get_by_label("Percent off").fill(percent)
    form.get_by_role("button", name="Send offer").click()
    expect(form).to_be_hidden()
    expect(inbox.get_by_role("button", name="Make an offer")).to_be_focused()


def seller_offer_card(inbox: Page, label: str) -> Locator:
    return seller_log(inbox).locator(".chat-msg--type-offer").filter(has_text=label)


def test_a_seller_offers_ten_percent_and_the_shopper_sees_the_card(
    page: Page, new_page, seller_inbox, logins, check_a11y, console_errors
) -> None:
    shopper, hello = shopper_says_hello(new_page)
    inbox = seller_inbox(logins["seller"], page)
    claim(inbox, hello)

    form = open_offer_form(inbox)
    expect(form.get_by_role("radio", name="Percent")).to_be_focused()
    expect(inbox.get_by_text("You can offer up to 10% or €20.00 alone")).to_be_visible()
    expect(form.get_by_label("Applies to")).to_have_value("order")
    expect(form.get_by_text("Leave empty for the shop's default (48 hours).")).to_be_visible()
    check_a11y("the inbox with the offer form open")

    # Checked by the server, field by field; the form stays open with the message beside the field.
    value = form.get_by_label("Percent off")
    value.fill("0")
    form.get_by_role("button", name="Send offer").click()
    expect(form.get_by_text("A percent is a whole number from 1 to 100.")).to_be_visible()
    expect(value).to_have_attribute("aria-invalid", "true")
    expect(value).to_be_focused()
    form.get_by_role("radio", name="Fixed amount").check()
    expect(form.get_by_label("Amount off")).to_be_visible()  # the same box, named for an amount now
    form.get_by_role("radio", name="Percent").check()

    value.fill("10")
    form.get_by_label("Note for the shopper (optional)").fill("A little thank-you")
    form.get_by_role("button", name="Send offer").click()
    expect(form).to_be_hidden()
    expect(inbox.get_by_role("status").filter(has_text="Offer sent: 10% off your order.")).to_be_visible()

    card = seller_offer_card(inbox, "10% off your order")
    expect(card).to_contain_text("A little thank-you")
    expect(card).to_contain_text("Active")
    expect(card.get_by_role("button")).to_have_count(0)  # sellers never get "Apply"
    context = inbox.get_by_role("complementary", name="Shopper")
    offers = context.get_by_role("region", name="Offers")
    expect(offers.get_by_role("listitem").filter(has_text="10% off your order")).to_contain_text("Active")

    shopper_card = offer_card(shopper, "10% off your order")
    expect(shopper_card).to_be_visible()
    expect(shopper_card).to_contain_text("A little thank-you")
    expect(shopper_card).to_contain_text(re.compile(r"OFFER-[A-Z0-9]{8}"))
    assert console_errors == []


def test_above_the_cap_a_manager_approves_and_the_shopper_gets_the_card(
    page: Page, new_page, seller_inbox, logins, console_errors
) -> None:
    manager = seller_inbox(logins["manager"])
    approvals = manager.get_by_role("region", name="Discounts to approve")
    expect(approvals).to_be_visible()
    shopper, hello = shopper_says_hello(new_page)
    inbox = seller_inbox(logins["seller"], page)
    claim(inbox, hello)

    make_offer(inbox, "20")

    waiting = "20% off your order is waiting for a manager's approval."
    expect(inbox.get_by_role("status").filter(has_text=waiting)).to_be_visible()
    expect(seller_log(inbox)).to_contain_text("Sami asked a manager to approve 20% off your order")
    expect(seller_offer_card(inbox, "20% off your order")).to_have_count(0)
    expect(chat_log(shopper)).to_contain_text("Sami asked a manager to approve 20% off your order")
    expect(offer_card(shopper, "20% off your order")).to_have_count(0)  # nothing to apply yet

    # The manager's list got it live, with who asked and for whom.
    request = approvals.get_by_role("listitem").filter(has_text="20% off your order").filter(has_text="Sami")
    expect(request).to_be_visible()
    expect(request).to_contain_text("Asked by Sami")
    request.get_by_role("button", name="Approve").click()
    expect(approvals.get_by_role("status")).to_have_text("Approved: 20% off your order.")
    expect(request).to_have_count(0)

    expect(offer_card(shopper, "20% off your order")).to_be_visible()
    card = seller_offer_card(inbox, "20% off your order")
    expect(card).to_contain_text("Mona")  # posted by the manager who approved it
    expect(inbox.get_by_role("status").filter(has_text=waiting)).to_have_count(0)
    assert console_errors == []


def test_a_manager_declines_from_the_list_after_opening_the_conversation(
    page: Page, new_page, seller_inbox, logins, check_a11y, console_errors
) -> None:
    shopper, hello = shopper_says_hello(new_page)
    seller = seller_inbox(logins["seller"])
    claim(seller, hello)
    make_offer(seller, "15")

    manager = seller_inbox(logins["manager"], page)  # opened after the offer: the list is read on connecting
    approvals = manager.get_by_role("region", name="Discounts to approve")
    request = approvals.get_by_role("listitem").filter(has_text="15% off your order").filter(has_text="Sami")
    expect(request).to_be_visible()
    check_a11y("the manager's inbox with an offer to approve")
    request.get_by_role("button", name=re.compile(r"^Open the conversation")).click()
    expect(seller_log(manager).get_by_role("listitem").filter(has_text=hello)).to_be_visible()
    expect(manager.get_by_role("heading", level=2, name=re.compile(r"^Visitor \d+$"))).to_be_focused()

    request.get_by_role("button", name="Decline").click()
    expect(request).to_have_count(0)
    declined = "Sorry, the discount (15% off your order) was not approved"
    expect(seller_log(manager)).to_contain_text(declined)
    expect(seller_log(seller)).to_contain_text(declined)
    expect(chat_log(shopper)).to_contain_text(declined)
    expect(offer_card(shopper, "15% off your order")).to_have_count(0)
    assert console_errors == []
