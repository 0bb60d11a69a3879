"""Admission of turns: one at a time per conversation, and at most a set number at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from agent.locks import KeyedLocks


class Admission:
    """The conversation's lock first, then one of the process's turn slots."""

    def __init__(self, max_parallel: int) -> None:
        self._locks = KeyedLocks()
        # A burst of hundreds of chats queues here, in memory, instead of queueing on the
        # connection pool, where a turn would fail after the pool's timeout.
        self._capacity = asyncio.Semaphore(max_parallel)

    @asynccontextmanager
    async def turn(self, channel: str, external_chat_id: str) -> AsyncIterator[None]:
        """Hold the chat's lock and a turn slot for the duration of the block."""
        async with self._locks.hold((channel, external_chat_id)), self._capacity:
            yield
