"""Messages from the vendors' webhooks: guarded, stored, acknowledged, then answered.

`accept` is all a webhook does after verifying the request: it never runs the turn itself.
"""

from __future__ import annotations

import asyncio
import enum
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent import inbox
from agent.db import transaction
from agent.messages import InboundMessage
from agent.models import InboxStatus, utcnow
from agent.queue import TurnQueue
from channels.guards import SenderGuard

log = logging.getLogger(__name__)


class Accepted(enum.StrEnum):
    """What became of a message a vendor delivered."""

    NEW = "new"
    """Stored; its turn runs after the acknowledgement."""
    DUPLICATE = "duplicate"
    """Already stored (the vendor retried): not answered again."""
    OWN = "own"
    """Sent by the shop itself: ignored, not stored."""
    THROTTLED = "throttled"
    """Stored as ignored: the chat writes faster than a person could."""


class Intake:
    """Guards, inbox and background turns, shared by every webhook and the polling loop."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        jobs: TurnQueue,
        guard: SenderGuard,
        *,
        max_parallel: int,
    ) -> None:
        self._sessions = sessions
        self.jobs = jobs
        self.guard = guard
        # A burst of webhooks waits here, holding no connection, instead of on the pool (whose
        # timeout would fail it) or on SQLite's one writer ("database is locked").
        self._storing = asyncio.Semaphore(max_parallel)

    async def accept(self, message: InboundMessage) -> Accepted:
        """Store the message once and start its turn in the background."""
        if self.guard.own(message.sender):
            log.info("ignored a %s message from the shop's own %s", message.channel, message.sender)
            return Accepted.OWN
        async with self._storing:
            return await self._store(message)

    async def _store(self, message: InboundMessage) -> Accepted:
        async with transaction(self._sessions) as session:
            row, created = await inbox.store(session, message)
            throttled = created and await self.guard.too_fast(
                message.channel, message.external_chat_id
            )
            if throttled:
                row.status = InboxStatus.IGNORED
                row.error = "throttled: the chat writes faster than a person could"
                row.processed_at = utcnow()
            pending = row.status == InboxStatus.PENDING
        if throttled:
            log.warning("throttled %s chat %s", message.channel, message.external_chat_id)
            return Accepted.THROTTLED
        if pending:
            await self.jobs.submit(message)  # a duplicate of a running turn is not run twice
        return Accepted.NEW if created else Accepted.DUPLICATE
