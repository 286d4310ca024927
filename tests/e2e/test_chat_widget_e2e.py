"""The shopper's chat widget in Chromium against the real server, with a seller on the other end
(tests/e2e/seller_bot.py). Each test has its own browser context, hence its own shopper."""

from __future__ import annotations

import gettext
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, WebSocketRoute, expect

from tests.e2e.seller_bot import SellerBot

ROOT = Path(__file__).resolve().parents[2]
SOCKET_IO = re.compile(r"/socket\.io/")


@pytest.fixture(scope="module")
def seller_login(seller_account) -> tuple[str, str]:
    return seller_account("Sam")


@pytest.fixture
def seller(live_server, seller_login) -> Iterator[SellerBot]:
    """A seller signed in with the inbox open (so the shop shows "A seller is online")."""
    with SellerBot(live_server.url, *seller_login) as bot:
        yield bot


def unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:8]}"


def open_chat(page: Page) -> None:
    page.get_by_role("button", name="Chat").click()
    expect(page.get_by_role("dialog", name="Chat with us")).to_be_visible()


def send(page: Page, text: str) -> None:
    box = page.get_by_role("textbox", name="Message")
    box.fill(text)
    box.press("Enter")


def bubble(page: Page, text: str):
    """The message in the log that contains text."""
    return page.get_by_role("log").get_by_role("listitem").filter(has_text=text)


def send_and_wait(page: Page, text: str) -> None:
    send(page, text)
    expect(bubble(page, text)).to_contain_text("Sent")


def test_keyboard_only_open_send_with_enter_newline_with_shift_enter(
    page: Page, check_a11y, console_errors
) -> None:
    page.goto("/")
    launcher = page.get_by_role("button", name="Chat")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    launcher.focus()
    page.keyboard.press("Enter")

    panel = page.get_by_role("dialog", name="Chat with us")
    expect(panel).to_be_visible()
    box = page.get_by_role("textbox", name="Message")
    expect(box).to_be_focused()  # focus moved into the panel
    expect(launcher).to_have_attribute("aria-expanded", "true")

    page.keyboard.type("Hello")
    page.keyboard.press("Shift+Enter")
    page.keyboard.type("second line")
    expect(box).to_have_value("Hello\nsecond line")  # Shift+Enter adds a line, does not send
    page.keyboard.press("Enter")

    expect(box).to_have_value("")
    message = bubble(page, "second line")
    expect(message).to_have_count(1)
    expect(message).to_contain_text("Sent")
    expect(message.locator("time")).to_have_text(re.compile(r"\d{1,2}:\d{2}"))
    assert message.locator(".chat-msg__text").text_content() == "Hello\nsecond line"
    expect(page.get_by_role("log")).to_have_attribute("aria-live", "polite")
    check_a11y("home with the chat open")

    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(launcher).to_be_focused()  # focus back on the launcher
    page.keyboard.press("Enter")
    expect(box).to_be_focused()
    assert console_errors == []


def test_seller_reply_arrives_live_after_typing_then_read_receipt(
    page: Page, seller: SellerBot, console_errors
) -> None:
    page.goto("/products/round-teak-garden-table")
    open_chat(page)
    expect(page.get_by_text("A seller is online")).to_be_visible()
    expect(page.get_by_role("link", name="Get replies by email")).to_be_visible()
    expect(page.get_by_role("textbox", name="Email")).to_be_hidden()  # offered, not imposed
    text = unique("Is the 120 cm table in stock?")
    send_and_wait(page, text)

    conversation = seller.find_conversation(text)
    opened = seller.call("open", {"conversation_id": conversation})
    assert opened["context"]["page"]["product_handle"] == "round-teak-garden-table"  # the page it sits on
    own_seq = opened["messages"][-1]["seq"]

    seller.typing(conversation, True)
    expect(page.get_by_text("Seller is typing…")).to_be_visible()
    seller.send(conversation, "Yes, 8 left. See https://example.com/teak")
    reply = bubble(page, "Yes, 8 left")
    expect(reply).to_be_visible()
    expect(reply).to_contain_text("Sam")
    expect(reply.get_by_role("link", name="https://example.com/teak")).to_have_attribute(
        "rel", "noopener noreferrer nofollow"
    )
    expect(page.get_by_text("Seller is typing…")).to_have_count(0)
    expect(bubble(page, text)).to_contain_text("Sent")

    seller.read(conversation, own_seq)
    expect(bubble(page, text)).to_contain_text("Read")

    # The shopper's typing reaches the seller, then stops by itself after 3 s without a keystroke.
    page.get_by_role("textbox", name="Message").press_sequentially("Great")
    seller.wait_for("typing", lambda d: d["who"] == "shopper" and d["typing"])
    page.wait_for_timeout(3500)  # let the page run its idle timer
    seller.wait_for("typing", lambda d: d["who"] == "shopper" and not d["typing"])
    # The shopper had the panel open: the seller learns the reply was read.
    seller.wait_for("read", lambda d: d["who"] == "shopper" and d["seq"] >= own_seq + 1)
    assert console_errors == []


BEEP_COUNTER = """
window.__beeps = 0;
const Real = window.AudioContext;
window.AudioContext = class extends Real {
  createOscillator() { window.__beeps += 1; return super.createOscillator(); }
};
"""


def test_unread_badge_title_and_sound_while_closed(page: Page, seller: SellerBot, console_errors) -> None:
    page.add_init_script(BEEP_COUNTER)
    page.goto("/products/olive-tree")
    title = page.title()
    open_chat(page)
    text = unique("Do you deliver olive trees?")
    send_and_wait(page, text)
    page.keyboard.press("Escape")

    conversation = seller.find_conversation(text)
    seller.open(conversation)
    seller.send(conversation, "Yes, everywhere in France.")
    seller.send(conversation, "Delivery takes 3 days.")
    launcher = page.get_by_role("button", name="Chat, 2 unread messages")
    expect(launcher).to_be_visible()
    expect(launcher).to_contain_text("2")  # the badge
    expect(page).to_have_title(f"(2) {title}")
    page.wait_for_function("window.__beeps >= 2")  # a chime for each reply

    page.reload()  # still unread after a reload: the server knows what was read
    expect(page.get_by_role("button", name="Chat, 2 unread messages")).to_be_visible()
    expect(page).to_have_title(f"(2) {title}")

    open_chat(page)
    expect(bubble(page, "Delivery takes 3 days.")).to_be_visible()
    expect(page.get_by_role("button", name="Chat", exact=True)).to_be_visible()
    expect(page).to_have_title(title)
    seller.wait_for("read", lambda d: d["who"] == "shopper")

    sound = page.get_by_role("button", name="Sound")
    expect(sound).to_have_attribute("aria-pressed", "true")
    sound.click()
    expect(sound).to_have_attribute("aria-pressed", "false")
    page.reload()  # the choice is remembered
    open_chat(page)
    expect(page.get_by_role("button", name="Sound")).to_have_attribute("aria-pressed", "false")
    page.get_by_role("textbox", name="Message").click()  # a gesture: sound would be allowed now
    seller.send(conversation, "Anything else?")
    expect(bubble(page, "Anything else?")).to_be_visible()
    assert page.evaluate("window.__beeps") == 0
    assert console_errors == []


def test_reload_and_second_tab_share_the_conversation(
    page: Page, context: BrowserContext, console_errors
) -> None:
    page.goto("/")
    open_chat(page)
    first = unique("first")
    send_and_wait(page, first)

    page.reload()
    open_chat(page)
    expect(bubble(page, first)).to_have_count(1)
    expect(bubble(page, first)).to_contain_text("Sent")

    other = context.new_page()
    other.goto("/collections")
    open_chat(other)
    expect(bubble(other, first)).to_have_count(1)

    second = unique("second")
    send_and_wait(page, second)
    expect(bubble(other, second)).to_have_count(1)  # live in the other tab
    expect(bubble(other, second)).to_contain_text("Sent")

    third = unique("third")
    send_and_wait(other, third)
    expect(bubble(page, third)).to_have_count(1)
    items = page.get_by_role("log").get_by_role("listitem")
    expect(items).to_have_count(3)
    assert console_errors == []


def test_lost_identity_cookie_gets_a_new_one(page: Page, context: BrowserContext) -> None:
    page.goto("/")
    open_chat(page)
    send_and_wait(page, unique("before"))
    context.clear_cookies()  # the socket is refused (no_identity): the widget asks for a new identity
    page.reload()
    open_chat(page)
    text = unique("after")
    send_and_wait(page, text)


def test_writing_long_after_a_resolved_conversation_starts_a_new_one(
    page: Page, live_server, seller: SellerBot
) -> None:
    page.goto("/")
    open_chat(page)
    old = unique("last month")
    send_and_wait(page, old)
    conversation = seller.find_conversation(old)
    seller.call("resolve", {"conversation_id": conversation})
    expect(page.get_by_role("log")).to_contain_text("Sam closed the conversation")
    live_server.flask(  # resolved a month ago: past CHAT_REOPEN_DAYS
        "shell",
        input=(
            "from datetime import timedelta\n"
            "from chat.models import Conversation\n"
            f"c = db.session.get(Conversation, {conversation})\n"
            "c.resolved_at -= timedelta(days=30)\n"
            "db.session.commit()\n"
        ),
    )

    new = unique("new question")
    send_and_wait(page, new)  # seq 1 of a new conversation: not mistaken for the old seq 1
    fresh = seller.find_conversation(new)
    assert fresh != conversation
    seller.open(fresh)
    seller.send(fresh, "Welcome back!")
    expect(bubble(page, "Welcome back!")).to_be_visible()
    expect(bubble(page, old)).to_have_count(0)  # the old conversation is not mixed in

    page.reload()
    open_chat(page)
    expect(bubble(page, "Welcome back!")).to_be_visible()
    expect(page.get_by_role("log").get_by_role("listitem")).to_have_count(2)


class Network:
    """Takes the page offline. context.set_offline fails new connections (websockets too, with the
    browser's real error) but leaves open websockets alone: those are cut through page.route_web_socket."""

    def __init__(self, page: Page) -> None:
        self.context = page.context
        self.sockets: list[tuple[WebSocketRoute, WebSocketRoute]] = []
        page.route_web_socket(SOCKET_IO, lambda ws: self.sockets.append((ws, ws.connect_to_server())))

    def go_offline(self) -> None:
        self.context.set_offline(True)
        for ws, server in self.sockets:
            ws.close()
            server.close()
        self.sockets.clear()

    def go_online(self) -> None:
        self.context.set_offline(False)


OUTBOX = "localStorage.getItem('maison-verte.chat.outbox')"


def outbox_texts(page: Page) -> list[str]:
    return [item["text"] for item in json.loads(page.evaluate(OUTBOX) or "[]")]


def test_messages_typed_offline_wait_in_the_outbox_and_go_out_once(
    page: Page, context: BrowserContext, seller: SellerBot
) -> None:
    network = Network(page)
    page.goto("/")
    open_chat(page)
    send_and_wait(page, unique("online"))

    network.go_offline()
    expect(page.get_by_text("You are offline.")).to_be_visible()
    one, two = unique("offline one"), unique("offline two")
    send(page, one)
    send(page, two)
    expect(bubble(page, one)).to_contain_text("Sending…")
    expect(bubble(page, two)).to_contain_text("Sending…")
    assert outbox_texts(page) == [one, two]  # stored, in order, before anything was emitted

    network.go_online()  # Socket.IO reconnects by itself; hello, then the outbox in order
    expect(bubble(page, two)).to_contain_text("Sent", timeout=20_000)
    expect(page.get_by_role("log").get_by_text("Sending…")).to_have_count(0)
    expect(bubble(page, one)).to_have_count(1)
    expect(bubble(page, two)).to_have_count(1)
    expect(page.get_by_text("You are offline.")).to_have_count(0)
    assert outbox_texts(page) == []

    # Typed offline, tab closed before the connection came back: the next visit sends it.
    network.go_offline()
    three = unique("offline three")
    send(page, three)
    expect(bubble(page, three)).to_contain_text("Sending…")
    page.close()
    network.go_online()
    later = context.new_page()
    later.goto("/collections")
    open_chat(later)
    expect(bubble(later, three)).to_contain_text("Sent", timeout=20_000)

    texts = [m["text"] for m in seller.open(seller.find_conversation(three))]
    assert [texts.count(t) for t in (one, two, three)] == [1, 1, 1]
    assert texts.index(one) < texts.index(two) < texts.index(three)


def test_a_lost_acknowledgement_is_resent_and_stored_once(page: Page, seller: SellerBot) -> None:
    """The server stores the message but its ack (and the live copy) never arrive: the widget resends the
    same client_id after its timeout, and the server answers with the stored message."""
    text = unique("ack lost")
    sent_frames: list[str] = []
    dropping = threading.Event()

    def route(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def to_server(frame: str | bytes) -> None:
            if isinstance(frame, str) and text in frame:
                if not sent_frames:
                    dropping.set()  # from now on until the ack, nothing reaches the page
                sent_frames.append(frame)
            server.send(frame)

        def to_page(frame: str | bytes) -> None:
            if dropping.is_set():
                if isinstance(frame, str) and frame.startswith("43/shopper,"):
                    dropping.clear()  # the ack of that send: dropped too, then traffic resumes
                return
            ws.send(frame)

        ws.on_message(to_server)
        server.on_message(to_page)

    page.route_web_socket(SOCKET_IO, route)
    page.goto("/")
    open_chat(page)
    send(page, text)
    expect(bubble(page, text)).to_contain_text("Sending…")
    expect(bubble(page, text)).to_contain_text("Sent", timeout=20_000)
    expect(bubble(page, text)).to_have_count(1)

    client_ids = {re.search(r'"client_id":"([^"]+)"', f).group(1) for f in sent_frames}
    assert len(sent_frames) >= 2  # sent again...
    assert len(client_ids) == 1  # ...under the same client_id
    texts = [m["text"] for m in seller.open(seller.find_conversation(text))]
    assert texts.count(text) == 1


def test_card_numbers_are_masked_and_html_is_shown_as_text(page: Page, console_errors) -> None:
    page.goto("/")
    open_chat(page)
    send(page, "My card is 4242 4242 4242 4242, expiry 12/30")
    log = page.get_by_role("log")
    expect(bubble(page, "•••• •••• •••• 4242")).to_contain_text("Sent")
    expect(log).not_to_contain_text("4242 4242 4242 4242")

    html = "<b>x</b> <img src=x onerror=alert(1)>"
    send_and_wait(page, html)
    expect(bubble(page, "<b>x</b>")).to_contain_text(html)
    expect(log.locator("b")).to_have_count(0)
    expect(log.locator("img")).to_have_count(0)
    assert console_errors == []


def test_email_form_shows_the_server_validation_error_then_saves(
    page: Page, check_a11y, console_errors
) -> None:
    page.goto("/collections")
    open_chat(page)
    expect(page.get_by_text("No seller is online right now.")).to_be_visible()
    email = page.get_by_role("textbox", name="Email")
    expect(email).to_be_visible()  # offered at once when nobody can answer live
    check_a11y("chat panel with the email form")

    email.fill("not-an-email")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_have_text("Please enter a valid email address.")
    expect(email).to_have_attribute("aria-invalid", "true")

    email.fill("ana@example.com")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("We will reply to ana@example.com.")).to_be_visible()
    expect(email).to_be_hidden()
    link = page.get_by_role("link", name="Get replies by email")
    expect(link).to_be_focused()

    page.reload()
    open_chat(page)
    expect(page.get_by_text("We will reply to ana@example.com.")).to_be_visible()
    link.click()
    expect(email).to_be_focused()
    expect(email).to_have_value("ana@example.com")
    assert console_errors == []


def test_narrow_screen_panel_takes_the_whole_screen(page: Page, check_a11y) -> None:
    page.set_viewport_size({"width": 375, "height": 700})
    page.goto("/")
    open_chat(page)
    dialog = page.get_by_role("dialog", name="Chat with us")

    def fills_the_screen() -> bool:  # the panel slides in: wait for the transition to end
        box = dialog.bounding_box()
        return box is not None and all(
            abs(box[key] - want) < 0.5 for key, want in {"x": 0, "y": 0, "width": 375, "height": 700}.items()
        )

    deadline = time.monotonic() + 5
    while not fills_the_screen() and time.monotonic() < deadline:
        page.wait_for_timeout(50)
    assert fills_the_screen(), dialog.bounding_box()
    check_a11y("narrow screen, chat open")
    page.get_by_role("button", name="Close").click()
    expect(page.get_by_role("button", name="Chat")).to_be_focused()


def _french_catalog_has(msgid: str) -> bool:
    path = ROOT / "translations" / "fr" / "LC_MESSAGES" / "messages.mo"
    if not path.exists():
        return False
    with path.open("rb") as mo:
        return gettext.GNUTranslations(mo).gettext(msgid) != msgid


@pytest.mark.skipif(
    not _french_catalog_has("Chat with us"),
    reason="the chat widget's French strings are not in translations/fr yet",
)
def test_french_shopper_gets_a_french_widget(browser, base_url: str) -> None:
    context = browser.new_context(base_url=base_url, locale="fr-FR")
    page = context.new_page()
    page.goto("/")
    expect(page.locator("#chat-widget-root")).to_have_attribute("data-locale", "fr")
    page.get_by_role("button", name="Discuter").click()
    expect(page.get_by_role("dialog", name="Discutez avec nous")).to_be_visible()
    send(page, "Bonjour")
    expect(bubble(page, "Bonjour")).to_contain_text("Envoyé")
    expect(page.get_by_role("button", name="Envoyer")).to_be_visible()
    expect(page.get_by_text("Aucun vendeur n’est en ligne pour le moment.")).to_be_visible()
    context.close()
