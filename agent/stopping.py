"""Stopping background tasks at shutdown without waiting forever.

A task that swallows its cancellation, or blocks in a `finally` on something that never comes
(a connection's close, a lock, a thread), would hold a process's shutdown, or a test's event
loop, for ever. `stop_tasks` waits a bound, then names such tasks in the log and moves on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)

STOP_SECONDS = 10.0
"""How long cancelled tasks may take to end before they are named and left."""
FINISH_SECONDS = 30.0
"""How long work under way at shutdown (turns, deliveries) may go on before it is cancelled."""


async def stop_tasks(
    tasks: Iterable[asyncio.Task[Any]],
    *,
    what: str,
    grace: float = 0.0,
    bound: float = STOP_SECONDS,
) -> list[str]:
    """Let `tasks` finish for `grace` seconds, cancel those still running and wait `bound`
    seconds for them to end; the names of those that did not (logged at ERROR, as `what`).

    A cancellation of the caller is not swallowed: it ends the wait at once."""
    tasks = list(tasks)
    pending = {task for task in tasks if not task.done()}
    if pending and grace > 0:
        _, pending = await asyncio.wait(pending, timeout=grace)
    for task in pending:
        task.cancel()
    if pending:
        _, pending = await asyncio.wait(pending, timeout=bound)
    for task in tasks:
        if task.done() and not task.cancelled():
            task.exception()  # retrieved: the task logged its own failure, or had none
    stuck = sorted(task.get_name() for task in pending)
    if stuck:
        log.error(
            "%s did not stop within %g s of being cancelled, left running: %s",
            what,
            bound,
            ", ".join(stuck),
        )
    return stuck
