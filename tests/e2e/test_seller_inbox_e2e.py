"""The seller inbox in Chromium against the real server, with shoppers on the other end driven over HTTP and
the /shopper Socket.IO namespace (python-socketio), as the widget would."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio
from playwright.sync_api import Page, WebSocketRoute, expect

ROOT = Path(__file__).resolve().parents[2]
NS = "/shopper"
OLIVE_TREE = {
    "url": "/products/olive-tree",
    "title": "Olive Tree – Maison Verte",
    "product_handle": "olive-tree",
}
SOCKET_IO = re.compile(r"/socket\.io/")

#: Counts the inbox's beeps: every sound it makes starts with an oscillator (Web Audio API).
COUNT_BEEPS = """
window.__beeps = 0;
const create = BaseAudioContext.prototype.createOscillator;
BaseAudioContext.prototype.createOscillator = function () { window.__beeps += 1; return create.call(this); };
"""


class Shopper:
    """A shopper without a browser: storefront requests for the cookies and the CSRF token, then the widget's
    socket. Cookies are Secure (as in production) and requests does not send those to http://127.0.0.1,
    so they are kept here and sent by hand."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.cookies: dict[str, str] = {}
        self.events: list[tuple[str, Any]] = []
        product_page = self.request("GET", "/products/olive-tree")
        self.csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', product_page.text).group(1)
        assert self.request("POST", "/chat/session", headers={"X-CSRFToken": self.csrf}).status_code == 200
        self.sio = socketio.Client(reconnection=False)
        for event in ("message", "typing", "read", "conversation", "presence"):
            self.sio.on(event, self._recorder(event), namespace=NS)
        self.sio.connect(
            base_url,
            namespaces=[NS],
            headers={"Cookie": self.cookie_header()},
            transports=["websocket"],
            wait_timeout=10,
        )
        self.name = ""

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Cookie": self.cookie_header(), **kwargs.pop("headers", {})}
        response = requests.request(
            method, self.base_url + path, headers=headers, allow_redirects=False, timeout=10, **kwargs
        )
        self.cookies.update(response.cookies.get_dict())
        return response

    def _recorder(self, event: str) -> Callable[[Any], None]:
        return lambda data=None: self.events.append((event, data))

    def call(self, event: str, data: dict | None = None) -> dict:
        answer = self.sio.call(event, data or {}, namespace=NS, timeout=10)
        assert answer["ok"], answer
        return answer

    def hello(self, page: dict | None = None) -> dict:
        return self.call("hello", {"after_seq": None, "page": page or OLIVE_TREE})

    def say(self, text: str) -> dict:
        message = self.call("send", {"client_id": str(uuid.uuid4()), "text": text})["message"]
        self.name = message["sender"]["name"]  # "Visitor 12"
        return message

    def add_to_cart(self, handle: str, option: str) -> None:
        data = {"csrf_token": self.csrf, "quantity": "1", "option1": option}
        response = self.request("POST", f"/products/{handle}/add", data=data)
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/cart"), response.headers["Location"]

    def wait_for(
        self, event: str, check: Callable[[Any], bool] = lambda data: True, timeout: float = 10
    ) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, data in list(self.events):
                if name == event and check(data):
                    return data
            time.sleep(0.05)
        raise AssertionError(f"no {event} event matching within {timeout}s; got {self.events!r}")

    def close(self) -> None:
        if self.sio.connected:
            self.sio.disconnect()


@pytest.fixture
def shopper(live_server) -> Iterator[Callable[[], Shopper]]:
    """New shoppers who said hello from the olive tree's page: shopper()."""
    made: list[Shopper] = []

    def make() -> Shopper:
        one = Shopper(live_server.url)
        one.hello()
        made.append(one)
        return one

    yield make
    for one in made:
        one.close()


@pytest.fixture(scope="module")
def accounts(seller_account) -> dict[str, tuple[str, str]]:
    return {
        "Ana": seller_account("Ana"),
        "Bruno": seller_account("Bruno"),
        "Chloe": seller_account("Chloe", role="manager"),
    }


@pytest.fixture
def inbox(page: Page, seller_inbox, accounts) -> Page:
    """Ana's inbox."""
    page.add_init_script(COUNT_BEEPS)
    return seller_inbox(accounts["Ana"], page)


@pytest.fixture
def other_inbox(seller_inbox, accounts) -> Callable[[str], Page]:
    """Another seller's inbox in a browser context of their own: other_inbox("Bruno")."""
    return lambda name: seller_inbox(accounts[name])


def conversation_button(page: Page, shopper: Shopper):
    # "Visitor 1" must not match "Visitor 12".
    name = re.compile(rf"^{re.escape(shopper.name)}(?!\d)")
    return page.locator("#conversation-list").get_by_role("button", name=name)


def open_conversation(page: Page, shopper: Shopper) -> None:
    conversation_button(page, shopper).click()
    expect(page.get_by_role("heading", level=2, name=shopper.name, exact=True)).to_be_visible()


def log(page: Page):
    return page.get_by_role("log", name="Messages")


def status(page: Page):
    return page.locator("#conversation-status")


def reply(page: Page, text: str) -> None:
    box = page.get_by_role("textbox", name="Reply")
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")


# --- The conversation, live -------------------------------------------------------------------------------


def test_shopper_message_arrives_live_then_claim_reply_typing_and_read(
    inbox: Page, shopper, check_a11y, console_errors
) -> None:
    page = inbox
    page.get_by_role("heading", name="Conversations").click()  # a first interaction: the page may beep now
    ana = shopper()
    question = f"Is the olive tree hardy? {uuid.uuid4().hex[:6]}"
    ana.say(question)

    button = conversation_button(page, ana)
    expect(button).to_contain_text(question)
    expect(button).to_contain_text("Waiting for a seller")
    expect(button).to_contain_text("1 unread message")
    expect(page).to_have_title(re.compile(r"^\(\d+\) Inbox – "))
    page.wait_for_function("window.__beeps > 0")

    open_conversation(page, ana)
    expect(log(page).get_by_role("listitem").filter(has_text=question)).to_be_visible()
    ana.wait_for("read", lambda data: data["who"] == "seller" and data["seq"] >= 1)  # seen by the seller
    expect(button).not_to_contain_text("unread")
    context = page.get_by_role("complementary", name="Shopper")
    expect(context.get_by_role("link", name=re.compile("^Olive Tree")).first).to_be_visible()

    page.get_by_role("button", name="Claim").click()
    expect(status(page)).to_have_text("Assigned to you")
    expect(log(page)).to_contain_text("Ana joined the conversation")
    expect(page.get_by_role("button", name="Claim")).to_be_hidden()
    expect(page.get_by_role("textbox", name="Reply")).to_be_focused()

    ana.call("typing", {"typing": True})
    expect(page.get_by_text(f"{ana.name} is typing…")).to_be_visible()
    ana.call("typing", {"typing": False})
    expect(page.get_by_text(f"{ana.name} is typing…")).to_be_hidden()

    box = page.get_by_role("textbox", name="Reply")
    box.press_sequentially("Yes")
    ana.wait_for("typing", lambda data: data["who"] == "seller" and data["typing"] and data["name"] == "Ana")
    box.press("Shift+Enter")
    box.press_sequentially("down to -10 °C.")
    expect(box).to_have_value("Yes\ndown to -10 °C.")  # Shift+Enter: a new line, nothing sent
    box.press("Enter")
    expect(box).to_have_value("")
    answer = ana.wait_for("message", lambda m: m["sender"]["kind"] == "seller")
    assert answer["text"] == "Yes\ndown to -10 °C."
    assert answer["sender"]["name"] == "Ana"
    mine = log(page).get_by_role("listitem").filter(has_text="down to -10 °C.")
    expect(mine).to_have_count(1)
    expect(mine).not_to_contain_text("Read")

    ana.call("read", {"seq": answer["seq"]})
    expect(mine).to_contain_text("Read")
    check_a11y("inbox with a conversation open")
    assert console_errors == []


def test_read_receipt_is_shown_from_the_conversation_when_opened(inbox: Page, shopper) -> None:
    page = inbox
    bea = shopper()
    bea.say("Hello?")
    open_conversation(page, bea)
    reply(page, "Hello, how can I help?")
    answer = bea.wait_for("message", lambda m: m["sender"]["kind"] == "seller")
    bea.call("read", {"seq": answer["seq"]})
    page.reload()  # the receipt now comes from conversation.shopper_read_seq
    open_conversation(page, bea)
    expect(log(page).get_by_role("listitem").filter(has_text="how can I help")).to_contain_text("Read")


def test_transfer_to_another_seller(inbox: Page, other_inbox, shopper) -> None:
    page = inbox
    bruno = other_inbox("Bruno")
    cleo = shopper()
    cleo.say("I need help with a delivery.")
    open_conversation(page, cleo)
    page.get_by_role("button", name="Claim").click()
    expect(status(page)).to_have_text("Assigned to you")

    page.get_by_label("Transfer to").select_option(label="Bruno (Online)")
    page.get_by_role("button", name="Transfer", exact=True).click()
    expect(status(page)).to_have_text("Assigned to Bruno")
    expect(log(page)).to_contain_text("The conversation was handed over to Bruno")
    cleo.wait_for("message", lambda m: m["type"] == "system" and m["data"]["event"] == "transferred")

    bruno.get_by_role("radio", name="Mine").check()
    expect(conversation_button(bruno, cleo)).to_contain_text("Assigned to you")
    open_conversation(bruno, cleo)
    expect(status(bruno)).to_have_text("Assigned to you")
    reply(bruno, "Bruno here, I will look into it.")
    cleo.wait_for("message", lambda m: m["sender"]["name"] == "Bruno")


def test_two_sellers_racing_to_claim(inbox: Page, other_inbox, shopper) -> None:
    ana_page, bruno_page = inbox, other_inbox("Bruno")
    dan = shopper()
    dan.say("Who is there?")
    for seller_page in (ana_page, bruno_page):
        open_conversation(seller_page, dan)
        expect(seller_page.get_by_role("button", name="Claim")).to_be_visible()

    # Both click at the same instant (the two pages share the machine's clock).
    at = ana_page.evaluate("Date.now() + 400")
    click_at = "at => setTimeout(() => document.getElementById('claim-button').click(), at - Date.now())"
    ana_page.evaluate(click_at, at)
    bruno_page.evaluate(click_at, at)

    for seller_page in (ana_page, bruno_page):
        expect(status(seller_page)).to_have_text(re.compile("^Assigned to"))
    if status(ana_page).text_content() == "Assigned to you":
        winner, winner_name, loser = ana_page, "Ana", bruno_page
    else:
        winner, winner_name, loser = bruno_page, "Bruno", ana_page
    expect(status(winner)).to_have_text("Assigned to you")
    expect(status(loser)).to_have_text(f"Assigned to {winner_name}")
    expect(loser.get_by_role("alert")).to_have_text(f"{winner_name} already has this conversation.")
    expect(winner.locator("#conversation-error")).to_be_hidden()
    claimed = [m for e, m in dan.events if e == "message" and m["data"].get("event") == "claimed"]
    assert len(claimed) == 1


def test_resolve_then_a_new_shopper_message_reopens(inbox: Page, shopper) -> None:
    page = inbox
    eve = shopper()
    eve.say("Thanks, that is all.")
    open_conversation(page, eve)
    page.get_by_role("button", name="Claim").click()
    expect(status(page)).to_have_text("Assigned to you")
    page.get_by_role("radio", name="Waiting").check()
    expect(conversation_button(page, eve)).to_have_count(0)  # claimed: no longer waiting
    page.get_by_role("radio", name="Open").check()
    page.get_by_role("button", name="Resolve").click()
    expect(status(page)).to_have_text("Resolved")
    expect(log(page)).to_contain_text("Ana closed the conversation")
    expect(conversation_button(page, eve)).to_have_count(0)  # gone from the open conversations
    page.get_by_role("radio", name="Resolved").check()
    expect(conversation_button(page, eve)).to_contain_text("Resolved")

    page.get_by_role("radio", name="Open").check()
    eve.say("Actually, one more question.")
    expect(conversation_button(page, eve)).to_contain_text("Assigned to you")  # reopened, to its seller
    expect(status(page)).to_have_text("Assigned to you")
    expect(page.get_by_role("button", name="Resolve")).to_be_visible()
    expect(log(page)).to_contain_text("one more question")


def test_narrow_screen_stacks_the_columns_and_works_with_the_keyboard(
    inbox: Page, shopper, check_a11y, console_errors
) -> None:
    page = inbox
    page.set_viewport_size({"width": 420, "height": 800})
    mia = shopper()
    mia.say("Hello from my phone")
    page.get_by_role("radio", name="Waiting").check()
    button = conversation_button(page, mia)
    button.focus()
    page.keyboard.press("Enter")
    heading = page.get_by_role("heading", level=2, name=mia.name, exact=True)
    expect(heading).to_be_focused()  # the conversation is below the list: focus moved there
    expect(heading).to_be_in_viewport()
    boxes = [
        page.locator(selector).bounding_box()
        for selector in (".inbox-list", ".inbox-conversation", ".inbox-context")
    ]
    assert boxes[0]["y"] < boxes[1]["y"] < boxes[2]["y"]  # one column: list, conversation, shopper
    assert all(box["width"] <= 420 for box in boxes)
    page.get_by_role("textbox", name="Reply").focus()
    page.keyboard.type("Typed with the keyboard")
    page.keyboard.press("Enter")
    mia.wait_for("message", lambda m: m["text"] == "Typed with the keyboard")
    check_a11y("inbox on a narrow screen")
    assert console_errors == []


# --- Context, products, saved replies ---------------------------------------------------------------------


def test_context_panel_follows_the_page_and_the_cart(inbox: Page, shopper) -> None:
    page = inbox
    fay = shopper()
    fay.say("Which size should I take?")
    open_conversation(page, fay)
    context = page.get_by_role("complementary", name="Shopper")
    looking_at = context.locator("#ctx-page")
    expect(looking_at.get_by_role("link", name="Olive Tree – Maison Verte")).to_have_attribute(
        "href", "/products/olive-tree"
    )
    expect(context.locator("#ctx-cart")).to_have_text("The cart is empty.")
    expect(context.locator("#ctx-email")).to_have_text("Not given")

    fay.add_to_cart("olive-tree", "80 cm")
    fay.call("page", OLIVE_TREE)  # the widget reports the page again: the context is refreshed
    cart = context.locator("#ctx-cart")
    expect(cart).to_contain_text("1 × Olive Tree – 80 cm")
    expect(cart).to_contain_text("€49.00")
    expect(context.locator("#ctx-cart-total")).to_contain_text("€49.00")

    fay.call("page", {"url": "/cart", "title": "Your cart – Maison Verte", "product_handle": None})
    expect(looking_at).to_have_text("Your cart – Maison Verte")
    pages = context.locator("#ctx-pages")
    expect(pages.get_by_role("listitem")).to_have_count(3)
    expect(pages.get_by_role("listitem").first).to_contain_text("Your cart")
    expect(context.locator("#ctx-orders")).to_have_text("No orders yet.")
    expect(context.locator("#ctx-spent")).to_have_text("€0.00")


def test_search_products_and_send_a_card(inbox: Page, shopper) -> None:
    page = inbox
    gus = shopper()
    gus.say("Do you have teak tables?")
    open_conversation(page, gus)
    page.get_by_role("searchbox", name="Search products").fill("teak table")
    page.get_by_role("searchbox", name="Search products").press("Enter")
    results = page.locator("#product-results")
    send = results.get_by_role("button", name="Send Round Teak Garden Table")
    expect(send).to_be_visible()
    expect(results.get_by_role("listitem").filter(has_text="Round Teak Garden Table")).to_contain_text("€")
    send.click()
    card = gus.wait_for("message", lambda m: m["type"] == "product_card")
    assert card["data"]["product"]["handle"] == "round-teak-garden-table"
    assert card["data"]["product"]["url"] == "/products/round-teak-garden-table"
    shown = log(page).get_by_role("listitem").filter(has_text="Round Teak Garden Table")
    expect(shown.get_by_role("link", name="View Round Teak Garden Table")).to_have_attribute(
        "href", "/products/round-teak-garden-table"
    )
    page.get_by_role("searchbox", name="Search products").fill("zzzz-nothing")
    page.get_by_role("searchbox", name="Search products").press("Enter")
    expect(page.get_by_text("No products found.")).to_be_visible()


def test_saved_reply_with_the_shopper_name_filled(page: Page, seller_inbox, accounts, shopper) -> None:
    # A manager adds the saved reply...
    seller_inbox(accounts["Chloe"], page)
    page.get_by_role("link", name="Saved replies").click()
    shortcut = f"welcome-{uuid.uuid4().hex[:4]}"
    page.get_by_label("Shortcut").fill(shortcut)
    page.get_by_label("Title").fill("Welcome")
    page.get_by_label("Text").fill("Hello {shopper_name}, welcome to {shop_name}!")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Saved reply added.")
    expect(page.get_by_role("rowheader", name=f"/{shortcut}")).to_be_visible()

    # ...and uses it: "/" in the reply box lists the saved replies, Enter inserts one, to edit or send.
    hal = shopper()
    hal.say("Hi!")
    page.get_by_role("link", name="Inbox").click()
    open_conversation(page, hal)
    box = page.get_by_role("textbox", name="Reply")
    box.press_sequentially("/" + shortcut[:9])
    suggestions = page.get_by_role("listbox", name="Matching saved replies")
    expect(suggestions.get_by_role("option", name=f"/{shortcut} Welcome")).to_have_attribute(
        "aria-selected", "true"
    )
    box.press("Enter")
    expected = f"Hello {hal.name}, welcome to Maison Verte!"
    expect(box).to_have_value(expected)
    expect(suggestions).to_be_hidden()
    box.press("Enter")
    assert hal.wait_for("message", lambda m: m["sender"]["kind"] == "seller")["text"] == expected

    # The select does the same, for those who prefer it.
    page.get_by_role("combobox", name="Saved replies").select_option(label=f"/{shortcut} – Welcome")
    expect(box).to_have_value(expected)
    expect(box).to_be_focused()


# --- Presence, notifications, reconnection ----------------------------------------------------------------


def test_presence_toggle_tells_shoppers_and_the_team(inbox: Page, other_inbox, shopper) -> None:
    page = inbox
    ivy = shopper()
    bruno = other_inbox("Bruno")
    team = page.get_by_role("region", name="Team")
    expect(team.get_by_role("listitem").filter(has_text="Bruno")).to_contain_text("Online")
    bruno.get_by_role("radio", name="Away").check()
    expect(team.get_by_role("listitem").filter(has_text="Bruno")).to_contain_text("Away")
    bruno.get_by_role("radio", name="Online").check()  # as the other tests expect him
    expect(team.get_by_role("listitem").filter(has_text="Bruno")).to_contain_text("Online")
    bruno.context.close()
    expect(team.get_by_role("listitem").filter(has_text="Bruno")).to_contain_text("Offline")

    ivy.events.clear()
    page.get_by_role("radio", name="Away").check()
    # At once, unless a seller of an earlier test still counts as online on this shared server: then when
    # their presence runs out (PRESENCE_TIMEOUT, 75 s), which the background loop tells shoppers too.
    ivy.wait_for("presence", lambda data: data == {"sellers_online": False}, timeout=90)
    expect(team.get_by_role("listitem").filter(has_text="Ana (you)")).to_contain_text("Away")
    page.reload()
    expect(page.get_by_role("radio", name="Away")).to_be_enabled()  # the server has answered...
    expect(page.get_by_role("radio", name="Away")).to_be_checked()  # ...the status is kept there
    page.get_by_role("radio", name="Online").check()
    ivy.wait_for("presence", lambda data: data == {"sellers_online": True})


def test_new_conversation_reaches_every_online_seller_with_sound_and_title(
    inbox: Page, other_inbox, shopper
) -> None:
    ana_page, bruno_page = inbox, other_inbox("Bruno")
    for seller_page in (ana_page, bruno_page):
        seller_page.get_by_role("heading", name="Conversations").click()
    beeps_before = ana_page.evaluate("window.__beeps")
    jo = shopper()
    jo.say("First message")
    jo.say("Second message")
    for seller_page in (ana_page, bruno_page):
        button = conversation_button(seller_page, jo)
        expect(button).to_contain_text("2 unread messages")
        expect(button).to_contain_text("Waiting for a seller")
        expect(seller_page).to_have_title(re.compile(r"^\(\d+\) Inbox"))
    ana_page.wait_for_function(f"window.__beeps >= {beeps_before + 2}")

    ana_page.get_by_label("Sound alerts").uncheck()
    beeps = ana_page.evaluate("window.__beeps")
    jo.say("Third message")
    expect(conversation_button(ana_page, jo)).to_contain_text("3 unread messages")
    assert ana_page.evaluate("window.__beeps") == beeps  # silent now
    ana_page.get_by_label("Sound alerts").check()

    # Newest activity first.
    kim = shopper()
    kim.say("I am newer")
    expect(ana_page.locator("#conversation-list li").first).to_contain_text("I am newer")


class Network:
    """Cuts the page's Socket.IO websockets (context.set_offline does not close open websockets)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.offline = False
        self.sockets: list[tuple[WebSocketRoute, WebSocketRoute]] = []
        page.route_web_socket(SOCKET_IO, self._route)

    def _route(self, ws: WebSocketRoute) -> None:
        if self.offline:
            ws.close()
            return
        self.sockets.append((ws, ws.connect_to_server()))

    def go_offline(self) -> None:
        self.offline = True
        self.page.context.set_offline(True)  # the polling transport too
        for ws, server in self.sockets:
            ws.close()
            server.close()
        self.sockets.clear()

    def go_online(self) -> None:
        self.offline = False
        self.page.context.set_offline(False)


def test_replies_written_offline_are_sent_once_on_reconnect(
    page: Page, seller_inbox, accounts, shopper
) -> None:
    network = Network(page)
    seller_inbox(accounts["Ana"], page)
    lou = shopper()
    lou.say("Are you there?")
    open_conversation(page, lou)

    network.go_offline()
    expect(page.get_by_role("status").filter(has_text="Connection lost")).to_be_visible()
    reply(page, "Yes, one moment")
    pending = log(page).get_by_role("listitem").filter(has_text="one moment")
    expect(pending).to_contain_text("Not sent yet")
    lou.say("Hello? (while the seller is offline)")

    network.go_online()
    expect(pending).not_to_contain_text("Not sent yet", timeout=20_000)
    expect(page.get_by_role("status").filter(has_text="Connection lost")).to_have_count(0)
    expect(pending).to_have_count(1)
    expect(log(page)).to_contain_text("while the seller is offline")  # re-opened after the last seq shown
    replies = [m for e, m in lou.events if e == "message" and m["text"] == "Yes, one moment"]
    assert len(replies) == 1
    seqs = [
        int(s) for s in log(page).locator("[data-seq]").evaluate_all("els => els.map(e => e.dataset.seq)")
    ]
    assert seqs == sorted(set(seqs))  # in order, each once


# --- With the shopper's widget ----------------------------------------------------------------------------


def test_widget_shopper_and_inbox_seller_talk_both_ways(inbox: Page, new_page, console_errors) -> None:
    page = inbox
    shop = new_page()
    shop.goto("/products/olive-tree")
    shop.get_by_role("button", name="Chat").click()
    widget = shop.get_by_role("dialog", name="Chat with us")
    question = f"Does the olive tree need full sun? {uuid.uuid4().hex[:6]}"
    widget.get_by_role("textbox", name="Message").fill(question)
    widget.get_by_role("button", name="Send").click()

    conversation = page.locator("#conversation-list").get_by_role("button").filter(has_text=question)
    expect(conversation).to_contain_text("1 unread message")
    conversation.click()
    expect(log(page).get_by_role("listitem").filter(has_text=question)).to_be_visible()
    shopper_name = page.locator("#conversation-title").text_content()
    context = page.get_by_role("complementary", name="Shopper")
    looking_at = context.locator("#ctx-page").get_by_role("link")
    expect(looking_at).to_have_attribute("href", re.compile(r"^/products/olive-tree\b"))

    widget.get_by_role("textbox", name="Message").press_sequentially("Thanks")
    expect(page.get_by_text(f"{shopper_name} is typing…")).to_be_visible()

    page.get_by_role("button", name="Claim").click()
    answer = f"Yes, at least six hours a day. {uuid.uuid4().hex[:6]}"
    reply(page, answer)
    expect(widget.get_by_role("log").get_by_role("listitem").filter(has_text=answer)).to_be_visible()
    # The widget is open on the shopper's screen: it reads the reply, the seller sees "Read".
    expect(log(page).get_by_role("listitem").filter(has_text=answer)).to_contain_text("Read")

    widget.get_by_role("textbox", name="Message").press("Enter")  # sends "Thanks"
    expect(log(page).get_by_role("listitem").filter(has_text="Thanks")).to_be_visible()
    assert console_errors == []


def test_a_lost_acknowledgement_is_resent_with_the_same_client_id(
    page: Page, seller_inbox, accounts, shopper
) -> None:
    """The reply is stored but neither its ack nor its live copy reach the inbox: after the ack timeout the
    inbox sends it again under the same client_id, and the server answers with the stored message."""
    text = f"Lost ack {uuid.uuid4().hex[:6]}"
    sent_frames: list[str] = []
    dropping = True

    def route(ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()

        def to_server(frame: str | bytes) -> None:
            if isinstance(frame, str) and text in frame:
                sent_frames.append(frame)
            server.send(frame)

        def to_page(frame: str | bytes) -> None:
            nonlocal dropping
            if dropping and isinstance(frame, str) and text in frame:
                dropping = not frame.startswith("43")  # until the ack, dropped
                return
            ws.send(frame)

        ws.on_message(to_server)
        server.on_message(to_page)

    page.route_web_socket(SOCKET_IO, route)
    seller_inbox(accounts["Ana"], page)
    ned = shopper()
    ned.say("Hi")
    open_conversation(page, ned)
    reply(page, text)
    mine = log(page).get_by_role("listitem").filter(has_text=text)
    expect(mine).to_contain_text("Sending…")
    expect(mine.locator(".chat-msg__state")).to_have_count(0, timeout=20_000)  # stored copy shown
    expect(mine).to_have_count(1)
    client_ids = {re.search(r'"client_id":"([^"]+)"', frame).group(1) for frame in sent_frames}
    assert len(sent_frames) >= 2  # sent again...
    assert len(client_ids) == 1  # ...under the same client_id
    assert [m["text"] for e, m in ned.events if e == "message"].count(text) == 1  # stored once
