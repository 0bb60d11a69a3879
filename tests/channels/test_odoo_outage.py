"""Odoo down for hours, or the agent down: no reply lost, none sent twice, all in order.

Against the local server speaking Odoo 19 (JSON-2) and 18 (JSON-RPC), the agent under uvicorn,
the clock moved by time-machine (the outbox loop and the turns run for real).
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import time_machine
from fixtures.live_server import LiveServer, eventually
from fixtures.odoo_agent import agent, webhook
from fixtures.odoo_server import DATABASE, FakeOdoo
from sqlalchemy import func, select

from agent.models import (
    Direction,
    InboxItem,
    Message,
    OutboxItem,
    OutboxStatus,
    SyncMark,
    utcnow,
)
from agent.settings import Settings
from channels.odoo_livechat.catch_up import odoo_datetime
from channels.odoo_livechat.output import to_html
from tests.fixtures.odoo_purchase import PURCHASE

_channels = itertools.count(8000)


async def replies(live: LiveServer, channel_id: int) -> list[OutboxItem]:
    """The agent's replies to one session, oldest first."""
    async with live.runtime.sessions() as session:
        rows = await session.scalars(
            select(OutboxItem)
            .where(OutboxItem.external_chat_id == f"{DATABASE}:{channel_id}")
            .order_by(OutboxItem.id)
        )
        return list(rows)


async def written_replies(live: LiveServer, channel_id: int) -> list[str]:
    """The texts of the agent's replies to one session as it recorded them, oldest first."""
    async with live.runtime.sessions() as session:
        texts = await session.scalars(
            select(Message.text)
            .join(OutboxItem, OutboxItem.message_id == Message.id)
            .where(
                OutboxItem.external_chat_id == f"{DATABASE}:{channel_id}",
                Message.direction == Direction.OUTBOUND,
            )
            .order_by(Message.id)
        )
        return list(texts)


async def test_a_three_hour_outage_with_a_purchase_in_the_middle_loses_no_reply(
    demo_settings: Settings, odoo: FakeOdoo
) -> None:
    session_id = next(_channels)
    with time_machine.travel(utcnow(), tick=True) as clock:
        async with agent(demo_settings, odoo) as live:
            assert await webhook(live, odoo.writes(session_id, "hola")) == 200
            await eventually(lambda: len(odoo.posted(session_id)) == 1)

            odoo.down()
            for number, text in enumerate(PURCHASE, start=2):
                assert await webhook(live, odoo.writes(session_id, text)) == 200

                async def answered(number: int = number) -> bool:
                    return len(await replies(live, session_id)) == number

                await eventually(answered)
            head = (await replies(live, session_id))[1]
            for _ in range(18):  # three hours, ten minutes at a time, the outbox retrying
                before = head.attempts
                clock.shift(timedelta(minutes=10))

                async def tried_again(before: int = before) -> bool:
                    nonlocal head
                    head = (await replies(live, session_id))[1]
                    return head.attempts > before and head.lease_owner is None  # failed

                await eventually(tried_again)
            rows = await replies(live, session_id)
            assert [row.status for row in rows] == [OutboxStatus.SENT] + [OutboxStatus.PENDING] * 8
            assert [row.attempts > 0 for row in rows[2:]] == [False] * 7  # none overtook it
            assert odoo.posted(session_id)[1:] == []

            odoo.up()
            clock.shift(timedelta(minutes=5))  # the longest wait between two attempts

            async def all_sent() -> bool:
                rows = await replies(live, session_id)
                return all(row.status == OutboxStatus.SENT for row in rows)

            await eventually(all_sent)
            assert len(odoo.posted(session_id)) == 9  # each once

            posted = [message["body"] for message in odoo.posted(session_id)]
            assert posted == [to_html(text) for text in await written_replies(live, session_id)]
            assert "quedó confirmado" in odoo.posted(session_id)[-1]["text"]


async def test_messages_sent_while_the_agent_was_down_or_its_secret_wrong_are_answered_once(
    demo_settings: Settings, odoo: FakeOdoo
) -> None:
    while_down, wrong_secret, by_webhook = next(_channels), next(_channels), next(_channels)
    before, after = next(_channels), next(_channels)
    odoo.writes(before, "Hello? Anybody there?")  # hours before the agent was ever connected
    odoo.data.written[-1]["create_date"] = odoo_datetime(utcnow() - timedelta(hours=3))
    async with agent(demo_settings, odoo) as live:  # the first start: it marks the moment

        async def marked() -> bool:
            async with live.runtime.sessions() as session:
                return await session.scalar(select(func.count()).select_from(SyncMark)) == 1

        await eventually(marked)
        assert await webhook(live, odoo.writes(after, "hola")) == 200
        await eventually(lambda: len(odoo.posted(after)) == 1)
    odoo.writes(while_down, "¿tienen cascos dieléctricos?")  # nobody listened

    async with agent(demo_settings, odoo, odoo_catch_up_minutes=0.02) as live:
        await eventually(lambda: len(odoo.posted(while_down)) == 1)  # the catch-up on start
        refused = odoo.writes(wrong_secret, "¿hacen envíos a Manizales?")
        assert await webhook(live, refused, secret="a-secret-odoo-got-wrong-0123") == 403
        assert await webhook(live, odoo.writes(by_webhook, "hola")) == 200
        await eventually(lambda: len(odoo.posted(wrong_secret)) == 1)  # a scheduled catch-up
        await eventually(lambda: len(odoo.calls_to("salesagent_messages")) >= 4)  # and more

        sessions = (while_down, wrong_secret, by_webhook, after, before)
        assert [len(odoo.posted(chat)) for chat in sessions] == [1, 1, 1, 1, 0]
        assert "casco" in odoo.posted(while_down)[0]["text"].lower()
        assert "manizales" in odoo.posted(wrong_secret)[0]["text"].lower()
        async with live.runtime.sessions() as session:
            stored = await session.scalar(select(func.count()).select_from(InboxItem))
        assert stored == 4  # the message from before the first start was never taken
