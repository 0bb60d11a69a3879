"""The sales export on PostgreSQL against the floor, PostgreSQL's own COPY of the same rows.

    .venv/bin/python bench/export_speed.py [--lines 100000 1000000] [--rounds 3]
        [--database-url URL] [--sqlite-lines 500000]

For each size it makes a database of its own on the server of `--database-url` (dropped
afterwards), adds that many order lines in SQL, and runs each case in a fresh subprocess:

- floor: `COPY (<the sales report's SELECT, raw columns>) TO STDOUT WITH CSV` through asyncpg,
  the bytes counted and dropped;
- export: `write_report("sales", ...)` into a LocalStorage folder (COPY of the formatting
  SELECT, the file on disk);
- python path: the same file by the Python row loop (what SQLite uses), on PostgreSQL.

With `--sqlite-lines`, the export from a SQLite file of that many lines too (no floor there).
The cases take turns for `--rounds` rounds. Prints rows/s and seconds (medians), the children's
peak RSS, and the median time's ratio to the floor's with the range of the rounds' ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import closing
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))  # not tests/: tests/agent would shadow agent

from bulk_orders import insert_order_lines  # noqa: E402

from agent.db import create_engine  # noqa: E402
from agent.migrate import upgrade_async  # noqa: E402
from exports.csv_stream import write_python  # noqa: E402
from exports.filters import ExportFilters  # noqa: E402
from exports.queries import build  # noqa: E402
from exports.reports import content_type, write_report  # noqa: E402
from storage.local import LocalStorage  # noqa: E402

TIMEZONE = "America/Bogota"
CASES = ("floor", "export", "python")
LABELS = {
    "floor": "COPY ... TO STDOUT WITH CSV (floor)",
    "export": "sales export (COPY path) to local storage",
    "python": "sales export, Python row loop, to local storage",
}


SQLITE_SEED = """
INSERT INTO products (sku, name, description, category, price, currency, stock, synonyms,
                      attributes, active, created_at, updated_at)
VALUES ('GUA-1', 'Guante de carnaza "ñandú"', '', 'Guantes', 7500, 'COP', 10, '[]', '{{}}', 1,
        '2026-01-01 05:00:00.000000', '2026-01-01 05:00:00.000000');
INSERT INTO customers (national_id, name, city, created_at)
VALUES ('1020304050', 'José Peña', 'Pereira', '2026-01-01 05:00:00.000000');
WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < {orders})
INSERT INTO orders (id, customer_id, channel, status, total, currency, created_at)
SELECT x, 1, 'web', 'confirmed', 37500, 'COP', '2026-01-01 05:00:00.000000' FROM g;
WITH RECURSIVE g(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM g WHERE x < {lines} - 1)
INSERT INTO order_lines (order_id, product_id, sku, name, quantity, unit_price, line_total)
SELECT 1 + x / 5, 1, 'GUA-1', 'Guante de carnaza "ñandú"', 1, 7500, 7500 FROM g;
"""


def sqlite_shop(folder: Path, lines: int) -> str:
    """A migrated SQLite shop with `lines` order lines (5 to an order); its URL."""
    path = folder / "shop.db"
    url = f"sqlite+aiosqlite:///{path}"
    asyncio.run(upgrade_async(url))
    with closing(sqlite3.connect(path)) as db:
        db.executescript(SQLITE_SEED.format(orders=lines // 5, lines=lines))
        db.commit()
    return url


async def run_case(case: str, url: str, folder: Path) -> dict[str, Any]:
    """One case in this process: its rows, bytes and seconds."""
    engine = create_engine(url)
    storage = LocalStorage(folder, None, None)
    query = build("sales", ExportFilters(), dialect=engine.dialect.name, timezone=TIMEZONE)
    started = time.perf_counter()
    if case == "floor":
        compiled = query.raw().compile(dialect=engine.dialect)
        size = 0

        async def drop(data: bytes) -> None:
            nonlocal size
            size += len(data)

        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
        try:
            status = await conn.copy_from_query(str(compiled), output=drop, format="csv")
        finally:
            await conn.close()
        rows = int(status.split()[-1])
    elif case == "export":
        result = await write_report(
            "sales",
            ExportFilters(),
            db=engine,
            storage=storage,
            key="exports/bench.csv",
            timezone=TIMEZONE,
        )
        rows, size = result.rows, result.size
    else:
        async with storage.writer("exports/bench.csv", content_type=content_type("sales")) as out:
            rows = await write_python(query, db=engine, timezone=TIMEZONE, sink=out)
            size = out.size
    seconds = time.perf_counter() - started
    await engine.dispose()
    return {"rows": rows, "bytes": size, "seconds": seconds}


def own_peak_mb() -> float:
    """This process's peak resident memory since its exec (VmHWM): getrusage's ru_maxrss would
    also count the parent's, which a spawned child shares until it execs."""
    status = Path("/proc/self/status").read_text()
    peak_kb = next(int(line.split()[1]) for line in status.splitlines() if line[:6] == "VmHWM:")
    return peak_kb / 1024


def child(case: str, url: str) -> dict[str, Any]:
    """Run one case in a fresh interpreter, so that its peak memory is its own."""
    with tempfile.TemporaryDirectory() as folder:
        output = subprocess.run(
            [sys.executable, __file__, "--case", case, "--database-url", url, "--folder", folder],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
        ).stdout
    return dict(json.loads(output.splitlines()[-1]))


async def admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def measure(lines: int, server: str, rounds: int) -> dict[str, list[dict[str, Any]]]:
    """Make a database with `lines` order lines, run the cases `rounds` times, drop it."""
    name = f"bench_exports_{uuid.uuid4().hex[:8]}"
    base = server.replace("postgresql://", "postgresql+asyncpg://").rsplit("/", 1)[0]
    url = f"{base}/{name}"
    asyncio.run(admin(server, f'CREATE DATABASE "{name}"'))
    try:
        asyncio.run(upgrade_async(url))
        started = time.perf_counter()
        asyncio.run(insert_order_lines(url, lines))
        print(f"{lines:,} order lines made in {time.perf_counter() - started:.1f} s", flush=True)
        runs: dict[str, list[dict[str, Any]]] = {case: [] for case in CASES}
        # The cases take turns, so that a burst of load from other processes hits all of them.
        for _ in range(rounds):
            for case in CASES:
                runs[case].append(child(case, url))
        return runs
    finally:
        asyncio.run(admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--sqlite-lines", type=int, default=0, help="also export this many lines from SQLite"
    )
    parser.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        result = asyncio.run(run_case(args.case, args.database_url, args.folder))
        print(json.dumps({**result, "peak_mb": own_peak_mb()}))
        return
    table = [
        "| order lines | case | rows/s | seconds (median) | MB written | peak RSS MB "
        "| time vs COPY (median; range over rounds) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for lines in args.lines:
        runs = measure(lines, args.database_url, args.rounds)
        floors = [r["seconds"] for r in runs["floor"]]
        floor = statistics.median(floors)
        for case, results in runs.items():
            assert all(r["rows"] == lines for r in results), (case, results)
            seconds = statistics.median(r["seconds"] for r in results)
            ratios = [r["seconds"] / f for r, f in zip(results, floors, strict=True)]
            table.append(
                f"| {lines:,} | {LABELS[case]} | {lines / seconds:,.0f} | {seconds:.2f} "
                f"| {results[0]['bytes'] / 1e6:.1f} | {max(r['peak_mb'] for r in results):.0f} "
                f"| {seconds / floor:.2f}× ({min(ratios):.2f}–{max(ratios):.2f}) |"
            )
    if args.sqlite_lines:
        with tempfile.TemporaryDirectory() as folder:
            url = sqlite_shop(Path(folder), args.sqlite_lines)
            results = [child("export", url) for _ in range(args.rounds)]
        assert all(r["rows"] == args.sqlite_lines for r in results), results
        seconds = statistics.median(r["seconds"] for r in results)
        table.append(
            f"| {args.sqlite_lines:,} | sales export on SQLite (the Python row loop) "
            f"| {args.sqlite_lines / seconds:,.0f} | {seconds:.2f} "
            f"| {results[0]['bytes'] / 1e6:.1f} | {max(r['peak_mb'] for r in results):.0f} | — |"
        )
    print("\n".join(table))


if __name__ == "__main__":
    main()
