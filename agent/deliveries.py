"""What the vendors accepted for each reply (a long reply goes in parts), and what they said since.

Each part is recorded as an attempt (committed) before the vendor is called. An attempt a stopped
process left open has an unknown outcome: before sending that part again, the vendor is asked
whether it has the message (`settle_interrupted`); a vendor that cannot be asked gets the part at
most once: it is not sent again, and the row fails with the reason for staff to see.

A vendor that reports on its messages (Twilio's status callbacks) may do so before the send that
created the message has been recorded here, and out of order (`delivered` after `read`): a
report is kept whichever comes first, and a status never moves backwards.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.db import insert_ignore, transaction
from agent.errors import OutcomeUnknownError
from agent.models import (
    AttemptOutcome,
    Delivery,
    InboxItem,
    OutboxItem,
    OutboxStatus,
    SendAttempt,
    utcnow,
)

PROGRESS = ("accepted", "queued", "sending", "sent", "delivered", "read")
"""A message's statuses in the order they happen; a later one is never replaced by an earlier."""
FAILURES = frozenset({"failed", "undelivered", "canceled"})


def _rank(status: str) -> int:
    if status in FAILURES:
        return len(PROGRESS)  # final: nothing replaces a failure
    return PROGRESS.index(status) if status in PROGRESS else -1


async def accepted_parts(session: AsyncSession, outbox_id: int) -> set[int]:
    """The parts of an outbox row the vendor already accepted (not to be sent again)."""
    statement = select(Delivery.part).where(
        Delivery.outbox_id == outbox_id, Delivery.part.is_not(None)
    )
    return {part for part in (await session.execute(statement)).scalars() if part is not None}


Lookup = Callable[[datetime], Awaitable[list[str]]]
"""Asks a vendor for the ids of the messages like one part that it took since a moment, newest
first."""

CLOCK_SKEW = timedelta(minutes=2)
"""How far the vendor's clock may be behind ours when its records are searched."""


async def begin_attempt(
    sessions: async_sessionmaker[AsyncSession], *, outbox_id: int, part: int
) -> None:
    """Record (committed) that one part is about to be handed to the vendor."""
    async with transaction(sessions) as session:
        session.add(SendAttempt(outbox_id=outbox_id, part=part))


async def close_attempts(session: AsyncSession, outbox_id: int, outcome: AttemptOutcome) -> None:
    """Note the outcome of the row's open attempts (the vendor answered)."""
    await session.execute(
        update(SendAttempt)
        .where(SendAttempt.outbox_id == outbox_id, SendAttempt.outcome.is_(None))
        .values(outcome=outcome, finished_at=utcnow())
    )


async def settle_interrupted(
    sessions: async_sessionmaker[AsyncSession],
    *,
    channel: str,
    outbox_id: int,
    part: int,
    lookup: Lookup | None,
) -> bool:
    """Settle the attempt of `part` a stopped process left open; True when the vendor has the
    message (now recorded: not to be sent again), False when it is to be sent.

    Raises `OutcomeUnknownError` when the vendor cannot be asked (`lookup` None): at most once.
    """
    async with sessions() as session:
        started = await session.scalar(
            select(SendAttempt.started_at).where(
                SendAttempt.outbox_id == outbox_id,
                SendAttempt.part == part,
                SendAttempt.outcome.is_(None),
            )
        )
    if started is None:
        return False
    if lookup is None:
        async with transaction(sessions) as session:
            await close_attempts(session, outbox_id, AttemptOutcome.UNKNOWN)
        raise OutcomeUnknownError(
            f"not sent again: the process stopped while {channel} was being handed part "
            f"{part + 1} of this reply, and {channel} cannot be asked whether it arrived "
            "(at most once: check the chat)"
        )
    found = await lookup(started - CLOCK_SKEW)
    async with transaction(sessions) as session:
        known = set(
            (
                await session.execute(
                    select(Delivery.vendor_message_id).where(
                        Delivery.channel == channel,
                        Delivery.vendor_message_id.in_(found),
                        Delivery.outbox_id.is_not(None),
                    )
                )
            ).scalars()
        )
        fresh = [vendor_id for vendor_id in found if vendor_id not in known]
        if not fresh:
            await close_attempts(session, outbox_id, AttemptOutcome.ABSENT)
            return False
        await close_attempts(session, outbox_id, AttemptOutcome.FOUND)
        await record_part(  # the oldest match since the attempt began is the one it sent
            session, outbox_id=outbox_id, channel=channel, part=part, vendor_message_id=fresh[-1]
        )
    return True


async def _by_vendor_id(session: AsyncSession, channel: str, vendor_message_id: str) -> Delivery:
    statement = (
        select(Delivery)
        .where(Delivery.channel == channel, Delivery.vendor_message_id == vendor_message_id)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(statement)).scalar_one()


async def record_part(
    session: AsyncSession,
    *,
    outbox_id: int,
    channel: str,
    part: int,
    vendor_message_id: str,
    status: str = "accepted",
) -> Delivery:
    """Record that the vendor accepted one part of a reply under `vendor_message_id`."""
    now = utcnow()
    values = {
        "outbox_id": outbox_id,
        "part": part,
        "channel": channel,
        "vendor_message_id": vendor_message_id,
        "status": status,
        "created_at": now,
        "updated_at": now,
    }
    await insert_ignore(session, Delivery, values, ["channel", "vendor_message_id"])
    row = await _by_vendor_id(session, channel, vendor_message_id)
    row.outbox_id, row.part = outbox_id, part  # a report may have created the row first
    if _rank(status) > _rank(row.status):
        row.status = status
    await close_attempts(session, outbox_id, AttemptOutcome.ACCEPTED)
    return row


async def report(
    session: AsyncSession,
    *,
    channel: str,
    vendor_message_id: str,
    status: str,
    error_code: str | None = None,
    error: str | None = None,
) -> Delivery:
    """Apply a vendor's report on one of its messages; a failure is noted on the outbox row."""
    now = utcnow()
    values = {
        "channel": channel,
        "vendor_message_id": vendor_message_id,
        "status": status,
        "created_at": now,
        "updated_at": now,
    }
    created = await insert_ignore(session, Delivery, values, ["channel", "vendor_message_id"])
    row = await _by_vendor_id(session, channel, vendor_message_id)
    if created or _rank(status) > _rank(row.status):
        row.status = status
        row.updated_at = now
    if error_code:
        row.error_code = error_code
        row.error = error
    if status in FAILURES and row.outbox_id is not None:
        outbox = await session.get(OutboxItem, row.outbox_id)
        if outbox is not None:
            code = f" (error {error_code})" if error_code else ""
            outbox.last_error = f"{channel} reported the message {status}{code}"
    return row


async def last_inbound_at(session: AsyncSession, channel: str, chat_id: str) -> datetime | None:
    """When the chat's customer last wrote (the start of WhatsApp's 24-hour window)."""
    statement = select(func.max(InboxItem.received_at)).where(
        InboxItem.channel == channel, InboxItem.external_chat_id == chat_id
    )
    moment = (await session.execute(statement)).scalar_one_or_none()
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=utcnow().tzinfo)  # SQLite forgets the zone of an aggregate
    return moment


async def repeats_last_replies(
    session: AsyncSession, *, channel: str, chat_id: str, outbox_id: int, text: str, times: int
) -> bool:
    """True when the chat's last `times` replies sent were all exactly `text` (a bot loop)."""
    statement = (
        select(OutboxItem.text)
        .where(
            OutboxItem.channel == channel,
            OutboxItem.external_chat_id == chat_id,
            OutboxItem.status == OutboxStatus.SENT,
            OutboxItem.id < outbox_id,
        )
        .order_by(OutboxItem.id.desc())
        .limit(times)
    )
    previous = list((await session.execute(statement)).scalars())
    return len(previous) == times and all(sent == text for sent in previous)
