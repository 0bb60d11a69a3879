"""Alembic is the schema authority: it runs both ways on SQLite and PostgreSQL, with no drift."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from agent.db import create_engine
from agent.migrate import described_by_models, downgrade, upgrade
from agent.models import Base

TABLES = {
    "products",
    "customers",
    "conversations",
    "sales",
    "sale_lines",
    "orders",
    "order_lines",
    "messages",
    "inbox",
    "outbox",
    "handoffs",
    "api_keys",
    "deliveries",
    "staff",
    "staff_sessions",
    "staff_notes",
    "kb_documents",
    "kb_chunks",
    "leads",
    "proposals",
    "proposal_audits",
}


def _schema(connection: Connection) -> tuple[set[str], list[object]]:
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "include_name": described_by_models}
    )
    return set(inspect(connection).get_table_names()), compare_metadata(context, Base.metadata)


async def _inspect(url: str) -> tuple[set[str], list[object]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_schema)
    finally:
        await engine.dispose()


def check_round_trip(url: str) -> None:
    upgrade(url)
    tables, drift = asyncio.run(_inspect(url))
    assert tables >= TABLES
    assert drift == [], f"models and migrations disagree: {drift}"

    downgrade(url, "base")
    tables, _ = asyncio.run(_inspect(url))
    assert tables <= {"alembic_version"}

    upgrade(url)
    tables, _ = asyncio.run(_inspect(url))
    assert tables >= TABLES


def test_migrations_on_sqlite(tmp_path: pytest.TempPathFactory) -> None:
    check_round_trip(f"sqlite+aiosqlite:///{tmp_path}/m.db")


def test_migrations_on_postgresql(postgres_url: str) -> None:
    check_round_trip(postgres_url)
