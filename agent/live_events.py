"""Live JSON events for an open socket: a bounded queue that drops a reader who cannot keep up.

The web chat's sockets (channels/web/fanout.py) and the staff consoles (console/feed.py)
each read one; a socket whose queue is full is marked `overflowed` and closed by its owner, and
one whose feed broke (Redis restarting) is marked `lost`: its owner closes it too, and the client
reconnects and catches up from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

Event = dict[str, Any]
"""One JSON event for a socket."""


class EventQueue:
    """One open socket's queue of events; once full it is `overflowed` and takes no more."""

    def __init__(self, *, size: int) -> None:
        self._queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=size)
        self.overflowed = False
        self.lost = False

    def put(self, event: Event) -> bool:
        """Queue an event; False (and `overflowed`) when the reader is too slow."""
        if self.overflowed:
            return False
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True
            return False
        return True

    def lose(self) -> None:
        """Mark the queue `lost` (events may have been missed) and wake its reader."""
        self.lost = True
        with contextlib.suppress(asyncio.QueueFull):  # a full queue's reader is awake anyway
            self._queue.put_nowait({"type": "lost"})

    async def get(self) -> Event:
        """The next event, in the order they were put."""
        return await self._queue.get()
