"""Outbox delivery: retries with backoff, the vendor's Retry-After, and giving up clearly."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.errors import RetryableError
from agent.models import Conversation, OutboxItem, OutboxStatus, utcnow
from agent.outbox import OutboxDispatcher
from channels.base import CollectingOutput


class Flaky(CollectingOutput):
    """Fails the first `failures` sends, then delivers."""

    def __init__(self, failures: int, error: Exception) -> None:
        super().__init__("flaky")
        self.failures = failures
        self.error = error

    async def send_text(self, external_chat_id: str, text: str) -> str | None:
        if self.failures:
            self.failures -= 1
            raise self.error
        return await super().send_text(external_chat_id, text)


async def queued(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session, session.begin():
        conversation = Conversation(channel="flaky", external_chat_id="c1", context={})
        session.add(conversation)
        await session.flush()
        row = OutboxItem(
            conversation_id=conversation.id, channel="flaky", external_chat_id="c1", text="hola"
        )
        session.add(row)
        await session.flush()
        return row.id


async def reload(sessions: async_sessionmaker[AsyncSession], outbox_id: int) -> OutboxItem:
    async with sessions() as session:
        return (
            await session.execute(select(OutboxItem).where(OutboxItem.id == outbox_id))
        ).scalar_one()


async def make_due(sessions: async_sessionmaker[AsyncSession], outbox_id: int) -> None:
    async with sessions() as session, session.begin():
        row = await session.get(OutboxItem, outbox_id)
        assert row is not None
        row.next_attempt_at = utcnow()


async def test_a_failed_send_is_retried_later_and_then_delivered(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    output = Flaky(2, ConnectionError("channel down"))
    dispatcher = OutboxDispatcher(sessions, {"flaky": output}, base_delay=10)
    outbox_id = await queued(sessions)

    assert await dispatcher.deliver(outbox_id) is False
    row = await reload(sessions, outbox_id)
    assert row.status == OutboxStatus.PENDING and row.attempts == 1
    assert "channel down" in (row.last_error or "")
    assert 9 <= (row.next_attempt_at - utcnow()).total_seconds() <= 10
    assert await dispatcher.deliver(outbox_id) is False  # not due yet: nothing is attempted
    assert (await reload(sessions, outbox_id)).attempts == 1

    await make_due(sessions, outbox_id)
    assert await dispatcher.deliver(outbox_id) is False
    row = await reload(sessions, outbox_id)
    assert 19 <= (row.next_attempt_at - utcnow()).total_seconds() <= 20  # backoff doubled

    await make_due(sessions, outbox_id)
    assert await dispatcher.deliver(outbox_id) is True
    row = await reload(sessions, outbox_id)
    assert row.status == OutboxStatus.SENT and row.sent_at is not None and row.last_error is None
    assert list(output.sent["c1"]) == ["hola"]


async def test_the_vendors_retry_after_is_honoured(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    output = Flaky(1, RetryableError("429 too many requests", retry_after=42))
    dispatcher = OutboxDispatcher(sessions, {"flaky": output})
    outbox_id = await queued(sessions)

    await dispatcher.deliver(outbox_id)

    row = await reload(sessions, outbox_id)
    assert 41 <= (row.next_attempt_at - utcnow()).total_seconds() <= 42


async def test_after_the_last_attempt_the_row_is_failed_for_good(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    output = Flaky(10, ConnectionError("gone"))
    dispatcher = OutboxDispatcher(sessions, {"flaky": output}, max_attempts=3)
    outbox_id = await queued(sessions)

    for _ in range(3):
        await make_due(sessions, outbox_id)
        await dispatcher.deliver_due()

    row = await reload(sessions, outbox_id)
    assert row.status == OutboxStatus.FAILED and row.attempts == 3
    assert output.sent == {}
