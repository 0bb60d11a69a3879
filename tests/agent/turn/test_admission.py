"""Admission: a burst's replies leave through the process's delivery slots, in order per chat."""

from __future__ import annotations

import asyncio

from conftest import Chat
from fixtures.telegram_server import TOKEN, bot_api
from pydantic import SecretStr
from sqlalchemy import select

from agent.models import OutboxItem, OutboxStatus
from agent.settings import Settings
from channels.telegram.output import as_html
from salesagent.runtime import Runtime

CHATS = 6
TEXTS = ["hola", "¿tienen cascos?", "gracias"]


async def test_a_burst_of_replies_goes_two_at_a_time_each_once_in_order(
    demo_settings: Settings,
) -> None:
    async with bot_api() as telegram:
        settings = demo_settings.model_copy(
            update={
                "telegram_api_base_url": telegram.url,
                "telegram_bot_token": SecretStr(TOKEN),
                "telegram_webhook_secret": None,
                "max_parallel_deliveries": 2,
            }
        )
        runtime = await Runtime.start(settings, migrate=False)
        try:
            telegram.answer_delay = 0.5  # Telegram is slow to answer every reply
            chats = [Chat(runtime, f"55501{n:02d}", channel="telegram") for n in range(CHATS)]

            async def talk(chat: Chat) -> None:
                for text in TEXTS:  # each message once its turn is over, as a customer would
                    await chat.say(text)

            await asyncio.gather(*(talk(chat) for chat in chats))
            await runtime.engine.drain_deliveries()
            async with runtime.sessions() as session:
                rows = list(
                    (await session.execute(select(OutboxItem).order_by(OutboxItem.id))).scalars()
                )
        finally:
            await runtime.close()

    assert telegram.most_answering == 2  # as many as allowed at once, and never more
    assert {row.status for row in rows} == {OutboxStatus.SENT}
    for chat in chats:
        written = [row.text for row in rows if row.external_chat_id == chat.chat_id]
        assert written == [result.reply for result in chat.results]
        expected = [as_html(text) for text in written]  # short replies: one message each
        assert telegram.texts(int(chat.chat_id)) == expected, chat.chat_id  # once, in order
