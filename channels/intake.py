"""Messages from the vendors' webhooks: guarded, stored, acknowledged, then answered.

`accept` is all a webhook does after verifying the request: it never runs the turn itself.
"""

from __future__ import annotations

import enum
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent import inbox
from agent.db import transaction
from agent.messages import InboundMessage
from agent.models import InboxStatus, utcnow
from agent.queue import TurnQueue
from agent.shops.current import shop_scope
from agent.turn.admission import Admission
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
        admission: Admission,
    ) -> None:
        self._sessions = sessions
        self.jobs = jobs
        self.guard = guard
        self._admission = admission

    async def accept(self, message: InboundMessage) -> Accepted:
        """Store the message once and start its turn in the background."""
        if self.guard.own(message.sender):
            log.info("ignored a %s message from the shop's own %s", message.channel, message.sender)
            return Accepted.OWN
        # One intake slot for both steps: a burst of webhooks waits for it holding no connection.
        async with self._admission.intake():
            with shop_scope(message.shop_id):
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
