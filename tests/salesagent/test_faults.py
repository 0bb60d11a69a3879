"""Faults of a scaled-out shop (README "Scaling out"): two `salesagent serve` and two `salesagent
worker` processes on a PostgreSQL cluster and a Redis server of the module's own, which the tests
restart under load; the limits and the schedule every process shares.

The processes are started once for the module (four processes loading the catalog and the
classifier take a while on two cores); each test uses chats of its own.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
import websockets
from fixtures.odoo_server import API_KEY, DATABASE, LOGIN, FakeOdoo, running
from fixtures.private_services import PrivatePostgres, PrivateRedis, free_port
from fixtures.scale_out import ScaleOut, scale_out_env, scaled_out
from fixtures.twilio_server import ACCOUNT_SID, AUTH_TOKEN, SENDER
from fixtures.whatsapp_setup import PUBLIC, recorded, signature
from procrastinate import App, PsycopgConnector
from pydantic import TypeAdapter

from agent.db import create_engine, create_sessionmaker
from agent.messages import InboundMessage
from agent.migrate import upgrade_async
from agent.models import StaffRole
from agent.seed import seed_demo
from agent.staff import create_staff, open_session
from channels.whatsapp.adapter import INBOUND_PATH

pytestmark = pytest.mark.postgres

SYNC_SECONDS = 10
"""ODOO_SYNC_PRODUCTS_MINUTES of the module's shop, in seconds (two ticks of 5 s)."""
SENDER_BURST = 3
LOGIN_BURST = 3


@dataclass
class Shop:
    """The module's scaled-out shop: its processes, its own servers, a manager's session."""

    processes: ScaleOut
    postgres: PrivatePostgres
    redis: PrivateRedis
    odoo: FakeOdoo
    staff_token: str
    """A console session's cookie (a manager's)."""

    @property
    def dsn(self) -> str:
        return self.processes.dsn

    @property
    def serves(self) -> list[str]:
        return self.processes.serves

    @property
    def workers(self) -> list[subprocess.Popen[bytes]]:
        return self.processes.workers


async def _make_database(server_url: str) -> tuple[str, str]:
    conn = await asyncpg.connect(server_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute('CREATE DATABASE "shop"')
    finally:
        await conn.close()
    url = server_url.rsplit("/", 1)[0] + "/shop"
    await upgrade_async(url)
    engine = create_engine(url)
    try:
        sessions = create_sessionmaker(engine)
        await seed_demo(sessions)
        async with sessions() as session:
            staff = await create_staff(
                session,
                username="gerente",
                name="Gerente",
                role=StaffRole.MANAGER,
                password="una clave larga de prueba",
            )
            login = await open_session(session, staff, hours=2)
    finally:
        await engine.dispose()
    return url, login.token


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    logs = tmp_path_factory.mktemp("faults")
    folder = Path(tempfile.mkdtemp(prefix="salesagent-faults-pg-"))
    postgres = PrivatePostgres(folder)
    redis = PrivateRedis(logs)
    with running(19) as odoo:
        try:
            postgres.create()
            redis.start()
            url, staff_token = asyncio.run(_make_database(postgres.url))
            env = scale_out_env(
                url,
                redis_url=redis.url,
                # Silent for 3 beats (6 s) is a dead worker: at 0.5 s a live one starved of
                # CPU on a loaded machine was taken for dead and its turns run again.
                WORKER_HEARTBEAT_SECONDS="2",
                WORKER_CONCURRENCY="8",
                CHAT_RATE_LIMIT_PER_MINUTE="0",
                ODOO_URL=odoo.url,
                ODOO_DB=DATABASE,
                ODOO_API_KEY=API_KEY,
                ODOO_USER=LOGIN,
                ODOO_SYNC_PRODUCTS_MINUTES=str(SYNC_SECONDS / 60),
                PUBLIC_BASE_URL=PUBLIC,
                TWILIO_ACCOUNT_SID=ACCOUNT_SID,
                TWILIO_AUTH_TOKEN=AUTH_TOKEN,
                TWILIO_WHATSAPP_FROM=SENDER,
                TWILIO_API_BASE_URL=f"http://127.0.0.1:{free_port()}",  # nobody: replies wait
                SENDER_RATE_PER_MINUTE="0.01",
                SENDER_BURST=str(SENDER_BURST),
                STAFF_LOGIN_RATE_LIMIT_PER_MINUTE="0.01",
                STAFF_LOGIN_RATE_LIMIT_BURST=str(LOGIN_BURST),
            )
            with scaled_out(env, logs, serves=2, workers=2) as processes:
                yield Shop(processes, postgres, redis, odoo, staff_token)
        finally:
            redis.stop()
            postgres.stop("immediate")
            shutil.rmtree(folder, ignore_errors=True)


async def _fetch(dsn: str, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def test_a_chat_writing_too_fast_is_throttled_across_serve_processes(shop: Shop) -> None:
    chat = f"whatsapp:+5730{uuid.uuid4().int % 10**8:08d}"
    async with httpx.AsyncClient(timeout=60) as client:
        for n in range(2 * SENDER_BURST):  # one serve process after the other
            form = recorded("inbound_text.json", From=chat, WaId=chat[10:], Body=f"hola {n}")
            headers = {"X-Twilio-Signature": signature(INBOUND_PATH, form)}
            base = shop.serves[n % 2]
            response = await client.post(base + INBOUND_PATH, data=form, headers=headers)
            assert response.status_code == 200, response.text
    rows = await _fetch(
        shop.dsn, "SELECT status FROM inbox WHERE external_chat_id = $1 ORDER BY id", chat
    )
    statuses = [row["status"] for row in rows]
    assert len(statuses) == 2 * SENDER_BURST
    assert statuses[SENDER_BURST:] == ["ignored"] * SENDER_BURST  # each process alone: none
    assert "ignored" not in statuses[:SENDER_BURST]


async def test_console_login_attempts_are_counted_across_serve_processes(shop: Shop) -> None:
    token = uuid.uuid4().hex
    user = f"nobody-{uuid.uuid4().hex[:6]}"
    codes = []
    async with httpx.AsyncClient(timeout=60) as client:
        for n in range(2 * LOGIN_BURST):
            response = await client.post(
                shop.serves[n % 2] + "/console/login",
                data={"username": user, "password": "wrong", "csrf_token": token},
                headers={"Cookie": f"salesagent_login={token}"},
            )
            codes.append(response.status_code)
    assert codes == [401] * LOGIN_BURST + [429] * LOGIN_BURST


async def test_the_odoo_product_sync_runs_once_per_period_whatever_the_workers(
    shop: Shop,
) -> None:
    await asyncio.sleep(3 * SYNC_SECONDS - time.time() % 5 + 2.5)  # mid-tick: no sync under way
    rows = await _fetch(
        shop.dsn,
        "SELECT (args->>'timestamp')::bigint AS tick, count(*) AS runs FROM procrastinate_jobs"
        " WHERE task_name = 'odoo sync' AND status = 'succeeded' GROUP BY 1",
    )
    assert {row["runs"] for row in rows} == {1}  # one job per tick, two workers deferring
    due = [row["tick"] for row in rows if row["tick"] % SYNC_SECONDS == 0]
    syncs = [c for c in shop.odoo.calls_to("fields_get") if c.model == "product.product"]
    assert len(due) >= 2
    assert len(syncs) == len(due)


class WidgetClient:
    """A customer on the web chat, as the widget behaves: one message at a time, and when the
    socket closes it reconnects and sends again every message it has no `response_end` for."""

    def __init__(self, base: str, chat: str) -> None:
        self.url = base.replace("http", "ws") + f"/ws/chat/{chat}"
        self.ends: dict[str, int] = {}
        self.reconnections = 0
        self.answered = asyncio.Event()
        """Set at the first reply: the customer's socket is open and talking."""

    async def talk(self, texts: list[str]) -> None:
        """Say each text in turn, waiting for its reply, whatever happens to the socket."""
        waiting = [(f"w{n}-{text}", text) for n, text in enumerate(texts)]
        while waiting:
            try:
                async with websockets.connect(self.url, open_timeout=60) as ws:
                    await self._talk(ws, waiting)
            except (OSError, websockets.ConnectionClosed, websockets.InvalidStatus):
                self.reconnections += 1
                await asyncio.sleep(0.5)

    async def _talk(self, ws: websockets.ClientConnection, waiting: list[tuple[str, str]]) -> None:
        # A turn's events may come before `connection_status` (the socket is subscribed first).
        while waiting:
            event = json.loads(await asyncio.wait_for(ws.recv(), 90))
            if event["type"] == "connection_status":  # the one under way, sent (again)
                await self._send(ws, waiting[0])
            if event["type"] != "response_end":
                continue
            self.ends[event["message_id"]] = self.ends.get(event["message_id"], 0) + 1
            self.answered.set()
            if event["message_id"] == waiting[0][0]:
                waiting.pop(0)
                if waiting:
                    await self._send(ws, waiting[0])

    @staticmethod
    async def _send(ws: websockets.ClientConnection, message: tuple[str, str]) -> None:
        message_id, text = message
        await ws.send(json.dumps({"type": "message", "message": text, "message_id": message_id}))


async def _directions(dsn: str, chat: str) -> list[str]:
    rows = await _fetch(
        dsn,
        "SELECT m.direction FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        " WHERE c.external_chat_id = $1 ORDER BY m.id",
        chat,
    )
    return [row["direction"] for row in rows]


async def _http_talk(
    client: httpx.AsyncClient, base: str, chat: str, texts: list[str]
) -> list[int]:
    codes = []
    for text in texts:
        body = {"chat_id": chat, "message": text, "message_id": f"{chat}-{text}"}
        codes.append((await client.post(f"{base}/chat/text", json=body)).status_code)
    return codes


TEXTS = ["hola", "precio extintor", "gracias"]


async def _talk_through(
    shop: Shop, name: str, *, sockets: int, restart: Callable[[], None]
) -> tuple[dict[str, WidgetClient], list[str]]:
    """`sockets` widget customers and 6 over `POST /chat/text`, spread over both serve
    processes, talk while `restart` takes a server down and back; every request got 200."""
    tag = uuid.uuid4().hex[:6]
    widgets = {
        f"{name}-ws-{n}-{tag}": WidgetClient(shop.serves[n % 2], f"{name}-ws-{n}-{tag}")
        for n in range(sockets)
    }
    posters = [f"{name}-http-{n}-{tag}" for n in range(6)]
    async with httpx.AsyncClient(timeout=90) as client:
        talks = [asyncio.create_task(w.talk(TEXTS)) for w in widgets.values()]
        posts = [
            asyncio.create_task(_http_talk(client, shop.serves[n % 2], chat, TEXTS))
            for n, chat in enumerate(posters)
        ]
        # Under load: once every widget has had a reply on its open socket, each one still
        # waiting for its next (not after a fixed second, by which a loaded machine may not
        # have opened a socket yet, or a quiet one may have answered them all).
        answered = (widget.answered.wait() for widget in widgets.values())
        await asyncio.wait_for(asyncio.gather(*answered), 240)
        await asyncio.to_thread(restart)
        await asyncio.wait_for(asyncio.gather(*talks), 240)
        codes = await asyncio.wait_for(asyncio.gather(*posts), 240)
    assert codes == [[200] * len(TEXTS)] * len(posters)
    return widgets, posters


async def test_redis_restarted_under_load_loses_no_message_and_answers_each_once(
    shop: Shop,
) -> None:
    widgets, posters = await _talk_through(
        shop, "redis", sockets=6, restart=lambda: shop.redis.restart(down_for=1.5)
    )
    for chat, widget in widgets.items():
        assert sorted(widget.ends) == sorted(f"w{n}-{t}" for n, t in enumerate(TEXTS)), chat
        assert set(widget.ends.values()) == {1}, (chat, widget.ends)  # none shown twice
    for chat in [*widgets, *posters]:
        assert await _directions(shop.dsn, chat) == ["in", "out"] * len(TEXTS), chat
    assert sum(w.reconnections for w in widgets.values()) >= 1  # the sockets did break


async def _console_hears(shop: Shop, chat: str) -> None:
    """A console on one serve process hears the turn of a chat answered by a worker."""
    url = shop.serves[0].replace("http", "ws") + "/console/ws"
    cookie = {"Cookie": f"salesagent_staff={shop.staff_token}"}
    async with websockets.connect(url, additional_headers=cookie, open_timeout=60) as ws:
        assert json.loads(await ws.recv())["type"] == "hello"
        async with httpx.AsyncClient(timeout=90) as client:
            answered = await _http_talk(client, shop.serves[1], chat, ["hola"])
        assert answered == [200]
        while True:
            event = json.loads(await asyncio.wait_for(ws.recv(), 60))
            if event["type"] == "conversation" and event["chat_id"] == chat:
                return


async def test_a_console_hears_the_workers_turns_and_comes_back_after_redis(shop: Shop) -> None:
    tag = uuid.uuid4().hex[:6]
    await _console_hears(shop, f"console-before-{tag}")
    url = shop.serves[0].replace("http", "ws") + "/console/ws"
    cookie = {"Cookie": f"salesagent_staff={shop.staff_token}"}
    async with websockets.connect(url, additional_headers=cookie, open_timeout=60) as ws:
        assert json.loads(await ws.recv())["type"] == "hello"
        await asyncio.to_thread(shop.redis.restart, down_for=1.0)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            while True:
                await asyncio.wait_for(ws.recv(), 30)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1012  # reload, reconnect
    await _console_hears(shop, f"console-after-{tag}")


async def test_a_turn_run_again_ends_once_on_the_socket(shop: Shop) -> None:
    chat = f"again-{uuid.uuid4().hex[:6]}"
    url = shop.serves[0].replace("http", "ws") + f"/ws/chat/{chat}"
    app = App(connector=PsycopgConnector(conninfo=shop.dsn))
    async with websockets.connect(url, open_timeout=60) as ws, app.open_async():
        assert json.loads(await ws.recv())["type"] == "connection_status"
        events = []
        for message_id, text in (("m1", "hola"), ("m2", "gracias")):
            await ws.send(
                json.dumps({"type": "message", "message": text, "message_id": message_id})
            )
            while True:
                event = json.loads(await asyncio.wait_for(ws.recv(), 90))
                events.append(event)
                if event["type"] == "response_end" and event["message_id"] == message_id:
                    break
            if message_id == "m1":  # as a worker killed after answering: its job runs again
                again = InboundMessage(
                    channel="web",
                    external_message_id="m1",
                    external_chat_id=chat,
                    text="hola",
                    sender=chat,
                )
                await app.configure_task(
                    "turn", lock=f"turn:web:{chat}", queue="turns"
                ).defer_async(
                    message=TypeAdapter(InboundMessage).dump_python(again, mode="json"),
                    kind="socket",
                )
    ends = [e["message_id"] for e in events if e["type"] == "response_end"]
    assert ends == ["m1", "m2"]
    chunks = [e for e in events if e["type"] == "response_chunk" and e["message_id"] == "m1"]
    m1_end = next(e for e in events if e["type"] == "response_end")
    assert "".join(c["content"] for c in chunks) == m1_end["reply"]  # the reply shown once
    assert await _directions(shop.dsn, chat) == ["in", "out"] * 2


async def test_postgres_restarted_under_load_turns_wait_and_resume(shop: Shop) -> None:
    widgets, posters = await _talk_through(
        shop, "pg", sockets=4, restart=lambda: shop.postgres.restart(down_for=3.0)
    )
    for chat, widget in widgets.items():
        assert set(widget.ends.values()) == {1}, (chat, widget.ends)
    for chat in [*widgets, *posters]:
        assert await _directions(shop.dsn, chat) == ["in", "out"] * len(TEXTS), chat
    assert all(worker.poll() is None for worker in shop.workers)  # they waited, not died
