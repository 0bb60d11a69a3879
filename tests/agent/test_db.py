"""The database layer on SQLite: writers queue for the lock, readers never hold it."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select, text

from agent.db import create_engine, create_sessionmaker, reading, reading_session, transaction
from agent.models import Customer


async def _write_customer(url: str, national_id: str) -> None:
    """Insert a customer from another engine, as another process would."""
    engine = create_engine(url)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            session.add(Customer(national_id=national_id, name="Nueva Cliente"))
    finally:
        await engine.dispose()


async def test_a_long_read_does_not_hold_up_a_write(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        async with reading(engine) as conn:
            # The report has started reading (its transaction is open) when a chat writes.
            before = await conn.scalar(select(func.count()).select_from(Customer))
            # The write is done while the read is still open (a blocked one would time out).
            await asyncio.wait_for(_write_customer(sqlite_url, "1001"), timeout=10)
            # Its snapshot stays whole: the new row belongs to the next report.
            during = await conn.scalar(select(func.count()).select_from(Customer))
        async with create_sessionmaker(engine)() as session:
            after = await session.scalar(select(func.count()).select_from(Customer))
    finally:
        await engine.dispose()

    assert (before, during, after) == (0, 0, 1)


async def test_a_reading_session_does_not_hold_up_a_write(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        async with reading_session(create_sessionmaker(engine)) as session:
            before = await session.scalar(select(func.count()).select_from(Customer))
            await asyncio.wait_for(_write_customer(sqlite_url, "1002"), timeout=10)
            during = await session.scalar(select(func.count()).select_from(Customer))
    finally:
        await engine.dispose()

    assert before == during == 0  # one snapshot, taken at its first read


async def test_writers_still_take_the_lock_at_begin(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            await session.execute(text("SELECT 1"))
            # A second writer queues behind the first instead of failing halfway through.
            second = asyncio.create_task(_write_customer(sqlite_url, "1003"))
            await asyncio.sleep(0.5)
            assert not second.done()
        await asyncio.wait_for(second, timeout=10)
    finally:
        await engine.dispose()
