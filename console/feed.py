"""The console's live feed: every change of a conversation, told to every open console.

`StaffFeed` is the small interface the console needs; `LocalStaffFeed` keeps the open consoles
in this process. With several processes (TASK_QUEUE=postgres) the wiring gives a feed on Redis
pub/sub instead (`channels/web/redis_fanout.py`'s `RedisFeed`): each process relays to its own
consoles, and closes them when the feed breaks (they reconnect and read everything again).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from agent.live_events import Event, EventQueue


class StaffFeed(Protocol):
    """Tells every open console what changed."""

    def subscribe(self) -> AbstractAsyncContextManager[EventQueue]:
        """Receive every event for the duration of the block."""
        ...

    async def publish(self, event: Event) -> int:
        """Send `event` to every open console; returns how many received it."""
        ...


class LocalStaffFeed:
    """The in-process feed: a set of listeners."""

    def __init__(self, *, queue_size: int = 1000) -> None:
        self._queue_size = queue_size
        self._listeners: set[EventQueue] = set()

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[EventQueue]:
        """Receive every event for the duration of the block."""
        listener = EventQueue(size=self._queue_size)
        self._listeners.add(listener)
        try:
            yield listener
        finally:
            self._listeners.discard(listener)

    async def publish(self, event: Event) -> int:
        """Send `event` to every open console; returns how many received it."""
        return sum(listener.put(event) for listener in list(self._listeners))

    @property
    def consoles(self) -> int:
        """How many consoles are open in this process."""
        return len(self._listeners)
