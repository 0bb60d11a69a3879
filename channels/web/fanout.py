"""Fan-out of web chat events to every socket open on a chat (two tabs see the same replies).

`FanOut` is the small interface the web channel needs; `LocalFanOut` keeps the subscribers in
this process. `channels/web/redis_fanout.py` takes its place when the app runs as several
processes (TASK_QUEUE=postgres): `publish` then reaches the sockets of all of them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from agent.live_events import Event, EventQueue


class FanOut(Protocol):
    """Delivers events to the sockets subscribed to a chat."""

    def subscribe(self, chat_id: str) -> AbstractAsyncContextManager[EventQueue]:
        """Receive the chat's events for the duration of the block."""
        ...

    async def publish(self, chat_id: str, event: Event) -> int:
        """Send `event` to every socket on the chat; returns how many received it."""
        ...

    def listeners(self, chat_id: str) -> int:
        """How many sockets are open on the chat (in this process)."""
        ...


class LocalFanOut:
    """The in-process fan-out: a set of subscriptions per chat."""

    def __init__(self, *, queue_size: int = 1000) -> None:
        self._queue_size = queue_size
        self._chats: dict[str, set[EventQueue]] = {}

    @asynccontextmanager
    async def subscribe(self, chat_id: str) -> AsyncIterator[EventQueue]:
        """Receive the chat's events for the duration of the block."""
        subscription = EventQueue(size=self._queue_size)
        self._chats.setdefault(chat_id, set()).add(subscription)
        try:
            yield subscription
        finally:
            subscribers = self._chats[chat_id]
            subscribers.discard(subscription)
            if not subscribers:
                del self._chats[chat_id]

    async def publish(self, chat_id: str, event: Event) -> int:
        """Send `event` to every socket on the chat; returns how many received it."""
        return sum(s.put(event) for s in list(self._chats.get(chat_id, ())))

    def listeners(self, chat_id: str) -> int:
        """How many sockets are open on the chat."""
        return len(self._chats.get(chat_id, ()))

    def lose_all(self) -> None:
        """Mark every subscription `lost`: their sockets close and their clients catch up."""
        for subscribers in self._chats.values():
            for subscription in subscribers:
                subscription.lose()

    @property
    def sockets(self) -> int:
        """How many sockets are open in all."""
        return sum(len(s) for s in self._chats.values())

    @property
    def chats(self) -> int:
        """How many chats have at least one socket open."""
        return len(self._chats)
