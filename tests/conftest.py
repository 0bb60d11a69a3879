"""Shared fixtures: a migrated SQLite database per test, and PostgreSQL databases on demand."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from agent.db import create_engine, create_sessionmaker
from agent.migrate import upgrade
from agent.settings import Settings

TEST_POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A migrated, empty SQLite database in the test's temporary folder."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'salesagent.db'}"
    upgrade(url)
    return url


@pytest.fixture
def settings(sqlite_url: str, tmp_path: Path) -> Settings:
    """Settings for a test: its own database, no `.env` from the developer's checkout."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="test",
        database_url=sqlite_url,
        auto_seed_demo=False,
    )


@pytest.fixture
async def engine(settings: Settings) -> AsyncIterator[AsyncEngine]:
    """The async engine on the test database."""
    engine = create_engine(settings.database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """A session factory on the test database."""
    return create_sessionmaker(engine)


@pytest.fixture
async def session(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One session; tests commit what they want others to see."""
    async with sessions() as session:
        yield session


def _admin_dsn() -> str:
    return TEST_POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database (dropped afterwards). Fails if the server is down."""
    import asyncio

    name = f"salesagent_test_{uuid.uuid4().hex[:12]}"

    async def admin(sql: str) -> None:
        try:
            conn = await asyncpg.connect(_admin_dsn())
        except OSError as err:
            raise RuntimeError(
                f"PostgreSQL is not reachable at {TEST_POSTGRES_URL} (set TEST_POSTGRES_URL)"
            ) from err
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    base = _admin_dsn().rsplit("/", 1)[0]
    yield f"postgresql+asyncpg://{base.split('://', 1)[1]}/{name}"
    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
