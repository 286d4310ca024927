"""Chat throughput and latency through the real chat path, against a bare python-socketio server measured
in the same run.

    .venv/bin/python bench/chat_load.py [--shoppers 200] [--messages 10] [--sellers 2] [--database-url URL]
                                        [--group-commit on|off] [--profile stacks.txt]

real: the shop as `make run` serves it (scripts/run.sh: gunicorn -k gevent, one worker) on a temporary SQLite
file, or with --database-url postgresql://... in a schema of its own in that database (dropped afterwards),
with the bot off (BOT_ENABLED=0: conversations go to the sellers).
N shoppers get an identity over HTTP (POST /chat/session) and connect to /shopper; S sellers sign in and
connect to /seller. Each shopper sends M messages one after the other, each waiting for its ack (a message is
stored before it is acknowledged); every seller receives each message as an inbox `conversation` event.
bare: a python-socketio server in the same async mode (gevent, under gunicorn with the shop's
gunicorn.conf.py) that acknowledges each message at once; the same clients send the same messages.

Both stay within the server's limit of 10 events a second per connection (bursts of 20): messages go out in
rounds of at most ROUND per shopper, the next round once the bucket has refilled (the pauses are not timed).
Prints msgs/s, send→ack and send→seller p50/p99 latency, CPU use of the server process and of this client
process, and the real/bare ratios. No ack at all for STALL seconds counts as a stall and ends the run.
--profile samples the real server with py-spy (on PATH, or PY_SPY=/path/to/py-spy) during the timed rounds
and prints the functions it spends its time in.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import requests
import socketio

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(os.environ.get("VIRTUAL_ENV") or ROOT / ".venv")
SHOPPER, SELLER = "/shopper", "/seller"
#: Messages per shopper per round, and the pause between rounds: within the server's per-connection rate
#: limit (chat/events.py: 10 events/s, bursts of 20), so that no message is refused.
ROUND, REFILL = 18, 2.0
#: No ack at all for this many seconds while messages are waiting for one: the server has stalled.
STALL = 30
SELLER_PASSWORD = "bench-password"


def bare_app() -> socketio.WSGIApp:
    """The baseline, loaded by gunicorn (`bench.chat_load:bare_app()`): python-socketio in gevent mode
    acknowledging each `send` at once with a message shaped like the real one."""
    server = socketio.Server(async_mode="gevent")
    seqs: collections.Counter[str] = collections.Counter()

    @server.on("send", namespace=SHOPPER)
    def send(sid: str, data: dict) -> dict:
        seqs[sid] += 1
        message = {
            "id": seqs.total(), "conversation_id": 1, "seq": seqs[sid], "client_id": data.get("client_id"),
            "type": "text", "sender": {"kind": "shopper", "name": "Visitor"}, "text": data.get("text"),
            "data": {}, "created_at": "2026-01-01T00:00:00.000Z",
        }  # fmt: skip
        return {"ok": True, "message": message, "duplicate": False}

    return socketio.WSGIApp(server)


@dataclass
class Result:
    mode: str
    shoppers: int
    messages: int = 0
    elapsed: float = 0.0  # seconds of the timed rounds
    ack_ms: list[float] = field(default_factory=list)
    seller_ms: list[float] = field(default_factory=list)
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    server_cpu: float = 0.0  # CPU seconds during the timed rounds
    client_cpu: float = 0.0

    @property
    def rate(self) -> float:
        return self.messages / self.elapsed if self.elapsed else 0.0


def progress(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


# --- Clients ---------------------------------------------------------------------------------------------


class Load:
    """Shoppers sending, sellers receiving: all AsyncClients over WebSocket in this one process, sharing
    one aiohttp session (no connection limit: each WebSocket holds one)."""

    def __init__(self, http: aiohttp.ClientSession, url: str, result: Result) -> None:
        self.http, self.url, self.result = http, url, result
        self.sent_at: dict[str, float] = {}  # text of a timed message -> when it was sent
        self.last_ack = time.perf_counter()
        self.stalled = False

    async def connect_all(self, namespace: str, cookies: list[str | None]) -> list[socketio.AsyncClient]:
        gate = asyncio.Semaphore(100)

        async def one(cookie: str | None) -> socketio.AsyncClient:
            # The cookie goes in the WebSocket request's own headers: given as `headers`, engineio would
            # store it in the shared session's cookie jar, where each client would overwrite the last.
            options = {"headers": {"Cookie": cookie}} if cookie else {}
            client = socketio.AsyncClient(
                reconnection=False, http_session=self.http, websocket_extra_options=options
            )
            if namespace == SELLER:
                client.on("conversation", self.inbox, namespace=SELLER)
            async with gate:
                await client.connect(
                    self.url, namespaces=[namespace], transports=["websocket"], wait_timeout=60
                )
            return client

        return await asyncio.gather(*(one(cookie) for cookie in cookies))

    async def inbox(self, conversation: dict) -> None:
        """A seller's inbox update: the first seller to see a timed message times it."""
        started = self.sent_at.pop((conversation.get("last_message") or {}).get("text") or "", None)
        if started is not None:
            self.result.seller_ms.append((time.perf_counter() - started) * 1000)

    async def send(self, client: socketio.AsyncClient, text: str, timed: bool = True) -> None:
        started = time.perf_counter()
        if timed:
            self.sent_at[text] = started
        payload = {"client_id": text.replace(" ", "-"), "text": text}
        ack = await client.call("send", payload, namespace=SHOPPER, timeout=None)
        self.last_ack = time.perf_counter()
        if not ack.get("ok"):
            self.result.errors[ack["error"]["code"]] += 1
        elif timed:
            self.result.ack_ms.append((time.perf_counter() - started) * 1000)

    async def run(
        self, shopper_cookies: list[str | None], seller_cookies: list[str], messages: int, server_pid: int,
        profile: Path | None,
    ) -> None:  # fmt: skip
        """Connect everyone; one untimed message per shopper (it creates the conversations); timed rounds."""
        sellers = await self.connect_all(SELLER, seller_cookies)
        for seller in sellers:
            await seller.call("hello", {}, namespace=SELLER, timeout=60)
        shoppers = await self.connect_all(SHOPPER, shopper_cookies)
        progress(f"{self.result.mode}: {len(shoppers)} shoppers and {len(sellers)} sellers connected")
        await self.watched(self.send(c, f"s{i} hello", timed=False) for i, c in enumerate(shoppers))
        await asyncio.sleep(REFILL)
        spy = start_profiler(server_pid, profile) if profile else None
        server_cpu, client_cpu = cpu_seconds(server_pid), time.process_time()
        rounds = 0 if self.stalled else math.ceil(messages / ROUND)
        for r in range(rounds):
            first, count = r * ROUND, min(ROUND, messages - r * ROUND)
            started = time.perf_counter()
            await self.watched(self.burst(i, c, first, count) for i, c in enumerate(shoppers))
            self.result.elapsed += time.perf_counter() - started
            progress(f"{self.result.mode}: round {r + 1}/{rounds} took {time.perf_counter() - started:.1f}s")
            if self.stalled:
                break
            if r < rounds - 1:
                await asyncio.sleep(REFILL)
        if self.stalled:
            progress(f"{self.result.mode}: no ack for {STALL}s: the server stalled, stopping")
        self.result.messages = len(self.result.ack_ms)
        self.result.server_cpu = cpu_seconds(server_pid) - server_cpu
        self.result.client_cpu = time.process_time() - client_cpu
        if spy:
            spy.send_signal(signal.SIGINT)  # py-spy writes its output on Ctrl-C
            spy.wait(timeout=60)
        await asyncio.sleep(0.5)  # the last inbox events
        await asyncio.gather(*(client.disconnect() for client in [*shoppers, *sellers]))

    async def burst(self, index: int, client: socketio.AsyncClient, first: int, count: int) -> None:
        for n in range(first, first + count):
            await self.send(client, f"s{index} m{n}")

    async def watched(self, sends: Iterable[Coroutine]) -> None:
        """Run the sends; give up on them if no ack at all arrives for STALL seconds."""
        task = asyncio.gather(*sends)
        self.last_ack = time.perf_counter()
        while not task.done():
            await asyncio.wait([task], timeout=1)
            if not task.done() and time.perf_counter() - self.last_ack > STALL:
                self.stalled = True
                self.result.errors["stalled"] += 1
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                return
        task.result()


def load(
    url: str, result: Result, shopper_cookies: list[str | None], seller_cookies: list[str], messages: int,
    server_pid: int, profile: Path | None = None,
) -> None:  # fmt: skip
    async def main() -> None:
        connector = aiohttp.TCPConnector(limit=0)
        async with aiohttp.ClientSession(connector=connector, cookie_jar=aiohttp.DummyCookieJar()) as http:
            await Load(http, url, result).run(shopper_cookies, seller_cookies, messages, server_pid, profile)

    asyncio.run(main())


def new_shoppers(url: str, count: int) -> list[str]:
    """`count` anonymous shoppers, each made by POST /chat/session as the widget does; their cookies."""
    from tests.chat.liveserver import csrf_token

    with requests.Session() as http:  # the page's session cookie and CSRF token, shared by all the POSTs
        token = csrf_token(http, url + "/products/olive-tree")
        session = "; ".join(f"{k}={v}" for k, v in http.cookies.items())

    async def main() -> list[str]:
        gate = asyncio.Semaphore(16)
        async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as http:

            async def one() -> str:
                headers = {"X-CSRFToken": token, "Cookie": session}
                async with gate, http.post(url + "/chat/session", json={}, headers=headers) as response:
                    assert response.status == 200, await response.text()
                    return f"{session}; shopper={response.cookies['shopper'].value}"

            return await asyncio.gather(*(one() for _ in range(count)))

    return asyncio.run(main())


# --- Servers ---------------------------------------------------------------------------------------------


def measure_bare(workdir: Path, shoppers: int, messages: int) -> Result:
    from tests.chat.liveserver import _wait_until_up, free_port

    port = free_port()
    log = workdir / "bare.log"
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "ACCESS_LOG": "", "LOG_LEVEL": "warning"}
    with log.open("w") as out:
        server = subprocess.Popen(
            [str(VENV / "bin" / "gunicorn"), "-c", "gunicorn.conf.py", "bench.chat_load:bare_app()"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    result = Result("bare", shoppers)
    try:
        _wait_until_up(url + "/socket.io/?EIO=4&transport=polling", server, log)
        load(url, result, [None] * shoppers, [], messages, children(server.pid)[0])
    finally:
        server.terminate()
        server.wait(timeout=30)
    return result


def measure_real(
    workdir: Path, database_url: str | None, args: argparse.Namespace, env: dict[str, str]
) -> Result:
    from tests.chat.liveserver import (
        live_database,
        prepare_database,
        seller_cookie,
        start_server,
        stop_servers,
    )

    accounts = [(f"seller{i}@example.com", f"Seller {i}", SELLER_PASSWORD) for i in range(args.sellers)]
    with live_database(workdir, database_url) as url:
        prepare_database(url, accounts)
        server = start_server(workdir, url, LOG_LEVEL="warning", **env)
        result = Result(f"real ({url.split(':')[0].split('+')[0]})", args.shoppers)
        try:
            sellers = [seller_cookie(server.url, email, password) for email, _, password in accounts]
            shoppers = new_shoppers(server.url, args.shoppers)
            progress(f"real: {args.shoppers} shoppers and {args.sellers} sellers signed in")
            load(server.url, result, shoppers, sellers, args.messages, server.worker(), args.profile)
        finally:
            stop_servers(server)
    return result


def start_profiler(pid: int, output: Path) -> subprocess.Popen:
    py_spy = os.environ.get("PY_SPY") or shutil.which("py-spy")
    if not py_spy:
        sys.exit("--profile needs py-spy: pip install py-spy (on PATH, or PY_SPY=/path/to/py-spy)")
    return subprocess.Popen(
        [py_spy, "record", "--pid", str(pid), "--format", "raw", "--output", str(output), "--rate", "200",
         "--nonblocking"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def print_profile(path: Path, top: int = 30) -> None:
    """From py-spy's collapsed stacks: the share of CPU samples in which each function is on the stack."""
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        total += int(count)
        frames = set()
        for frame in stack.split(";"):
            name, _, where = frame.partition(" (")
            frames.add(f"{name} ({where.split(':')[0].rsplit('/', 1)[-1]})")
        for frame in frames:
            inclusive[frame] += int(count)
    print(f"\nreal server profile: {total} samples; share of them with the function on the stack")
    for frame, count in inclusive.most_common(top):
        print(f"{count / total:7.1%}  {frame}")


# --- Report ----------------------------------------------------------------------------------------------


def percentile(samples: list[float], p: int) -> float:
    if len(samples) < 2:
        return samples[0] if samples else math.nan
    return statistics.quantiles(samples, n=100, method="inclusive")[p - 1]


def report(bare: Result, real: Result) -> None:
    head = f"{'mode':<18}{'N':>6}{'msgs':>8}{'msgs/s':>9}{'ack p50':>9}{'ack p99':>9}"
    head += f"{'seller p50':>11}{'seller p99':>11}{'server cpu':>11}{'client cpu':>11}  errors"
    print(head + "\n" + "-" * (len(head) + 4))
    for r in (bare, real):
        if r.errors["stalled"]:
            print(f"{r.mode:<18}{r.shoppers:>6}  STALLED: no ack for {STALL}s ({r.messages} acked before)")
            continue
        line = f"{r.mode:<18}{r.shoppers:>6}{r.messages:>8}{r.rate:>9.0f}"
        line += f"{percentile(r.ack_ms, 50):>9.1f}{percentile(r.ack_ms, 99):>9.1f}"
        if r.seller_ms:
            line += f"{percentile(r.seller_ms, 50):>11.1f}{percentile(r.seller_ms, 99):>11.1f}"
        else:
            line += f"{'-':>11}{'-':>11}"
        cpu = f"{r.server_cpu / r.elapsed:.0%}" if r.elapsed else "-"
        client = f"{r.client_cpu / r.elapsed:.0%}" if r.elapsed else "-"
        print(f"{line}{cpu:>11}{client:>11}  {dict(r.errors) or '-'}")
    if real.rate and bare.rate and not real.errors["stalled"]:
        cpu = [r.server_cpu / r.messages * 1e3 for r in (real, bare)]
        print(
            f"real/bare: throughput {real.rate / bare.rate:.2f}x, "
            f"ack p50 {percentile(real.ack_ms, 50) / percentile(bare.ack_ms, 50):.1f}x, "
            f"ack p99 {percentile(real.ack_ms, 99) / percentile(bare.ack_ms, 99):.1f}x; "
            f"server CPU per message {cpu[0]:.2f} ms vs {cpu[1]:.2f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shoppers", type=int, default=200)
    parser.add_argument("--messages", type=int, default=10, help="timed messages per shopper")
    parser.add_argument("--sellers", type=int, default=2)
    parser.add_argument("--database-url", help="a PostgreSQL database (the bench uses a temporary schema)")
    parser.add_argument("--group-commit", choices=["on", "off"], default="on", help="CHAT_GROUP_COMMIT")
    parser.add_argument(
        "--profile", type=Path, help="write py-spy's collapsed stacks of the real server here"
    )
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    database_url = args.database_url
    if database_url and database_url.startswith(("postgres://", "postgresql://")):
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]

    load_before = os.getloadavg()[0]
    # Shoppers talking to sellers, the path measured since the chat issue: with the bot on (the default),
    # new conversations would go to the bot and every message would get its answer too (bench/bot_latency.py
    # measures the bot).
    env = {"CHAT_GROUP_COMMIT": "1" if args.group_commit == "on" else "0", "BOT_ENABLED": "0"}
    with tempfile.TemporaryDirectory() as tmp:
        bare = measure_bare(Path(tmp), args.shoppers, args.messages)
        real = measure_real(Path(tmp), database_url, args, env)
    print(
        f"\n{args.shoppers} shoppers x {args.messages} messages, {args.sellers} sellers, group commit "
        f"{args.group_commit}; {os.cpu_count()} cores, load average {load_before:.1f} before the run, "
        f"{os.getloadavg()[0]:.1f} after"
    )
    report(bare, real)
    if args.profile:
        print_profile(args.profile)


if __name__ == "__main__":
    main()
