"""`salesagent worker`: runs the queued turns, the deliveries, the exports and the schedule.

Any number of workers share the PostgreSQL queue (TASK_QUEUE=postgres) with any number of
`salesagent serve` processes; SIGTERM or Ctrl+C lets the jobs under way finish.

procrastinate's worker stops when it loses the database (its heartbeat fails); this process
starts it again, with a backoff, until the database answers: the new worker's `retry stalled`
job runs again the turns the old one left half-done, so a PostgreSQL restart makes turns wait,
not fail.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from agent.errors import ConfigurationError
from salesagent.loops import FIRST_BACKOFF, background_loops
from salesagent.runtime import Runtime
from salesagent.taskqueue import TaskQueue

log = logging.getLogger(__name__)

MAX_RESTART_BACKOFF = 10.0
"""The longest wait before starting procrastinate's worker again after it stopped."""


async def work(runtime: Runtime, *, name: str) -> None:
    """Run the queue's jobs and the background loops until stopped."""
    queue = runtime.queue
    if queue is None:
        raise ConfigurationError(
            "`salesagent worker` needs TASK_QUEUE=postgres; `salesagent serve` alone runs "
            "everything in one process"
        )
    async with background_loops() as loops:
        for loop_name, loop in runtime.loops.items():  # the outbox and exports hold leases
            loops.start(loop_name, loop)
        await _run_until_stopped(runtime, queue, name=name)


async def _run_until_stopped(runtime: Runtime, queue: TaskQueue, *, name: str) -> None:
    """procrastinate's worker, started again whenever it stops without being asked to."""
    stopping = asyncio.Event()
    current = asyncio.current_task()
    assert current is not None
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, _stop, stopping, current)
    try:
        backoff = FIRST_BACKOFF
        while not stopping.is_set():
            try:
                await _run_worker(runtime, queue, name=name)
            except Exception:  # the worker's edge: the database away, say; logged, started again
                log.exception("the queue's worker stopped; starting it again in %.3g s", backoff)
            else:
                if stopping.is_set():
                    return
                log.warning("the queue's worker stopped; starting it again in %.3g s", backoff)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, MAX_RESTART_BACKOFF)
    except asyncio.CancelledError:
        if not stopping.is_set():
            raise
        current.uncancel()  # our own stop: the block's loops are cancelled next, as usual
    finally:
        for number in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(number)


def _stop(stopping: asyncio.Event, task: asyncio.Task[None]) -> None:
    """SIGTERM or Ctrl+C: the jobs under way finish (cancelling procrastinate's worker stops it
    gracefully), then the process ends."""
    if not stopping.is_set():
        stopping.set()
        task.cancel()


async def _run_worker(runtime: Runtime, queue: TaskQueue, *, name: str) -> None:
    beat = runtime.settings.worker_heartbeat_seconds
    await queue.app.run_worker_async(
        name=name,
        concurrency=runtime.settings.worker_concurrency,
        additional_context={"runtime": runtime},
        update_heartbeat_interval=beat,
        stalled_worker_timeout=3 * beat,
        fetch_job_polling_interval=1.0,
        install_signal_handlers=False,
    )
