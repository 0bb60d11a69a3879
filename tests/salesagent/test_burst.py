"""A burst larger than the pools on 1 `serve` + 1 `worker` (PostgreSQL, Redis, a local Twilio):
every message waits its turn and is answered once; none fails (README "Scaling out")."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
import pytest
from fixtures.live_server import eventually
from fixtures.scale_out import scale_out_env, scaled_out_async
from fixtures.twilio_server import ACCOUNT_SID, AUTH_TOKEN, SENDER, TwilioServer, twilio
from fixtures.whatsapp_setup import PUBLIC, recorded, signature

from channels.whatsapp.adapter import INBOUND_PATH

pytestmark = pytest.mark.postgres

CHATS = 150
"""Conversations on each channel (HTTP and WhatsApp), all writing at once."""


@asynccontextmanager
async def small_shop(database_url: str, fake: TwilioServer, folder: Path) -> AsyncIterator[str]:
    """One serve and one worker with pools far smaller than the burst; the serve's URL."""
    env = scale_out_env(
        database_url,
        DATABASE_POOL_SIZE="3",
        DATABASE_POOL_OVERFLOW="0",
        DATABASE_POOL_TIMEOUT="2",
        MAX_PARALLEL_INTAKE="1",
        MAX_PARALLEL_TURNS="2",
        WORKER_CONCURRENCY="4",
        REDIS_POOL_SIZE="3",
        TURN_WAIT_SECONDS="600",  # the burst is slower than 30 s on two shared cores
        CHAT_RATE_LIMIT_PER_MINUTE="0",
        PUBLIC_BASE_URL=PUBLIC,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_WHATSAPP_FROM=SENDER,
        TWILIO_API_BASE_URL=fake.url,
    )
    async with scaled_out_async(env, folder, serves=1, workers=1) as shop:
        yield shop.serves[0]


async def _directions(dsn: str) -> dict[str, list[str]]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT c.external_chat_id AS chat, m.direction FROM messages m JOIN conversations c"
            " ON c.id = m.conversation_id ORDER BY m.id"
        )
    finally:
        await conn.close()
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row["chat"], []).append(row["direction"])
    return found


async def test_a_burst_larger_than_the_pools_is_answered_once_each(
    demo_postgres_url: str, tmp_path: Path
) -> None:
    async with twilio() as fake, small_shop(demo_postgres_url, fake, tmp_path) as base:
        async with httpx.AsyncClient(
            limits=httpx.Limits(max_connections=None), timeout=600
        ) as client:

            async def ask(n: int) -> httpx.Response:
                body = {"chat_id": f"burst-{n}", "message": "hola", "message_id": "m1"}
                return await client.post(f"{base}/chat/text", json=body)

            async def write(n: int) -> httpx.Response:
                form = recorded("inbound_text.json", Body="hola", From=_number(n), WaId=f"57{n}")
                headers = {"X-Twilio-Signature": signature(INBOUND_PATH, form)}
                return await client.post(f"{base}{INBOUND_PATH}", data=form, headers=headers)

            answers, acks = await asyncio.gather(
                asyncio.gather(*(ask(n) for n in range(CHATS))),
                asyncio.gather(*(write(n) for n in range(CHATS))),
            )
        assert [r.status_code for r in acks] == [200] * CHATS
        assert [r.status_code for r in answers] == [200] * CHATS
        assert all(r.json()["reply"] for r in answers)
        await eventually(lambda: len(fake.created) >= CHATS, within=600)
        await asyncio.sleep(2)  # a second reply to any chat would arrive by now
        replied = sorted(m["To"] for m in fake.created)
    assert replied == sorted(_number(n) for n in range(CHATS))  # every chat once
    directions = await _directions(demo_postgres_url.replace("postgresql+asyncpg", "postgresql"))
    chats = [f"burst-{n}" for n in range(CHATS)] + [_number(n) for n in range(CHATS)]
    assert {chat: directions.get(chat) for chat in chats} == {c: ["in", "out"] for c in chats}


def _number(n: int) -> str:
    return f"whatsapp:+57300{n:07d}"
