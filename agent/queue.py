"""The task queue's interface: where a stored message's turn is sent to run.

Two implementations: `agent.jobs.TurnJobs` runs turns in this process (the embedded default,
SQLite and no Redis); `salesagent.taskqueue.TaskQueue` queues them in PostgreSQL for any number
of `salesagent worker` processes (procrastinate, one queue lock per chat). Both run the turn
through the same `TurnEngine.handle`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.messages import InboundMessage, TurnResult
from agent.models import InboxItem, InboxStatus
from agent.shops.current import all_shops, shop_scope


class TurnKind(enum.StrEnum):
    """Where a turn's reply goes, which decides how the turn is run."""

    BACKGROUND = "background"
    """A vendor's message (WhatsApp, Telegram, Odoo): the reply leaves through the outbox."""
    SOCKET = "socket"
    """A web socket's message: the reply is streamed to the chat's sockets."""
    HTTP = "http"
    """`POST /chat/text`: the reply is the response."""


class TurnQueue(Protocol):
    """Runs the turns of stored messages, one at a time per chat."""

    async def submit(self, message: InboundMessage) -> bool:
        """Run the message's turn soon (a background turn); False when it was not queued."""
        ...

    async def resume(
        self, sessions: async_sessionmaker[AsyncSession], channels: Iterable[str]
    ) -> int:
        """Queue the messages of these channels a stopped process left pending; how many."""
        ...

    async def idle(self) -> None:
        """Wait until the turns this process submitted have finished."""
        ...

    async def close(self) -> None:
        """Stop taking turns; let those under way here finish."""
        ...


async def pending_messages(
    sessions: async_sessionmaker[AsyncSession], channels: Iterable[str]
) -> list[InboundMessage]:
    """The stored messages of these channels whose turn has not run, oldest first."""
    names = list(channels)
    if not names:
        return []
    with all_shops():  # a stopped process leaves every shop's messages
        async with sessions() as session:
            rows = (
                await session.execute(
                    select(InboxItem)
                    .where(InboxItem.status == InboxStatus.PENDING, InboxItem.channel.in_(names))
                    .order_by(InboxItem.id)
                )
            ).scalars()
            return [
                InboundMessage(
                    channel=row.channel,
                    external_message_id=row.external_message_id,
                    external_chat_id=row.external_chat_id,
                    text=row.text,
                    sender=row.sender,
                    shop_id=row.shop_id,
                )
                for row in rows
            ]


async def stored_result(
    sessions: async_sessionmaker[AsyncSession], message: InboundMessage
) -> TurnResult | None:
    """The result of the message's finished turn; None while it has none (or is not stored)."""
    with shop_scope(message.shop_id):
        async with sessions() as session:
            result = await session.scalar(
                select(InboxItem.result).where(
                    InboxItem.channel == message.channel,
                    InboxItem.external_chat_id == message.external_chat_id,
                    InboxItem.external_message_id == message.external_message_id,
                )
            )
    return TurnResult.model_validate(result) if result is not None else None
