"""Start-up and shutdown: what a start-up opened is closed, when it fails half-way too."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from conftest import Chat
from fixtures.live_server import serving
from fixtures.telegram_server import TOKEN, bot_api
from pydantic import SecretStr
from sqlalchemy import select

from agent.db import create_engine, create_sessionmaker
from agent.errors import ConfigurationError
from agent.models import OutboxItem, OutboxStatus
from agent.settings import Settings
from salesagent.runtime import Runtime


def sqlite_connections() -> set[threading.Thread]:
    """The SQLite connections open in this process (aiosqlite gives each one a thread)."""
    return {t for t in threading.enumerate() if "_connection_worker_thread" in t.name}


@contextmanager
def leaves_nothing_open() -> Iterator[None]:
    """Fail when the block leaves a task running or a database connection open."""
    tasks, connections = asyncio.all_tasks(), sqlite_connections()
    yield
    for thread in sqlite_connections() - connections:
        thread.join(timeout=2)  # a closed connection's thread ends right after its last call
    assert sqlite_connections() - connections == set()
    assert {t for t in asyncio.all_tasks() - tasks if not t.done()} == set()


async def test_a_start_refused_half_way_closes_what_it_opened_and_the_next_start_works(
    demo_settings: Settings,
) -> None:
    async with bot_api() as telegram:
        base = demo_settings.model_copy(
            update={"telegram_api_base_url": telegram.url, "telegram_webhook_secret": None}
        )
        refused = base.model_copy(update={"telegram_bot_token": SecretStr("7000001:wrong")})

        # Refused after the database, the file store, the model and the voice were opened.
        with (
            leaves_nothing_open(),
            pytest.raises(ConfigurationError, match="Telegram refused TELEGRAM_BOT_TOKEN"),
        ):
            await Runtime.start(refused, migrate=False)

        accepted = base.model_copy(update={"telegram_bot_token": SecretStr(TOKEN)})
        for _ in range(2):  # started and stopped twice in one process
            with leaves_nothing_open():
                async with await Runtime.start(accepted, migrate=False) as runtime:
                    result = await Chat(runtime, "twice").say("¿tienen cascos?")
                    assert result.reply and "casco" in result.reply.lower()


async def test_the_app_serves_stops_and_serves_again_in_one_process(
    demo_settings: Settings,
) -> None:
    replies = []
    for round_ in range(2):
        with leaves_nothing_open():
            async with (
                serving(demo_settings) as live,
                httpx.AsyncClient(base_url=live.url, timeout=60) as http,
            ):
                health = await http.get("/health")
                said = await http.post(
                    "/chat/text", json={"chat_id": f"again-{round_}", "message": "¿tienen guantes?"}
                )
            assert health.json()["status"] == "ok"
            replies.append(said.json()["reply"])

    assert all("guante" in reply.lower() for reply in replies)


async def test_a_shutdown_during_a_delivery_waits_for_it_the_customer_gets_it_once(
    demo_settings: Settings,
) -> None:
    async with bot_api() as telegram:
        settings = demo_settings.model_copy(
            update={
                "telegram_api_base_url": telegram.url,
                "telegram_bot_token": SecretStr(TOKEN),
                "telegram_webhook_secret": None,
            }
        )
        runtime = await Runtime.start(settings, migrate=False)
        telegram.answer_delay = 1.0  # Telegram takes the reply, and answers a second later
        await Chat(runtime, "5550001", channel="telegram").say("¿tienen botas?")

        with leaves_nothing_open():  # closed while Telegram has not answered yet
            await runtime.close()

    db = create_engine(settings.database_url)
    async with create_sessionmaker(db)() as session:
        rows = list((await session.execute(select(OutboxItem))).scalars())
    await db.dispose()
    (sent,) = telegram.texts()
    assert "Bota de seguridad" in sent
    assert [(r.external_chat_id, r.status) for r in rows] == [("5550001", OutboxStatus.SENT)]
