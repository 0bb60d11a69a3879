"""The demo shop a shop owner sees first: a full catalog, stock, customers with history."""

from __future__ import annotations

import asyncio
import csv
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.db import create_engine, create_sessionmaker
from agent.migrate import upgrade
from agent.models import Customer, Order, Product
from agent.seed import SeedReport, seed_demo, seed_demo_if_empty
from agent.settings import DEMO_SHOP_DIR

CATEGORIES = {
    "Extintores",
    "Recarga y mantenimiento",
    "Gabinetes y soportes",
    "Protección de cabeza",
    "Protección de manos",
    "Calzado de seguridad",
    "Trabajo en alturas",
    "Protección visual y facial",
    "Protección respiratoria",
    "Protección auditiva",
    "Señalización",
    "Señalización vial",
    "Ropa de trabajo",
    "Primeros auxilios",
    "Kits de carretera",
}


def shipped_stock() -> dict[str, int]:
    """Stock levels as the demo files give them (products.csv and the Risaralda overlay)."""
    stock: dict[str, int] = {}
    for name in ("products.csv", "risaralda_stock.csv"):
        with (DEMO_SHOP_DIR / name).open(encoding="utf-8", newline="") as handle:
            stock.update({row["sku"]: int(row["stock"]) for row in csv.DictReader(handle)})
    return stock


async def snapshot(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    async with sessions() as session:
        rows = await session.execute(
            select(Product.sku, Product.price, Product.stock, Product.updated_at)
        )
        return {
            "products": sorted(tuple(row) for row in rows),
            "customers": await session.scalar(select(func.count()).select_from(Customer)),
            "orders": await session.scalar(select(func.count()).select_from(Order)),
        }


async def test_the_demo_catalog(sessions: async_sessionmaker[AsyncSession]) -> None:
    steps: list[tuple[str, int, int]] = []

    report = await seed_demo(sessions, progress=lambda *step: steps.append(step))

    assert report.errors == []
    assert ("catalog_extintores_risaralda.csv", 39, 39) in steps
    assert ("products.csv", 149, 149) in steps
    assert steps[-1] == ("customers", 8, 8)
    assert (report.products, report.variants) == (204, 25)
    async with sessions() as session:
        catalog = list(await session.scalars(select(Product).where(Product.active.is_(True))))
    assert len(catalog) >= 150
    assert {p.category for p in catalog} == CATEGORIES
    assert all(p.currency == "COP" and p.description for p in catalog)
    assert all(p.price is None or p.price == p.price.to_integral_value() for p in catalog)
    out_of_stock = [p for p in catalog if p.stock == 0]
    assert 0.05 < len(out_of_stock) / len(catalog) < 0.2
    assert any(1 <= p.stock <= 3 for p in catalog)
    assert {p.sku: p.stock for p in catalog} == shipped_stock()
    by_sku = {p.sku: p for p in catalog}
    assert by_sku["RIS-107-10LB"].price == Decimal(380000)
    assert by_sku["EXT-PQS-10"].attributes["capacity"] == "10 lb"
    assert "extinguidor" in by_sku["EXT-PQS-10"].synonyms
    assert {"hard hat", "casco dieléctrico"} <= set(by_sku["CAS-I-E-BL"].synonyms)
    boots = [p for p in catalog if p.family == "Bota de seguridad punta de acero caña alta"]
    assert sorted(p.attributes["size"] for p in boots) == [str(n) for n in range(37, 45)]


async def test_customers_with_past_orders(sessions: async_sessionmaker[AsyncSession]) -> None:
    report = await seed_demo(sessions)

    assert (report.customers, report.orders) == (8, 15)
    async with sessions() as session:
        customers = list(await session.scalars(select(Customer)))
        orders = list(await session.scalars(select(Order)))
    assert all(c.national_id.isdigit() and c.phone and c.city for c in customers)
    per_customer = {c.id: sum(o.customer_id == c.id for o in orders) for c in customers}
    assert sum(n >= 2 for n in per_customer.values()) >= 4  # repeat buyers
    now = datetime.now(UTC)
    for order in orders:
        assert (order.status, order.sale_id, order.conversation_id) == ("delivered", None, None)
        assert order.channel in {"whatsapp", "web"}
        assert order.created_at.replace(tzinfo=UTC) < now
        assert order.lines and order.total == sum(line.line_total for line in order.lines)
        assert all(line.line_total == line.unit_price * line.quantity for line in order.lines)
        assert order.shipping_city


async def test_seeding_twice_changes_nothing(sessions: async_sessionmaker[AsyncSession]) -> None:
    await seed_demo(sessions)
    before = await snapshot(sessions)

    again = await seed_demo(sessions)

    assert (again.customers, again.orders, again.errors) == (0, 0, [])
    assert [(r.created, r.updated) for r in again.imports] == [(0, 0), (0, 0)]
    assert await snapshot(sessions) == before


async def test_seed_if_empty_seeds_only_an_empty_catalog(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    first = await seed_demo_if_empty(sessions)
    assert isinstance(first, SeedReport) and first.customers == 8
    assert await seed_demo_if_empty(sessions) is None


async def test_a_shop_with_its_own_catalog_is_not_seeded(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        session.add(Product(sku="OWN-1", name="Casco propio", category="Cascos"))
        await session.commit()

    assert await seed_demo_if_empty(sessions) is None
    assert (await snapshot(sessions))["customers"] == 0


@pytest.mark.postgres
async def test_seed_on_postgresql_with_two_processes_starting(postgres_url: str) -> None:
    await asyncio.to_thread(upgrade, postgres_url)
    engines = [create_engine(postgres_url) for _ in range(2)]
    try:
        makers = [create_sessionmaker(engine) for engine in engines]

        reports = await asyncio.gather(*(seed_demo_if_empty(m) for m in makers))

        seeded = [r for r in reports if r is not None]
        assert len(seeded) == 1 and seeded[0].errors == []
        before = await snapshot(makers[0])
        assert len(before["products"]) == 204
        assert (before["customers"], before["orders"]) == (8, 15)
        again = await seed_demo(makers[1])
        assert (again.customers, again.orders, again.errors) == (0, 0, [])
        assert await snapshot(makers[0]) == before
        async with makers[0]() as session:
            co2 = await session.scalar(select(Product).where(Product.sku == "RIS-107-10LB"))
        assert co2 is not None and co2.price == Decimal(380000) and co2.stock == 12
    finally:
        for engine in engines:
            await engine.dispose()
