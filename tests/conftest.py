"""Shared fixtures: a migrated SQLite database per test, and PostgreSQL databases on demand."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from moto.server import ThreadedMotoServer
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from agent.db import create_engine, create_sessionmaker
from agent.messages import InboundMessage, TurnResult
from agent.migrate import upgrade, upgrade_async
from agent.seed import seed_demo
from agent.settings import Settings
from salesagent.runtime import Runtime

pytest_plugins = [
    "fixtures.llm_setup",
    "fixtures.voice_setup",
    "fixtures.browser",
    "fixtures.live_server",
    "fixtures.whatsapp_setup",
    "fixtures.odoo_server",
    "fixtures.clock",
]
"""The model tests' local protocol servers and runtimes (tests/fixtures/llm_setup.py); the
voice tests' whisper models and speech (tests/fixtures/voice_setup.py); chromium for the
browser tests (tests/fixtures/browser.py); an HTTP client of a test's live server
(tests/fixtures/live_server.py); the local Twilio (tests/fixtures/whatsapp_setup.py) and Odoo
(tests/fixtures/odoo_server.py); the pinned calendar of the date-bound tests
(tests/fixtures/clock.py)."""

TEST_POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A migrated, empty SQLite database in the test's temporary folder."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'salesagent.db'}"
    upgrade(url)
    return url


@pytest.fixture
def settings(sqlite_url: str) -> Settings:
    """Settings for a test: its own empty database, no `.env` from the developer's checkout."""
    return make_settings(sqlite_url)


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


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1 (a free port), shared by the run: its endpoint URL.

    It accepts any access key; each test uses its own bucket, so none sees another's files.
    """
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _admin_dsn() -> str:
    return TEST_POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://")


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database (dropped afterwards). Fails if the server is down."""
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


async def _seed(url: str) -> None:
    engine = create_engine(url)
    try:
        await seed_demo(create_sessionmaker(engine))
    finally:
        await engine.dispose()


async def _migrate_and_seed(url: str) -> None:
    await upgrade_async(url)
    await _seed(url)


@pytest.fixture
def demo_postgres_url(postgres_url: str) -> str:
    """A fresh PostgreSQL database with the demo shop, migrated and seeded as in production."""
    asyncio.run(_migrate_and_seed(postgres_url))
    return postgres_url


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the demo shop, seeded once per test run through the real seed."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    asyncio.run(_seed(url))
    return path


def _demo_copy(tmp_path: Path, demo_template: Path) -> str:
    """The URL of a private copy of the demo shop in the test's temporary folder."""
    path = tmp_path / "shop.db"
    shutil.copy(demo_template, path)
    return f"sqlite+aiosqlite:///{path}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def shop_url(request: pytest.FixtureRequest, tmp_path: Path, demo_template: Path) -> str:
    """The demo shop on a private SQLite copy, or on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return _demo_copy(tmp_path, demo_template)
    url: str = request.getfixturevalue("demo_postgres_url")
    return url


def make_settings(database_url: str, **overrides: object) -> Settings:
    """Settings for a test, ignoring any `.env` of the developer's checkout."""
    values: dict[str, object] = {
        "environment": "test",
        "database_url": database_url,
        "auto_seed_demo": False,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def demo_settings(tmp_path: Path, demo_template: Path) -> Settings:
    """Settings on a private copy of the demo shop database."""
    return make_settings(_demo_copy(tmp_path, demo_template))


@pytest.fixture
async def runtime(demo_settings: Settings) -> AsyncIterator[Runtime]:
    """The whole product wired as in production, on the demo shop."""
    runtime = await Runtime.start(demo_settings, migrate=False)
    yield runtime
    await runtime.close()


class Chat:
    """A customer writing to the agent on one chat, as a channel would deliver it."""

    def __init__(self, runtime: Runtime, chat_id: str, channel: str = "web") -> None:
        self.runtime = runtime
        self.chat_id = chat_id
        self.channel = channel
        self.results: list[TurnResult] = []

    async def say(self, text: str, *, message_id: str | None = None) -> TurnResult:
        """Send `text` and return the turn's result."""
        result = await self.runtime.engine.handle(
            InboundMessage(
                channel=self.channel,
                external_message_id=message_id or uuid.uuid4().hex,
                external_chat_id=self.chat_id,
                text=text,
            )
        )
        self.results.append(result)
        return result


@pytest.fixture
def chat(runtime: Runtime) -> Chat:
    """A new customer on the web channel (as the HTTP chat API and the WebSocket deliver it)."""
    return Chat(runtime, f"chat-{uuid.uuid4().hex[:8]}")
