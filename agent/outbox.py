"""The outbox: replies written with the turn, delivered by their channel with retries.

A channel that is down (`RetryableError`: 5xx, 429, a timeout, a refused connection) keeps its
replies pending, retried with exponential backoff and jitter, until the delivery horizon
(`DELIVERY_HORIZON_HOURS`) has passed since the reply was written; then the reply is given up
and staff are told (`on_given_up`). A refusal (`UndeliverableError`) fails at once; any other
error is tried `max_attempts` times. A chat's replies leave in the order they were written: a
reply waits while an earlier one of its chat is pending, so none overtakes another.

A row being delivered is leased by its process (`lease_owner`, `next_attempt_at`). A process
that starts takes back the leases of the dead ones at once (`recover`), so the replies a killed
process left are sent within a second of the restart, not when their lease runs out; what
the dead process may already have handed to the vendor is settled by the channel first
(`deliveries.settle_interrupted`), so nothing is sent twice.

Every row is sent in one of the process's delivery slots (`MAX_PARALLEL_DELIVERIES`,
`Admission.delivery`): a burst's replies wait for a slot in memory, holding no lease and no
connection, and are sent in order per chat as slots free up (or by any process's outbox loop,
from the database, if this one stops first).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from agent.channel import OutputChannel, PendingReply, TrackedOutput
from agent.deliveries import close_attempts
from agent.errors import AnswerLostError, RecipientAwayError, RetryableError, UndeliverableError
from agent.instances import ThisProcess
from agent.models import AttemptOutcome, Conversation, Message, OutboxItem, OutboxStatus, utcnow
from agent.settings import Settings
from agent.stopping import stop_tasks
from agent.turn.admission import Admission

log = logging.getLogger(__name__)

DEFAULT_HORIZON = timedelta(hours=12)
"""How long a reply its channel cannot take is retried (`DELIVERY_HORIZON_HOURS`)."""


@dataclass(frozen=True, slots=True)
class GivenUp:
    """A reply the outbox stopped trying to deliver, for staff to follow up."""

    outbox_id: int
    conversation_id: int
    message_id: int | None
    """The reply's message; None for a row that is no customer's reply (a quotation push)."""
    channel: str
    external_chat_id: str
    reason: str


GivenUpListener = Callable[[GivenUp], Awaitable[None]]


async def queue(
    session: AsyncSession,
    conversation: Conversation,
    message: Message,
    *,
    send_at: datetime | None = None,
) -> OutboxItem:
    """Record an outbound `message` and its outbox row: sent once the transaction commits, and
    not before `send_at` when given. One flush writes both, the message first."""
    row = OutboxItem(
        conversation_id=conversation.id,
        message=message,
        channel=conversation.channel,
        external_chat_id=conversation.external_chat_id,
        text=message.text,
    )
    if send_at is not None:
        row.next_attempt_at = send_at
    session.add(row)
    await session.flush()
    return row


class OutboxDispatcher:
    """Delivers pending outbox rows in order per chat; a failed send is retried with
    exponential backoff and jitter until the horizon."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        outputs: Mapping[str, OutputChannel],
        *,
        horizon: timedelta = DEFAULT_HORIZON,
        max_attempts: int = 6,
        base_delay: float = 2.0,
        max_delay: float = 300.0,
        jitter: float = 0.2,
        lease: float = 60.0,
        process: ThisProcess | None = None,
        admission: Admission | None = None,
    ) -> None:
        self._sessions = sessions
        # The process's delivery slots; a dispatcher alone (tests) sends what it is asked at once.
        self._slot = admission.delivery if admission is not None else contextlib.nullcontext
        self._outputs = outputs
        self.horizon = horizon
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._jitter = jitter
        self._lease = lease
        self.process = process or ThisProcess()
        self.on_given_up: GivenUpListener | None = None
        """Told of every reply given up (the console alerts staff)."""

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        outputs: Mapping[str, OutputChannel],
        admission: Admission,
    ) -> OutboxDispatcher:
        """The dispatcher with the horizon `DELIVERY_HORIZON_HOURS` sets, sending in the
        process's delivery slots."""
        return cls(
            sessions,
            outputs,
            horizon=timedelta(hours=settings.delivery_horizon_hours),
            admission=admission,
        )

    async def recover(self) -> int:
        """Register this process and take back the leases of dead ones; how many rows."""
        async with self._sessions() as session, session.begin():
            await self.process.register(session)
            dead = await self.process.dead(session, stale=timedelta(seconds=self._lease))
            if not dead:
                return 0
            taken = await session.execute(
                update(OutboxItem)
                .where(OutboxItem.lease_owner.in_(dead), OutboxItem.status == OutboxStatus.PENDING)
                .values(lease_owner=None, next_attempt_at=utcnow())
            )
        count = int(taken.rowcount)  # type: ignore[attr-defined]
        if count:
            log.info("took back %s replies a stopped process was delivering", count)
        return count

    def backoff(self, attempts: int, retry_after: float | None = None) -> float:
        """Seconds to wait before attempt `attempts + 1`; the vendor's Retry-After wins.

        Up to `jitter` of the delay is taken off at random, so the replies of one outage do
        not all come back in the same second.
        """
        if retry_after is not None:
            return retry_after
        delay = float(min(self._max_delay, self._base_delay * 2 ** (attempts - 1)))
        return delay * (1 - self._jitter * random.random())

    async def deliver_due(self, *, limit: int = 100) -> int:
        """Try every row that is due now and first of its chat; returns how many were sent."""
        earlier = aliased(OutboxItem)
        blocked = (
            select(earlier.id)
            .where(
                earlier.channel == OutboxItem.channel,
                earlier.external_chat_id == OutboxItem.external_chat_id,
                earlier.status == OutboxStatus.PENDING,
                earlier.id < OutboxItem.id,
            )
            .exists()
        )
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    select(OutboxItem.id)
                    .where(
                        OutboxItem.status == OutboxStatus.PENDING,
                        OutboxItem.next_attempt_at <= utcnow(),
                        OutboxItem.channel.in_(list(self._outputs)),
                        ~blocked,
                    )
                    .order_by(OutboxItem.id)
                    .limit(limit)
                )
            ).scalars()
            ids = list(rows)
        sent = 0
        for outbox_id in ids:
            if await self._deliver_one(outbox_id):
                sent += 1 + await self._deliver_followers(outbox_id)
        return sent

    async def _deliver_followers(self, outbox_id: int) -> int:
        """Deliver the replies of the row's chat that waited behind it, in order; how many."""
        sent = 0
        while True:
            async with self._sessions() as session:
                row = await session.get(OutboxItem, outbox_id)
                assert row is not None
                follower = await session.scalar(
                    _pending_in_chat(row).where(OutboxItem.id > outbox_id).limit(1)
                )
            if follower is None or not await self._deliver_one(follower):
                return sent
            sent += 1
            outbox_id = follower

    async def deliver(self, outbox_id: int) -> bool:
        """Deliver one row now if it is pending, due and first of its chat, then the replies of
        its chat that waited behind it; True when the row was sent."""
        sent = await self._deliver_one(outbox_id)
        if sent:
            await self._deliver_followers(outbox_id)
        return sent

    async def _deliver_one(self, outbox_id: int) -> bool:
        async with self._slot():
            return await self._send_one(outbox_id)

    async def _send_one(self, outbox_id: int) -> bool:
        claimed = await self._claim(outbox_id)
        if claimed is None:
            return False
        output, chat_id, text = claimed
        try:
            if isinstance(output, TrackedOutput):
                await output.deliver(PendingReply(outbox_id, chat_id, text))
            else:
                await output.send_text(chat_id, text)
        except RecipientAwayError:
            await self._hold(outbox_id)
            return False
        except Exception as err:  # a channel edge: any failure is recorded, never raised
            await self._record_failure(outbox_id, err)
            return False
        async with self._releasing(outbox_id) as (_, row):
            row.status = OutboxStatus.SENT
            row.sent_at = utcnow()
            row.last_error = None
        return True

    async def _claim(self, outbox_id: int) -> tuple[OutputChannel, str, str] | None:
        # A short transaction leases the row, so no write lock is held during the network call
        # and a second dispatcher (another process) skips it until the lease ends.
        async with self._sessions() as session, session.begin():
            row = await session.get(OutboxItem, outbox_id, with_for_update=True)
            if row is None or row.status != OutboxStatus.PENDING or row.next_attempt_at > utcnow():
                return None
            output = self._outputs.get(row.channel)
            if output is None or await _earlier_pending(session, row):
                return None
            row.attempts += 1
            row.next_attempt_at = utcnow() + timedelta(seconds=self._lease)
            row.lease_owner = self.process.id
            return output, row.external_chat_id, row.text

    @contextlib.asynccontextmanager
    async def _releasing(self, outbox_id: int) -> AsyncIterator[tuple[AsyncSession, OutboxItem]]:
        """The leased row, in a transaction that ends this process's lease on it."""
        async with self._sessions() as session, session.begin():
            row = await session.get(OutboxItem, outbox_id)
            assert row is not None
            row.lease_owner = None
            yield session, row

    async def _hold(self, outbox_id: int) -> None:
        # Not a failed attempt: the reply leaves the retry schedule until its recipient is back.
        async with self._releasing(outbox_id) as (_, row):
            row.status = OutboxStatus.WAITING
            row.attempts -= 1
            row.last_error = None

    async def take_waiting(self, channel: str, external_chat_id: str) -> list[OutboxItem]:
        """The chat's replies that waited for their recipient, oldest first, now marked sent.

        The caller (a web socket that just connected) delivers them itself; a row is taken once
        even when two callers ask at the same time.
        """
        async with self._sessions() as session, session.begin():
            rows = list(
                (
                    await session.execute(
                        select(OutboxItem)
                        .where(
                            OutboxItem.channel == channel,
                            OutboxItem.external_chat_id == external_chat_id,
                            OutboxItem.status == OutboxStatus.WAITING,
                        )
                        .order_by(OutboxItem.id)
                        .with_for_update(skip_locked=True)
                    )
                ).scalars()
            )
            now = utcnow()
            for row in rows:
                row.status = OutboxStatus.SENT
                row.sent_at = now
            return rows

    async def _record_failure(self, outbox_id: int, err: Exception) -> None:
        retry_after = err.retry_after if isinstance(err, RetryableError) else None
        given_up: GivenUp | None = None
        async with self._releasing(outbox_id) as (session, row):
            if not isinstance(err, AnswerLostError):  # else left open: settled before a resend
                await close_attempts(session, outbox_id, AttemptOutcome.FAILED)
            row.last_error = f"{type(err).__name__}: {err}"
            now = utcnow()
            deadline = row.created_at + self.horizon
            if isinstance(err, UndeliverableError):
                given_up = _fail(row, row.last_error)
                log.warning("outbox %s not delivered: %s", row.id, err)
            elif isinstance(err, RetryableError) and now >= deadline:
                hours = self.horizon.total_seconds() / 3600
                given_up = _fail(
                    row, f"given up after {row.attempts} attempts in {hours:g} h: {row.last_error}"
                )
                log.error("outbox %s: %s", row.id, row.last_error)
            elif not isinstance(err, RetryableError) and row.attempts >= self._max_attempts:
                given_up = _fail(row, row.last_error)
                log.error("outbox %s failed for good: %s", row.id, row.last_error)
            else:
                delay = timedelta(seconds=self.backoff(row.attempts, retry_after))
                row.next_attempt_at = min(now + delay, max(deadline, now))
                log.warning("outbox %s attempt %s failed: %s", row.id, row.attempts, err)
        if given_up is not None and self.on_given_up is not None:
            try:
                await self.on_given_up(given_up)
            except Exception:  # the listener's edge: the row is failed and shown anyway
                log.exception("telling staff of outbox %s", outbox_id)

    async def run(self, *, interval: float = 1.0, beat: float = 10.0) -> None:
        """Take back dead processes' leases, then deliver due rows forever, while another task
        shows every `beat` seconds that this process runs (the app runs this in its lifespan)."""
        try:
            await self.recover()
        except Exception:
            log.exception("outbox recovery")
        beating = asyncio.create_task(self._beat(beat), name="outbox heartbeat")
        try:
            while True:
                try:
                    await self.deliver_due()
                except Exception:
                    log.exception("outbox loop")
                await asyncio.sleep(interval)
        finally:
            await stop_tasks([beating], what="the outbox's heartbeat")

    async def _beat(self, every: float) -> None:
        # Its own task: a slow delivery must not make this process look dead to the others.
        while True:
            await asyncio.sleep(every)
            try:
                async with self._sessions() as session, session.begin():
                    await self.process.beat(session)
                await self.recover()
            except Exception:
                log.exception("outbox heartbeat")


async def _earlier_pending(session: AsyncSession, row: OutboxItem) -> bool:
    """Whether an earlier reply of the row's chat is still to be delivered (it goes first)."""
    earlier = await session.scalar(_pending_in_chat(row).where(OutboxItem.id < row.id).limit(1))
    return earlier is not None


def _pending_in_chat(row: OutboxItem) -> Select[int]:
    """The ids of the pending rows of `row`'s chat, oldest first."""
    return (
        select(OutboxItem.id)
        .where(
            OutboxItem.channel == row.channel,
            OutboxItem.external_chat_id == row.external_chat_id,
            OutboxItem.status == OutboxStatus.PENDING,
        )
        .order_by(OutboxItem.id)
    )


def _fail(row: OutboxItem, reason: str) -> GivenUp:
    row.status = OutboxStatus.FAILED
    row.last_error = reason
    return GivenUp(
        row.id, row.conversation_id, row.message_id, row.channel, row.external_chat_id, reason
    )
