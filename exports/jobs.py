"""Export jobs: a report asked for, written in the background, its file kept in storage.

A job goes pending → running → done or failed. Any process's runner claims pending jobs with a
conditional UPDATE (two processes never write the same job) and runs `EXPORT_CONCURRENCY` at a
time. While a job runs its runner renews `heartbeat_at`; a running job whose heartbeat stopped
(its process crashed or was restarted) is marked failed ("interrupted by a restart") by the next
runner that looks, and whoever asked can ask again. Pending jobs left by a stopped process are
simply run. The storage writer keeps nothing of a file that failed half-way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import PurePosixPath

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from agent.db import insert_ignore
from agent.errors import NotFoundError
from agent.models import ExportJob, ExportStatus, utcnow
from agent.settings import Settings
from agent.stopping import stop_tasks
from exports.filters import ExportFilters
from exports.reports import check_filters, file_name, write_report
from storage.base import Storage

log = logging.getLogger(__name__)

PREFIX = "exports/"
"""Where export files live in storage (cleanup looks only here)."""
HEARTBEAT_SECONDS = 10.0
STALE_SECONDS = 60.0
"""A running job whose heartbeat is older than this has lost its runner."""
POLL_SECONDS = 5.0
"""How often a runner looks for pending jobs that other processes added."""
INTERRUPTED = "interrupted by a restart"

Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class ExportLink:
    """A download link of a finished export, and when it stops working."""

    url: str
    """Absolute, or a path on this service (`/files/exports/...`) for the local store."""
    expires_at: datetime


def download_name(job: ExportJob) -> str:
    """The name the file is saved as, e.g. `sales_2026-11-01_2026-11-21_20261122T053100Z.csv`."""
    started = job.started_at or job.created_at
    return file_name(job.kind, ExportFilters.from_json(job.filters), now=started)


def storage_key(job_id: str, name: str) -> str:
    """The file's key: its download name with the job's id, so two jobs never share a file."""
    path = PurePosixPath(name)
    return f"{PREFIX}{path.stem}_{job_id[:8]}{path.suffix}"


class ExportJobs:
    """Starts export jobs, runs them in the background, and links their files."""

    def __init__(
        self,
        *,
        settings: Settings,
        db: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        storage: Storage,
    ) -> None:
        self.settings = settings
        self.db = db
        self.sessions = sessions
        self.storage = storage
        self.concurrency = settings.export_concurrency
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(
        self,
        kind: str,
        filters: ExportFilters,
        *,
        requested_by: str,
        session: AsyncSession | None = None,
    ) -> ExportJob:
        """Check the filters (`InvalidInputError` naming the field), add a pending job and wake
        the runner; in `session` (a request's) when given."""
        job = await self._add(
            kind, filters, requested_by=requested_by, schedule_key=None, session=session
        )
        assert job is not None  # without a schedule key nothing can conflict
        return job

    async def start_daily(
        self, kind: str, filters: ExportFilters, *, requested_by: str, schedule_key: str
    ) -> ExportJob | None:
        """Like `start` for a scheduled run; None when its `schedule_key` was made already."""
        return await self._add(
            kind, filters, requested_by=requested_by, schedule_key=schedule_key, session=None
        )

    async def _add(
        self,
        kind: str,
        filters: ExportFilters,
        *,
        requested_by: str,
        schedule_key: str | None,
        session: AsyncSession | None,
    ) -> ExportJob | None:
        check_filters(kind, filters)
        job_id = uuid.uuid4().hex
        values = {
            "id": job_id,
            "kind": kind,
            "filters": filters.as_json(),
            "status": ExportStatus.PENDING,
            "requested_by": requested_by,
            "schedule_key": schedule_key,
            "created_at": utcnow(),
        }
        async with self._session(session) as current:
            # The unique schedule_key makes a second daily job of the same day a no-op, on
            # PostgreSQL across processes as well (ON CONFLICT DO NOTHING).
            inserted = await insert_ignore(current, ExportJob, values, conflict=["schedule_key"])
            await current.commit()
        if not inserted:
            return None
        job = await self.get(job_id, session=session)
        # Read before waking the runner: the caller is told the job as it was added (pending).
        self._wake.set()
        return job

    async def run_now(
        self, kind: str, filters: ExportFilters, *, requested_by: str, progress: Progress | None
    ) -> ExportJob:
        """Write the report in this task as a job (the CLI): no runner is needed, and none
        takes it, since it is running from the start."""
        check_filters(kind, filters)
        now = utcnow()
        job_id = uuid.uuid4().hex
        job = ExportJob(
            id=job_id,
            kind=kind,
            filters=filters.as_json(),
            status=ExportStatus.RUNNING,
            requested_by=requested_by,
            file_name=storage_key(job_id, file_name(kind, filters, now=now)),
            created_at=now,
            started_at=now,
            heartbeat_at=now,
        )
        async with self.sessions() as session:
            session.add(job)
            await session.commit()
        await self._execute(job, progress)
        return await self.get(job_id)

    async def get(self, job_id: str, *, session: AsyncSession | None = None) -> ExportJob:
        """The job with this id (`NotFoundError` when there is none)."""
        async with self._session(session) as current:
            job = await current.get(ExportJob, job_id, populate_existing=True)
        if job is None:
            raise NotFoundError(f"no export job {job_id}")
        return job

    @contextlib.asynccontextmanager
    async def _session(self, given: AsyncSession | None) -> AsyncIterator[AsyncSession]:
        # A request's session is used as it is: on SQLite a second session would wait for the
        # write lock the request's own (open) transaction holds.
        if given is not None:
            yield given
            return
        async with self.sessions() as session:
            yield session

    async def recent(self, limit: int = 20) -> list[ExportJob]:
        """The newest jobs first."""
        async with self.sessions() as session:
            rows = await session.execute(
                select(ExportJob).order_by(ExportJob.created_at.desc()).limit(limit)
            )
            return list(rows.scalars())

    async def link(self, job: ExportJob) -> ExportLink | None:
        """A fresh expiring link to a finished job's file (None before it is done)."""
        if job.status != ExportStatus.DONE or not job.file_name:
            return None
        seconds = self.settings.export_link_seconds
        expires_at = utcnow() + timedelta(seconds=seconds)
        url = await self.storage.url(job.file_name, expires_in=seconds, filename=download_name(job))
        return ExportLink(url, expires_at)

    async def run(self) -> None:
        """Run pending jobs until cancelled, `concurrency` at a time (the app's lifespan)."""
        try:
            while True:
                try:
                    await self.recover()
                    await self._claim()
                except Exception:  # the runner's edge: a database hiccup must not stop it
                    log.exception("export runner: could not look for jobs")
                with contextlib.suppress(TimeoutError):  # not wait_for: it may eat a cancel
                    async with asyncio.timeout(POLL_SECONDS):
                        await self._wake.wait()
                self._wake.clear()
        finally:
            await self.close()

    async def idle(self) -> None:
        """Wait until this process has no job running (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Stop the jobs running here; their heartbeat stops, so they end as interrupted."""
        await stop_tasks(self._tasks, what="export jobs")

    async def recover(self) -> int:
        """Mark failed the running jobs whose runner stopped beating, and remove what their
        writers left half-written; how many there were."""
        now = utcnow()
        cutoff = now - timedelta(seconds=STALE_SECONDS)
        lost = (
            ExportJob.status == ExportStatus.RUNNING,
            or_(
                ExportJob.heartbeat_at < cutoff,
                ExportJob.heartbeat_at.is_(None) & (ExportJob.started_at < cutoff),
            ),
        )
        async with self.sessions() as session:
            result = await session.execute(
                update(ExportJob)
                .where(*lost)
                .values(status=ExportStatus.FAILED, error=INTERRUPTED, finished_at=now)
                .returning(ExportJob.file_name)
            )
            files = list(result.scalars())
            await session.commit()
        for key in files:  # the job failed: nothing will finish its file
            if key:
                await self.storage.discard_unfinished(key)
        if files:
            log.warning("%d export jobs were interrupted by a restart; marked failed", len(files))
        return len(files)

    async def _claim(self) -> None:
        free = self.concurrency - len(self._tasks)
        if free <= 0:
            return
        async with self.sessions() as session:
            waiting = (
                await session.execute(
                    select(ExportJob)
                    .where(ExportJob.status == ExportStatus.PENDING)
                    .order_by(ExportJob.created_at)
                    .limit(free)
                )
            ).scalars()
            for job in list(waiting):
                now = utcnow()
                key = storage_key(
                    job.id, file_name(job.kind, ExportFilters.from_json(job.filters), now=now)
                )
                claimed = await session.execute(
                    update(ExportJob)
                    .where(ExportJob.id == job.id, ExportJob.status == ExportStatus.PENDING)
                    .values(
                        status=ExportStatus.RUNNING,
                        started_at=now,
                        heartbeat_at=now,
                        file_name=key,
                    )
                    .execution_options(synchronize_session=False)
                )
                await session.commit()
                if not claimed.rowcount:  # type: ignore[attr-defined]
                    continue  # another process took it first
                job.status, job.started_at, job.file_name = ExportStatus.RUNNING, now, key
                task = asyncio.create_task(self._execute(job, None), name=f"export {job.id}")
                self._tasks.add(task)
                task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._wake.set()  # a slot is free: the next pending job may start

    async def _execute(self, job: ExportJob, progress: Progress | None) -> None:
        assert job.file_name is not None
        beat = asyncio.create_task(self._beat(job.id), name=f"export {job.id} heartbeat")
        try:
            result = await write_report(
                job.kind,
                ExportFilters.from_json(job.filters),
                db=self.db,
                storage=self.storage,
                key=job.file_name,
                timezone=self.settings.shop_timezone,
                progress=progress,
            )
        except Exception as err:  # a job's edge: the failure is kept for whoever asked
            log.exception("export job %s (%s) failed", job.id, job.kind)
            await self._finish(job.id, status=ExportStatus.FAILED, error=_describe(err))
        else:
            # The error is cleared: a runner that could not beat for a minute (SQLite's write
            # lock held by a long report) may have been taken for dead meanwhile.
            await self._finish(
                job.id,
                status=ExportStatus.DONE,
                rows=result.rows,
                bytes=result.size,
                error=None,
            )
        finally:
            await stop_tasks([beat], what="an export's heartbeat")

    async def _finish(self, job_id: str, **values: object) -> None:
        async with self.sessions() as session:
            await session.execute(
                update(ExportJob)
                .where(ExportJob.id == job_id)
                .values(finished_at=utcnow(), **values)
                .execution_options(synchronize_session=False)
            )
            await session.commit()

    async def _beat(self, job_id: str) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            try:
                async with self.sessions() as session:
                    await session.execute(
                        update(ExportJob)
                        .where(ExportJob.id == job_id, ExportJob.status == ExportStatus.RUNNING)
                        .values(heartbeat_at=utcnow())
                        .execution_options(synchronize_session=False)
                    )
                    await session.commit()
            except Exception:  # a missed beat is retried; only a stopped runner goes stale
                log.warning("export job %s: heartbeat not saved", job_id, exc_info=True)


def _describe(err: Exception) -> str:
    text = str(err) or type(err).__name__
    return text if len(text) <= 500 else text[:497] + "…"
