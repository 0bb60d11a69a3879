"""Who of the shop's staff wrote a reply, for the widget to show their name on it."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agent.models import Message, OutboxItem, Staff


async def staff_names(session: AsyncSession, message_ids: Iterable[int]) -> dict[int, str]:
    """The name of the staff member who wrote each of these messages (the bot's are absent)."""
    ids = list(message_ids)
    if not ids:
        return {}
    rows = await session.execute(
        select(Message.id, Staff.name)
        .join(Staff, Staff.id == Message.staff_id)
        .where(Message.id.in_(ids))
    )
    return {message_id: name for message_id, name in rows}


async def staff_name_of_row(session: AsyncSession, outbox_id: int) -> str | None:
    """The name of the staff member who wrote an outbox row's message; None for the bot's."""
    name: str | None = await session.scalar(
        select(Staff.name)
        .join(Message, Message.staff_id == Staff.id)
        .join(OutboxItem, OutboxItem.message_id == Message.id)
        .where(OutboxItem.id == outbox_id)
    )
    return name
