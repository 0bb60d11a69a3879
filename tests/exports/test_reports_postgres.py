"""On PostgreSQL the reports are written by COPY of a formatting SELECT: the same bytes as the
Python row loop (SQLite's path) for the same data, so the two can never drift apart."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest
from conftest import make_settings
from report_data import FORMULA_NAME, TRICKY_TEXT, add_edge_rows, parse, read_back, talk
from sqlalchemy import func, select

from agent.db import create_engine, create_sessionmaker
from agent.migrate import upgrade_async
from agent.models import OrderLine
from agent.seed import seed_demo
from exports.csv_stream import write_python
from exports.filters import ExportFilters
from exports.pg_copy import LineCounter, write_copy
from exports.queries import build
from exports.reports import APPLIES, CSV_KINDS, content_type, count_rows, write_report
from salesagent.runtime import Runtime
from storage.local import LocalStorage

pytestmark = pytest.mark.postgres
TZ = "America/Bogota"


@pytest.fixture
async def pg_shop(postgres_url: str) -> AsyncIterator[Runtime]:
    """The demo shop on PostgreSQL after the conversations and the edge rows."""
    await upgrade_async(postgres_url)
    engine = create_engine(postgres_url)
    await seed_demo(create_sessionmaker(engine))
    await engine.dispose()
    runtime = await Runtime.start(make_settings(postgres_url), migrate=False)
    await talk(runtime)
    await add_edge_rows(runtime.sessions)
    yield runtime
    await runtime.close()


CASES = [(kind, ExportFilters()) for kind in CSV_KINDS] + [
    ("sales", ExportFilters(date_from=date(2026, 3, 10), date_to=date(2026, 3, 11))),
    ("sales", ExportFilters(channel="whatsapp", state="confirmed")),
    ("customers", ExportFilters(date_from=date(2026, 1, 1))),
    ("conversations", ExportFilters(state="open_cart")),
    ("conversations", ExportFilters(date_to=date(2026, 3, 10), channel="telegram")),
    ("messages", ExportFilters(date_from=date(2026, 3, 10), channel="telegram")),
    ("leads", ExportFilters(channel="telegram", state="open")),
]


async def test_copy_and_python_paths_write_the_same_bytes(pg_shop: Runtime, tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path, None, None)
    for number, (kind, filters) in enumerate(CASES):
        query = build(kind, filters, dialect="postgresql", timezone=TZ)
        files = {}
        for name, write in (("python", write_python), ("copy", write_copy)):
            key = f"exports/{number}-{name}.csv"
            seen: list[int] = []
            async with storage.writer(key, content_type=content_type(kind)) as out:
                rows = await write(
                    query, db=pg_shop.db, timezone=TZ, sink=out, progress=seen.append
                )
            files[name] = await read_back(storage, key)
            assert rows == len(parse(files[name])) == (seen[-1] if seen else 0), (kind, name)
        assert files["copy"] == files["python"], (kind, filters)
        assert len(parse(files["copy"])) > 0, (kind, filters)


async def test_sales_on_postgresql_hold_every_line_and_the_edge_cases(
    pg_shop: Runtime, tmp_path: Path
) -> None:
    storage = LocalStorage(tmp_path, None, None)
    result = await write_report(
        "sales", ExportFilters(), db=pg_shop.db, storage=storage, key="exports/s.csv", timezone=TZ
    )
    rows = parse(await read_back(storage, "exports/s.csv"))
    async with pg_shop.sessions() as session:
        lines = await session.scalar(select(func.count()).select_from(OrderLine))
    assert result.rows == len(rows) == lines
    assert "'" + FORMULA_NAME in {r["customer_name"] for r in rows}
    assert "José Peña Ñandú" in {r["customer_name"] for r in rows}
    messages = parse(
        await read_back(
            storage,
            (
                await write_report(
                    "messages",
                    ExportFilters(channel="telegram"),
                    db=pg_shop.db,
                    storage=storage,
                    key="exports/m.csv",
                    timezone=TZ,
                )
            ).key,
        )
    )
    tricky = next(r for r in messages if r["text"] == TRICKY_TEXT)
    assert (tricky["confidence"], tricky["latency_ms"]) == ("0.877", "12.3")
    assert tricky["time"] == "2026-03-10T23:30:00-05:00"
    assert "'@todos +57 300" in {r["text"] for r in messages}


def test_line_counter_counts_records_not_line_breaks_inside_quotes() -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    records = [["1", TRICKY_TEXT, ""], ["2", 'say ""hi""\n', "x"], ["3", "\n", '"']]
    writer.writerows(records)
    data = buffer.getvalue().encode()
    for size in (1, 2, 3, 7, len(data)):
        counter = LineCounter()
        for start in range(0, len(data), size):
            counter.feed(data[start : start + size])
        assert counter.lines == len(records), size


async def test_full_zip_on_postgresql_holds_the_five_reports(
    pg_shop: Runtime, tmp_path: Path
) -> None:
    storage = LocalStorage(tmp_path, None, None)
    filters = ExportFilters(date_from=date(2026, 3, 10), channel="telegram")
    result = await write_report(
        "full", filters, db=pg_shop.db, storage=storage, key="exports/f.zip", timezone=TZ
    )
    archive = zipfile.ZipFile(io.BytesIO(await read_back(storage, "exports/f.zip")))
    assert archive.namelist() == [f"{kind}.csv" for kind in CSV_KINDS]
    rows = 0
    for kind in CSV_KINDS:
        single = await write_report(
            kind,
            ExportFilters.from_json(
                {name: value for name, value in filters.as_json().items() if name in APPLIES[kind]}
            ),
            db=pg_shop.db,
            storage=storage,
            key=f"exports/{kind}.csv",
            timezone=TZ,
        )
        assert archive.read(f"{kind}.csv") == await read_back(storage, single.key), kind
        rows += single.rows
    assert result.rows == rows == await count_rows("full", filters, db=pg_shop.db, timezone=TZ)
