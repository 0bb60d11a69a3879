"""The memory bound: a sales export of 1,000,000 order lines on PostgreSQL, in a process of its
own, peaks under 200 MB of resident memory and writes every line."""

from __future__ import annotations

import asyncio
import csv
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import asyncpg
import pytest
from fixtures.bulk_orders import insert_order_lines

from agent.migrate import upgrade_async

pytestmark = pytest.mark.postgres

LINES = 1_000_000
PEAK_MB = 200
ROOT = Path(__file__).resolve().parents[2]
EXPORT = """
import asyncio, sys
from pathlib import Path
from agent.db import create_engine
from exports.filters import ExportFilters
from exports.reports import write_report
from storage.local import LocalStorage

async def main(url, folder):
    engine = create_engine(url)
    result = await write_report(
        "sales", ExportFilters(), db=engine, storage=LocalStorage(Path(folder), None, None),
        key="exports/sales.csv", timezone="America/Bogota",
    )
    await engine.dispose()
    status = Path("/proc/self/status").read_text()
    peak_kb = next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))
    print(result.rows, result.size, peak_kb)

asyncio.run(main(sys.argv[1], sys.argv[2]))
"""


async def _line_total_sum(url: str) -> Decimal:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return Decimal(await conn.fetchval("SELECT sum(line_total) FROM order_lines"))
    finally:
        await conn.close()


def test_a_million_order_lines_export_under_200_mb(postgres_url: str, tmp_path: Path) -> None:
    asyncio.run(upgrade_async(postgres_url))
    asyncio.run(insert_order_lines(postgres_url, LINES))

    started = time.perf_counter()
    printed = subprocess.run(
        [sys.executable, "-c", EXPORT, postgres_url, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        check=True,
        text=True,
    ).stdout.split()
    seconds = time.perf_counter() - started
    # The child's own peak (VmHWM of its memory after exec): getrusage's ru_maxrss would
    # count this big pytest process too, whose memory the child shares until its exec.
    peak_mb = int(printed[2]) / 1024

    path = tmp_path / "exports" / "sales.csv"
    with path.open(encoding="utf-8-sig", newline="") as file:
        reader = csv.reader(file)
        header = next(reader)
        column = header.index("line_total")
        rows = 0
        total = Decimal(0)
        for row in reader:
            rows += 1
            total += Decimal(row[column])
    print(
        f"\nsales export of {LINES:,} order lines: {rows:,} rows, "
        f"{path.stat().st_size / 1e6:.1f} MB in {seconds:.1f} s, peak RSS {peak_mb:.0f} MB"
    )
    assert printed[:2] == [str(LINES), str(path.stat().st_size)]
    assert rows == LINES
    assert total == asyncio.run(_line_total_sum(postgres_url))
    assert peak_mb < PEAK_MB
