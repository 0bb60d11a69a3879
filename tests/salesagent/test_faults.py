"""Faults of a scaled-out shop (README "Scaling out"): two `salesagent serve` and two `salesagent
worker` processes on a PostgreSQL cluster and a Redis server of the module's own, which the tests
restart under load; the limits and the schedule every process shares.

The processes are started once for the module (four processes loading the catalog and the
classifier take a while on two cores); each test uses chats of its own.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import pytest
from fixtures.cli_process import cli_env
from fixtures.odoo_server import API_KEY, DATABASE, LOGIN, FakeOdoo, running
from fixtures.private_services import PrivatePostgres, PrivateRedis, free_port
from fixtures.twilio_server import ACCOUNT_SID, AUTH_TOKEN, SENDER
from fixtures.whatsapp_setup import PUBLIC, recorded, signature

from agent.db import create_engine, create_sessionmaker
from agent.migrate import upgrade_async
from agent.seed import seed_demo
from channels.whatsapp.adapter import INBOUND_PATH

pytestmark = pytest.mark.postgres

SYNC_SECONDS = 10
"""ODOO_SYNC_PRODUCTS_MINUTES of the module's shop, in seconds (two ticks of 5 s)."""
SENDER_BURST = 3
LOGIN_BURST = 3


@dataclass
class Shop:
    """The processes of one scaled-out shop, its servers, and how to reach them."""

    dsn: str
    serves: list[str]
    workers: list[subprocess.Popen[bytes]]
    postgres: PrivatePostgres
    redis: PrivateRedis
    odoo: FakeOdoo
    env: dict[str, str]
    logs: Path


async def _make_database(server_url: str) -> str:
    conn = await asyncpg.connect(server_url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute('CREATE DATABASE "shop"')
    finally:
        await conn.close()
    url = server_url.rsplit("/", 1)[0] + "/shop"
    await upgrade_async(url)
    engine = create_engine(url)
    try:
        await seed_demo(create_sessionmaker(engine))
    finally:
        await engine.dispose()
    return url


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shop]:
    logs = tmp_path_factory.mktemp("faults")
    folder = Path(tempfile.mkdtemp(prefix="salesagent-faults-pg-"))
    postgres = PrivatePostgres(folder)
    redis = PrivateRedis(logs)
    processes: list[subprocess.Popen[bytes]] = []
    with running(19) as odoo:
        try:
            postgres.create()
            redis.start()
            url = asyncio.run(_make_database(postgres.url))
            env = cli_env(
                url,
                TASK_QUEUE="postgres",
                REDIS_URL=redis.url,
                REDIS_PREFIX="faults:",
                WORKER_HEARTBEAT_SECONDS="0.5",
                WORKER_CONCURRENCY="8",
                CHAT_RATE_LIMIT_PER_MINUTE="0",
                AUTO_SEED_DEMO="false",
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
            serves = []
            for n in range(2):
                port = free_port()
                log = (logs / f"serve{n}.log").open("wb")
                command = [sys.executable, "-m", "agent", "serve", "--port", str(port)]
                processes.append(subprocess.Popen(command, env=env, stdout=log, stderr=log))
                serves.append(f"http://127.0.0.1:{port}")
            workers = [_start_worker(env, logs, n) for n in range(2)]
            processes += workers
            for base in serves:
                _wait_healthy(base)
            dsn = url.replace("postgresql+asyncpg", "postgresql")
            yield Shop(dsn, serves, workers, postgres, redis, odoo, env, logs)
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
            redis.stop()
            postgres.stop("immediate")
            shutil.rmtree(folder, ignore_errors=True)


def _start_worker(env: dict[str, str], logs: Path, n: int) -> subprocess.Popen[bytes]:
    log = (logs / f"worker{n}.log").open("ab")
    command = [sys.executable, "-m", "agent", "worker", "--name", f"worker{n}"]
    return subprocess.Popen(command, env=env, stdout=log, stderr=log)


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
