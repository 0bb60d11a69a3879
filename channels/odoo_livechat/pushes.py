"""What the pushes to Odoo share: queueing each new row once, and the output that delivers it.

A row (an order, a lead) not yet queued gets an outbox row on its push channel in the same
transaction that marks it `queued`, so it is queued once; the outbox then hands the row's id to
the push's output, which pushes it and returns what Odoo calls it.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Protocol, TypeVar

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.db import transaction
from agent.models import Lead, Order, OutboxItem
from channels.odoo_livechat.client import OdooClient

log = logging.getLogger(__name__)

QUEUED = "queued"
PUSHED = "pushed"

Pushed = TypeVar("Pushed", Lead, Order)


class Push(Protocol):
    """Pushes one row to Odoo unless it is there; its Odoo id or reference."""

    def __call__(
        self,
        client: OdooClient,
        sessions: async_sessionmaker[AsyncSession],
        row_id: int,
        /,
        *,
        salesperson: int | None = None,
    ) -> Awaitable[int | str]: ...


async def queue_unpushed(
    sessions: async_sessionmaker[AsyncSession],
    model: type[Pushed],
    *where: ColumnElement[bool],
    channel: str,
    document: str,
    limit: int,
) -> int:
    """Give each row of `model` never queued (and matching `where`) its outbox row; how many."""
    noun = model.__name__.lower()
    async with transaction(sessions) as session:
        rows = (
            await session.scalars(
                select(model)
                .where(model.odoo_status.is_(None), *where)
                .order_by(model.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for row in rows:
            assert row.conversation_id is not None
            row.odoo_status = QUEUED
            session.add(
                OutboxItem(
                    conversation_id=row.conversation_id,
                    channel=channel,
                    external_chat_id=str(row.id),
                    text=f"{document} for {noun} #{row.id}",
                    payload={f"{noun}_id": row.id},
                )
            )
    if rows:
        log.info("queued %s %ss for Odoo", len(rows), noun)
    return len(rows)


class PushOutput:
    """The outbox output of one push channel: pushes the row named and returns its Odoo name."""

    def __init__(
        self,
        name: str,
        push: Push,
        client: OdooClient,
        sessions: async_sessionmaker[AsyncSession],
        *,
        salesperson: int | None = None,
    ) -> None:
        self.name = name
        self._push = push
        self._client = client
        self._sessions = sessions
        self._salesperson = salesperson

    async def send_text(self, external_chat_id: str, text: str) -> str | None:
        """Push the row the outbox row names (`external_chat_id` is its id)."""
        pushed = await self._push(
            self._client, self._sessions, int(external_chat_id), salesperson=self._salesperson
        )
        return str(pushed)
