"""Each of the assistant's queries on SQLite and PostgreSQL: orders, customers and waiting
conversations seeded by the test, and every figure compared with what the test seeded,
counted in Python."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.catalog.search import ProductIndex
from agent.db import create_engine, create_sessionmaker
from agent.migrate import upgrade, upgrade_async
from agent.models import Conversation, Customer, Handoff, Order, OrderLine, Owner, Product
from console.assistant.answers import Answer
from console.assistant.queries import SELLING_OUT_DAYS, run
from console.assistant.questions import Ask

BOGOTA = ZoneInfo("America/Bogota")
TODAY = date(2026, 11, 20)  # a Friday: this week is Monday 16 to today
PRODUCTS = [
    # sku, name, category, price, stock
    ("CAS-1", "Casco de seguridad blanco", "Protección de cabeza", Decimal(35000), 4),
    ("CAS-2", "Casco dieléctrico amarillo", "Protección de cabeza", Decimal(52000), 40),
    ("GUA-1", "Guantes de nitrilo", "Protección de manos", Decimal(9000), 0),
    ("EXT-1", "Extintor PQS 10 lb", "Extintores", Decimal(95000), 100),
]
CUSTOMERS = [
    # national id, name, phone, city, days before today it was recorded
    ("1001", "Laura Restrepo", "3104567890", "Pereira", 40),
    ("1002", "Andrés Gómez", "3157778899", "Manizales", 3),
    ("1003", "Camila Ospina", "3001112233", "Armenia", 0),
]


@dataclass(frozen=True, slots=True)
class Sold:
    """One seeded order: who, when (days before today, local hour), where, status, lines."""

    customer: int
    days_ago: int
    channel: str
    status: str
    lines: tuple[tuple[str, int], ...]

    @property
    def day(self) -> date:
        return TODAY - timedelta(days=self.days_ago)


ORDERS = [
    Sold(0, 0, "web", "confirmed", (("CAS-1", 2), ("GUA-1", 5))),
    Sold(1, 1, "whatsapp", "delivered", (("CAS-1", 3),)),
    Sold(1, 4, "whatsapp", "confirmed", (("EXT-1", 1), ("CAS-2", 1))),
    Sold(2, 4, "web", "cancelled", (("CAS-1", 10),)),
    Sold(0, 9, "telegram", "delivered", (("GUA-1", 20),)),
    Sold(2, 25, "web", "confirmed", (("EXT-1", 2),)),
    Sold(0, 60, "whatsapp", "delivered", (("CAS-2", 4),)),
]
PRICES = {sku: price for sku, _, _, price, _ in PRODUCTS}
NAMES = {sku: name for sku, name, _, _, _ in PRODUCTS}


def at(day: date, hour: int = 23) -> datetime:
    """A late local hour of `day` (after 19:00 in Bogotá is the next day in UTC)."""
    return datetime.combine(day, time(hour, 30), BOGOTA).astimezone(UTC)


async def seed(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        products = {
            sku: Product(sku=sku, name=name, category=category, price=price, stock=stock)
            for sku, name, category, price, stock in PRODUCTS
        }
        customers = [
            Customer(
                national_id=n,
                name=name,
                phone=phone,
                city=city,
                created_at=at(TODAY - timedelta(days=ago), 9),
            )
            for n, name, phone, city, ago in CUSTOMERS
        ]
        session.add_all([*products.values(), *customers])
        await session.flush()
        for sold in ORDERS:
            lines = [
                OrderLine(
                    product_id=products[sku].id,
                    sku=sku,
                    name=NAMES[sku],
                    quantity=n,
                    unit_price=PRICES[sku],
                    line_total=PRICES[sku] * n,
                )
                for sku, n in sold.lines
            ]
            session.add(
                Order(
                    customer_id=customers[sold.customer].id,
                    channel=sold.channel,
                    status=sold.status,
                    total=sum((line.line_total for line in lines), Decimal(0)),
                    created_at=at(sold.day),
                    lines=lines,
                )
            )
        waiting = [
            Conversation(
                channel="whatsapp",
                external_chat_id="whatsapp:+573001112233",
                customer_id=customers[2].id,
                owner=Owner.WAITING_HUMAN,
                waiting_since=at(TODAY, 8),
            ),
            Conversation(
                channel="web",
                external_chat_id="w-1",
                contact_name="Visitante",
                owner=Owner.WAITING_HUMAN,
                waiting_since=at(TODAY, 9),
            ),
            Conversation(channel="web", external_chat_id="w-2", owner=Owner.BOT),
        ]
        session.add_all(waiting)
        await session.flush()
        session.add_all(
            [
                Handoff(
                    conversation_id=waiting[0].id,
                    from_owner=Owner.BOT,
                    to_owner=Owner.WAITING_HUMAN,
                    reason="complaint",
                ),
                Handoff(
                    conversation_id=waiting[1].id,
                    from_owner=Owner.BOT,
                    to_owner=Owner.WAITING_HUMAN,
                    reason="customer_request",
                ),
            ]
        )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty, migrated SQLite or PostgreSQL database."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'shop.db'}"
        upgrade(url)
        return url
    url = request.getfixturevalue("postgres_url")
    asyncio.run(upgrade_async(url))
    return str(url)


@pytest.fixture
async def shop(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """The database with the test's rows."""
    engine = create_engine(database_url)
    sessions = create_sessionmaker(engine)
    await seed(sessions)
    yield sessions
    await engine.dispose()


async def ask(
    sessions: async_sessionmaker[AsyncSession], language: str = "es", **params: object
) -> Answer:
    index = ProductIndex()
    async with sessions() as session:
        return await run(
            session, index, Ask.model_validate(params), language=language, today=TODAY, zone=BOGOTA
        )


def sold(first: date, last: date, *, channel: str | None = None) -> list[Sold]:
    """The seeded orders of those days that count as sales (cancelled ones left out)."""
    return [
        o
        for o in ORDERS
        if first <= o.day <= last and o.status != "cancelled" and channel in (None, o.channel)
    ]


def units(orders: list[Sold], skus: set[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for order in orders:
        for sku, n in order.lines:
            if sku in skus:
                found[sku] = found.get(sku, 0) + n
    return found


async def test_sales_by_day_channel_product_and_category(
    shop: async_sessionmaker[AsyncSession],
) -> None:
    week = sold(date(2026, 11, 16), TODAY)
    by_day = await ask(shop, query="sales", period="this_week")
    assert by_day.column("key") == [date(2026, 11, 16) + timedelta(days=n) for n in range(5)]
    expected = {d: [o for o in week if o.day == d] for d in by_day.column("key")}  # type: ignore[misc]
    assert by_day.column("orders") == [len(expected[d]) for d in expected]
    assert by_day.column("revenue") == [
        sum((PRICES[s] * n for o in expected[d] for s, n in o.lines), Decimal(0)) for d in expected
    ]
    assert by_day.total is not None and by_day.total[1] == len(week) == 3

    by_channel = await ask(shop, query="sales", period="last_days", days=30, group="channel")
    month = sold(TODAY - timedelta(days=29), TODAY)
    revenue: dict[str, Decimal] = {}
    for order in month:
        revenue[order.channel] = revenue.get(order.channel, Decimal(0)) + sum(
            PRICES[s] * n for s, n in order.lines
        )
    names = {"web": "Chat web", "whatsapp": "WhatsApp", "telegram": "Telegram"}
    assert dict(zip(by_channel.column("key"), by_channel.column("revenue"), strict=True)) == {
        names[c]: r for c, r in revenue.items()
    }
    assert by_channel.column("revenue") == sorted(revenue.values(), reverse=True)

    by_category = await ask(shop, query="sales", period="this_month", group="category")
    november = sold(date(2026, 11, 1), TODAY)
    helmets = units(november, {"CAS-1", "CAS-2"})
    row = by_category.column("key").index("Protección de cabeza")
    assert by_category.column("units")[row] == sum(helmets.values()) == 6
    assert by_category.column("revenue")[row] == sum(PRICES[s] * n for s, n in helmets.items())

    whatsapp = await ask(
        shop, query="sales", period="this_month", group="product", channel="whatsapp"
    )
    expected_units = units(sold(date(2026, 11, 1), TODAY, channel="whatsapp"), set(PRICES))
    assert dict(zip(whatsapp.column("key"), whatsapp.column("units"), strict=True)) == {
        NAMES[s]: n for s, n in expected_units.items()
    }

    english = (await ask(shop, "en", query="sales", period="this_week", group="channel")).as_json(
        language="en", currency="COP", zone=BOGOTA
    )
    assert english["title"] == "Sales by channel"
    assert [c["label"] for c in english["columns"]] == ["Channel", "Orders", "Units", "Revenue"]
    assert english["chart"]["type"] == "doughnut" and sum(english["chart"]["values"]) == float(
        sum(PRICES[s] * n for o in week for s, n in o.lines)
    )


async def test_top_products_and_who_bought_them(shop: async_sessionmaker[AsyncSession]) -> None:
    top = await ask(shop, query="top_products", period="this_month", limit=2)
    november = sold(date(2026, 11, 1), TODAY)
    revenue = {s: PRICES[s] * n for s, n in units(november, set(PRICES)).items()}
    best = sorted(revenue, key=lambda s: -revenue[s])[:2]
    assert top.column("sku") == best
    assert top.column("revenue") == [revenue[s] for s in best]

    buyers = await ask(shop, query="buyers", period="this_month", category="Protección de cabeza")
    assert buyers.column("customer") == ["Andrés Gómez", "Laura Restrepo"]  # 4 units, then 2
    assert buyers.column("units") == [4, 2]
    assert buyers.column("spent") == [PRICES["CAS-1"] * 3 + PRICES["CAS-2"], PRICES["CAS-1"] * 2]
    assert buyers.column("phone") == ["3157778899", "3104567890"]

    nobody = await ask(
        shop, query="buyers", period="this_week", category="Extintores", channel="web"
    )
    assert nobody.rows == [] and nobody.empty == "Nadie compró eso en el periodo."


async def test_what_is_selling_out(shop: async_sessionmaker[AsyncSession]) -> None:
    found = await ask(shop, query="low_stock", period="last_days", days=30)
    month = sold(TODAY - timedelta(days=29), TODAY)
    pace = {s: n / 30 for s, n in units(month, set(PRICES)).items()}
    stock = {sku: n for sku, _, _, _, n in PRODUCTS}
    left = {s: stock[s] / p for s, p in pace.items() if stock[s] / p < SELLING_OUT_DAYS}
    assert found.column("sku") == sorted(left, key=lambda s: left[s])
    assert found.column("sku")[0] == "GUA-1"  # none left
    assert found.column("days_left") == [round(left[s], 1) for s in found.column("sku")]  # type: ignore[index]
    assert found.column("stock") == [stock[s] for s in found.column("sku")]  # type: ignore[index]
    assert "EXT-1" not in found.column("sku")


async def test_open_orders_new_customers_and_waiting_conversations(
    shop: async_sessionmaker[AsyncSession],
) -> None:
    open_orders = await ask(shop, query="open_orders")
    confirmed = sorted((o for o in ORDERS if o.status == "confirmed"), key=lambda o: -o.days_ago)
    assert [o.day for o in confirmed] == [
        moment.astimezone(BOGOTA).date()
        for moment in open_orders.column("placed")  # type: ignore[union-attr]
    ]
    assert open_orders.column("customer") == [CUSTOMERS[o.customer][1] for o in confirmed]
    on_whatsapp = await ask(shop, query="open_orders", channel="whatsapp")
    assert on_whatsapp.column("total") == [PRICES["EXT-1"] + PRICES["CAS-2"]]

    week = await ask(shop, query="new_customers", period="this_week")
    assert week.column("customer") == ["Camila Ospina", "Andrés Gómez"]  # newest first
    assert week.column("orders") == [1, 2]  # cancelled orders left out

    waiting = await ask(shop, "en", query="waiting_handoffs")
    assert waiting.column("customer") == ["Camila Ospina", "Visitante"]
    assert waiting.column("channel") == ["WhatsApp", "Web chat"]
    assert waiting.column("reason") == ["Complaint", "The customer asked for a person"]
