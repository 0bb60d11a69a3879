"""Order placement called directly: one order per sale, stock taken once, nothing on a shortfall."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import Chat
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from agent.errors import OutOfStockError
from agent.models import Conversation, Order, Product, Sale, SaleState
from rag_domains.sales.order_placement import place_order
from salesagent.runtime import Runtime

SKU = "EXT-PQS-10"


async def ready_to_confirm(chat: Chat) -> None:
    """Two 10 lb extinguishers in the cart and the customer's data given, not yet confirmed."""
    added = await chat.say("quiero 2 extintor multipropósito PQS ABC de 10 libras")
    assert [(line.sku, line.quantity) for line in added.cart] == [(SKU, 2)], added
    for text in ("eso es todo", "1032456789", "Laura Restrepo", "3104567890", "Pereira"):
        await chat.say(text)
    summary = await chat.say("Calle 19 # 8-34")
    assert summary.sale_state == SaleState.READY_TO_CONFIRM, summary


async def the_sale(session: AsyncSession, chat: Chat) -> tuple[Conversation, Sale]:
    conversation = (
        await session.execute(
            select(Conversation).where(Conversation.external_chat_id == chat.chat_id)
        )
    ).scalar_one()
    sale = (
        await session.execute(select(Sale).where(Sale.conversation_id == conversation.id))
    ).scalar_one()
    return conversation, sale


async def stock(session: AsyncSession) -> int:
    return int(await session.scalar(select(Product.stock).where(Product.sku == SKU)) or 0)


async def test_a_sale_placed_twice_is_one_order_and_takes_the_stock_once(
    runtime: Runtime, chat: Chat
) -> None:
    await ready_to_confirm(chat)
    async with runtime.sessions() as session:
        before = await stock(session)
        conversation, sale = await the_sale(session, chat)

        first = await place_order(session, conversation, sale, currency="COP")
        again = await place_order(session, conversation, sale, currency="COP")
        await session.commit()

        assert again.id == first.id
        assert first.total == Decimal("170000") and first.shipping_city == "Pereira"
        assert [(line.sku, line.quantity) for line in first.lines] == [(SKU, 2)]
        orders = await session.scalar(
            select(func.count()).select_from(Order).where(Order.sale_id == sale.id)
        )
        assert orders == 1
        assert await stock(session) == before - 2


async def test_too_little_stock_writes_nothing(runtime: Runtime, chat: Chat) -> None:
    await ready_to_confirm(chat)
    async with runtime.sessions() as session:
        await session.execute(update(Product).where(Product.sku == SKU).values(stock=1))
        conversation, sale = await the_sale(session, chat)

        with pytest.raises(OutOfStockError) as raised:
            await place_order(session, conversation, sale, currency="COP")
        await session.commit()

        assert (raised.value.sku, raised.value.available) == (SKU, 1)
        orders = await session.scalar(
            select(func.count()).select_from(Order).where(Order.sale_id == sale.id)
        )
        assert orders == 0
        assert await stock(session) == 1
