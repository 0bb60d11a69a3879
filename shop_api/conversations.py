"""Conversations over the API: list with filters, and one with a page of its messages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from agent.errors import NotFoundError
from agent.models import Conversation, Message, Owner


@dataclass(frozen=True, slots=True)
class ConversationRow:
    """A conversation and how many messages it holds."""

    conversation: Conversation
    message_count: int


def _message_count() -> ColumnElement[int]:
    return (
        select(func.count(Message.id))
        .where(Message.conversation_id == Conversation.id)
        .correlate(Conversation)
        .scalar_subquery()
    )


async def list_conversations(
    session: AsyncSession,
    *,
    limit: int,
    offset: int,
    channel: str | None = None,
    owner: Owner | None = None,
    customer_id: int | None = None,
    active_from: datetime | None = None,
    active_to: datetime | None = None,
) -> tuple[list[ConversationRow], int]:
    """A page of conversations, most recently active first, and how many match."""
    conditions: list[ColumnElement[bool]] = []
    if channel is not None:
        conditions.append(Conversation.channel == channel)
    if owner is not None:
        conditions.append(Conversation.owner == owner)
    if customer_id is not None:
        conditions.append(Conversation.customer_id == customer_id)
    if active_from is not None:
        conditions.append(Conversation.last_activity_at >= active_from)
    if active_to is not None:
        conditions.append(Conversation.last_activity_at < active_to)
    total = await session.scalar(select(func.count()).select_from(Conversation).where(*conditions))
    rows = await session.execute(
        select(Conversation, _message_count())
        .where(*conditions)
        .order_by(Conversation.last_activity_at.desc(), Conversation.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [ConversationRow(c, int(n)) for c, n in rows.all()], int(total or 0)


async def get_conversation(
    session: AsyncSession, *, conversation_id: int, limit: int, offset: int
) -> tuple[ConversationRow, Sequence[Message]]:
    """The conversation and a page of its messages, oldest first, or NotFoundError."""
    row = (
        await session.execute(
            select(Conversation, _message_count()).where(Conversation.id == conversation_id)
        )
    ).first()
    if row is None:
        raise NotFoundError(f"no conversation has the id {conversation_id}")
    conversation, count = row
    messages = await session.execute(
        select(Message)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.created_at, Message.id)
        .limit(limit)
        .offset(offset)
    )
    return ConversationRow(conversation, int(count)), messages.scalars().all()
