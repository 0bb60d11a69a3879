"""The daily exports (when they run, once a day however many processes race) and the cleanup of
old files, on the real local store and on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import make_settings
from fixtures.export_runs import finished, running
from sqlalchemy import select, update

from agent.db import create_engine, create_sessionmaker
from agent.errors import ConfigurationError
from agent.models import ExportJob, ExportStatus, utcnow
from agent.settings import Settings
from exports.filters import ExportFilters
from exports.jobs import ExportJobs
from exports.schedule import (
    DailyPlan,
    clean_up,
    last_run,
    next_run,
    report_day,
    run_at,
    run_daily,
)
from storage.local import LocalStorage

BOGOTA = ZoneInfo("America/Bogota")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


# When the daily run happens.


def test_bogota_has_no_clock_changes_so_six_is_always_eleven_utc() -> None:
    six = time(6, 0)
    assert next_run(utc(2026, 11, 22, 5, 0), six, BOGOTA) == utc(2026, 11, 22, 11, 0)
    assert next_run(utc(2026, 11, 22, 11, 0), six, BOGOTA) == utc(2026, 11, 23, 11, 0)
    assert next_run(utc(2026, 3, 7, 23, 0), six, BOGOTA) == utc(2026, 3, 8, 11, 0)
    assert next_run(utc(2026, 11, 1, 4, 0), six, BOGOTA) == utc(2026, 11, 1, 11, 0)
    # 23:30 local is 04:30 UTC the next day.
    assert next_run(utc(2026, 11, 22, 5, 0), time(23, 30), BOGOTA) == utc(2026, 11, 23, 4, 30)
    assert last_run(utc(2026, 11, 22, 10, 59), six, BOGOTA) == utc(2026, 11, 21, 11, 0)
    assert last_run(utc(2026, 11, 22, 11, 0), six, BOGOTA) == utc(2026, 11, 22, 11, 0)
    assert report_day(utc(2026, 11, 22, 11, 0), BOGOTA) == date(2026, 11, 21)
    # 00:30 in Bogotá on the 22nd is still the 21st... in UTC it is the 22nd 05:30.
    assert report_day(run_at(date(2026, 11, 22), time(0, 30), BOGOTA), BOGOTA) == date(2026, 11, 21)


def test_new_york_follows_its_clock_changes() -> None:
    six = time(6, 0)
    # Spring forward on 8 March 2026: 06:00 is 11:00 UTC before, 10:00 UTC from that day on.
    assert next_run(utc(2026, 3, 7, 12, 0), six, NEW_YORK) == utc(2026, 3, 8, 10, 0)
    assert next_run(utc(2026, 3, 8, 10, 0), six, NEW_YORK) == utc(2026, 3, 9, 10, 0)
    assert next_run(utc(2026, 3, 6, 12, 0), six, NEW_YORK) == utc(2026, 3, 7, 11, 0)
    # 02:30 does not exist that night: it runs when the clock shows 03:30 (07:30 UTC).
    assert run_at(date(2026, 3, 8), time(2, 30), NEW_YORK) == utc(2026, 3, 8, 7, 30)
    # Fall back on 1 November 2026: 01:30 happens twice; the run is the first one, once.
    first = next_run(utc(2026, 11, 1, 0, 0), time(1, 30), NEW_YORK)
    assert first == utc(2026, 11, 1, 5, 30)
    assert next_run(first, time(1, 30), NEW_YORK) == utc(2026, 11, 2, 6, 30)
    # Across the change, one run per local day, every day.
    moment = utc(2026, 10, 30, 0, 0)
    days = []
    for _ in range(5):
        moment = next_run(moment, six, NEW_YORK)
        days.append(moment.astimezone(NEW_YORK).date())
    assert days == [date(2026, 10, 30) + timedelta(days=n) for n in range(5)]


@pytest.mark.parametrize(
    ("overrides", "variable"),
    [
        ({"export_daily_at": "6am"}, "EXPORT_DAILY_AT"),
        ({"export_daily_at": "24:00"}, "EXPORT_DAILY_AT"),
        ({"export_daily_at": "06:00", "export_daily_kinds": "sales,ventas"}, "EXPORT_DAILY_KINDS"),
        ({"export_daily_at": "06:00", "export_daily_kinds": " , "}, "EXPORT_DAILY_KINDS"),
    ],
)
def test_a_bad_schedule_stops_the_start_naming_the_variable(
    overrides: dict[str, str], variable: str
) -> None:
    with pytest.raises(ConfigurationError, match=variable):
        DailyPlan.from_settings(make_settings("sqlite+aiosqlite:///x.db", **overrides))


def test_the_plan_reads_the_settings() -> None:
    assert DailyPlan.from_settings(make_settings("sqlite+aiosqlite:///x.db")) is None
    plan = DailyPlan.from_settings(
        make_settings(
            "sqlite+aiosqlite:///x.db",
            export_daily_at="06:30",
            export_daily_kinds="sales, conversations",
            shop_timezone="America/New_York",
        )
    )
    assert plan == DailyPlan(time(6, 30), ("sales", "conversations"), NEW_YORK)


# Once a day.


@asynccontextmanager
async def process(settings: Settings) -> AsyncIterator[ExportJobs]:
    """One process's export jobs: its own engine (and pool) on the shared database."""
    db = create_engine(settings.database_url)
    try:
        yield ExportJobs(
            settings=settings,
            db=db,
            sessions=create_sessionmaker(db),
            storage=LocalStorage.from_settings(settings),
        )
    finally:
        await db.dispose()


async def test_the_daily_run_makes_one_job_per_report_even_when_processes_race(
    shop_url: str, tmp_path: Path
) -> None:
    settings = make_settings(
        shop_url,
        storage_local_dir=tmp_path / "files",
        export_daily_at="06:00",
        export_daily_kinds="sales,conversations",
    )
    plan = DailyPlan.from_settings(settings)
    assert plan is not None
    day = date(2026, 11, 21)
    async with process(settings) as one, process(settings) as two, process(settings) as three:
        made = await asyncio.gather(
            *(run_daily(jobs, plan, day) for jobs in (one, two, three, one, two, three))
        )
        # A restart later the same day asks again: nothing new.
        again = await run_daily(one, plan, day)
        async with one.sessions() as session:
            rows = list((await session.execute(select(ExportJob))).scalars())
    assert sorted(job.kind for batch in made for job in batch) == ["conversations", "sales"]
    assert again == []
    assert sorted((r.kind, r.schedule_key) for r in rows) == [
        ("conversations", "conversations:2026-11-21"),
        ("sales", "sales:2026-11-21"),
    ]
    for row in rows:
        assert row.requested_by == "schedule"
        assert row.filters == {"from": "2026-11-21", "to": "2026-11-21"}
        assert row.status == ExportStatus.PENDING


async def test_a_daily_inventory_is_the_catalog_as_it_stands_and_every_report_is_written(
    demo_settings: Settings, tmp_path: Path
) -> None:
    settings = demo_settings.model_copy(
        update={
            "storage_local_dir": tmp_path / "files",
            "export_daily_at": "06:00",
            "export_daily_kinds": "inventory,sales,full",
        }
    )
    plan = DailyPlan.from_settings(settings)
    assert plan is not None
    async with process(settings) as jobs, running(jobs):
        made = await run_daily(jobs, plan, date(2026, 11, 21))
        ended = {job.kind: await finished(jobs, job.id) for job in made}

    assert {kind: job.status for kind, job in ended.items()} == {
        "inventory": ExportStatus.DONE,
        "sales": ExportStatus.DONE,
        "full": ExportStatus.DONE,
    }
    assert ended["inventory"].filters == {}
    assert ended["inventory"].rows == 204  # the demo catalog, every product
    assert ended["sales"].filters == {"from": "2026-11-21", "to": "2026-11-21"}


# Cleanup.


async def test_cleanup_deletes_old_files_and_expires_their_jobs_and_keeps_fresh_ones(
    demo_settings: Settings, tmp_path: Path
) -> None:
    settings = demo_settings.model_copy(
        update={"storage_local_dir": tmp_path / "files", "export_retention_hours": 72}
    )
    async with process(settings) as jobs:
        old = await jobs.run_now("inventory", ExportFilters(), requested_by="cli", progress=None)
        fresh = await jobs.run_now("inventory", ExportFilters(), requested_by="cli", progress=None)
        storage = jobs.storage
        assert isinstance(storage, LocalStorage)
        three_days_ago = utcnow() - timedelta(hours=73)
        async with jobs.sessions() as session:
            await session.execute(
                update(ExportJob).where(ExportJob.id == old.id).values(finished_at=three_days_ago)
            )
            await session.commit()
        async with storage.writer("exports/left-by-nobody.csv", content_type="text/csv") as out:
            await out.write(b"a,b\r\n")
        async with storage.writer("exports/recent-by-nobody.csv", content_type="text/csv") as out:
            await out.write(b"a,b\r\n")
        stamp = three_days_ago.timestamp()
        os.utime(storage.path("exports/left-by-nobody.csv"), (stamp, stamp))

        done = await clean_up(jobs)

        kept = {f.key for f in await storage.list("exports/")}
        assert done.expired_jobs == 1 and done.orphan_files == 1
        assert (await jobs.get(old.id)).status == ExportStatus.EXPIRED
        assert await jobs.link(await jobs.get(old.id)) is None
        assert (await jobs.get(fresh.id)).status == ExportStatus.DONE
        assert kept == {fresh.file_name, "exports/recent-by-nobody.csv"}
        assert (await clean_up(jobs)).expired_jobs == 0  # nothing twice
