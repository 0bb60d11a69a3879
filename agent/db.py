"""Engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import psycopg
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

from agent.models import ShopOwned
from agent.shops.current import current_shop_id
from agent.shops.scoping import ShopSession, session_shop_id, tell_database
from agent.sqlite_thread import OneHandOverDBAPI

Row = TypeVar("Row", bound=DeclarativeBase)

READ_ONLY = "salesagent_read_only"
"""An execution option: the connection only reads (on SQLite it takes no write lock)."""


def database_unreachable(err: BaseException) -> bool:
    """Whether `err` says the database server could not be reached or dropped the connection
    (restarting, say), rather than that a statement was wrong: the work is worth doing again.

    Read for SQLAlchemy's errors (the shop's tables) and psycopg's (the task queue's pool, under
    procrastinate's `ConnectorException`: pass its `__cause__`)."""
    if isinstance(err, OSError | OperationalError | InterfaceError | psycopg.OperationalError):
        return True
    return isinstance(err, DBAPIError) and err.connection_invalidated


def create_engine(
    url: str,
    *,
    echo: bool = False,
    pool_size: int = 10,
    pool_overflow: int = 20,
    pool_timeout: float = 30.0,
) -> AsyncEngine:
    """An async engine; SQLite gets WAL, foreign keys, a busy timeout and one hand-over to its
    connection's thread per statement (`agent.sqlite_thread`)."""
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url,
            echo=echo,
            module=OneHandOverDBAPI(),
            connect_args={"timeout": 30, "isolation_level": None},
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(conn: Any) -> None:
            if conn.get_execution_options().get(READ_ONLY):
                # A reader: under WAL it reads one snapshot and never holds up a writer.
                conn.exec_driver_sql("BEGIN")
            else:
                # Take the write lock at BEGIN so two writers queue instead of failing mid-turn.
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    engine = create_async_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        pool_size=pool_size,
        max_overflow=pool_overflow,
        pool_timeout=pool_timeout,
    )

    @event.listens_for(engine.sync_engine, "begin")
    def _shop(conn: Any) -> None:
        # Row-level security reads the shop from the transaction (agent/shops/scoping.py).
        tell_database(conn, current_shop_id())

    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded rows usable after commit, scoped to the current shop."""
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=ShopSession)


def _for_the_shop(
    session: AsyncSession, model: type[DeclarativeBase], values: dict[str, Any], conflict: list[str]
) -> tuple[dict[str, Any], list[str]]:
    """A shop-owned row's values and conflict key with the session's shop: what is unique is
    unique in a shop (migration 0019)."""
    if not issubclass(model, ShopOwned):
        return values, conflict
    shop_id = values.get("shop_id", session_shop_id(session.sync_session))
    return {**values, "shop_id": shop_id}, ["shop_id", *conflict]


@asynccontextmanager
async def transaction(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session inside one transaction: committed on success, rolled back on error."""
    async with sessions() as session, session.begin():
        yield session


@asynccontextmanager
async def reading(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for long reads (reports, figures) that never holds up the chats' writes."""
    async with engine.connect() as conn:
        yield await conn.execution_options(**{READ_ONLY: True})


@asynccontextmanager
async def reading_session(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session that only reads, on a connection like `reading`'s."""
    async with sessions() as session:
        await session.connection(execution_options={READ_ONLY: True})
        yield session


async def insert_ignore(
    session: AsyncSession,
    model: type[DeclarativeBase],
    values: dict[str, Any],
    conflict: list[str],
) -> bool:
    """INSERT unless a row with the same `conflict` columns exists (in the shop, for a row of
    one); True when inserted."""
    values, conflict = _for_the_shop(session, model, values, conflict)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(model).values(**values).on_conflict_do_nothing(index_elements=conflict)
    result = await session.execute(statement)
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def insert_new(
    session: AsyncSession, model: type[Row], values: dict[str, Any], conflict: list[str]
) -> Row | None:
    """INSERT unless a row with the same `conflict` columns exists; the new row (read back by
    the INSERT itself, RETURNING), or None when it existed. A row of a shop is in the session's
    shop."""
    values, conflict = _for_the_shop(session, model, values, conflict)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=conflict)
        .returning(model)
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(statement)).one_or_none()
