"""The console's live feed: every change of a conversation, told to every open console.

`StaffFeed` is the small interface the console needs; `LocalStaffFeed` keeps the open consoles
in this process. A Redis pub/sub implementation can take its place when the app runs as several
processes (publish to a channel, each process relays to its own consoles).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

FeedEvent = dict[str, Any]
"""One JSON event for a console."""


class Listener:
    """One open console's queue of events; a console that cannot keep up is dropped."""

    def __init__(self, *, size: int) -> None:
        self._queue: asyncio.Queue[FeedEvent] = asyncio.Queue(maxsize=size)
        self.overflowed = False

    def put(self, event: FeedEvent) -> bool:
        """Queue an event; False (and `overflowed`) when the console is too slow."""
        if self.overflowed:
            return False
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True
            return False
        return True

    async def get(self) -> FeedEvent:
        """The next event, in the order they were published."""
        return await self._queue.get()


class StaffFeed(Protocol):
    """Tells every open console what changed."""

    def subscribe(self) -> AbstractAsyncContextManager[Listener]:
        """Receive every event for the duration of the block."""
        ...

    async def publish(self, event: FeedEvent) -> int:
        """Send `event` to every open console; returns how many received it."""
        ...


class LocalStaffFeed:
    """The in-process feed: a set of listeners."""

    def __init__(self, *, queue_size: int = 1000) -> None:
        self._queue_size = queue_size
        self._listeners: set[Listener] = set()

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Listener]:
        """Receive every event for the duration of the block."""
        listener = Listener(size=self._queue_size)
        self._listeners.add(listener)
        try:
            yield listener
        finally:
            self._listeners.discard(listener)

    async def publish(self, event: FeedEvent) -> int:
        """Send `event` to every open console; returns how many received it."""
        return sum(listener.put(event) for listener in list(self._listeners))

    @property
    def consoles(self) -> int:
        """How many consoles are open in this process."""
        return len(self._listeners)
