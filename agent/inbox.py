"""The inbox: every received message is stored first, once, whatever the channel retries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agent.clean_text import require_clean
from agent.db import insert_new
from agent.messages import InboundMessage
from agent.models import InboxItem, InboxStatus

KEY = ("channel", "external_chat_id", "external_message_id")
"""What makes a received message unique (`uq_inbox_message`)."""


async def store(session: AsyncSession, message: InboundMessage) -> tuple[InboxItem, bool]:
    """Insert the message unless `(channel, chat, message id)` is known; (row, was it new).

    The key includes the chat: a web client chooses its own message ids, so an id another chat
    used is a different message, never that chat's stored result.
    InvalidInputError for text no database keeps (a NUL, a lone surrogate), whatever the channel.
    """
    for field, value in (
        ("text", message.text),
        ("chat_id", message.external_chat_id),
        ("message_id", message.external_message_id),
        ("sender", message.sender),
        ("sender_name", message.sender_name),
    ):
        require_clean(value, field=field)
    values: dict[str, Any] = {
        "channel": message.channel,
        "external_message_id": message.external_message_id,
        "external_chat_id": message.external_chat_id,
        "sender": message.sender,
        "sender_name": (message.sender_name or "").strip()[:200] or None,
        "text": message.text,
        "media": [
            {"kind": m.kind, "url": m.url, "content_type": m.content_type} for m in message.media
        ],
        "status": InboxStatus.PENDING,
        "received_at": message.timestamp,
    }
    row = await insert_new(session, InboxItem, values, list(KEY))
    if row is not None:
        return row, True
    return await find(session, message), False


async def find(session: AsyncSession, message: InboundMessage) -> InboxItem:
    """The inbox row of a message (fresh from the database)."""
    statement = (
        select(InboxItem)
        .where(
            InboxItem.channel == message.channel,
            InboxItem.external_chat_id == message.external_chat_id,
            InboxItem.external_message_id == message.external_message_id,
        )
        .execution_options(populate_existing=True)
    )
    return (await session.execute(statement)).scalar_one()


async def pending_for_chat(session: AsyncSession, channel: str, chat_id: str) -> list[InboxItem]:
    """Every message of a chat still waiting for its turn, oldest first (a burst is merged)."""
    statement = (
        select(InboxItem)
        .where(
            InboxItem.channel == channel,
            InboxItem.external_chat_id == chat_id,
            InboxItem.status == InboxStatus.PENDING,
        )
        .order_by(InboxItem.id)
        .execution_options(populate_existing=True)
    )
    return list((await session.execute(statement)).scalars())
