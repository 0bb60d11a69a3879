"""PostgreSQL's row-level security, the second wall: as the application's (non-superuser) role,
SQL that names no shop still sees one shop's rows, and cannot write another shop's."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from agent.db import create_engine, create_sessionmaker, transaction
from agent.models import Product
from agent.shops.current import all_shops, shop_scope
from agent.shops.directory import create_shop

pytestmark = pytest.mark.postgres


@pytest.fixture
async def app_url(demo_postgres_url: str) -> AsyncIterator[str]:
    """The demo shop plus a second shop with one product, reached as a role like the
    application's: it may read and write the tables, and is not a superuser."""
    engine = create_engine(demo_postgres_url)
    sessions = create_sessionmaker(engine)
    async with transaction(sessions) as session:
        shop = await create_shop(session, slug="second", name="Second Shop")
    with shop_scope(shop.id):
        async with transaction(sessions) as session:
            session.add(Product(sku="B-1", name="Shop two hose", category="x", price=Decimal(5)))
    role = f"salesagent_app_{uuid.uuid4().hex[:8]}"
    async with engine.begin() as conn:
        await conn.execute(text(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS"))
        await conn.execute(text(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}"))
        await conn.execute(text(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}"))
    yield demo_postgres_url.replace("://postgres@", f"://{role}@", 1)
    async with engine.begin() as conn:
        await conn.execute(text(f"DROP OWNED BY {role}"))
        await conn.execute(text(f"DROP ROLE {role}"))
    await engine.dispose()


async def test_sql_naming_no_shop_sees_only_the_current_shop(app_url: str) -> None:
    engine = create_engine(app_url)
    try:
        with shop_scope(2):
            async with engine.connect() as conn:
                theirs = (await conn.execute(text("SELECT sku, price FROM products"))).all()
        async with engine.connect() as conn:
            demo = (await conn.execute(text("SELECT sku FROM products"))).scalars().all()
        with all_shops():
            async with engine.connect() as conn:
                every = await conn.scalar(text("SELECT count(*) FROM products"))
    finally:
        await engine.dispose()
    assert theirs == [("B-1", Decimal(5))]
    assert len(demo) > 100 and "B-1" not in demo
    assert every == len(demo) + 1


async def test_a_connection_that_names_no_shop_sees_nothing(app_url: str) -> None:
    conn = await asyncpg.connect(app_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        products = await conn.fetchval("SELECT count(*) FROM products")
        lines = await conn.fetchval("SELECT count(*) FROM sale_lines")
    finally:
        await conn.close()
    assert (products, lines) == (0, 0)


async def test_writing_another_shops_rows_is_refused(app_url: str) -> None:
    engine = create_engine(app_url)
    try:
        with shop_scope(2), pytest.raises(DBAPIError, match="row-level security"):
            async with engine.begin() as conn:
                await conn.execute(
                    text(
                        "INSERT INTO products (shop_id, sku, name, description, category, "
                        "currency, stock, synonyms, attributes, active, created_at, updated_at) "
                        "VALUES (1, 'SNEAK', 'x', '', 'x', 'COP', 1, '[]', '{}', true, "
                        "now(), now())"
                    )
                )
        with shop_scope(2):
            async with engine.begin() as conn:
                changed = await conn.execute(text("UPDATE products SET stock = 0"))
    finally:
        await engine.dispose()
    assert changed.rowcount == 1  # type: ignore[attr-defined]  # B-1 only
