"""Export jobs on the demo shop, with the real stores: pending → running → done or failed, the
file read back with the csv module, the concurrency bound, and what a restart finds."""

from __future__ import annotations

import csv
import io
import itertools
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import make_settings
from fixtures.export_runs import finished, running
from pydantic import SecretStr
from sqlalchemy import func, select

from agent.db import create_engine, create_sessionmaker
from agent.errors import InvalidInputError
from agent.models import ExportJob, ExportStatus, OrderLine, utcnow
from agent.settings import Settings
from exports.filters import ExportFilters
from exports.jobs import INTERRUPTED, ExportJobs
from storage.base import Storage
from storage.local import LocalStorage
from storage.s3 import S3Storage

BOM = b"\xef\xbb\xbf"


@asynccontextmanager
async def export_jobs(settings: Settings, storage: Storage) -> AsyncIterator[ExportJobs]:
    """The service on its own engine, as the runtime builds it."""
    db = create_engine(settings.database_url)
    try:
        yield ExportJobs(
            settings=settings, db=db, sessions=create_sessionmaker(db), storage=storage
        )
    finally:
        await db.dispose()


async def order_lines(jobs: ExportJobs) -> int:
    async with jobs.sessions() as session:
        return int(await session.scalar(select(func.count(OrderLine.id))) or 0)


async def read_back(storage: Storage, key: str) -> bytes:
    return b"".join([chunk async for chunk in storage.read(key)])


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM)
    return list(csv.reader(io.StringIO(data[len(BOM) :].decode("utf-8"), newline="")))


async def test_a_sales_job_goes_from_pending_to_done_and_its_file_holds_every_order_line(
    shop_url: str, tmp_path: Path
) -> None:
    settings = make_settings(shop_url, storage_local_dir=tmp_path / "files")
    storage = LocalStorage.from_settings(settings)
    async with export_jobs(settings, storage) as jobs:
        job = await jobs.start("sales", ExportFilters(), requested_by="api:erp")
        assert job.status == ExportStatus.PENDING
        assert await jobs.link(job) is None

        async with running(jobs):
            done = await finished(jobs, job.id)

        assert done.status == ExportStatus.DONE, done.error
        assert done.requested_by == "api:erp"
        lines = await order_lines(jobs)
        assert lines > 0
        assert done.rows == lines
        assert done.file_name is not None and done.file_name.startswith("exports/sales_")
        data = await read_back(storage, done.file_name)
        assert done.bytes == len(data)
        rows = csv_rows(data)
        assert len(rows) == 1 + lines  # the header, then one row per order line
        assert done.started_at is not None and done.finished_at is not None
        assert done.created_at <= done.started_at <= done.finished_at
        link = await jobs.link(done)
        assert link is not None and "sales_" in link.url
        assert link.expires_at > utcnow() + timedelta(seconds=settings.export_link_seconds - 60)


async def test_a_job_writes_to_s3_through_the_s3_store(
    demo_settings: Settings, s3_server: str
) -> None:
    settings = demo_settings.model_copy(
        update={
            "storage_backend": "s3",
            "s3_endpoint_url": s3_server,
            "s3_access_key_id": "testing",
            "s3_secret_access_key": SecretStr("testing"),
            "storage_bucket": f"jobs-{uuid.uuid4().hex[:8]}",
        }
    )
    storage = S3Storage.from_settings(settings)
    await storage.start()
    try:
        async with export_jobs(settings, storage) as jobs, running(jobs):
            job = await jobs.start("customers", ExportFilters(), requested_by="cli")
            done = await finished(jobs, job.id)
            assert done.status == ExportStatus.DONE, done.error
            assert done.file_name is not None
            [stored] = [f for f in await storage.list("exports/") if f.key == done.file_name]
            assert stored.size == done.bytes
            rows = csv_rows(await read_back(storage, done.file_name))
            assert len(rows) == 1 + (done.rows or 0)
    finally:
        await storage.close()


@pytest.mark.parametrize(
    ("kind", "filters", "field"),
    [
        ("salez", ExportFilters(), "kind"),
        (
            "sales",
            ExportFilters(date_from=utcnow().date(), date_to=utcnow().date() - timedelta(1)),
            "from",
        ),
        ("inventory", ExportFilters(channel="web"), "channel"),
        ("conversations", ExportFilters(state="perdida"), "state"),
    ],
    ids=["unknown-kind", "from-after-to", "filter-not-for-the-report", "unknown-state"],
)
async def test_bad_input_is_refused_naming_the_field_and_no_job_is_made(
    demo_settings: Settings, tmp_path: Path, kind: str, filters: ExportFilters, field: str
) -> None:
    settings = demo_settings.model_copy(update={"storage_local_dir": tmp_path / "files"})
    async with export_jobs(settings, LocalStorage.from_settings(settings)) as jobs:
        with pytest.raises(InvalidInputError) as refused:
            await jobs.start(kind, filters, requested_by="cli")
        assert refused.value.field == field
        assert await jobs.recent() == []


async def test_a_job_the_store_refuses_fails_with_the_reason_and_leaves_no_file(
    demo_settings: Settings, tmp_path: Path
) -> None:
    # The store's folder is a plain file: nothing can be written under it.
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("x")
    settings = demo_settings.model_copy(
        update={
            "storage_local_dir": blocked / "files",
            "storage_signing_key": SecretStr("k" * 40),
        }
    )
    storage = LocalStorage.from_settings(settings)
    async with export_jobs(settings, storage) as jobs, running(jobs):
        job = await jobs.start("inventory", ExportFilters(), requested_by="cli")
        failed = await finished(jobs, job.id)
    assert failed.status == ExportStatus.FAILED
    assert failed.error
    assert failed.finished_at is not None
    assert await jobs.link(failed) is None
    assert not (blocked / "files").exists()


async def test_jobs_run_one_at_a_time_by_default(demo_settings: Settings, tmp_path: Path) -> None:
    settings = demo_settings.model_copy(update={"storage_local_dir": tmp_path / "files"})
    assert settings.export_concurrency == 1
    async with export_jobs(settings, LocalStorage.from_settings(settings)) as jobs:
        started = [
            await jobs.start(kind, ExportFilters(), requested_by="cli")
            for kind in ("sales", "customers", "inventory", "messages")
        ]
        async with running(jobs):
            done = [await finished(jobs, job.id) for job in started]
    assert [job.status for job in done] == [ExportStatus.DONE] * 4
    spans = sorted((job.started_at, job.finished_at) for job in done)
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert end is not None and start is not None
        assert start >= end, "a job started while another was still running"
    assert len({job.file_name for job in done}) == 4


async def test_a_restart_fails_jobs_whose_runner_died_and_runs_the_pending_ones(
    shop_url: str, tmp_path: Path
) -> None:
    settings = make_settings(shop_url, storage_local_dir=tmp_path / "files")
    storage = LocalStorage.from_settings(settings)
    long_ago = utcnow() - timedelta(minutes=10)
    left = {
        "dead": ExportJob(
            id=uuid.uuid4().hex,
            kind="sales",
            filters={},
            status=ExportStatus.RUNNING,
            requested_by="api:erp",
            file_name="exports/sales_dead.csv",
            created_at=long_ago,
            started_at=long_ago,
            heartbeat_at=long_ago,
        ),
        "alive": ExportJob(  # another process is writing it: its heartbeat is fresh
            id=uuid.uuid4().hex,
            kind="sales",
            filters={},
            status=ExportStatus.RUNNING,
            requested_by="api:erp",
            file_name="exports/sales_alive.csv",
            created_at=long_ago,
            started_at=long_ago,
            heartbeat_at=utcnow(),
        ),
        "pending": ExportJob(
            id=uuid.uuid4().hex,
            kind="inventory",
            filters={},
            status=ExportStatus.PENDING,
            requested_by="staff:marta",
            created_at=long_ago,
        ),
    }
    # What each writer had written when its process stopped (both just now: not their age,
    # their job's state decides).
    folder = tmp_path / "files" / "exports"
    folder.mkdir(parents=True)
    (folder / ".sales_dead.csv.0a1b2c.part").write_bytes(b"medio archivo")
    (folder / ".sales_alive.csv.3d4e5f.part").write_bytes(b"escribiendo")
    async with export_jobs(settings, storage) as jobs:
        async with jobs.sessions() as session:
            session.add_all(left.values())
            await session.commit()

        async with running(jobs):
            pending = await finished(jobs, left["pending"].id)
            dead = await finished(jobs, left["dead"].id)
            alive = await jobs.get(left["alive"].id)

    assert dead.status == ExportStatus.FAILED
    assert dead.error == INTERRUPTED
    assert alive.status == ExportStatus.RUNNING
    unfinished = sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))
    assert unfinished == [".sales_alive.csv.3d4e5f.part"]
    assert pending.status == ExportStatus.DONE
    assert pending.rows and pending.rows > 0
