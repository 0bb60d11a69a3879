"""The task queue of `salesagent serve` + `salesagent worker`: procrastinate on PostgreSQL.

`serve` stores each message and defers its turn; a `worker` runs it. The job of a turn carries a
queue lock per chat, so the turns of one chat run one after the other whichever workers take
them. A worker that dies (kill -9) stops beating; its jobs are run again by another worker
(`retry stalled`); a turn run again returns its committed result, so the customer is answered
once. Periodic jobs are deferred once per period by whichever worker gets there first
(procrastinate's periodic deferrer keeps one job per task and period). A worker that finishes a
turn publishes its result on Redis for the `serve` process waiting on it (`POST /chat/text`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import psycopg
from procrastinate import App, JobContext, PsycopgConnector
from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.errors import ConfigurationError, TurnTimeoutError
from agent.messages import InboundMessage, TurnResult
from agent.models import utcnow
from agent.queue import TurnKind, pending_messages
from agent.settings import Settings
from channels.web.output import WebOutput
from channels.web.redis_fanout import RedisFanOut
from channels.web.turns import answer, stream
from exports.schedule import clean_up, last_run, report_day, run_daily

if TYPE_CHECKING:
    from salesagent.runtime import Runtime

log = logging.getLogger(__name__)

MESSAGE = TypeAdapter(InboundMessage)
"""A message as a job's JSON argument."""

SCHEMA_LOCK = 7_301_019
"""The advisory lock held while procrastinate's tables are made (processes start together)."""


def postgres_dsn(database_url: str) -> str:
    """The libpq spelling of the database URL (procrastinate uses psycopg)."""
    if not database_url.startswith("postgresql"):
        raise ConfigurationError("TASK_QUEUE=postgres needs a PostgreSQL DATABASE_URL")
    return "postgresql://" + database_url.split("://", 1)[1]


def notice_key(message: InboundMessage) -> str:
    """The name of the notice that says a message's turn finished."""
    return f"{message.channel}:{message.external_chat_id}:{message.external_message_id}"


class TaskQueue:
    """Turns and periodic jobs queued in PostgreSQL (the `TurnQueue` of agent/queue.py)."""

    def __init__(self, settings: Settings, fanout: RedisFanOut) -> None:
        self.settings = settings
        self.fanout = fanout
        self._dsn = postgres_dsn(settings.database_url)
        connector = PsycopgConnector(
            conninfo=self._dsn,
            min_size=1,
            max_size=settings.database_pool_size,
            timeout=settings.database_pool_timeout,
        )
        self.app = App(connector=connector)
        # A burst queues here, in memory, not on the pool, where it would fail after its timeout.
        self._deferring = asyncio.Semaphore(settings.max_parallel_intake)
        self._register()

    async def open(self) -> None:
        """Make procrastinate's tables on first use, and connect."""
        async with await psycopg.AsyncConnection.connect(self._dsn) as conn:
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK,))
            found = await conn.execute("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")
            row = await found.fetchone()
            if row is None or not row[0]:
                await conn.execute(self.app.schema_manager.get_schema())
        await self.app.open_async()

    async def close(self) -> None:
        """Disconnect."""
        await self.app.close_async()

    async def defer(self, message: InboundMessage, kind: TurnKind) -> None:
        """Queue the message's turn behind the chat's earlier turns."""
        lock = f"turn:{message.channel}:{message.external_chat_id}"
        async with self._deferring:
            await self.app.configure_task("turn", lock=lock).defer_async(
                message=MESSAGE.dump_python(message, mode="json"), kind=kind.value
            )

    async def submit(self, message: InboundMessage) -> bool:
        """Queue a background turn (a vendor's message)."""
        await self.defer(message, TurnKind.BACKGROUND)
        return True

    async def resume(
        self, sessions: async_sessionmaker[AsyncSession], channels: Iterable[str]
    ) -> int:
        """Queue again the messages a process stored but may not have queued (it stopped in
        between); a turn queued twice runs once, the second returns the stored result."""
        messages = await pending_messages(sessions, channels)
        for message in messages:
            await self.submit(message)
        return len(messages)

    async def idle(self) -> None:
        """No turn runs in a `serve` process: nothing to wait for."""

    async def run(self, message: InboundMessage, kind: TurnKind) -> TurnResult:
        """Queue a turn and wait for a worker to finish it (TURN_WAIT_SECONDS at most)."""
        async with self.fanout.wait_notice(notice_key(message)) as done:
            await self.defer(message, kind)
            try:
                async with asyncio.timeout(self.settings.turn_wait_seconds):
                    text = await done
            except TimeoutError as err:
                raise TurnTimeoutError(
                    f"no worker finished the turn within {self.settings.turn_wait_seconds:g} s"
                    " (TURN_WAIT_SECONDS); it stays queued and is answered when one takes it"
                ) from err
        return TurnResult.model_validate_json(text)

    async def stream(self, inbound: InboundMessage) -> TurnResult:
        """A socket's turn, run by a worker; its events reach the sockets through Redis."""
        return await self.run(inbound, TurnKind.SOCKET)

    async def answer(self, inbound: InboundMessage) -> TurnResult:
        """The turn of `POST /chat/text`, run by a worker."""
        return await self.run(inbound, TurnKind.HTTP)

    def _register(self) -> None:
        app = self.app
        beat = self.settings.worker_heartbeat_seconds

        @app.task(name="turn", queue="turns", pass_context=True)
        async def turn(context: JobContext, message: dict[str, Any], kind: str) -> None:
            await run_turn(_runtime(context), MESSAGE.validate_python(message), kind)

        @app.periodic(cron="* * * * * */5", periodic_id="retry stalled")
        @app.task(name="retry stalled", queue="schedule", pass_context=False)
        async def retry_stalled(timestamp: int) -> None:
            stalled = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=3 * beat)
            for job in stalled:
                log.warning("job %s of a silent worker runs again", job.id)
                await app.job_manager.retry_job(job)

        @app.periodic(cron="* * * * * */5", periodic_id="waiting watch")
        @app.task(name="waiting watch", queue="schedule", pass_context=True)
        async def waiting_watch(context: JobContext, timestamp: int) -> None:
            console = _runtime(context).console
            if console is not None:
                await console.tell_unanswered()

        @app.periodic(cron="* * * * *", periodic_id="export cleanup")
        @app.task(name="export cleanup", queue="schedule", pass_context=True)
        async def export_cleanup(context: JobContext, timestamp: int) -> None:
            exports = _runtime(context).exports
            if exports is not None:
                await clean_up(exports)

        @app.periodic(cron="* * * * *", periodic_id="daily exports")
        @app.task(name="daily exports", queue="schedule", pass_context=True)
        async def daily_exports(context: JobContext, timestamp: int) -> None:
            runtime = _runtime(context)
            if runtime.exports is None or runtime.daily is None:
                return
            plan = runtime.daily
            day = report_day(last_run(utcnow(), plan.at, plan.zone), plan.zone)
            await run_daily(runtime.exports, plan, day)  # once per day: it skips a day made


def _runtime(context: JobContext) -> Runtime:
    runtime: Runtime = context.additional_context["runtime"]
    return runtime


async def run_turn(runtime: Runtime, message: InboundMessage, kind: str) -> None:
    """Run one queued turn as its channel expects, then tell the process waiting for it."""
    output = runtime.outputs.get(WebOutput.name)
    if kind == TurnKind.SOCKET and isinstance(output, WebOutput):
        result = await stream(runtime.engine, output, message)
    elif kind == TurnKind.HTTP and isinstance(output, WebOutput):
        result = await answer(runtime.engine, output, message)
    else:
        result = await runtime.engine.handle(message)
    fanout = output.fanout if isinstance(output, WebOutput) else None
    if isinstance(fanout, RedisFanOut):
        await fanout.notice(notice_key(message), result.model_dump_json())
