"""Admission: how much of a burst one process takes on at once; the rest waits in memory.

One `Admission` per process, made by the runtime and shared by everything that takes messages
in: the webhooks' intake (channels/intake.py), the task queue (salesagent/taskqueue.py) and the
turn engine. It owns the process's three bounds: `MAX_PARALLEL_INTAKE` messages stored or queued
at once (`intake`), `MAX_PARALLEL_TURNS` turns at once, one at a time per conversation (`turn`),
and `MAX_PARALLEL_DELIVERIES` replies handed to their channel at once (`delivery`, taken by the
outbox for every row it sends, whoever asked: a turn, the console, the outbox loop).
A message holds at most one intake slot at a time, and a reply one delivery slot, so a bound of
1 cannot wait on itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from agent.locks import KeyedLocks
from agent.settings import Settings

Chat = tuple[str, str]
"""(channel, external chat id)."""


class Admission:
    """The process's intake slots, turn slots, delivery slots and conversation locks."""

    def __init__(
        self, *, max_parallel_turns: int, max_parallel_intake: int, max_parallel_deliveries: int
    ) -> None:
        self._locks = KeyedLocks()
        # A burst of hundreds of chats queues here, in memory, instead of queueing on the
        # connection pools, where a message would fail after the pool's timeout (or on SQLite's
        # one writer, "database is locked").
        self._capacity = asyncio.Semaphore(max_parallel_turns)
        self._intake = asyncio.Semaphore(max_parallel_intake)
        self._arriving: dict[Chat, list[asyncio.Future[None]]] = {}
        # A burst's replies wait here too: each delivery is a vendor's HTTP call (Twilio,
        # Telegram, Odoo) of its own, possibly slow, with two short transactions around it.
        self._deliveries = asyncio.Semaphore(max_parallel_deliveries)

    @classmethod
    def from_settings(cls, settings: Settings) -> Admission:
        """The bounds MAX_PARALLEL_TURNS, MAX_PARALLEL_INTAKE and MAX_PARALLEL_DELIVERIES."""
        return cls(
            max_parallel_turns=settings.max_parallel_turns,
            max_parallel_intake=settings.max_parallel_intake,
            max_parallel_deliveries=settings.max_parallel_deliveries,
        )

    @asynccontextmanager
    async def intake(self) -> AsyncIterator[None]:
        """Hold one of the process's intake slots while a message is stored or its turn queued
        (holding no connection while it waits for one)."""
        async with self._intake:
            yield

    @asynccontextmanager
    async def delivery(self) -> AsyncIterator[None]:
        """Hold one of the process's delivery slots while a reply is leased, handed to its
        channel and marked (the reply is leased only once a slot is free, so its lease never
        runs out while it waits)."""
        async with self._deliveries:
            yield

    @asynccontextmanager
    async def arriving(self, chat: Chat) -> AsyncIterator[None]:
        """A block that stores a message of `chat`, once an intake slot is free: a turn of the
        chat waits for it to end."""
        stored = asyncio.get_running_loop().create_future()
        self._arriving.setdefault(chat, []).append(stored)
        try:
            async with self.intake():
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
