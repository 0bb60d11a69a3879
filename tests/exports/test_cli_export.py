"""`salesagent export` as a shop owner runs it: a real process on a copy of the demo shop."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest
from fixtures.cli_process import SHOP_PREFIXES, cli_env, salesagent
from sales_rows import sales_in_csv, sales_in_database

from agent.db import create_engine, create_sessionmaker


@pytest.fixture
def shop(tmp_path: Path, demo_template: Path) -> dict[str, str]:
    """The environment of a shop whose database is a copy of the demo shop."""
    database = tmp_path / "shop.db"
    database.write_bytes(demo_template.read_bytes())
    return cli_env(
        f"sqlite:///{database}",
        drop=(*SHOP_PREFIXES, "STORAGE_", "PUBLIC_BASE_URL"),
        STORAGE_LOCAL_DIR=str(tmp_path / "files"),
    )


def export(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return salesagent(env, "export", *args)


def jobs_in(env: dict[str, str]) -> list[tuple[object, ...]]:
    with sqlite3.connect(env["DATABASE_URL"].removeprefix("sqlite:///")) as connection:
        return connection.execute(
            "select kind, status, requested_by, rows, bytes, file_name from export_jobs"
        ).fetchall()


async def test_export_sales_with_out_writes_the_order_lines_to_the_store_and_the_file(
    shop: dict[str, str], tmp_path: Path
) -> None:
    target = tmp_path / "ventas.csv"

    done = export(shop, "sales", "--out", str(target))

    assert done.returncode == 0, done.stderr
    engine = create_engine(shop["DATABASE_URL"].replace("sqlite://", "sqlite+aiosqlite://"))
    try:
        expected = await sales_in_database(create_sessionmaker(engine))
    finally:
        await engine.dispose()
    data = target.read_bytes()
    assert sales_in_csv(data) == expected
    [(kind, status, who, rows, size, key)] = jobs_in(shop)
    assert (kind, status, who, rows, size) == ("sales", "done", "cli", len(expected), len(data))
    assert isinstance(key, str) and key.startswith("exports/sales_")
    assert (Path(shop["STORAGE_LOCAL_DIR"]) / key).read_bytes() == data
    assert f"{len(expected)} rows, {len(data)} bytes" in done.stdout
    assert f"key: {key}" in done.stdout
    assert "/files/exports/sales_" in done.stdout and "token=" in done.stdout
    assert f"{len(expected)}/{len(expected)}" in done.stderr  # the progress bar's last state


async def test_a_date_range_with_no_orders_gives_a_header_only_file(
    shop: dict[str, str], tmp_path: Path
) -> None:
    target = tmp_path / "nada.csv"
    done = export(shop, "sales", "--from", "2001-01-01", "--to", "2001-01-02", "--out", str(target))
    assert done.returncode == 0, done.stderr
    assert sales_in_csv(target.read_bytes()) == []
    assert "0 rows" in done.stdout


@pytest.mark.parametrize(
    ("args", "names"),
    [
        (["ventas"], "kind"),
        (["sales", "--from", "2026-13-01"], "--from"),
        (["sales", "--from", "2026-11-02", "--to", "2026-11-01"], "from"),
        (["inventory", "--channel", "web"], "channel"),
        (["conversations", "--state", "perdida"], "state"),
        (["sales", "--out", "/no/such/folder/ventas.csv"], "--out"),
    ],
    ids=[
        "unknown-kind",
        "bad-date",
        "from-after-to",
        "filter-not-for-report",
        "bad-state",
        "out-folder-missing",
    ],
)
def test_bad_input_exits_2_naming_the_field_without_a_traceback(
    shop: dict[str, str], args: list[str], names: str
) -> None:
    done = export(shop, *args)

    assert done.returncode == 2
    assert names in done.stderr
    assert "Traceback" not in done.stderr
    assert jobs_in(shop) == []
