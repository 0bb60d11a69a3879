"""The background loops of a running process, restarted when they crash.

The loops (the outbox, the waiting watch, the export runner and its cleanup, the daily exports,
the Odoo sync) catch the errors of one round themselves; an exception that escapes a loop is a
bug or an outage that outlived its own retries. Such a loop is logged with its traceback at
ERROR and started again after a backoff (1 s, doubling up to a minute; back to 1 s once it ran
a minute). Restarted rather than stopping the process: the same process answers webhooks, which
store each message before acknowledging it, so one broken loop must not take the shop's entry
points down, and every loop is safe to run again (the outbox and the export jobs hold leases and
take back what a stopped loop held). A loop that returns has finished its work (the Odoo sync
with nothing scheduled) and is not started again. Leaving the block cancels every loop and
waits for them `stop_seconds` at most: a loop that does not end is named in the log and left,
so a shutdown never hangs on it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from agent.stopping import STOP_SECONDS, stop_tasks

log = logging.getLogger(__name__)

FIRST_BACKOFF = 1.0
MAX_BACKOFF = 60.0


class BackgroundLoops:
    """Supervised loops: logged and restarted when they crash."""

    def __init__(self, *, first_backoff: float, max_backoff: float):
        self._first_backoff = first_backoff
        self._max_backoff = max_backoff
        self._tasks: dict[str, asyncio.Task[None]] = {}

    @property
    def running(self) -> list[str]:
        """The names of the loops not finished."""
        return [name for name, task in self._tasks.items() if not task.done()]

    def start(self, name: str, loop: Callable[[], Awaitable[None]]) -> None:
        """Run `loop` until the block ends, starting it again whenever it crashes."""
        self._tasks[name] = asyncio.create_task(self._supervise(name, loop), name=name)

    async def stop(self, *, bound: float) -> list[str]:
        """Cancel every loop and wait `bound` seconds at most; the names of those still running."""
        return await stop_tasks(self._tasks.values(), what="background loops", bound=bound)

    async def _supervise(self, name: str, loop: Callable[[], Awaitable[None]]) -> None:
        backoff = self._first_backoff
        while True:
            began = time.monotonic()
            try:
                await loop()
            except Exception:  # a loop's outermost edge: logged, then started again
                if time.monotonic() - began >= self._max_backoff:
                    backoff = self._first_backoff
                log.exception("background loop %r crashed; restarting it in %.3g s", name, backoff)
            else:
                log.info("background loop %r finished", name)
                return
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self._max_backoff)


@asynccontextmanager
async def background_loops(
    *,
    first_backoff: float = FIRST_BACKOFF,
    max_backoff: float = MAX_BACKOFF,
    stop_seconds: float = STOP_SECONDS,
) -> AsyncIterator[BackgroundLoops]:
    """The block's loops, cancelled when the block ends and waited for `stop_seconds` at most."""
    loops = BackgroundLoops(first_backoff=first_backoff, max_backoff=max_backoff)
    try:
        yield loops
    finally:
        await loops.stop(bound=stop_seconds)
