"""On PostgreSQL, customers racing for the last unit: exactly one order, stock never negative."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from conftest import Chat, make_settings
from sqlalchemy import func, select, update

from agent.db import create_engine, create_sessionmaker
from agent.messages import TurnResult
from agent.migrate import upgrade
from agent.models import Order, Product, SaleState
from agent.runtime import Runtime
from agent.seed import seed_demo

CUSTOMERS = [
    ("1032456789", "Laura Restrepo", "3104567890"),
    ("79845123", "Andrés Gómez", "3157778899"),
    ("1088234567", "Camila Ospina", "3001112233"),
    ("42123987", "Jorge Salazar", "3209998877"),
]


@pytest.fixture
async def pg_runtimes(postgres_url: str) -> AsyncIterator[list[Runtime]]:
    """Two runtimes on one PostgreSQL database, as two server processes would be."""
    upgrade(postgres_url)
    engine = create_engine(postgres_url)
    await seed_demo(create_sessionmaker(engine))
    await engine.dispose()
    runtimes = [
        await Runtime.start(make_settings(postgres_url), migrate=False) for _ in range(2)
    ]
    yield runtimes
    for runtime in runtimes:
        await runtime.close()


async def ready_to_confirm(chat: Chat, sku: str, national_id: str, name: str, phone: str) -> None:
    steps = [
        f"quiero 1 {sku}",
        "eso es todo",
        national_id,
        name,
        phone,
        "Pereira",
        "Calle 19 # 8-34",
    ]
    result: TurnResult | None = None
    for text in steps:
        result = await chat.say(text)
    assert result is not None and result.sale_state == SaleState.READY_TO_CONFIRM, result


async def test_racing_for_the_last_unit_gives_one_order_and_stock_zero(
    pg_runtimes: list[Runtime],
) -> None:
    first = pg_runtimes[0]
    async with first.sessions() as session, session.begin():
        product = (
            await session.execute(
                select(Product).where(Product.price.is_not(None)).order_by(Product.id).limit(1)
            )
        ).scalar_one()
        await session.execute(update(Product).where(Product.id == product.id).values(stock=1))
        sku = product.sku
    chats = [
        Chat(pg_runtimes[i % 2], f"race-{uuid.uuid4().hex[:6]}") for i in range(len(CUSTOMERS))
    ]
    for chat, (national_id, name, phone) in zip(chats, CUSTOMERS, strict=True):
        await ready_to_confirm(chat, sku, national_id, name, phone)

    results = await asyncio.gather(*(chat.say("sí, confirmo") for chat in chats))

    closed = [r for r in results if r.sale_state == SaleState.CLOSED]
    assert len(closed) == 1 and closed[0].order_id is not None
    losers = [r for r in results if r.sale_state != SaleState.CLOSED]
    assert all(r.reply and "agot" in r.reply for r in losers)
    async with first.sessions() as session:
        stock = await session.scalar(select(Product.stock).where(Product.sku == sku))
        orders = await session.scalar(select(func.count()).select_from(Order).where(Order.sale_id.is_not(None)))
    assert stock == 0
    assert orders == 1


async def test_confirming_twice_creates_one_order(pg_runtimes: list[Runtime]) -> None:
    chat = Chat(pg_runtimes[0], "twice")
    async with pg_runtimes[0].sessions() as session:
        sku = await session.scalar(
            select(Product.sku).where(Product.stock > 5, Product.price.is_not(None)).limit(1)
        )
    assert sku is not None
    await ready_to_confirm(chat, sku, *CUSTOMERS[0])

    same_chat_elsewhere = Chat(pg_runtimes[1], "twice")
    results = await asyncio.gather(chat.say("sí"), same_chat_elsewhere.say("confirmo"))

    assert {r.order_id for r in results if r.order_id} == {results[0].order_id or results[1].order_id}
    async with pg_runtimes[0].sessions() as session:
        orders = await session.scalar(select(func.count()).select_from(Order).where(Order.sale_id.is_not(None)))
    assert orders == 1
