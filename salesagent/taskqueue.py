"""The task queue of `salesagent serve` + `salesagent worker`: procrastinate on PostgreSQL.

`serve` stores each message and defers its turn; a `worker` runs it. The job of a turn carries a
queue lock per chat, so the turns of one chat run one after the other whichever workers take
them. A worker that dies (kill -9) stops beating; its jobs are run again by another worker
(`retry stalled`); a turn run again returns its committed result, so the customer is answered
once. Periodic jobs are deferred once per period by whichever worker gets there first
(procrastinate's periodic deferrer keeps one job per task and period); the Odoo product sync is
one of them, so it runs once per ODOO_SYNC_PRODUCTS_MINUTES however many workers run. A worker
that finishes a turn publishes its result on Redis for the `serve` process waiting on it
(`POST /chat/text`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import psycopg
from procrastinate import App, JobContext, PsycopgConnector, RetryStrategy
from procrastinate.exceptions import ConnectorException
from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.db import database_unreachable
from agent.errors import (
    ConfigurationError,
    DatabaseUnavailableError,
    FeedInterruptedError,
    RetryableError,
    TurnTimeoutError,
)
from agent.leads.schedule import lead_round
from agent.messages import InboundMessage, TurnResult
from agent.models import utcnow
from agent.queue import TurnKind, pending_messages, stored_result
from agent.settings import Settings
from agent.turn.admission import Admission
from channels.web.output import WebOutput
from channels.web.redis_fanout import RedisFanOut
from channels.web.turns import answer, stream
from console.proposal_desk import ProposalDesk
from exports.schedule import clean_up, last_run, report_day, run_daily

if TYPE_CHECKING:
    from salesagent.runtime import Runtime

log = logging.getLogger(__name__)

MESSAGE = TypeAdapter(InboundMessage)
"""A message as a job's JSON argument."""

SCHEMA_LOCK = 7_301_019
"""The advisory lock held while procrastinate's tables are made (processes start together)."""

RESULT_POLL_SECONDS = 0.25
"""How often a `serve` process whose Redis feed broke reads a waited turn's result."""

DEFER_RETRY_SECONDS = 0.25
"""How often a job is offered again to a PostgreSQL that cannot take it now (restarting)."""

TURN_RETRY = RetryStrategy(max_attempts=60, wait=1, retry_exceptions={DatabaseUnavailableError})
"""A turn that lost the database (nothing committed) runs again a second later, for a minute."""


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

    def __init__(
        self,
        settings: Settings,
        fanout: RedisFanOut,
        sessions: async_sessionmaker[AsyncSession],
        admission: Admission,
    ) -> None:
        self.settings = settings
        self.fanout = fanout
        self.sessions = sessions
        self._admission = admission
        self._dsn = postgres_dsn(settings.database_url)
        connector = PsycopgConnector(
            conninfo=self._dsn,
            min_size=1,
            max_size=settings.database_pool_size,
            timeout=settings.database_pool_timeout,
        )
        self.app = App(connector=connector)
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
        """Queue the message's turn behind the chat's earlier turns; while PostgreSQL cannot
        take it (restarting) it is offered again (the caller bounds the wait, and holds the
        message's intake slot: the queue's pool is as large as the slots)."""
        lock = f"turn:{message.channel}:{message.external_chat_id}"
        job = self.app.configure_task("turn", lock=lock)
        arguments = MESSAGE.dump_python(message, mode="json")
        while True:
            try:
                await job.defer_async(message=arguments, kind=kind.value)
            except ConnectorException as err:
                if not database_unreachable(err.__cause__ or err):
                    raise
                log.warning("turn of %s not queued yet: %s", notice_key(message), err)
                await asyncio.sleep(DEFER_RETRY_SECONDS)
            else:
                return

    async def submit(self, message: InboundMessage) -> bool:
        """Queue a background turn (a vendor's message, whose intake slot the caller holds),
        waiting TURN_WAIT_SECONDS at most for a PostgreSQL that cannot take it now (the stored
        message is queued again at start)."""
        try:
            async with asyncio.timeout(self.settings.turn_wait_seconds):
                await self.defer(message, TurnKind.BACKGROUND)
        except TimeoutError:
            log.error("turn of %s not queued: PostgreSQL unreachable", notice_key(message))
            return False
        return True

    async def resume(
        self, sessions: async_sessionmaker[AsyncSession], channels: Iterable[str]
    ) -> int:
        """Queue again the messages a process stored but may not have queued (it stopped in
        between); a turn queued twice runs once, the second returns the stored result."""
        messages = await pending_messages(sessions, channels)
        for message in messages:
            async with self._admission.intake():
                await self.submit(message)
        return len(messages)

    async def idle(self) -> None:
        """No turn runs in a `serve` process: nothing to wait for."""

    async def run(self, message: InboundMessage, kind: TurnKind) -> TurnResult:
        """Queue a turn and wait for a worker to finish it (TURN_WAIT_SECONDS at most): told
        through Redis, or read from the database once the Redis feed broke."""
        try:
            async with asyncio.timeout(self.settings.turn_wait_seconds):
                return await self._run(message, kind)
        except TimeoutError as err:
            raise TurnTimeoutError(
                f"no worker finished the turn within {self.settings.turn_wait_seconds:g} s"
                " (TURN_WAIT_SECONDS); it stays queued and is answered when one takes it"
            ) from err

    async def _run(self, message: InboundMessage, kind: TurnKind) -> TurnResult:
        async with self.fanout.wait_notice(notice_key(message)) as done:
            async with self._admission.intake():
                await self.defer(message, kind)
            try:
                return TurnResult.model_validate_json(await done)
            except FeedInterruptedError as err:
                log.warning("turn of %s: %s; reading its result", notice_key(message), err)
        return await self._read_result(message)

    async def _read_result(self, message: InboundMessage) -> TurnResult:
        """The turn's result from the database, read again until a worker has stored it (no
        notice will come: the feed broke)."""
        while True:
            result = await stored_result(self.sessions, message)
            if result is not None:
                return result
            await asyncio.sleep(RESULT_POLL_SECONDS)

    async def stream(self, inbound: InboundMessage) -> TurnResult:
        """A socket's turn, run by a worker; its events reach the sockets through Redis."""
        return await self.run(inbound, TurnKind.SOCKET)

    async def answer(self, inbound: InboundMessage) -> TurnResult:
        """The turn of `POST /chat/text`, run by a worker."""
        return await self.run(inbound, TurnKind.HTTP)

    def _register(self) -> None:
        app = self.app
        beat = self.settings.worker_heartbeat_seconds

        @app.task(name="turn", queue="turns", pass_context=True, retry=TURN_RETRY)
        async def turn(context: JobContext, message: dict[str, Any], kind: str) -> None:
            try:
                await run_turn(_runtime(context), MESSAGE.validate_python(message), kind)
            except Exception as err:
                if database_unreachable(err):
                    raise DatabaseUnavailableError(f"the turn lost the database: {err}") from err
                raise

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

        @app.periodic(cron="* * * * * */5", periodic_id="proposal expiry")
        @app.task(name="proposal expiry", queue="schedule", pass_context=True)
        async def proposal_expiry(context: JobContext, timestamp: int) -> None:
            console = _runtime(context).console
            if console is not None:  # once per period; a proposal expires once whatever runs
                await ProposalDesk(console).expire_due()

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

        @app.periodic(cron="* * * * *", periodic_id="leads")
        @app.task(name="leads", queue="schedule", pass_context=True)
        async def leads(context: JobContext, timestamp: int) -> None:
            runtime = _runtime(context)
            heard = runtime.console.on_lead if runtime.console is not None else None
            await lead_round(runtime.sessions, runtime.settings, runtime.engine.llm, on_lead=heard)

        sync = odoo_sync_schedule(self.settings.odoo_sync_products_minutes)
        if sync is not None:
            cron, tick, every = sync

            @app.periodic(cron=cron, periodic_id="odoo sync")
            @app.task(name="odoo sync", queue="schedule", pass_context=True)
            async def odoo_sync(context: JobContext, timestamp: int) -> None:
                odoo = _runtime(context).odoo
                if odoo is None or (timestamp // tick) % every:
                    return
                try:
                    report = await odoo.sync_products()
                except RetryableError as err:  # Odoo down: no traceback, tried next period
                    log.warning("Odoo product sync: %s", err)
                    return
                log.info("Odoo product sync: %s", report)


def odoo_sync_schedule(minutes: float) -> tuple[str, int, int] | None:
    """When the Odoo product sync runs (ODOO_SYNC_PRODUCTS_MINUTES): the cron of its ticks, the
    tick in seconds, and every how many ticks it runs (the period rounded to whole ticks); None
    when it does not run on a schedule. A minute's tick for a period of minutes, else 5 s."""
    if minutes <= 0:
        return None
    seconds = minutes * 60
    cron, tick = ("* * * * *", 60) if seconds >= 60 else ("* * * * * */5", 5)
    return cron, tick, max(1, round(seconds / tick))


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
