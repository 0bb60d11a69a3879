"""The daily exports (EXPORT_DAILY_AT) and the cleanup of old export files.

At EXPORT_DAILY_AT, local time in SHOP_TIMEZONE, the reports of EXPORT_DAILY_KINDS are asked for
the day before. Each daily job carries `schedule_key` `<kind>:<day>`, unique in the database, so
however many processes run the schedule, and however often they restart, a report is exported
once a day; a process that starts after the day's time has passed (it was down) catches up on
the latest run. The cleanup deletes export files older than EXPORT_RETENTION_HOURS (also files
with no job) and marks their jobs expired.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from agent.errors import ConfigurationError
from agent.models import ExportJob, ExportStatus, utcnow
from agent.settings import Settings
from exports.filters import ExportFilters
from exports.jobs import PREFIX, ExportJobs
from exports.reports import APPLIES, REPORT_KINDS

log = logging.getLogger(__name__)

CLEANUP_SECONDS = 600.0
"""How often old files are looked for."""
SCHEDULED_BY = "schedule"
HH_MM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


@dataclass(frozen=True, slots=True)
class DailyPlan:
    """What runs every day, and when (a local time of the shop's zone)."""

    at: time
    kinds: tuple[str, ...]
    zone: ZoneInfo

    @classmethod
    def from_settings(cls, settings: Settings) -> DailyPlan | None:
        """The plan of EXPORT_DAILY_AT and EXPORT_DAILY_KINDS; None when there is no schedule."""
        if not settings.export_daily_at:
            return None
        found = HH_MM.fullmatch(settings.export_daily_at.strip())
        if found is None:
            raise ConfigurationError(
                f"EXPORT_DAILY_AT must be a time as HH:MM (e.g. 06:00), "
                f"not {settings.export_daily_at!r}"
            )
        kinds = tuple(k.strip() for k in settings.export_daily_kinds.split(",") if k.strip())
        unknown = [k for k in kinds if k not in REPORT_KINDS]
        if unknown or not kinds:
            raise ConfigurationError(
                f"EXPORT_DAILY_KINDS lists reports among {', '.join(REPORT_KINDS)}; "
                f"unknown: {', '.join(unknown) or '(empty)'}"
            )
        at = time(int(found.group(1)), int(found.group(2)))
        return cls(at=at, kinds=kinds, zone=ZoneInfo(settings.shop_timezone))


def run_at(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The moment (UTC) of the local time `at` on `day`; a time skipped by a clock change runs
    when the clock shows it would have (02:30 on a spring-forward night is 03:30)."""
    local = datetime.combine(day, at, tzinfo=zone)
    # fold=0 reads a skipped time with the offset before the change, and an hour that happens
    # twice (autumn) as its first occurrence: one run either way.
    return local.astimezone(UTC)


def next_run(after: datetime, at: time, zone: ZoneInfo) -> datetime:
    """The first daily run strictly after `after` (both in UTC)."""
    today = after.astimezone(zone).date()
    for offset in range(3):
        moment = run_at(today + timedelta(days=offset), at, zone)
        if moment > after:
            return moment
    raise AssertionError("a daily time always comes within three days")  # pragma: no cover


def last_run(now: datetime, at: time, zone: ZoneInfo) -> datetime:
    """The latest daily run at or before `now` (UTC)."""
    today = now.astimezone(zone).date()
    for offset in range(3):
        moment = run_at(today - timedelta(days=offset), at, zone)
        if moment <= now:
            return moment
    raise AssertionError("a daily time always came within three days")  # pragma: no cover


def report_day(run: datetime, zone: ZoneInfo) -> date:
    """The day a run covers: the day before its local date."""
    return run.astimezone(zone).date() - timedelta(days=1)


async def run_daily(jobs: ExportJobs, plan: DailyPlan, day: date) -> list[ExportJob]:
    """Ask for the plan's reports of `day`; the jobs made now (none when another process or an
    earlier start made them already)."""
    made = []
    for kind in plan.kinds:
        # A report without dates (the inventory) is the catalog as it stands at the run.
        dated = "from" in APPLIES[kind]
        job = await jobs.start_daily(
            kind,
            ExportFilters(date_from=day, date_to=day) if dated else ExportFilters(),
            requested_by=SCHEDULED_BY,
            schedule_key=f"{kind}:{day.isoformat()}",
        )
        if job is not None:
            made.append(job)
    return made


async def run_schedule(jobs: ExportJobs, plan: DailyPlan) -> None:
    """Run the daily exports until cancelled, catching up on the latest run first."""
    while True:
        now = utcnow()
        latest = last_run(now, plan.at, plan.zone)
        try:
            made = await run_daily(jobs, plan, report_day(latest, plan.zone))
        except Exception:  # the loop's edge: tomorrow's run must still happen
            log.exception("daily exports: could not ask for the reports")
        else:
            if made:
                log.info("daily exports asked for: %s", ", ".join(j.kind for j in made))
        wait = (next_run(now, plan.at, plan.zone) - utcnow()).total_seconds()
        await asyncio.sleep(max(wait, 0.0))


@dataclass(frozen=True, slots=True)
class Cleanup:
    """What one cleanup removed."""

    expired_jobs: int
    orphan_files: int


async def clean_up(jobs: ExportJobs, *, now: datetime | None = None) -> Cleanup:
    """Delete export files older than EXPORT_RETENTION_HOURS and mark their jobs expired."""
    now = now or utcnow()
    cutoff = now - timedelta(hours=jobs.settings.export_retention_hours)
    async with jobs.sessions() as session:
        old = list(
            (
                await session.execute(
                    select(ExportJob).where(
                        ExportJob.status == ExportStatus.DONE, ExportJob.finished_at < cutoff
                    )
                )
            ).scalars()
        )
        known = set(
            (
                await session.execute(
                    select(ExportJob.file_name).where(ExportJob.file_name.is_not(None))
                )
            )
            .scalars()
            .all()
        )
    for job in old:
        if job.file_name:
            await jobs.storage.delete(job.file_name)
        async with jobs.sessions() as session:
            await session.execute(
                update(ExportJob)
                .where(ExportJob.id == job.id, ExportJob.status == ExportStatus.DONE)
                .values(status=ExportStatus.EXPIRED)
                .execution_options(synchronize_session=False)
            )
            await session.commit()
    orphans = 0
    for stored in await jobs.storage.list(PREFIX):
        # A file no job knows (its job was deleted, or its process died before recording it).
        if stored.key not in known and stored.modified_at < cutoff:
            await jobs.storage.delete(stored.key)
            orphans += 1
    return Cleanup(expired_jobs=len(old), orphan_files=orphans)


async def run_cleanup(jobs: ExportJobs) -> None:
    """Clean up every CLEANUP_SECONDS until cancelled."""
    while True:
        try:
            done = await clean_up(jobs)
        except Exception:  # the loop's edge: the next round tries again
            log.exception("export cleanup failed")
        else:
            if done.expired_jobs or done.orphan_files:
                log.info(
                    "export cleanup: %d jobs expired, %d files without a job deleted",
                    done.expired_jobs,
                    done.orphan_files,
                )
        await asyncio.sleep(CLEANUP_SECONDS)
