"""Delivering replies to web chats: live during a turn, and from the outbox afterwards.

A bot reply is given to the customer as its turn runs (streamed to the chat's sockets, or in
the HTTP response). The same reply also leaves through the outbox like every channel's, and
`WebOutput` recognises it there, so it is not shown twice. Other replies from the outbox (a
person from the shop writing) go to the chat's open sockets; with none open the row waits
(`RecipientAwayError`) and the socket takes it when the customer comes back.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.channel import PendingReply
from agent.errors import RecipientAwayError
from agent.live_events import Event
from agent.locks import KeyedLocks
from agent.models import utcnow
from channels.web.fanout import FanOut
from channels.web.senders import staff_name_of_row

CHANNEL = "web"
"""The channel name of every web chat, by WebSocket or HTTP: one chat id, one conversation."""


def timestamp(moment: datetime | None = None) -> str:
    """An event's time, ISO 8601 in UTC."""
    return (moment or utcnow()).isoformat()


def agent_message(
    chat_id: str, text: str, *, message_id: int | None = None, sender: str | None = None
) -> Event:
    """The event of a reply that did not come from the socket's own turn; `sender` is the name
    of the staff member who wrote it (absent for the bot's)."""
    event: Event = {
        "type": "message",
        "role": "agent",
        "content": text,
        "chat_id": chat_id,
        "timestamp": timestamp(),
    }
    if message_id is not None:
        event["message_id"] = message_id
    if sender is not None:
        event["sender"] = sender
    return event


class LiveReplies:
    """Replies already given live, per chat, until the outbox comes to deliver them.

    A turn marks its reply while it holds the chat's lock; `take` waits for that lock, so an
    outbox delivery that starts while the turn is still streaming sees the mark.
    """

    def __init__(self, *, ttl: float = 300.0, keep: int = 16) -> None:
        self._ttl = ttl
        self._keep = keep
        self._locks = KeyedLocks()
        self._given: dict[str, deque[tuple[float, str]]] = {}
        self._pruned_at = time.monotonic()

    @asynccontextmanager
    async def turn(self, chat_id: str) -> AsyncIterator[Callable[[str], None]]:
        """Run one web turn of the chat at a time; yields `mark(reply)` for a reply given live."""
        async with self._locks.hold(chat_id):

            def mark(reply: str) -> None:
                given = self._given.setdefault(chat_id, deque(maxlen=self._keep))
                given.append((time.monotonic(), reply))

            yield mark

    async def take(self, chat_id: str, text: str) -> bool:
        """True (once) if `text` was given live on the chat; waits for a turn in progress."""
        async with self._locks.hold(chat_id):
            self._prune()
            given = self._given.get(chat_id)
            if not given:
                return False
            for item in given:
                if item[1] == text:
                    given.remove(item)
                    if not given:
                        del self._given[chat_id]
                    return True
            return False

    def _prune(self) -> None:
        # A mark that no outbox row came for (a failed turn, a repeated message) expires.
        now = time.monotonic()
        if now - self._pruned_at < 1.0:
            return
        self._pruned_at = now
        oldest = now - self._ttl
        for chat_id in list(self._given):
            given = self._given[chat_id]
            while given and given[0][0] < oldest:
                given.popleft()
            if not given:
                del self._given[chat_id]


class WebOutput:
    """The web channel's output: replies from the outbox to the chat's open sockets."""

    name = CHANNEL

    def __init__(
        self,
        fanout: FanOut,
        sessions: async_sessionmaker[AsyncSession],
        live: LiveReplies | None = None,
    ) -> None:
        self.fanout = fanout
        self.sessions = sessions
        self.live = live or LiveReplies()

    async def send_text(self, external_chat_id: str, text: str) -> str | None:
        """Show `text` on the chat's sockets, unless its turn already gave it live."""
        await self._show(external_chat_id, text, None)
        return None

    async def deliver(self, reply: PendingReply) -> None:
        """Show an outbox row's text, with the name of the staff member who wrote it."""
        await self._show(reply.external_chat_id, reply.text, reply.outbox_id)

    async def _show(self, chat_id: str, text: str, outbox_id: int | None) -> None:
        if await self.live.take(chat_id, text):
            return
        sender = None
        if outbox_id is not None:
            async with self.sessions() as session:
                sender = await staff_name_of_row(session, outbox_id)
        if not await self.fanout.publish(chat_id, agent_message(chat_id, text, sender=sender)):
            raise RecipientAwayError(f"no web socket is open on chat {chat_id}")
