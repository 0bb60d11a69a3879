"""Every ORM query sees one shop's rows, every new row is stamped with its shop: on SQLite and
PostgreSQL, with the demo shop as shop 1 and a second shop beside it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.db import create_engine, create_sessionmaker, insert_new, transaction
from agent.models import Conversation, Customer, Product, Shop
from agent.shops.current import DEFAULT_SHOP_ID, NoCurrentShop, all_shops, shop_scope
from agent.shops.directory import create_shop
from agent.shops.scoping import SHOP_KEY, ShopMismatch


@pytest.fixture
async def sessions(shop_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the demo shop (shop 1) with a second shop holding one product of the same
    SKU as one of the demo's, at another price."""
    engine = create_engine(shop_url)
    made = create_sessionmaker(engine)
    async with transaction(made) as session:
        shop = await create_shop(session, slug="second", name="Second Shop", currency="USD")
    with shop_scope(shop.id):
        async with transaction(made) as session:
            session.add(
                Product(sku="EXT-PQS-10", name="Other extinguisher", category="x", price=Decimal(7))
            )
            session.add(Customer(national_id="1010", name="Bea of shop two"))
    yield made
    await engine.dispose()


async def test_the_install_is_the_default_shop(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        shops = (await session.scalars(select(Shop).order_by(Shop.id))).all()
        demo = await session.scalar(select(func.count()).select_from(Product))
    assert [(s.id, s.slug) for s in shops] == [(DEFAULT_SHOP_ID, "default"), (2, "second")]
    assert demo is not None and demo > 100  # the demo catalog, without the second shop's


async def test_each_shop_sees_only_its_rows(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        mine = await session.scalar(select(Product).where(Product.sku == "EXT-PQS-10"))
        bea = await session.scalar(select(Customer).where(Customer.national_id == "1010"))
    assert mine is not None and mine.shop_id == DEFAULT_SHOP_ID and mine.price != Decimal(7)
    assert bea is None
    with shop_scope(2):
        async with sessions() as session:
            theirs = (await session.scalars(select(Product))).all()
            joined = await session.scalar(
                select(func.count()).select_from(Product).join(Customer, Customer.id > 0)
            )
    assert [(p.sku, p.price) for p in theirs] == [("EXT-PQS-10", Decimal(7))]
    assert joined == 1  # one product times one customer: the demo's are on neither side


async def test_updates_and_new_rows_stay_in_the_shop(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    with shop_scope(2):
        async with transaction(sessions) as session:
            await session.execute(update(Product).values(stock=12345))
            session.add(Conversation(channel="web", external_chat_id="same-chat"))
    async with transaction(sessions) as session:
        demo_stocked = await session.scalar(
            select(func.count()).select_from(Product).where(Product.stock == 12345)
        )
        created = await insert_new(
            session,
            Conversation,
            {"channel": "web", "external_chat_id": "same-chat"},
            ["channel", "external_chat_id"],
        )
    assert demo_stocked == 0
    assert created is not None and created.shop_id == DEFAULT_SHOP_ID
    with all_shops():
        async with sessions() as session:
            chats = (
                await session.scalars(
                    select(Conversation.shop_id).where(Conversation.external_chat_id == "same-chat")
                )
            ).all()
            stocked = await session.scalar(
                select(func.count()).select_from(Product).where(Product.stock == 12345)
            )
    assert sorted(chats) == [1, 2]
    assert stocked == 1


async def test_a_session_pinned_to_a_shop(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session:
        session.info[SHOP_KEY] = 2
        names = (await session.scalars(select(Customer.name))).all()
    assert names == ["Bea of shop two"]


async def test_a_row_of_another_shop_is_refused(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    with pytest.raises(ShopMismatch):
        async with transaction(sessions) as session:
            session.add(Customer(national_id="77", name="Wrong shop", shop_id=2))
    with all_shops(), pytest.raises(NoCurrentShop):
        async with transaction(sessions) as session:
            session.add(Customer(national_id="78", name="No shop"))
