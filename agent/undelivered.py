"""Replies not delivered: still retried after a failed attempt, or given up; staff list them,
retry them or give them up (`salesagent outbox`, the console's conversation page)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from agent.models import OutboxItem, OutboxStatus, utcnow

SLOW = timedelta(minutes=1)
"""A pending reply this old is listed even before its first attempt failed (it waits behind
an earlier one of its chat, or no process delivers it)."""


@dataclass(frozen=True, slots=True)
class Undelivered:
    """One reply that has not reached its customer."""

    outbox_id: int
    conversation_id: int
    message_id: int | None
    channel: str
    external_chat_id: str
    text: str
    status: OutboxStatus
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    """When it is tried again; None when it was given up."""
    last_error: str | None


def _undelivered(row: OutboxItem) -> Undelivered:
    pending = row.status == OutboxStatus.PENDING
    return Undelivered(
        outbox_id=row.id,
        conversation_id=row.conversation_id,
        message_id=row.message_id,
        channel=row.channel,
        external_chat_id=row.external_chat_id,
        text=row.text,
        status=row.status,
        attempts=row.attempts,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at if pending else None,
        last_error=row.last_error,
    )


async def undelivered(
    session: AsyncSession, *, conversation_id: int | None = None, limit: int = 50
) -> list[Undelivered]:
    """The newest replies given up, or pending after a failed attempt (or for a while)."""
    statement = (
        select(OutboxItem)
        .where(
            or_(
                OutboxItem.status == OutboxStatus.FAILED,
                (OutboxItem.status == OutboxStatus.PENDING)
                & (
                    (OutboxItem.attempts > 0)
                    | OutboxItem.last_error.is_not(None)
                    | (OutboxItem.created_at <= utcnow() - SLOW)
                ),
            )
        )
        .order_by(OutboxItem.id.desc())
        .limit(limit)
    )
    if conversation_id is not None:
        statement = statement.where(OutboxItem.conversation_id == conversation_id)
    return [_undelivered(row) for row in (await session.scalars(statement)).all()]


async def retry(session: AsyncSession, outbox_ids: list[int]) -> list[int]:
    """Make these replies (given up or pending) due now, their attempts counted afresh; the ids
    that were. Past the delivery horizon, one more attempt is made."""
    rows = await _rows(session, outbox_ids, (OutboxStatus.FAILED, OutboxStatus.PENDING))
    for row in rows:
        row.status = OutboxStatus.PENDING
        row.attempts = 0
        row.next_attempt_at = utcnow()
        row.lease_owner = None
    return [row.id for row in rows]


async def give_up(session: AsyncSession, outbox_ids: list[int], *, by: str) -> list[int]:
    """Stop retrying these pending replies (a person follows up instead); the ids that were."""
    rows = await _rows(session, outbox_ids, (OutboxStatus.PENDING,))
    for row in rows:
        row.status = OutboxStatus.FAILED
        reason = f"given up by {by}"
        row.last_error = f"{reason} (last error: {row.last_error})" if row.last_error else reason
    return [row.id for row in rows]


async def _rows(
    session: AsyncSession, outbox_ids: list[int], statuses: tuple[OutboxStatus, ...]
) -> list[OutboxItem]:
    statement = (
        select(OutboxItem)
        .where(OutboxItem.id.in_(outbox_ids), OutboxItem.status.in_(statuses))
        .order_by(OutboxItem.id)
        .with_for_update()
    )
    return list((await session.scalars(statement)).all())
