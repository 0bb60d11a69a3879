"""Open-loop load at human pace: simulated customers on the web chat's socket, `POST /chat/text`
and signed WhatsApp webhooks, each writing every 10–30 s whether or not it was answered.

    .venv/bin/python bench/human_load.py [load|burst|knee] [--setup sqlite|postgres|1+1|2+2]
        [--customers 1000] [--duration 180] [--grace 60] [--burst 500]
        [--knee-rates 1,2,4,8,16,32,64] [--step-seconds 60]

The bench starts the shop itself and stops it at the end:

- `sqlite`: one `salesagent serve` on a fresh SQLite demo shop (the embedded default);
- `postgres`: one `salesagent serve` on a fresh PostgreSQL database, no Redis;
- `1+1`, `2+2`: `salesagent serve` and `salesagent worker` processes (TASK_QUEUE=postgres) on a
  fresh PostgreSQL database (`TEST_POSTGRES_URL`'s server, dropped at the end) and Redis
  (`TEST_REDIS_URL`); customers are spread over the `serve` processes as a balancer would.

WhatsApp replies go to the tests' local Twilio (tests/fixtures/twilio_server.py) in this
process; the webhooks are signed with the twilio SDK's `RequestValidator`. Every customer shares
one address, so the per-address chat limits are off; the per-chat sender limit stays on.

- `load`: `--customers` customers, a third on each channel, for `--duration` seconds; each
  writes a conversation (a greeting, product questions, a purchase, checkout data, a yes) with a
  uniform random 10–30 s between messages, the first at a random point of that gap.
- `burst`: `--burst` conversations (the channels mixed) ask at once; time to drain is the last
  reply's arrival after the burst.
- `knee`: load steps of `--step-seconds` at each offered rate of `--knee-rates` (messages per
  second; rate × 20 customers) until a step's p99 reaches 1 s; the highest rate below it.

Latency runs from the message sent to its reply received at the customer: the socket's
`response_end`, the HTTP response, or the local Twilio accepting the outbound message. Failures:
errors (a refused or failed request, an `error` frame, a dropped socket), replies missing
`--grace` seconds after the last message, and duplicates (a second reply to one message).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import platform
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))  # first: tests/agent must not shadow agent

import aiohttp  # noqa: E402
import asyncpg  # noqa: E402
import httpx  # noqa: E402
from fixtures.live_server import free_port, running  # noqa: E402
from fixtures.twilio_server import ACCOUNT_SID, AUTH_TOKEN, SENDER, TwilioServer, build  # noqa: E402
from fixtures.whatsapp_setup import PUBLIC, recorded, signature  # noqa: E402
from websockets.asyncio.client import ClientConnection, connect  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402

from agent.db import create_engine, create_sessionmaker  # noqa: E402
from agent.migrate import upgrade_async  # noqa: E402
from agent.nlu.model_store import load_or_train  # noqa: E402
from agent.seed import seed_demo  # noqa: E402
from channels.whatsapp.adapter import INBOUND_PATH  # noqa: E402

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
NLU_CACHE = Path(tempfile.gettempdir()) / "salesagent-bench-nlu"
"""The intent classifier trained once for every process of every run (named by its corpus)."""
CHANNELS = ("socket", "http", "whatsapp")
MIN_GAP, MAX_GAP = 10.0, 30.0
NUMBERS = itertools.count(1)
"""Customer numbers, never reused within a run of the bench (each is a new chat)."""
START_SECONDS = 180

PRODUCTS_ES = (
    "tapones auditivos de espuma",
    "respiradores N95",
    "guantes de hilaza con puntos de PVC",
    "gafas de seguridad lente claro",
    "guantes de carnaza corto",
    "mantas térmicas de emergencia",
)
PRODUCTS_EN = (
    "disposable foam earplugs",
    "N95 respirators",
    "clear anti-fog safety glasses",
    "emergency thermal blankets",
)
NAMES = ("Ana Ruiz", "Carlos Gómez", "Diana Mora", "Jorge Restrepo", "Luisa Pérez", "Pedro Díaz")


def conversation(rng: random.Random, number: int) -> list[str]:
    """What one customer writes, in order: a greeting, questions, a purchase, data, a yes."""
    name = rng.choice(NAMES)
    cedula = f"10{number:08d}"
    phone = f"31{number:08d}"
    address = f"Calle {rng.randint(1, 99)} # {rng.randint(1, 99)}-{rng.randint(1, 99)}"
    if rng.random() < 0.7:
        return [
            rng.choice(("hola", "buenas tardes", "hola, buenos días")),
            rng.choice(("¿tienen extintores de 10 libras?", "¿qué cascos venden?")),
            rng.choice(("¿cuánto vale el casco dieléctrico?", "precio de las botas de caucho")),
            f"quiero {rng.randint(1, 3)} {rng.choice(PRODUCTS_ES)}",
            "listo, cerremos",
            f"{name}, cc {cedula}, cel {phone}, {address}, Pereira",
            "si, confirmo",
            "¿hacen envíos a Medellín?",
            "¿cuál es el horario de atención?",
            "muchas gracias",
        ]
    return [
        rng.choice(("hi", "hello there", "good morning")),
        rng.choice(("do you sell fire extinguishers?", "what helmets do you have?")),
        "how much is the dielectric helmet?",
        f"I want {rng.randint(1, 3)} {rng.choice(PRODUCTS_EN)}",
        "that's all, checkout",
        f"{name}, id {cedula}, phone {phone}, {address}, Pereira",
        "yes, I confirm",
        "what are your opening hours?",
        "thank you",
    ]


def first_delay(rng: random.Random) -> float:
    """When a customer first writes: a point of a 10–30 s gap already under way, so the offered
    rate is steady from the start (the residual life of the gap, by rejection)."""
    while True:
        x = rng.uniform(0, MAX_GAP)
        keep = 1.0 if x < MIN_GAP else (MAX_GAP - x) / (MAX_GAP - MIN_GAP)
        if rng.random() < keep:
            return x


@dataclass
class Tally:
    """What the customers saw: latencies (s) of replies, and what went wrong."""

    sent: int = 0
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    duplicates: dict[str, int] = field(default_factory=dict)
    """A second reply to one message, by channel and kind."""
    missing: dict[str, int] = field(default_factory=dict)
    """Messages never answered within the grace period, by channel."""
    first_sent: float = 0.0
    last_reply: float = 0.0
    by_channel: dict[str, list[float]] = field(default_factory=dict)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def replied(self, channel: str, sent_at: float) -> None:
        now = time.monotonic()
        self.latencies.append(now - sent_at)
        self.by_channel.setdefault(channel, []).append(now - sent_at)
        self.last_reply = max(self.last_reply, now)

    @property
    def failures(self) -> int:
        counts = (self.errors, self.duplicates, self.missing)
        return sum(sum(kinds.values()) for kinds in counts)

    def duplicate(self, kind: str) -> None:
        self.duplicates[kind] = self.duplicates.get(kind, 0) + 1


def percentile(values: list[float], share: float) -> float:
    """The `share` percentile of `values` in milliseconds (nearest rank)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


class Customer:
    """One simulated customer on one channel: its messages, and the replies still awaited."""

    def __init__(self, channel: str, number: int, run: str, base: str, rng: random.Random):
        self.channel = channel
        self.number = number
        self.base = base
        self.chat = (
            f"whatsapp:+5730{number:08d}" if channel == "whatsapp" else f"load-{run}-{number}"
        )
        self.script = conversation(rng, number)
        self.awaited: dict[str, float] = {}
        """Message ids sent and not yet answered → when they were sent."""
        self.answered: set[str] = set()
        self.queue: deque[str] = deque()
        """WhatsApp: the message ids in the order sent (replies carry no id)."""
        self.ws: ClientConnection | None = None
        self.sent = 0

    def next_text(self) -> tuple[str, str]:
        text = self.script[self.sent % len(self.script)]
        self.sent += 1
        return f"m{self.sent}", text


class Load:
    """Customers of one run against a shop's `serve` processes, and what they saw."""

    def __init__(
        self, serves: list[str], twilio: TwilioServer, http: aiohttp.ClientSession
    ) -> None:
        self.serves = serves
        self.twilio = twilio
        self.http = http
        self.tally = Tally()
        self.run = uuid.uuid4().hex[:8]
        self.by_chat: dict[str, Customer] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.outstanding = 0
        self.quiet = asyncio.Event()
        """Set while no message waits for its reply."""
        twilio.created.on_append = self._twilio_got  # type: ignore[attr-defined]

    def customers(self, count: int, rng: random.Random) -> list[Customer]:
        made = []
        for n in range(count):
            channel = CHANNELS[n % len(CHANNELS)]
            base = self.serves[n % len(self.serves)]
            customer = Customer(channel, next(NUMBERS), self.run, base, rng)
            self.by_chat[customer.chat] = customer
            made.append(customer)
        return made

    def spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def open_sockets(self, customers: list[Customer]) -> None:
        """Open every socket customer's connection (before the clock starts)."""
        sockets = [c for c in customers if c.channel == "socket"]
        gate = asyncio.Semaphore(50)

        async def open_one(customer: Customer) -> None:
            async with gate:
                await self._connect(customer)

        await asyncio.gather(*(open_one(c) for c in sockets))

    async def _connect(self, customer: Customer) -> None:
        url = "ws" + customer.base.removeprefix("http") + f"/ws/chat/{customer.chat}"
        try:
            # No protocol pings: a browser sends none (the chat has its own heartbeat events).
            ws = await connect(url, open_timeout=60, max_queue=None, ping_interval=None)
            json.loads(await ws.recv())  # connection_status
        except (OSError, TimeoutError, ConnectionClosed) as err:
            self.tally.error(f"socket open: {type(err).__name__}")
            return
        customer.ws = ws
        self.spawn(self._listen(customer, ws))

    async def _listen(self, customer: Customer, ws: ClientConnection) -> None:
        try:
            async for frame in ws:
                event = json.loads(frame)
                kind = event.get("type")
                if kind == "response_end":
                    self._answered(customer, str(event.get("message_id")))
                elif kind == "ping":
                    await ws.send(json.dumps({"type": "pong"}))
                elif kind == "error":
                    self.tally.error(f"socket error frame: {event.get('code')}")
                elif kind == "message":
                    self.tally.duplicate("socket: shown again as a message")
        except ConnectionClosed as err:
            if customer.ws is ws:
                self.tally.error(f"socket closed: {err.rcvd.code if err.rcvd else 'no frame'}")
                customer.ws = None

    def _answered(self, customer: Customer, message_id: str) -> None:
        sent_at = customer.awaited.pop(message_id, None)
        if sent_at is not None:
            self._settled()
            customer.answered.add(message_id)
            self.tally.replied(customer.channel, sent_at)
        elif message_id in customer.answered:
            self.tally.duplicate(f"{customer.channel}: answered twice")

    def _twilio_got(self, form: dict[str, str]) -> None:
        customer = self.by_chat.get(form.get("To", ""))
        if customer is None:
            return
        while customer.queue:
            message_id = customer.queue.popleft()
            if message_id in customer.awaited:
                self._answered(customer, message_id)
                return
        self.tally.duplicate("whatsapp: more replies than messages")

    def send(self, customer: Customer, text: str | None = None) -> None:
        """Write the customer's next message now, without waiting for anything."""
        message_id, scripted = customer.next_text()
        text = text or scripted
        customer.awaited[message_id] = time.monotonic()
        self.tally.sent += 1
        self.outstanding += 1
        self.quiet.clear()
        if customer.channel == "socket":
            self.spawn(self._send_socket(customer, message_id, text))
        elif customer.channel == "http":
            self.spawn(self._send_http(customer, message_id, text))
        else:
            customer.queue.append(message_id)
            self.spawn(self._send_whatsapp(customer, message_id, text))

    def _lost(self, customer: Customer, message_id: str, kind: str) -> None:
        if customer.awaited.pop(message_id, None) is not None:
            self._settled()
        self.tally.error(kind)

    def _settled(self) -> None:
        self.outstanding -= 1
        if not self.outstanding:
            self.quiet.set()

    async def _send_socket(self, customer: Customer, message_id: str, text: str) -> None:
        if customer.ws is None:
            await self._connect(customer)
        ws = customer.ws
        if ws is None:
            self._lost(customer, message_id, "socket not open")
            return
        frame = {"type": "message", "message": text, "message_id": message_id}
        try:
            await ws.send(json.dumps(frame))
        except ConnectionClosed:
            self._lost(customer, message_id, "socket send failed")

    async def _send_http(self, customer: Customer, message_id: str, text: str) -> None:
        body = {"chat_id": customer.chat, "message": text, "message_id": message_id}
        try:
            async with self.http.post(f"{customer.base}/chat/text", json=body) as response:
                answer = await response.json() if response.status == 200 else {}
        except (aiohttp.ClientError, TimeoutError) as err:
            self._lost(customer, message_id, f"http {type(err).__name__}")
            return
        if answer.get("reply"):
            self._answered(customer, message_id)
        else:
            self._lost(customer, message_id, f"http {response.status}")

    async def _send_whatsapp(self, customer: Customer, message_id: str, text: str) -> None:
        sid = f"SM{self.run}{customer.number:08d}{message_id:0>14}"
        form = recorded(
            "inbound_text.json",
            MessageSid=sid,
            Body=text,
            From=customer.chat,
            WaId=customer.chat.removeprefix("whatsapp:+"),
            ProfileName=f"Cliente {customer.number}",
        )
        headers = {"X-Twilio-Signature": signature(INBOUND_PATH, form)}
        url = f"{customer.base}{INBOUND_PATH}"
        try:
            async with self.http.post(url, data=form, headers=headers) as response:
                status = response.status
        except (aiohttp.ClientError, TimeoutError) as err:
            self._lost(customer, message_id, f"webhook {type(err).__name__}")
            return
        if status != 200:
            self._lost(customer, message_id, f"webhook {status}")

    async def settle(self, customers: list[Customer], grace: float) -> None:
        """Wait up to `grace` seconds for the replies still awaited, then count the missing."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace):
                await self.quiet.wait()
        for c in customers:
            if c.awaited:
                missing = self.tally.missing
                missing[c.channel] = missing.get(c.channel, 0) + len(c.awaited)
        for c in customers:
            c.awaited.clear()

    async def close(self, customers: list[Customer]) -> None:
        sockets = [c.ws for c in customers if c.ws is not None]
        for customer in customers:
            customer.ws = None
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)


async def open_loop(load: Load, customers: list[Customer], duration: float, seed: int) -> float:
    """Each customer writes at its own times (10–30 s apart) for `duration` seconds; the
    seconds it took."""
    rng = random.Random(seed)
    started = time.monotonic()
    load.tally.first_sent = started

    end = started + duration

    async def customer_clock(customer: Customer, first: float) -> None:
        at = started + first
        while at < end:
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            if time.monotonic() >= end:
                return  # this process fell behind its clock: no catching up after the end
            load.send(customer)
            at += rng.uniform(MIN_GAP, MAX_GAP)

    await asyncio.gather(*(customer_clock(c, first_delay(rng)) for c in customers))
    return time.monotonic() - started


class StampedList(list[dict[str, str]]):
    """The local Twilio's accepted messages, each passed to `on_append` as it arrives."""

    on_append: Callable[[dict[str, str]], None] | None = None

    def append(self, item: dict[str, str]) -> None:
        super().append(item)
        if self.on_append is not None:
            self.on_append(item)


@dataclass
class Setup:
    """Which processes serve the shop, on which database."""

    name: str
    serves: int
    workers: int
    postgres: bool


SETUPS = {
    "sqlite": Setup("1 process, SQLite", 1, 0, postgres=False),
    "postgres": Setup("1 process, PostgreSQL", 1, 0, postgres=True),
    "1+1": Setup("1 serve + 1 worker, PostgreSQL + Redis", 1, 1, postgres=True),
    "2+2": Setup("2 serve + 2 worker, PostgreSQL + Redis", 2, 2, postgres=True),
}


@dataclass
class Shop:
    """A running shop: its `serve` URLs, database and processes."""

    serves: list[str]
    database_url: str
    processes: dict[str, subprocess.Popen[bytes]]
    """By name: serve0, worker0..."""
    logs: Path

    async def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds used so far by each role's processes and by this database's PostgreSQL
        backends (those connected now)."""
        used: dict[str, float] = {}
        for name, process in self.processes.items():
            role = name.rstrip("0123456789")
            used[role] = used.get(role, 0.0) + process_cpu(process.pid)
        if self.database_url.startswith("postgresql"):
            conn = await asyncpg.connect(self.database_url.replace("+asyncpg", ""))
            try:
                rows = await conn.fetch(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid()"
                )
            finally:
                await conn.close()
            used["postgres"] = sum(process_cpu(row["pid"]) for row in rows)
        return used


def process_cpu(pid: int) -> float:
    """CPU seconds (user and system) a process of this machine has used; 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _admin(sql: str) -> None:
    conn = await asyncpg.connect(POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def _migrate_and_seed(url: str) -> None:
    await upgrade_async(url)
    engine = create_engine(url)
    try:
        await seed_demo(create_sessionmaker(engine))
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def started_shop(setup: Setup, twilio_url: str, pool: tuple[int, int]) -> AsyncIterator[Shop]:
    """Start the setup's processes on a fresh database; stop them and drop it at the end."""
    await asyncio.to_thread(load_or_train, NLU_CACHE)
    folder = Path(tempfile.mkdtemp(prefix="human-load-"))
    name = f"human_load_{uuid.uuid4().hex[:10]}"
    if setup.postgres:
        await _admin(f'CREATE DATABASE "{name}"')
        database_url = "postgresql+asyncpg://" + POSTGRES_URL.split("://", 1)[1].rsplit("/", 1)[0]
        database_url += f"/{name}"
    else:
        database_url = f"sqlite+aiosqlite:///{folder / 'shop.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "AUTO_SEED"))}
    env |= {
        "DATABASE_URL": database_url,
        "DATABASE_POOL_SIZE": str(pool[0]),
        "DATABASE_POOL_OVERFLOW": str(pool[1]),
        "AUTO_SEED_DEMO": "false",
        "LOG_LEVEL": "WARNING",
        "NLU_MODEL_DIR": str(NLU_CACHE),
        "CHAT_RATE_LIMIT_PER_MINUTE": "0",
        "API_RATE_LIMIT_PER_MINUTE": "0",
        "PUBLIC_BASE_URL": PUBLIC,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_WHATSAPP_FROM": SENDER,
        "TWILIO_API_BASE_URL": twilio_url,
        "WHATSAPP_PART_CHARS": "1600",
    }
    if setup.workers:
        env |= {"TASK_QUEUE": "postgres", "REDIS_URL": REDIS_URL, "REDIS_PREFIX": f"{name}:"}
    processes: dict[str, subprocess.Popen[bytes]] = {}
    try:
        await _migrate_and_seed(database_url)
        serves = []
        for n in range(setup.serves):
            port = free_port()
            command = [sys.executable, "-m", "agent", "serve", "--port", str(port)]
            processes[f"serve{n}"] = _start(command, env, folder, f"serve{n}")
            serves.append(f"http://127.0.0.1:{port}")
        for n in range(setup.workers):
            command = [sys.executable, "-m", "agent", "worker", "--name", f"worker{n}"]
            processes[f"worker{n}"] = _start(command, env, folder, f"worker{n}")
        for base in serves:
            await _wait_healthy(base, list(processes.values()), folder)
        yield Shop(serves, database_url, processes, folder)
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                await asyncio.to_thread(process.wait, 30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if setup.postgres:
            await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        print(f"the processes' logs: {folder}")


def _start(command: list[str], env: dict[str, str], folder: Path, name: str) -> Any:
    log = (folder / f"{name}.log").open("wb")
    return subprocess.Popen(command, env=env, cwd=folder, stdout=log, stderr=log)


async def _wait_healthy(base: str, processes: list[Any], folder: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    async with httpx.AsyncClient(timeout=2) as http:
        while time.monotonic() < deadline:
            for process in processes:
                if process.poll() is not None:
                    raise SystemExit(f"a process exited with {process.returncode}; logs: {folder}")
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(f"{base}/health")).status_code == 200:
                    return
            await asyncio.sleep(0.3)
    raise SystemExit(f"{base} did not start within {START_SECONDS} s; logs: {folder}")


async def warm(shop: Shop, http: aiohttp.ClientSession) -> None:
    """A few turns through every `serve` (and so the workers) before the clock starts."""
    for base in shop.serves:
        for n in range(6):
            body = {"chat_id": f"warm-{n}", "message": "hola", "message_id": f"warm-{base}-{n}"}
            async with http.post(f"{base}/chat/text", json=body) as response:
                response.raise_for_status()


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def cpu_now(shop: Shop) -> dict[str, float]:
    """CPU seconds so far of the shop's roles, its database's backends and this bench."""
    return await shop.cpu_seconds() | {"bench": own_cpu()}


def report(label: str, tally: Tally, seconds: float, cpu: dict[str, float]) -> None:
    """Print one phase's figures."""
    errors = ", ".join(f"{k} ×{v}" for k, v in sorted(tally.errors.items())) or "none"
    missing = ", ".join(f"{k} ×{v}" for k, v in sorted(tally.missing.items())) or "none"
    twice = ", ".join(f"{k} ×{v}" for k, v in sorted(tally.duplicates.items())) or "none"
    rate = len(tally.latencies) / seconds if seconds else 0.0
    print(f"{label}: {tally.sent} messages, {len(tally.latencies)} replies in {seconds:.1f} s")
    print(
        f"  reply latency p50 {percentile(tally.latencies, 0.5):.0f} ms, "
        f"p99 {percentile(tally.latencies, 0.99):.0f} ms, max "
        f"{percentile(tally.latencies, 1.0):.0f} ms; {rate:.1f} turns/s"
    )
    for channel in CHANNELS:
        values = tally.by_channel.get(channel, [])
        print(
            f"  {channel:9} {len(values):6} replies, p50 {percentile(values, 0.5):6.0f} ms, "
            f"p99 {percentile(values, 0.99):6.0f} ms"
        )
    print(
        f"  failures {tally.failures}: errors {sum(tally.errors.values())} ({errors}), "
        f"missing {sum(tally.missing.values())} ({missing}), "
        f"duplicates {sum(tally.duplicates.values())} ({twice})"
    )
    replies = max(1, len(tally.latencies))
    spent = ", ".join(f"{role} {1000 * cpu[role] / replies:.1f}" for role in cpu)
    print(f"  CPU ms per reply: {spent} (bench: the customers and the local Twilio)")


async def run_load(
    shop: Shop, twilio: TwilioServer, http: aiohttp.ClientSession, args: Any
) -> Tally:
    return await load_step(shop, twilio, http, args.customers, args.duration, args.grace, args.seed)


async def load_step(
    shop: Shop,
    twilio: TwilioServer,
    http: aiohttp.ClientSession,
    count: int,
    duration: float,
    grace: float,
    seed: int,
) -> Tally:
    """`count` customers for `duration` s, replies awaited `grace` s more; what they saw."""
    load = Load(shop.serves, twilio, http)
    customers = load.customers(count, random.Random(seed))
    try:
        await load.open_sockets(customers)
        offered = count / ((MIN_GAP + MAX_GAP) / 2)
        print(f"  {count} customers ({offered:.1f} messages/s offered), sockets open")
        before = await cpu_now(shop)
        seconds = await open_loop(load, customers, duration, seed)
        await load.settle(customers, grace)
        cpu = {k: v - before.get(k, 0.0) for k, v in (await cpu_now(shop)).items()}
    finally:
        await load.close(customers)
    report(f"  {count} customers, {duration:.0f} s", load.tally, seconds, cpu)
    return load.tally


async def run_burst(
    shop: Shop, twilio: TwilioServer, http: aiohttp.ClientSession, args: Any
) -> Tally:
    """`--burst` conversations write at the same moment; their replies and time to drain."""
    load = Load(shop.serves, twilio, http)
    customers = load.customers(args.burst, random.Random(args.seed))
    try:
        await load.open_sockets(customers)
        before = await cpu_now(shop)
        started = time.monotonic()
        for customer in customers:
            load.send(customer, "¿tienen extintores de 10 libras?")
        await load.settle(customers, args.grace)
        cpu = {k: v - before.get(k, 0.0) for k, v in (await cpu_now(shop)).items()}
    finally:
        await load.close(customers)
    drain = (load.tally.last_reply - started) if load.tally.last_reply else float("nan")
    report(f"burst of {args.burst}", load.tally, drain, cpu)
    print(f"  time to drain {drain:.1f} s (the burst's last reply)")
    return load.tally


async def run_knee(
    shop: Shop, twilio: TwilioServer, http: aiohttp.ClientSession, args: Any
) -> None:
    """Step the offered rate up until p99 reaches 1 s; the highest rate below it."""
    best = None
    for rate in (float(r) for r in args.knee_rates.split(",")):
        count = max(3, round(rate * (MIN_GAP + MAX_GAP) / 2))
        print(f"step: {rate:g} messages/s, load average {load_average()}")
        tally = await load_step(
            shop, twilio, http, count, args.step_seconds, args.grace, args.seed + int(rate)
        )
        p99 = percentile(tally.latencies, 0.99)
        if p99 >= 1000 or tally.failures:
            print(f"  p99 {p99:.0f} ms, failures {tally.failures}: the knee is below {rate:g}/s")
            break
        best = rate
    print(f"knee: the highest offered rate with p99 < 1 s and no failures: {best} messages/s")


async def measure(args: Any) -> None:
    setup = SETUPS[args.setup]
    print(
        f"human-pace load, {args.mode}, {setup.name}; client and shop on one machine "
        f"({os.cpu_count()} cores, Python {platform.python_version()}), shared with other "
        f"work; load average at start {load_average()}"
    )
    state = TwilioServer(created=StampedList())
    async with running(build(state)) as twilio_url:
        state.url = twilio_url
        pool = (args.pool_size, args.pool_overflow)
        async with started_shop(setup, twilio_url, pool) as shop:
            # aiohttp: httpx's pool spent more CPU than the shop with a thousand customers.
            connector = aiohttp.TCPConnector(limit=0)
            timeout = aiohttp.ClientTimeout(total=120)
            async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
                await warm(shop, http)
                if args.mode == "load":
                    await run_load(shop, state, http, args)
                elif args.mode == "burst":
                    await run_burst(shop, state, http, args)
                else:
                    await run_knee(shop, state, http, args)
    print(f"load average at end {load_average()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mode", nargs="?", default="load", choices=("load", "burst", "knee"))
    parser.add_argument("--setup", default="sqlite", choices=sorted(SETUPS))
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--duration", type=float, default=180.0)
    parser.add_argument("--grace", type=float, default=60.0)
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--knee-rates", default="1,2,4,8,16,32,64")
    parser.add_argument("--step-seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--pool-size", type=int, default=10, help="DATABASE_POOL_SIZE per process")
    parser.add_argument("--pool-overflow", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(measure(args))


if __name__ == "__main__":
    main()
