"""Two `salesagent serve` and two `salesagent worker` processes on one PostgreSQL and one Redis
(README "Scaling out"): every message is answered once, in order, whichever process runs it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
import websockets
from fixtures.cli_process import cli_env

pytestmark = pytest.mark.postgres

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Shop:
    """The processes of one scaled-out shop and how to reach them."""

    dsn: str
    serves: list[str]
    workers: list[subprocess.Popen[bytes]]


@pytest.fixture
def shop(demo_postgres_url: str, tmp_path: Path) -> Iterator[Shop]:
    env = cli_env(
        demo_postgres_url,
        TASK_QUEUE="postgres",
        REDIS_URL=REDIS_URL,
        REDIS_PREFIX=f"test-{uuid.uuid4().hex[:8]}:",
        WORKER_HEARTBEAT_SECONDS="0.5",
        WORKER_CONCURRENCY="8",
        CHAT_RATE_LIMIT_PER_MINUTE="0",
        AUTO_SEED_DEMO="false",
    )
    processes: list[subprocess.Popen[bytes]] = []
    serves = []
    for n in range(2):
        port = free_port()
        log = (tmp_path / f"serve{n}.log").open("wb")
        command = [sys.executable, "-m", "agent", "serve", "--port", str(port)]
        processes.append(subprocess.Popen(command, env=env, stdout=log, stderr=log))
        serves.append(f"http://127.0.0.1:{port}")
    workers = []
    for n in range(2):
        log = (tmp_path / f"worker{n}.log").open("wb")
        command = [sys.executable, "-m", "agent", "worker", "--name", f"worker{n}"]
        workers.append(subprocess.Popen(command, env=env, stdout=log, stderr=log))
    processes += workers
    try:
        for base in serves:
            _wait_healthy(base)
        yield Shop(demo_postgres_url.replace("postgresql+asyncpg", "postgresql"), serves, workers)
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_healthy(base: str) -> None:
    # Four processes start at once on two cores, each loading the catalog and the classifier.
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{base} did not start")


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


async def test_a_socket_gets_its_replies_from_a_worker(shop: Shop) -> None:
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


async def test_chat_text_answers_and_keeps_a_chats_order(shop: Shop) -> None:
    chat = f"order-{uuid.uuid4().hex[:8]}"
    async with httpx.AsyncClient() as client:
        first = await _post(client, shop.serves[0], chat, "hola")
        assert first.status_code == 200 and first.json()["reply"]
        sends = []
        for n in range(8):  # queued in this order, on both serve processes, all at once
            sends.append(asyncio.create_task(_post(client, shop.serves[n % 2], chat, f"m{n}")))
            await asyncio.sleep(0.05)
        answers = await asyncio.gather(*sends)
    assert [r.status_code for r in answers] == [200] * 8
    inbound = [text for d, text in await _conversation(shop.dsn, chat) if d == "in"]
    assert inbound == ["hola", *(f"m{n}" for n in range(8))]


async def test_a_killed_workers_turns_finish_on_the_other_once(shop: Shop) -> None:
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


async def test_a_periodic_job_runs_once_per_period(shop: Shop) -> None:
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


@dataclass
class LoneServe:
    """A `serve` process with no worker yet, and a way to start one."""

    url: str
    start_worker: Callable[[], None]


@pytest.fixture
def lone_serve(demo_postgres_url: str, tmp_path: Path) -> Iterator[LoneServe]:
    env = cli_env(
        demo_postgres_url,
        TASK_QUEUE="postgres",
        REDIS_URL=REDIS_URL,
        REDIS_PREFIX=f"test-{uuid.uuid4().hex[:8]}:",
        TURN_WAIT_SECONDS="1",
        AUTO_SEED_DEMO="false",
    )
    port = free_port()
    log = (tmp_path / "processes.log").open("wb")
    command = [sys.executable, "-m", "agent", "serve", "--port", str(port)]
    processes = [subprocess.Popen(command, env=env, stdout=log, stderr=log)]

    def start_worker() -> None:
        worker = [sys.executable, "-m", "agent", "worker", "--name", "late"]
        processes.append(subprocess.Popen(worker, env=env, stdout=log, stderr=log))

    try:
        _wait_healthy(f"http://127.0.0.1:{port}")
        yield LoneServe(f"ws://127.0.0.1:{port}", start_worker)
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def test_a_socket_turn_queued_past_the_wait_is_answered_not_refused(
    lone_serve: LoneServe,
) -> None:
    # No worker at first: the serve process stops waiting (TURN_WAIT_SECONDS) while the turn
    # stays queued; the customer must not be told to send it again, and gets the reply once a
    # worker runs it.
    url = f"{lone_serve.url}/ws/chat/queued-{uuid.uuid4().hex[:8]}"
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
