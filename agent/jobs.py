"""Turns that run after a channel acknowledged its vendor: in-process tasks, tracked to the end.

A webhook stores the message and answers the vendor at once (Twilio waits 15 s at most); the
turn runs here afterwards and its reply leaves through the outbox. The same message submitted
again while its turn runs is not run twice. This is the embedded `TurnQueue` (agent/queue.py);
`salesagent.taskqueue.TaskQueue` takes its place when `salesagent worker` processes run turns.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.engine import TurnEngine
from agent.messages import InboundMessage
from agent.queue import pending_messages
from agent.stopping import FINISH_SECONDS, stop_tasks

log = logging.getLogger(__name__)


class TurnJobs:
    """Runs `engine.handle` for submitted messages in background tasks."""

    def __init__(self, engine: TurnEngine) -> None:
        self._engine = engine
        self._running: dict[tuple[str, str, str], asyncio.Task[None]] = {}

    async def submit(self, message: InboundMessage) -> bool:
        """Run the message's turn soon; False when it is already running."""
        key = (message.channel, message.external_chat_id, message.external_message_id)
        if key in self._running:
            return False
        task = asyncio.create_task(self._run(message), name=f"turn {key}")
        self._running[key] = task
        task.add_done_callback(lambda _done: self._running.pop(key, None))
        return True

    async def _run(self, message: InboundMessage) -> None:
        try:
            await self._engine.handle(message)
        except Exception:  # a background turn's edge: the message stays in the inbox
            log.exception("turn of %s/%s failed", message.channel, message.external_message_id)

    async def resume(
        self, sessions: async_sessionmaker[AsyncSession], channels: Iterable[str]
    ) -> int:
        """Submit the messages of these channels left pending (by a process that stopped)."""
        return sum([await self.submit(m) for m in await pending_messages(sessions, channels)])

    async def idle(self) -> None:
        """Wait until every submitted turn has finished (tests, shutdown)."""
        while self._running:
            await asyncio.gather(*list(self._running.values()), return_exceptions=True)

    async def close(self, *, grace: float = FINISH_SECONDS) -> None:
        """Let running turns finish for up to `grace` seconds, then cancel the rest."""
        await stop_tasks(self._running.values(), what="turns", grace=grace)
