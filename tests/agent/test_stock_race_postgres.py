"""On PostgreSQL, customers racing for the last unit: exactly one order, stock never negative."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from conftest import Chat, make_settings
from sqlalchemy import func, select, update

from agent.messages import TurnResult
from agent.models import Order, Product, SaleState
from salesagent.runtime import Runtime

CUSTOMERS = [
    ("1032456789", "Laura Restrepo", "3104567890"),
    ("79845123", "Andrés Gómez", "3157778899"),
    ("1088234567", "Camila Ospina", "3001112233"),
    ("42123987", "Jorge Salazar", "3209998877"),
]


@pytest.fixture
async def pg_runtimes(demo_postgres_url: str) -> AsyncIterator[list[Runtime]]:
    """Two runtimes on one PostgreSQL database, as two server processes would be."""
    runtimes = [
        await Runtime.start(make_settings(demo_postgres_url), migrate=False) for _ in range(2)
    ]
    yield runtimes
    for runtime in runtimes:
        await runtime.close()


SKU = "EXT-PQS-10"
PRODUCT = "extintor multipropósito PQS ABC de 10 libras"


async def ready_to_confirm(chat: Chat, national_id: str, name: str, phone: str) -> None:
    added = await chat.say(f"quiero 1 {PRODUCT}")
    assert [line.sku for line in added.cart] == [SKU], added
    steps = [
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
    chats = [
        Chat(pg_runtimes[i % 2], f"race-{uuid.uuid4().hex[:6]}") for i in range(len(CUSTOMERS))
    ]
    for chat, (national_id, name, phone) in zip(chats, CUSTOMERS, strict=True):
        await ready_to_confirm(chat, national_id, name, phone)
    async with first.sessions() as session, session.begin():
        await session.execute(update(Product).where(Product.sku == SKU).values(stock=1))

    results = await asyncio.gather(*(chat.say("sí, confirmo") for chat in chats))

    closed = [r for r in results if r.sale_state == SaleState.CLOSED]
    assert len(closed) == 1 and closed[0].order_id is not None
    losers = [r for r in results if r.sale_state != SaleState.CLOSED]
    assert all(r.reply and "agot" in r.reply for r in losers)
    async with first.sessions() as session:
        stock = await session.scalar(select(Product.stock).where(Product.sku == SKU))
        orders = await session.scalar(
            select(func.count()).select_from(Order).where(Order.sale_id.is_not(None))
        )
    assert stock == 0
    assert orders == 1


async def test_confirming_twice_creates_one_order(pg_runtimes: list[Runtime]) -> None:
    chat = Chat(pg_runtimes[0], "twice")
    await ready_to_confirm(chat, *CUSTOMERS[0])

    same_chat_elsewhere = Chat(pg_runtimes[1], "twice")
    results = await asyncio.gather(chat.say("sí"), same_chat_elsewhere.say("confirmo"))

    # Whichever process read the sale first closes it; the other either finds the order or,
    # reading after the close, has nothing left to confirm. Never a second order.
    assert len({r.order_id for r in results if r.order_id is not None}) == 1
    async with pg_runtimes[0].sessions() as session:
        orders = await session.scalar(
            select(func.count()).select_from(Order).where(Order.sale_id.is_not(None))
        )
        stock = await session.scalar(select(Product.stock).where(Product.sku == SKU))
    assert orders == 1
    assert stock == 40  # the demo's 41, taken once
