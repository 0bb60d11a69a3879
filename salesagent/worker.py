"""`salesagent worker`: runs the queued turns, the deliveries, the exports and the schedule.

Any number of workers share the PostgreSQL queue (TASK_QUEUE=postgres) with any number of
`salesagent serve` processes; SIGTERM or Ctrl+C lets the jobs under way finish.
"""

from __future__ import annotations

from agent.errors import ConfigurationError
from salesagent.loops import background_loops
from salesagent.runtime import Runtime


async def work(runtime: Runtime, *, name: str) -> None:
    """Run the queue's jobs and the background loops until stopped."""
    queue = runtime.queue
    if queue is None:
        raise ConfigurationError(
            "`salesagent worker` needs TASK_QUEUE=postgres; `salesagent serve` alone runs "
            "everything in one process"
        )
    beat = runtime.settings.worker_heartbeat_seconds
    async with background_loops() as loops:
        for loop_name, loop in runtime.loops.items():  # the outbox and exports hold leases
            loops.start(loop_name, loop)
        await queue.app.run_worker_async(
            name=name,
            concurrency=runtime.settings.worker_concurrency,
            additional_context={"runtime": runtime},
            update_heartbeat_interval=beat,
            stalled_worker_timeout=3 * beat,
            fetch_job_polling_interval=1.0,
        )
        loops.cancel()
