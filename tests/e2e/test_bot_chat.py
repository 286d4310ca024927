"""The shop's bot in the chat widget, in Chromium against the real server (demo catalog, bot on by default):
a carousel whose cards add to the cart, quick replies, the handover to a seller with its form, the seller's
inbox (the bot's exchange, the form's answers, claiming silences the bot), a French answer, accessibility,
and the widget connecting on every page when proactive messages are on. Each test has its own browser
context, hence its own shopper."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from playwright.sync_api import Locator, Page, expect

#: The live server starts with the bot off (other tests expect sellers to answer): on for each test here.
pytestmark = pytest.mark.usefixtures("bot_enabled")

#: How long a bot reply may take to arrive (the bot answers within a fraction of a second normally).
REPLY = 10_000
#: How long to wait before concluding that the bot stays silent.
SILENCE_MS = 3_000


@pytest.fixture(scope="module")
def seller_login(seller_account) -> tuple[str, str]:
    return seller_account("Bea")


@pytest.fixture
def inbox(new_page, seller_inbox, seller_login) -> Page:
    """A seller signed in with the inbox open (so the shop has a seller online)."""
    return seller_inbox(seller_login, new_page(locale="en-US"))


def open_chat(page: Page) -> Locator:
    page.get_by_role("button", name="Chat").click()
    dialog = page.get_by_role("dialog", name="Chat with us")
    expect(dialog).to_be_visible()
    return dialog


def send(page: Page, text: str) -> None:
    box = page.get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")
    expect(bubble(page, text).last.locator(".chat-msg__status")).to_have_text(re.compile(r"^(Sent|Read)$"))


def messages(page: Page) -> Locator:
    return page.get_by_role("log", name="Messages").get_by_role("listitem")


def bubble(page: Page, text: str) -> Locator:
    return messages(page).filter(has_text=text)


def bot_messages(page: Page) -> Locator:
    return page.locator(".chat-log .chat-msg--bot")


def leave_email(page: Page) -> str:
    """The shopper leaves an email in the widget: sellers then see them named after it."""
    name = f"shopper-{uuid.uuid4().hex[:8]}"
    page.get_by_role("link", name="Get replies by email").click()
    page.locator("#chat-email-form").get_by_label("Email").fill(f"{name}@example.com")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text(f"We will reply to {name}@example.com.")).to_be_visible()
    return name


def open_in_inbox(inbox: Page, shopper_name: str) -> None:
    inbox.locator("#conversation-list").get_by_role("button", name=re.compile(rf"^{shopper_name}")).click()
    expect(inbox.get_by_role("heading", level=2, name=shopper_name, exact=True)).to_be_visible()


def test_carousel_card_adds_to_the_cart(page: Page, console_errors) -> None:
    page.goto("/")
    dialog = open_chat(page)
    send(page, "a round table under 150")

    carousel = page.get_by_role("list", name="Products")
    expect(carousel).to_be_visible(timeout=REPLY)
    expect(bot_messages(page).last).to_contain_text("Here is what I found")
    expect(dialog.get_by_text("Assistant", exact=True)).to_be_visible()  # the bot has the conversation

    card = carousel.get_by_role("listitem").filter(has_text="Round Teak Garden Table")
    option = card.get_by_label("Option")
    expect(option).to_have_value(re.compile(r"\d+"))
    expect(option.locator("option")).to_have_count(3)  # 80, 100 and 120 cm
    expect(card.get_by_role("link", name="View Round Teak Garden Table")).to_be_visible()
    card.get_by_role("button", name="Add to cart Round Teak Garden Table").click()
    expect(card.locator(".chat-buy__status")).to_have_text(re.compile(r"\S"))
    expect(card.locator(".chat-buy__status--error")).to_have_count(0)
    expect(page.locator(".cart-count")).to_have_text("(1)")

    page.goto("/cart")
    table = page.get_by_role("table", name="Items in your cart")
    expect(table).to_contain_text("Round Teak Garden Table")
    expect(table).to_contain_text("80 cm")
    assert console_errors == []


def test_handover_form_seller_sees_answers_and_claims(page: Page, inbox: Page, console_errors) -> None:
    page.goto("/")
    dialog = open_chat(page)
    expect(dialog.get_by_text("A seller is online")).to_be_visible()
    name = leave_email(page)
    send(page, "talk to a human")

    expect(bubble(page, "The bot passed the conversation to a seller")).to_be_visible(timeout=REPLY)
    form = page.locator(".chat-form__form")
    expect(form).to_be_visible()
    expect(dialog.get_by_text("A seller is online")).to_be_visible()  # waiting: no longer "Assistant"
    form.get_by_label("Budget").fill("150 €")
    form.get_by_label("What is it for?").fill("A garden party for eight")
    form.get_by_role("button", name="Send to the seller").click()

    summary = page.locator(".chat-form__summary")
    expect(summary).to_contain_text("Sent to the seller")
    expect(summary.locator("dt").first).to_have_text("Budget")
    expect(summary.locator("dd").first).to_have_text("150 €")
    expect(summary).to_be_focused()
    expect(page.locator(".chat-form__form")).to_have_count(0)  # read-only now
    answers = messages(page).filter(has=page.locator(".chat-answers")).last
    expect(answers).to_contain_text("A garden party for eight")

    page.reload()  # answered stays answered
    open_chat(page)
    expect(page.locator(".chat-form__summary")).to_contain_text("A garden party for eight")
    expect(page.locator(".chat-form__form")).to_have_count(0)

    open_in_inbox(inbox, name)
    log = inbox.get_by_role("log", name="Messages")
    expect(log).to_contain_text("talk to a human")
    expect(log).to_contain_text("The bot passed the conversation to a seller")
    expect(log.locator(".chat-msg--bot").first).to_be_visible()
    expect(log.locator(".chat-answers")).to_contain_text("150 €")
    expect(log.locator(".chat-answers")).to_contain_text("A garden party for eight")
    inbox.get_by_role("button", name="Claim").click()
    expect(inbox.locator("#conversation-status")).to_have_text("Assigned to you")
    expect(bubble(page, "Bea joined the conversation")).to_be_visible()

    bots = bot_messages(page).count()
    send(page, "Do you have the olive tree in 160 cm?")
    page.wait_for_timeout(SILENCE_MS)
    expect(bot_messages(page)).to_have_count(bots)
    expect(inbox.get_by_role("log", name="Messages")).to_contain_text("Do you have the olive tree in 160 cm?")
    assert console_errors == []


def test_seller_claiming_a_bot_conversation_silences_the_bot(page: Page, inbox: Page, console_errors) -> None:
    page.goto("/")
    dialog = open_chat(page)
    name = leave_email(page)
    send(page, "do you have lanterns")
    expect(page.get_by_role("list", name="Products")).to_be_visible(timeout=REPLY)
    expect(dialog.get_by_text("Assistant", exact=True)).to_be_visible()

    item = inbox.locator("#conversation-list").get_by_role("button", name=re.compile(rf"^{name}"))
    expect(item).to_contain_text("Bot")  # listed under "Open", marked as the bot's
    open_in_inbox(inbox, name)
    expect(inbox.locator("#conversation-status")).to_have_text("Bot")
    log = inbox.get_by_role("log", name="Messages")
    expect(log.get_by_role("list", name="Products")).to_be_visible()
    expect(log.get_by_role("button", name=re.compile("Add to cart"))).to_have_count(0)  # sellers do not buy
    inbox.get_by_role("button", name="Claim").click()
    expect(inbox.locator("#conversation-status")).to_have_text("Assigned to you")

    expect(dialog.get_by_text("A seller is online")).to_be_visible()  # no longer "Assistant"
    bots = bot_messages(page).count()
    send(page, "how much is the olive tree")
    page.wait_for_timeout(SILENCE_MS)
    expect(bot_messages(page)).to_have_count(bots)
    assert console_errors == []


def test_french_message_without_accents_gets_a_french_answer(page: Page, console_errors) -> None:
    page.goto("/")
    open_chat(page)
    send(page, "je cherche un pot en terre")
    answer = bot_messages(page).last
    expect(answer).to_contain_text("Voici ce que j'ai trouvé", timeout=REPLY)
    expect(answer.get_by_role("listitem").filter(has_text="Terracotta Garden Pot")).to_be_visible()
    assert console_errors == []


def test_quick_replies_work_with_the_keyboard(page: Page, console_errors) -> None:
    page.goto("/")
    open_chat(page)
    send(page, "asdf qwer")
    replies = page.get_by_role("group", name="Suggested replies")
    choice = replies.get_by_role("button", name="Talk to a seller")
    expect(choice).to_be_visible(timeout=REPLY)

    # From the message box, back through the panel with Shift+Tab to the quick reply.
    expect(page.get_by_role("textbox", name="Message")).to_be_focused()
    for _ in range(12):
        page.keyboard.press("Shift+Tab")
        if choice.evaluate("node => node === document.activeElement"):
            break
    expect(choice).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator(".chat-msg--mine").last).to_contain_text("Talk to a seller")
    expect(replies).to_have_count(0)  # the buttons went
    expect(page.get_by_role("textbox", name="Message")).to_be_focused()
    expect(bubble(page, "The bot passed the conversation to a seller")).to_be_visible(timeout=REPLY)
    assert console_errors == []


def test_panel_with_a_carousel_and_a_form_is_accessible(page: Page, check_a11y, console_errors) -> None:
    page.goto("/")
    open_chat(page)
    send(page, "a round table under 150")
    expect(page.get_by_role("list", name="Products")).to_be_visible(timeout=REPLY)
    send(page, "talk to a human")
    form = page.locator(".chat-form__form")
    expect(form).to_be_visible(timeout=REPLY)
    check_a11y("chat panel with a carousel and a form")

    # The carousel scrolls with the keyboard and each card's controls are in the Tab order.
    carousel = page.get_by_role("list", name="Products")
    carousel.focus()
    expect(carousel).to_be_focused()
    page.keyboard.press("Tab")
    expect(carousel.get_by_role("link").first).to_be_focused()
    page.keyboard.press("Tab")
    focused_in_first_card = carousel.get_by_role("listitem").first.locator(":focus")
    expect(focused_in_first_card).to_have_count(1)

    # A form sent empty where a field is required says so next to the field (or sends: none required).
    required = form.locator("input[required]")
    if required.count():
        form.get_by_role("button").click()
        expect(required.first).to_have_attribute("aria-invalid", "true")
        expect(required.first).to_be_focused()
    assert console_errors == []


@pytest.fixture
def greeting_on(new_page, seller_account) -> Iterator[str]:
    """A manager turned the product-page greeting on (1 second); off again afterwards."""
    email, password = seller_account("Mona", role="manager")
    manager = new_page(locale="en-US")
    manager.goto("/seller")
    manager.get_by_label("Email").fill(email)
    manager.get_by_label("Password").fill(password)
    manager.get_by_role("button", name="Sign in").click()
    expect(manager.get_by_role("radio", name="Away")).to_be_enabled()
    manager.goto("/seller/bot")
    text = f"Hello from the bot! {uuid.uuid4().hex[:6]}"
    manager.get_by_label("Greet shoppers on product pages").check()
    manager.get_by_label("After how many seconds on a product page").fill("1")
    manager.get_by_label("Greeting in English").fill(text)
    manager.get_by_role("button", name="Save settings").click()
    expect(manager.get_by_text("Bot settings saved.")).to_be_visible()
    yield text
    manager.goto("/seller/bot")
    manager.get_by_label("Greet shoppers on product pages").uncheck()
    manager.get_by_role("button", name="Save settings").click()
    expect(manager.get_by_text("Bot settings saved.")).to_be_visible()


def test_greeting_reaches_a_shopper_who_never_opened_the_chat(
    greeting_on: str, page: Page, console_errors
) -> None:
    page.goto("/products/olive-tree")
    expect(page.locator("body")).to_have_attribute("data-chat-autoconnect", "")
    launcher = page.get_by_role("button", name="Chat, 1 unread message")
    expect(launcher).to_be_visible(timeout=15_000)
    launcher.click()
    greeting = bubble(page, greeting_on)
    expect(greeting).to_be_visible()
    choices = greeting.get_by_role("group", name="Suggested replies")
    expect(choices.get_by_role("button", name="Is it in stock?")).to_be_visible()
    assert console_errors == []
