"""Admission of turns: one at a time per conversation, and at most a set number at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from agent.locks import KeyedLocks

Chat = tuple[str, str]
"""(channel, external chat id)."""


class Admission:
    """The conversation's lock first, then one of the process's turn slots."""

    def __init__(self, max_parallel: int, *, max_storing: int) -> None:
        self._locks = KeyedLocks()
        # A burst of hundreds of chats queues here, in memory, instead of queueing on the
        # connection pool, where a turn would fail after the pool's timeout.
        self._capacity = asyncio.Semaphore(max_parallel)
        self._storing = asyncio.Semaphore(max_storing)
        self._arriving: dict[Chat, list[asyncio.Future[None]]] = {}

    @asynccontextmanager
    async def arriving(self, chat: Chat) -> AsyncIterator[None]:
        """A block that stores a message of `chat`, once one of the process's store slots is
        free: a turn of the chat waits for it to end."""
        stored = asyncio.get_running_loop().create_future()
        self._arriving.setdefault(chat, []).append(stored)
        try:
            async with self._storing:
                yield
        finally:
            waiting = self._arriving[chat]
            waiting.remove(stored)
            if not waiting:
                del self._arriving[chat]
            stored.set_result(None)

    @asynccontextmanager
    async def turn(self, chat: Chat) -> AsyncIterator[None]:
        """Hold the chat's lock and a turn slot for the duration of the block, once the chat's
        messages this process was storing when the lock came are stored: a burst that arrives
        at once is one turn, whichever message's store ends first."""
        async with self._locks.hold(chat), self._capacity:
            arriving = list(self._arriving.get(chat, ()))
            if arriving:
                await asyncio.wait(arriving)
            yield
