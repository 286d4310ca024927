"""Real server processes for the chat's multi-process tests and for bench/chat_load.py.

`start_server` runs scripts/run.sh (migrations, demo catalog, gunicorn + gevent: what `make run` serves) on a
free port; several servers share one database (a PostgreSQL schema of their own, or a SQLite file) and,
with `redis_url`, Socket.IO rooms. `shopper_cookie` and `seller_cookie` get identities over HTTP the way a
browser does, for python-socketio clients to present in their handshake.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import requests
import socketio
import sqlalchemy as sa
from flask_migrate import upgrade

from config import TestConfig
from extensions import db
from tests.e2e.conftest import _wait_until_up, free_port

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(os.environ.get("VIRTUAL_ENV") or ROOT / ".venv")
SECRET_KEY = "live-chat-secret"
_CSRF = re.compile(r'name="csrf[-_]token"[^>]*(?:content|value)="([^"]+)"')


@dataclass
class ServerProcess:
    """One `scripts/run.sh` process tree: run.sh, then gunicorn's master and its single gevent worker."""

    url: str
    env: dict[str, str]
    process: subprocess.Popen
    log: Path
    _master: int | None = field(default=None, repr=False)

    def wait_until_up(self) -> None:
        try:
            _wait_until_up(self.url + "/", self.process, self.log)
        except BaseException:
            stop_servers(self)
            raise

    def gunicorn_master(self) -> int:
        """gunicorn's master pid: run.sh's child, leader of its own process group (run.sh starts it with
        setsid, so signals to run.sh's group do not reach it; localstripe is started the same way)."""
        if self._master is None:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
            masters = [
                int(pid)
                for pid in children
                if os.getpgid(int(pid)) == int(pid)
                and b"gunicorn" in Path(f"/proc/{pid}/cmdline").read_bytes()
            ]
            assert len(masters) == 1, f"expected one gunicorn master under run.sh, found {children}"
            self._master = masters[0]
        return self._master

    def worker(self) -> int:
        """The gunicorn worker's pid: the process that serves every connection."""
        master = self.gunicorn_master()
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        assert len(children) == 1, f"expected one gunicorn worker, found {children}"
        return int(children[0])

    def crash(self) -> None:
        """SIGKILL gunicorn's master and worker at once: no graceful shutdown, no goodbye to clients.
        run.sh then notices its child is gone and exits."""
        os.killpg(self.gunicorn_master(), signal.SIGKILL)
        self.process.wait(timeout=15)


def stop_servers(*servers: ServerProcess) -> None:
    """Ctrl-C as a terminal sends it (run.sh stops gunicorn gracefully), to all the servers at once;
    SIGKILL whatever is still there after 15 s."""
    for server in servers:
        if server.process.poll() is None:
            os.killpg(server.process.pid, signal.SIGINT)
    for server in servers:
        try:
            server.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=5)
        if server._master is not None:
            with contextlib.suppress(ProcessLookupError):  # leftovers of a run.sh that died first
                os.killpg(server._master, signal.SIGKILL)


def start_server(
    workdir: Path, database_url: str, *, redis_url: str | None = None, wait: bool = True, **env: str
) -> ServerProcess:
    """Start scripts/run.sh on a free port with this database; servers sharing a database (and SECRET_KEY)
    accept each other's cookies. run.sh migrates the database: on a fresh database call prepare_database
    (or start one server) first, as two `flask db upgrade` at once would both try to create the tables."""
    port = free_port()
    log = workdir / f"server-{port}.log"
    full_env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET_KEY,
        "COOKIE_SECURE": "0",  # plain http://127.0.0.1: requests would not send Secure cookies back
        "ACCESS_LOG": "",
        "VENV": str(VENV),
        # Payments through a fresh localstripe that run.sh starts on a port of its own (never real Stripe).
        "LOCALSTRIPE_PORT": str(free_port()),
        "LOCALSTRIPE_ARGS": "--from-scratch",
        # Shoppers and sellers only: these tests count every message (the bot has tests of its own).
        "BOT_ENABLED": "0",
        **env,
    }
    for key in (
        "REDIS_URL",
        "STRIPE_SECRET_KEY",
        "STRIPE_PUBLISHABLE_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "STRIPE_API_BASE",
        "STRIPE_JS_URL",
    ):
        full_env.pop(key, None)
    if redis_url:
        full_env["REDIS_URL"] = redis_url
    with log.open("w") as out:
        process = subprocess.Popen(
            [str(ROOT / "scripts" / "run.sh")], cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    server = ServerProcess(f"http://127.0.0.1:{port}", full_env, process, log)
    if wait:
        server.wait_until_up()
    return server


@contextlib.contextmanager
def live_database(workdir: Path, postgres_url: str | None) -> Iterator[str]:
    """A DATABASE_URL for real servers: a fresh schema in the given PostgreSQL database (dropped afterwards,
    so the in-process tests' tables in the default schema are left alone), else a SQLite file."""
    if not postgres_url:
        yield f"sqlite:///{workdir / 'live.db'}"
        return
    schema = f"live_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    with admin.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    url = sa.engine.make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def require_postgres(postgres_url: str | None) -> str | None:
    """Raise sqlalchemy's OperationalError now if a PostgreSQL server is given but unreachable."""
    if postgres_url:
        engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
        with engine.connect():
            pass
        engine.dispose()
    return postgres_url


def prepare_database(database_url: str, sellers: Iterable[tuple[str, str, str]] = ()) -> None:
    """What run.sh does before serving (migrations, demo catalog), here once and in-process, so that
    several servers can then start side by side; then `flask seller create EMAIL --name N --password P`
    for each (email, name, password)."""
    from app import create_app  # imported here: bench/chat_load.py uses this module without an app

    app = create_app(type("LiveConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_url}))
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        commands = [["shop", "load-demo"]]
        commands += [
            ["seller", "create", email, "--name", name, "--password", pw] for email, name, pw in sellers
        ]
        cli = app.test_cli_runner()
        for args in commands:
            result = cli.invoke(args=args)
            assert result.exit_code == 0, f"flask {' '.join(args)}: {result.output}"
        db.session.remove()
        db.engine.dispose()


@contextlib.contextmanager
def server_pair(
    workdir: Path,
    postgres_url: str | None,
    redis_url: str | None = None,
    sellers: Iterable[tuple[str, str, str]] = (),
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Processes A and B, started side by side on one fresh database (see live_database) holding these
    sellers, with the same SECRET_KEY and, given redis_url, Socket.IO rooms shared through Redis."""
    with live_database(workdir, postgres_url) as database_url:
        prepare_database(database_url, sellers)
        first = start_server(workdir, database_url, redis_url=redis_url, wait=False)
        second = start_server(workdir, database_url, redis_url=redis_url, wait=False)
        try:
            first.wait_until_up()
            second.wait_until_up()
            yield first, second
        finally:
            stop_servers(first, second)


def csrf_token(http: requests.Session, url: str) -> str:
    """The CSRF token of a page: its <meta name="csrf-token"> or a form's hidden csrf_token input."""
    response = http.get(url, timeout=10)
    response.raise_for_status()
    match = _CSRF.search(response.text)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def cookie_header(http: requests.Session) -> str:
    return "; ".join(f"{name}={value}" for name, value in http.cookies.items())


def shopper_cookie(base_url: str) -> str:
    """A new anonymous shopper, made as the widget makes one: POST /chat/session with the page's CSRF
    token. Returns the Cookie header for the /shopper handshake."""
    with requests.Session() as http:
        token = csrf_token(http, base_url + "/products/olive-tree")
        response = http.post(base_url + "/chat/session", headers={"X-CSRFToken": token}, json={}, timeout=10)
        assert response.status_code == 200, response.text
        assert "shopper" in http.cookies, "POST /chat/session set no shopper cookie"
        return cookie_header(http)


def seller_cookie(base_url: str, email: str, password: str) -> str:
    """Sign in through the seller form; returns the Cookie header for the /seller handshake."""
    with requests.Session() as http:
        token = csrf_token(http, base_url + "/seller")
        response = http.post(
            base_url + "/seller",
            data={"email": email, "password": password, "csrf_token": token},
            allow_redirects=False,
            timeout=10,
        )
        assert response.status_code == 302, f"seller sign-in failed: {response.status_code}"
        assert response.headers["Location"].endswith("/seller/inbox")
        return cookie_header(http)


class Listener:
    """Records the events a python-socketio client receives, so a test can wait for the one it expects."""

    def __init__(self, client: socketio.Client, namespace: str, *events: str) -> None:
        self.received: list[tuple[str, object]] = []
        self._changed = threading.Condition()
        for event in events:
            client.on(event, self._recorder(event), namespace=namespace)

    def _recorder(self, event: str) -> Callable[..., None]:
        def record(payload: object = None) -> None:
            with self._changed:
                self.received.append((event, payload))
                self._changed.notify_all()

        return record

    def wait_for(self, event: str, match: Callable[[dict], bool], timeout: float = 10) -> dict:
        """The first `event` whose payload matches. Other events are skipped, not errors: a Redis server
        shared with another test run carries its events too (pub/sub ignores the database number)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for name, payload in self.received:
                    if name == event and isinstance(payload, dict) and match(payload):
                        return payload
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [name for name, _ in self.received]
                    raise AssertionError(f"no matching {event!r} within {timeout}s; received {seen}")
                self._changed.wait(remaining)


def connect(base_url: str, namespace: str, cookie: str) -> socketio.Client:
    """A python-socketio client on one namespace over WebSocket, presenting the identity cookie. It does
    not reconnect by itself: tests decide where a client reconnects."""
    client = socketio.Client(reconnection=False)
    client.connect(
        base_url,
        namespaces=[namespace],
        transports=["websocket"],
        headers={"Cookie": cookie},
        wait_timeout=10,
    )
    return client
