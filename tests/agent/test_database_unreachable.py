"""One notion of "the database cannot be reached": for the shop's tables (SQLAlchemy on asyncpg)
and for the task queue's pool (procrastinate on psycopg), from real failures of real servers."""

from __future__ import annotations

import pytest
from fixtures.private_services import free_port
from procrastinate import App, PsycopgConnector
from procrastinate.exceptions import ConnectorException
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import text

from agent.db import create_engine, database_unreachable

pytestmark = pytest.mark.postgres


def _nobody() -> str:
    """A PostgreSQL URL on a port nothing listens on (a server down, or restarting)."""
    return f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/shop"


async def _statement_error(url: str, sql: str) -> BaseException:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text(sql))
    except Exception as err:
        return err
    finally:
        await engine.dispose()
    raise AssertionError(f"{sql!r} did not fail")


async def test_a_server_down_is_unreachable_for_the_shops_tables() -> None:
    assert database_unreachable(await _statement_error(_nobody(), "SELECT 1"))


async def test_a_connection_the_server_ended_is_unreachable(postgres_url: str) -> None:
    # As a restart does: the server ends the session under the statement.
    err = await _statement_error(postgres_url, "SELECT pg_terminate_backend(pg_backend_pid())")
    assert database_unreachable(err)


@pytest.mark.parametrize(
    "sql",
    ["SELEC 1", "SELECT * FROM nowhere", "SELECT 1 / 0"],
    ids=["syntax", "no such table", "division by zero"],
)
async def test_a_wrong_statement_is_not_unreachable(postgres_url: str, sql: str) -> None:
    assert not database_unreachable(await _statement_error(postgres_url, sql))


async def test_a_server_down_is_unreachable_for_the_task_queue() -> None:
    dsn = "postgresql://" + _nobody().split("://", 1)[1]
    pool = AsyncConnectionPool(dsn, min_size=1, timeout=0.5, open=False)
    await pool.open(wait=False)
    app = App(connector=PsycopgConnector())

    @app.task(name="turn")
    async def turn() -> None: ...

    try:
        async with app.open_async(pool):
            with pytest.raises(ConnectorException) as deferred:
                await turn.defer_async()
    finally:
        await pool.close()
    assert deferred.value.__cause__ is not None
    assert database_unreachable(deferred.value.__cause__)  # what TaskQueue.defer asks
