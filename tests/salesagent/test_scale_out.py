"""Two `salesagent serve` and two `salesagent worker` processes on one PostgreSQL and one Redis
(README "Scaling out"): every message is answered once, in order, whichever process runs it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
import websockets
from fixtures.live_server import eventually
from fixtures.scale_out import ScaleOut, scale_out_env, scaled_out

pytestmark = pytest.mark.postgres


@pytest.fixture
def shop(demo_postgres_url: str, tmp_path: Path) -> Iterator[ScaleOut]:
    env = scale_out_env(
        demo_postgres_url,
        WORKER_HEARTBEAT_SECONDS="0.5",
        WORKER_CONCURRENCY="8",
        CHAT_RATE_LIMIT_PER_MINUTE="0",
    )
    with scaled_out(env, tmp_path, serves=2, workers=2) as shop:
        yield shop


async def _post(client: httpx.AsyncClient, base: str, chat: str, text: str) -> httpx.Response:
    body = {"chat_id": chat, "message": text, "message_id": f"{chat}-{text}"}
    return await client.post(f"{base}/chat/text", json=body, timeout=60)


async def _conversation(dsn: str, chat: str) -> list[tuple[str, str]]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT m.direction, m.text FROM messages m JOIN conversations c"
            " ON c.id = m.conversation_id WHERE c.external_chat_id = $1 ORDER BY m.id",
            chat,
        )
    finally:
        await conn.close()
    return [(row["direction"], row["text"]) for row in rows]


async def _queued(dsn: str, message_id: str) -> None:
    """Wait until a `serve` process has queued the turn of `message_id` (60 s at most)."""
    conn = await asyncpg.connect(dsn)

    async def queued() -> bool:
        return bool(
            await conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM procrastinate_jobs WHERE task_name = 'turn'"
                " AND args->'message'->>'external_message_id' = $1)",
                message_id,
            )
        )

    try:
        await eventually(queued, within=60)
    finally:
        await conn.close()


async def test_a_socket_gets_its_replies_from_a_worker(shop: ScaleOut) -> None:
    chat = f"ws-{uuid.uuid4().hex[:8]}"
    url = shop.serves[1].replace("http", "ws") + f"/ws/chat/{chat}"
    async with websockets.connect(url) as ws:
        assert json.loads(await ws.recv())["type"] == "connection_status"
        await ws.send(json.dumps({"type": "message", "message": "hola", "message_id": "m1"}))
        kinds = []
        while True:
            event = json.loads(await asyncio.wait_for(ws.recv(), 30))
            kinds.append(event["type"])
            if event["type"] == "response_end":
                break
    assert kinds[0] == "processing" and "response_chunk" in kinds
    assert event["reply"]
    assert [d for d, _ in await _conversation(shop.dsn, chat)] == ["in", "out"]


async def test_chat_text_answers_and_keeps_a_chats_order(shop: ScaleOut) -> None:
    chat = f"order-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient() as client:
        first = await _post(client, shop.serves[0], chat, "hola")
        assert first.status_code == 200 and first.json()["reply"]
        sends = []
        for n in range(8):  # on both serve processes in turn, each queued before the next
            sends.append(asyncio.create_task(_post(client, shop.serves[n % 2], chat, f"m{n}")))
            await _queued(shop.dsn, f"{chat}-m{n}")
        answers = await asyncio.gather(*sends)
    assert [r.status_code for r in answers] == [200] * 8
    inbound = [text for d, text in await _conversation(shop.dsn, chat) if d == "in"]
    assert inbound == ["hola", *(f"m{n}" for n in range(8))]


async def test_a_killed_workers_turns_finish_on_the_other_once(shop: ScaleOut) -> None:
    chats = [f"kill-{n}-{uuid.uuid4().hex[:6]}" for n in range(12)]

    async def talk(client: httpx.AsyncClient, n: int, chat: str) -> list[int]:
        codes = []
        for text in ("hola", "precio extintor", "gracias"):
            codes.append((await _post(client, shop.serves[n % 2], chat, text)).status_code)
        return codes

    async with httpx.AsyncClient() as client:
        talks = [asyncio.create_task(talk(client, n, c)) for n, c in enumerate(chats)]
        await asyncio.sleep(0.5)
        shop.workers[0].send_signal(signal.SIGKILL)
        codes = await asyncio.gather(*talks)
    assert codes == [[200, 200, 200]] * len(chats)
    for chat in chats:
        directions = [d for d, _ in await _conversation(shop.dsn, chat)]
        assert directions == ["in", "out"] * 3, chat  # none lost, none answered twice


async def test_a_periodic_job_runs_once_per_period(shop: ScaleOut) -> None:
    await asyncio.sleep(12)  # a few 5-second periods, both workers deferring
    conn = await asyncpg.connect(shop.dsn)
    try:
        rows = await conn.fetch(
            "SELECT task_name, args->>'timestamp' AS period, count(*) AS runs"
            " FROM procrastinate_jobs"
            " WHERE task_name IN ('waiting watch', 'proposal expiry') GROUP BY 1, 2"
        )
    finally:
        await conn.close()
    for task in ("waiting watch", "proposal expiry"):
        assert len([row for row in rows if row["task_name"] == task]) >= 2, task
    assert {row["runs"] for row in rows} == {1}


@pytest.fixture
def lone_serve(demo_postgres_url: str, tmp_path: Path) -> Iterator[ScaleOut]:
    """A `serve` process with no worker yet (the test starts one)."""
    env = scale_out_env(demo_postgres_url, TURN_WAIT_SECONDS="1")
    with scaled_out(env, tmp_path, serves=1, workers=0) as shop:
        yield shop


async def test_a_socket_turn_queued_past_the_wait_is_answered_not_refused(
    lone_serve: ScaleOut,
) -> None:
    # No worker at first: the serve process stops waiting (TURN_WAIT_SECONDS) while the turn
    # stays queued; the customer must not be told to send it again, and gets the reply once a
    # worker runs it.
    url = lone_serve.serves[0].replace("http", "ws") + f"/ws/chat/queued-{uuid.uuid4().hex[:8]}"
    async with websockets.connect(url) as ws:
        assert json.loads(await ws.recv())["type"] == "connection_status"
        await ws.send(json.dumps({"type": "message", "message": "hola", "message_id": "q1"}))
        kinds = []
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(3):  # three times TURN_WAIT_SECONDS
                while True:
                    kinds.append(json.loads(await ws.recv())["type"])
        assert kinds == ["processing"]
        lone_serve.start_worker()
        while True:
            event = json.loads(await asyncio.wait_for(ws.recv(), 120))
            kinds.append(event["type"])
            if event["type"] == "response_end":
                break
    assert "error" not in kinds
    assert event["reply"] and event["message_id"] == "q1"
