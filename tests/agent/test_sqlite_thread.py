"""SQLite with one hand-over per statement: writers of two processes at once lose nothing, a
failed transaction leaves nothing, and a statement's rows, count and RETURNING come back."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from agent.db import create_engine, reading, transaction
from agent.db import create_sessionmaker as sessionmaker


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path}/t.db"


async def test_two_processes_writing_at_once_lose_nothing(url: str) -> None:
    engines = [create_engine(url), create_engine(url)]
    try:
        async with engines[0].begin() as conn:
            await conn.execute(text("CREATE TABLE moves (id INTEGER PRIMARY KEY, n INTEGER)"))
            await conn.execute(text("CREATE TABLE stock (id INTEGER PRIMARY KEY, units INTEGER)"))
            await conn.execute(text("INSERT INTO stock VALUES (1, 0)"))

        async def move(engine_number: int, n: int) -> None:
            # Read, then write what was read: right only if each transaction held the lock.
            async with transaction(sessionmaker(engines[engine_number])) as session:
                units = await session.scalar(text("SELECT units FROM stock WHERE id = 1"))
                await asyncio.sleep(0)
                await session.execute(
                    text("UPDATE stock SET units = :u WHERE id = 1"), {"u": units + 1}
                )
                await session.execute(text("INSERT INTO moves (n) VALUES (:n)"), {"n": n})

        await asyncio.gather(*(move(n % 2, n) for n in range(40)))
        async with reading(engines[1]) as conn:
            assert (await conn.scalar(text("SELECT units FROM stock"))) == 40
            moves = (await conn.execute(text("SELECT n FROM moves ORDER BY n"))).scalars()
            assert list(moves) == list(range(40))
    finally:
        for engine in engines:
            await engine.dispose()


async def test_a_failed_transaction_leaves_nothing_and_rows_come_back(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
            inserted = await conn.execute(
                text("INSERT INTO t (v) VALUES ('a'), ('b'), ('c') RETURNING id")
            )
            assert inserted.scalars().all() == [1, 2, 3]

        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                updated = await conn.execute(text("UPDATE t SET v = v || '!' WHERE id < 3"))
                assert updated.rowcount == 2
                await conn.execute(text("INSERT INTO t (v) VALUES ('c')"))

        async with engine.connect() as conn:
            result = await conn.execute(text("SELECT v FROM t ORDER BY id"))
            assert result.fetchone() == ("a",)
            assert result.fetchmany(5) == [("b",), ("c",)]
            assert result.fetchone() is None
    finally:
        await engine.dispose()
