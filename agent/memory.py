"""Conversation memory: the recent messages as context, the current sale, idle expiry."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agent.models import Conversation, Message, Sale, SaleState

FINISHED = (SaleState.CLOSED, SaleState.CANCELLED)


async def recent_messages(session: AsyncSession, conversation_id: int, limit: int) -> list[Message]:
    """The last `limit` messages of a conversation, oldest first (all history stays stored)."""
    rows = await session.execute(
        select(Message)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.id.desc())
        .limit(limit)
    )
    return list(reversed(rows.scalars().all()))


async def current_sale(session: AsyncSession, conversation_id: int) -> Sale | None:
    """The conversation's newest sale that was not abandoned."""
    rows = await session.execute(
        select(Sale)
        .where(Sale.conversation_id == conversation_id, Sale.abandoned.is_(False))
        .order_by(Sale.id.desc())
        .limit(1)
    )
    return rows.scalar_one_or_none()


def expire_if_idle(
    conversation: Conversation, sale: Sale | None, *, now: datetime, idle: timedelta
) -> Sale | None:
    """After `idle` without messages a fresh sale starts; an open cart is kept as abandoned."""
    if sale is None or now - conversation.last_activity_at <= idle:
        return sale
    if sale.state not in FINISHED:
        sale.abandoned = True
    conversation.context = {
        **conversation.context,
        "last_products": [],
        "earlier_products": [],
        "focus": None,
        "focus_sku": None,
        "topic": None,
    }
    return None
