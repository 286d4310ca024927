"""The owner's bot settings in Chromium against the real server: a manager turns the product-page greeting
on, and a shopper on a product page gets it in the widget (the server's loop runs every second here)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect


@pytest.fixture
def manager(page: Page, seller_account) -> Iterator[Page]:
    """The manager signed in; the proactive messages are off again afterwards (the server is shared)."""
    email, password = seller_account("Mona", role="manager")
    page.goto("/seller")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    # The inbox's socket has connected: leaving the inbox now disconnects it cleanly, so the manager is
    # not left "online" for the next tests (their shoppers expect nobody to answer live).
    expect(page.get_by_role("radio", name="Away")).to_be_enabled()
    yield page
    page.goto("/seller/bot")
    page.get_by_label("Greet shoppers on product pages").uncheck()
    page.get_by_label("Nudge shoppers whose cart is idle").uncheck()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_text("Bot settings saved.")).to_be_visible()


def test_greeting_turned_on_by_a_manager_reaches_a_shopper_on_a_product_page(
    bot_enabled: None, manager: Page, browser: Browser, base_url: str, check_a11y, console_errors
) -> None:
    manager.get_by_role("link", name="Bot").click()
    expect(manager.get_by_role("heading", name="Bot", level=1)).to_be_visible()
    check_a11y("bot settings")
    greeting = manager.get_by_label("Greet shoppers on product pages")
    expect(greeting).not_to_be_checked()  # off by default
    greeting.check()
    delay = manager.get_by_label("After how many seconds on a product page")
    delay.fill("0")
    manager.get_by_role("button", name="Save settings").click()
    expect(manager.get_by_text("Enter a number of seconds from 1 to 600.")).to_be_visible()
    expect(delay).to_have_attribute("aria-invalid", "true")

    text = f"Welcome! Ask me anything about this product. {uuid.uuid4().hex[:6]}"
    delay.fill("1")
    manager.get_by_label("Greeting in English").fill(text)
    manager.get_by_role("button", name="Save settings").click()
    expect(manager.get_by_text("Bot settings saved.")).to_be_visible()
    expect(manager.get_by_label("Greet shoppers on product pages")).to_be_checked()

    context = browser.new_context(base_url=base_url, locale="en-US")
    try:
        shopper = context.new_page()
        shopper.goto("/products/olive-tree")
        shopper.get_by_role("button", name="Chat").click()  # the widget connects and reports the page
        dialog = shopper.get_by_role("dialog", name="Chat with us")
        expect(dialog).to_be_visible()
        shopper.get_by_role("button", name="Close").click()

        launcher = shopper.get_by_role("button", name="Chat, 1 unread message")
        expect(launcher).to_be_visible(timeout=15_000)
        launcher.click()
        message = shopper.get_by_role("log").get_by_role("listitem").filter(has_text=text)
        expect(message).to_be_visible()

        shopper.reload()  # same visit: no second greeting
        shopper.get_by_role("button", name="Chat").click()
        expect(message).to_have_count(1)
        shopper.wait_for_timeout(2500)  # more than two rounds of the loop
        expect(message).to_have_count(1)
    finally:
        context.close()
    assert console_errors == []
