"""Replies that did not reach the customer, as staff see them: marked on the conversation with
retry and give-up buttons, and announced (live feed, staff Telegram chat) when given up.

The customer writes on Odoo's livechat (the local Odoo server, down when the test says); the
staff chat is the local Bot API; the clock is moved by time-machine.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
import time_machine
from fixtures.console_login import add_staff, csrf_of, log_in
from fixtures.live_server import LiveServer, eventually
from fixtures.odoo_agent import agent, webhook
from fixtures.odoo_server import DATABASE, FakeOdoo, running
from fixtures.telegram_server import TOKEN, bot_api
from pydantic import SecretStr
from sqlalchemy import select
from websockets.asyncio.client import connect

from agent.models import OutboxItem, OutboxStatus, utcnow
from agent.settings import Settings

SESSION = 9100
STAFF_CHAT = "-100777"


@pytest.fixture
def odoo() -> Iterator[FakeOdoo]:
    """Odoo 19 (both protocols are covered by tests/channels/test_odoo_outage.py)."""
    with running(19) as fake:
        yield fake


async def reply_row(live: LiveServer) -> OutboxItem:
    async with live.runtime.sessions() as session:
        row = await session.scalar(
            select(OutboxItem).where(OutboxItem.external_chat_id == f"{DATABASE}:{SESSION}")
        )
    assert row is not None
    return row


async def failed_once(live: LiveServer) -> bool:
    """Whether the reply was written and its first attempt failed."""
    async with live.runtime.sessions() as session:
        row = await session.scalar(select(OutboxItem))
    return row is not None and row.attempts >= 1 and row.lease_owner is None


async def test_staff_give_up_a_reply_being_retried_then_retry_it_once_the_channel_is_back(
    demo_settings: Settings, odoo: FakeOdoo
) -> None:
    async with agent(demo_settings, odoo) as live, httpx.AsyncClient(base_url=live.url) as client:
        await add_staff(live.runtime, "ana", name="Ana Gómez")
        await log_in(client, "ana")
        scripted = {"x-csrf-token": await csrf_of(client), "accept": "application/json"}
        odoo.down()
        assert await webhook(live, odoo.writes(SESSION, "¿tienen cascos dieléctricos?")) == 200

        await eventually(lambda: failed_once(live))
        row = await reply_row(live)
        page = f"/console/conversations/{row.conversation_id}"
        shown = (await client.get(page + "/live")).text
        assert "Sin entregar aún, se reintenta" in shown and "did not answer" in shown
        assert f"/deliveries/{row.id}/give-up" in shown

        given_up = await client.post(f"{page}/deliveries/{row.id}/give-up", headers=scripted)
        assert given_up.status_code == 200 and "ya no se reintenta" in given_up.json()["notice"]
        row = await reply_row(live)
        assert row.status == OutboxStatus.FAILED and "given up by Ana Gómez" in (
            row.last_error or ""
        )
        shown = (await client.get(page + "/live")).text
        assert "No entregado: given up by Ana Gómez" in shown
        assert (
            f"/deliveries/{row.id}/give-up" not in shown and f"/deliveries/{row.id}/retry" in shown
        )

        odoo.up()
        retried = await client.post(f"{page}/deliveries/{row.id}/retry", headers=scripted)
        assert retried.status_code == 200
        await eventually(lambda: len(odoo.posted(SESSION)) == 1)
        assert "casco" in odoo.posted(SESSION)[0]["text"].lower()

        async def sent() -> bool:
            return (await reply_row(live)).status == OutboxStatus.SENT

        await eventually(sent)
        shown = (await client.get(page + "/live")).text
        assert "No entregado" not in shown and "/deliveries/" not in shown

        again = await client.post(f"{page}/deliveries/{row.id}/retry", headers=scripted)
        assert again.status_code == 422  # delivered: nothing to retry
        assert again.json()["detail"] == (
            "Esta respuesta ya no espera envío: no hay nada que reintentar."
        )
        await asyncio.sleep(1.5)  # a pass of the outbox loop
        assert len(odoo.posted(SESSION)) == 1


async def test_a_reply_past_the_horizon_is_reported_to_staff(
    demo_settings: Settings, odoo: FakeOdoo
) -> None:
    async with bot_api() as telegram:
        staff_chat = {
            "staff_telegram_chat_id": STAFF_CHAT,
            "staff_telegram_bot_token": SecretStr(TOKEN),
            "telegram_api_base_url": telegram.url,
            "public_base_url": "https://tienda.example",
        }
        with time_machine.travel(utcnow(), tick=True) as clock:
            async with (
                agent(demo_settings, odoo, delivery_horizon_hours=1, **staff_chat) as live,
                httpx.AsyncClient(base_url=live.url) as client,
            ):
                await add_staff(live.runtime, "ana")
                await log_in(client, "ana")
                cookie = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
                odoo.down()
                async with connect(
                    live.ws_url + "/console/ws", additional_headers={"cookie": cookie}
                ) as feed:
                    assert json.loads(await feed.recv())["type"] == "hello"
                    await webhook(live, odoo.writes(SESSION, "¿hacen envíos a Manizales?"))
                    await eventually(lambda: failed_once(live))
                    for _ in range(14):  # past the hour, five minutes at a time
                        clock.shift(timedelta(minutes=5))
                        if (await reply_row(live)).status == OutboxStatus.FAILED:
                            break
                        await asyncio.sleep(1.2)  # a pass of the outbox loop
                    await eventually(
                        lambda: any("no entregada" in text for text in telegram.texts())
                    )
                    changes = []
                    while "undelivered" not in changes:
                        event = json.loads(await asyncio.wait_for(feed.recv(), 10))
                        changes.append(event.get("change"))
                row = await reply_row(live)
                shown = (await client.get(f"/console/conversations/{row.conversation_id}")).text

    assert row.status == OutboxStatus.FAILED and "given up after" in (row.last_error or "")
    (notice,) = [text for text in telegram.texts() if "no entregada" in text]
    assert f"odoo · {DATABASE}:{SESSION}" in notice and "Odoo at" in notice
    assert f"https://tienda.example/console/conversations/{row.conversation_id}" in notice
    assert "No entregado: given up after" in shown
    assert odoo.posted(SESSION) == []
