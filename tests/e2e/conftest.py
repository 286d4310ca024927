"""End-to-end fixtures: the real server (scripts/run.sh: migrations, demo catalog, gunicorn + gevent) on a
free port with its own SQLite database, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.path):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            *browser_type_launch_args.get("args", []),
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
        ],
    }  # fmt: skip


def _wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not answer at {url} within {timeout}s:\n{log.read_text()[-4000:]}")


@dataclass(frozen=True)
class LiveServer:
    url: str
    env: dict[str, str]

    @property
    def localstripe(self) -> str:
        """The fake Stripe run.sh started for this server (its API, Stripe.js and webhook sender)."""
        return f"http://127.0.0.1:{self.env['LOCALSTRIPE_PORT']}"

    def flask(self, *args: str, input: str | None = None) -> str:
        """Run a `flask --app app ...` command against the live server's database; returns its output."""
        venv = Path(self.env["VENV"])
        result = subprocess.run(
            [str(venv / "bin" / "flask"), "--app", "app", *args],
            cwd=ROOT, env=self.env, input=input, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return result.stdout


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The shop served exactly as `make run` serves it, on a fresh SQLite database with the demo catalog."""
    workdir = tmp_path_factory.mktemp("server")
    port = free_port()
    log = workdir / "server.log"
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DATABASE_URL": f"sqlite:///{workdir / 'shop.db'}",
        "SECRET_KEY": "e2e-secret",
        "ACCESS_LOG": "",
        "VENV": str(Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv"))),
        # Payments through a fresh localstripe started by run.sh on a port of its own (never real Stripe).
        "LOCALSTRIPE_PORT": str(free_port()),
        "LOCALSTRIPE_ARGS": "--from-scratch",
        # The background loop every second: proactive messages come within a second of being due.
        "CHAT_TASK_INTERVAL_SECONDS": "1",
        # The bot is off unless a test turns it on (test_bot_chat.py): the chat tests count messages.
        "BOT_ENABLED": "0",
    }
    for key in ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE",
                "STRIPE_JS_URL"):  # fmt: skip
        env.pop(key, None)
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(ROOT / "scripts" / "run.sh")], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base_url + "/", process, log)
        yield LiveServer(base_url, env)
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def bot_enabled(live_server: LiveServer) -> Iterator[None]:
    """The bot answers first during the test (the live server starts with BOT_ENABLED=0)."""
    live_server.flask("bot", "enable")
    yield
    live_server.flask("bot", "disable")


@pytest.fixture(scope="session")
def base_url(live_server: LiveServer) -> str:
    """pytest-playwright's base_url: page.goto("/cart") goes to the live server."""
    return live_server.url


@pytest.fixture(scope="session")
def seller_account(live_server: LiveServer):
    """Create (or reset) a seller account on the live server: seller_account("Ana", role="manager")
    returns (email, password)."""

    def create(name: str = "Ana", role: str = "seller") -> tuple[str, str]:
        email, password = f"{name.lower()}@example.com", "correct-horse-battery"
        live_server.flask("seller", "create", email, "--name", name, "--role", role, "--password", password)
        return email, password

    return create


@pytest.fixture
def new_page(browser: Browser, base_url: str) -> Iterator[Callable[..., Page]]:
    """A page in a browser context of its own (its own cookies: another shopper, another seller), closed
    after the test: new_page(), or new_page(locale="en-US") with more browser context options."""
    contexts: list[BrowserContext] = []

    def make(**options) -> Page:
        context = browser.new_context(base_url=base_url, **options)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def seller_inbox(new_page) -> Callable[..., Page]:
    """A seller signed in, with the inbox connected: seller_inbox(login) in a page of its own, or
    seller_inbox(login, page) on the given page; login is seller_account()'s (email, password)."""

    def sign_in(login: tuple[str, str], page: Page | None = None) -> Page:
        page = page or new_page()
        page.goto("/seller")
        page.get_by_label("Email").fill(login[0])
        page.get_by_label("Password").fill(login[1])
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(re.compile(r"/seller/inbox$"))
        expect(page.locator("#team-list")).to_contain_text("(you)")  # connected, and hello answered
        return page

    return sign_in


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    """Browser console errors (a CSP violation or a script error shows up here)."""
    errors: list[str] = []

    def collect(message: ConsoleMessage) -> None:
        if message.type == "error" and "Failed to load resource" not in message.text:
            errors.append(message.text)

    page.on("console", collect)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.fixture
def check_a11y(page: Page):
    """Run axe-core on the current page; fail on serious or critical violations, listing them."""
    if not AXE.exists():
        pytest.fail("node_modules/axe-core is missing: `make test` installs it with npm")
    source = AXE.read_text()

    def check(context: str = "") -> None:
        page.evaluate(source)  # evaluated through DevTools, so the page's CSP (no inline scripts) allows it
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        assert result["passes"], "axe-core checked nothing"
        bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
        summary = [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"][:5]],
            }
            for v in bad
        ]
        assert not bad, f"accessibility violations on {context or page.url}:\n{json.dumps(summary, indent=2)}"

    return check
