"""Odoo as the shop's system of record: products imported from Odoo, orders pushed as quotations.

Against the local server speaking Odoo 19 (JSON-2) and Odoo 18 (JSON-RPC) wire formats.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from fixtures.cli_process import cli_env, salesagent
from fixtures.live_server import serving
from fixtures.odoo_server import API_KEY, DATABASE, LOGIN, FakeOdoo, with_odoo
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from agent.messages import InboundMessage
from agent.models import Order, OutboxItem, OutboxStatus, Product
from agent.settings import Settings
from channels.odoo_livechat.quotations import push_states, queue_new_orders, retry_failed
from salesagent.runtime import Runtime
from tests.fixtures.odoo_purchase import PURCHASE


@pytest.fixture
async def shop(demo_settings: Settings, odoo: FakeOdoo) -> AsyncIterator[Runtime]:
    runtime = await Runtime.start(with_odoo(demo_settings, odoo, odoo_push_orders=True))
    yield runtime
    await runtime.close()


def odoo_product(odoo: FakeOdoo, **values: Any) -> dict[str, Any]:
    record = {
        "id": odoo.data.new_id(),
        "name": "Producto",
        "default_code": False,
        "list_price": 0.0,
        "qty_available": 0.0,
        "categ_id": [1, "All"],
        "description_sale": False,
        "active": True,
        "sale_ok": True,
        **values,
    }
    odoo.data.products.append(record)
    return record


async def products(runtime: Runtime) -> dict[str, Product]:
    async with runtime.sessions() as session:
        return {p.sku: p for p in (await session.scalars(select(Product))).all()}


async def buy(runtime: Runtime, *, cedula: str = "1088123456") -> Order:
    """A customer buys on the web chat, the whole way to the confirmed order."""
    chat = f"web-{uuid.uuid4().hex[:8]}"
    result = None
    for text in PURCHASE:
        text = cedula if text == "1088123456" else text
        result = await runtime.engine.handle(
            InboundMessage(
                channel="web",
                external_message_id=uuid.uuid4().hex,
                external_chat_id=chat,
                text=text,
            )
        )
    assert result is not None and result.order_id is not None, result
    await runtime.engine.drain_deliveries()
    async with runtime.sessions() as session:
        order = await session.get(Order, result.order_id)
    assert order is not None
    return order


def stock_the_odoo_catalog(odoo: FakeOdoo, order: Order) -> None:
    for line in order.lines:
        if not any(p["default_code"] == line.sku for p in odoo.data.products):
            odoo_product(odoo, name=line.name, default_code=line.sku, list_price=1.0)


async def pushed(runtime: Runtime, order_id: int) -> Order:
    async with runtime.sessions() as session:
        order = await session.get(Order, order_id)
    assert order is not None
    return order


async def deliver_now(runtime: Runtime) -> None:
    """What the outbox loop does every second: due rows are delivered (due now, for the test)."""
    async with runtime.sessions() as session, session.begin():
        for row in (await session.scalars(select(OutboxItem))).all():
            if row.status == OutboxStatus.PENDING:
                row.next_attempt_at = row.created_at
    await runtime.dispatcher.deliver_due()


async def test_products_come_from_odoo_through_the_catalog_upsert(
    demo_settings: Settings, odoo: FakeOdoo
) -> None:
    runtime = await Runtime.start(with_odoo(demo_settings, odoo, odoo_sync_products_minutes=60))
    try:
        before = await products(runtime)
        existing = next(iter(before.values()))
        async with runtime.sessions() as session, session.begin():
            row = await session.get(Product, existing.id)
            assert row is not None
            row.synonyms = ["sinónimo de la tienda"]
        odoo_product(
            odoo,
            name="Extintor actualizado en Odoo",
            default_code=existing.sku,
            list_price=123456.0,
            qty_available=7.0,
            categ_id=[4, "All / Saleable / Extintores"],
            description_sale="Descripción de Odoo",
        )
        new = odoo_product(
            odoo,
            name="Señal de salida fotoluminiscente",
            list_price=18500.5,
            qty_available=40.0,
            categ_id=[5, "All / Señalización"],
        )
        odoo_product(odoo, name="Guante archivado", default_code="GUA-OLD", active=False)
        odoo_product(odoo, name="Servicio interno", default_code="SRV-1", sale_ok=False)
        odoo_product(odoo, name="Casco a consultar", default_code="CAS-Q", qty_available=-2.0)

        assert runtime.odoo is not None
        report = await runtime.odoo.sync_products()
        after = await products(runtime)

        assert (report.rows, report.created, report.updated, report.errors) == (4, 3, 1, [])
        updated = after[existing.sku]
        assert updated.name == "Extintor actualizado en Odoo"
        assert (updated.price, updated.stock) == (Decimal("123456.00"), 7)
        assert updated.category == "Extintores" and updated.description == "Descripción de Odoo"
        assert updated.synonyms == ["sinónimo de la tienda"]
        created = after[f"ODOO-{new['id']}"]
        assert (created.name, created.price, created.stock, created.category) == (
            "Señal de salida fotoluminiscente",
            Decimal("18500.50"),
            40,
            "Señalización",
        )
        assert after["GUA-OLD"].active is False
        assert "SRV-1" not in after
        assert (after["CAS-Q"].price, after["CAS-Q"].stock) == (None, 0)  # price on request
        assert len(after) == len(before) + 3

        again = await runtime.odoo.sync_products()
        assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    finally:
        await runtime.close()


async def test_without_odoo_stock_the_sync_leaves_the_stock_alone(
    demo_settings: Settings, odoo: FakeOdoo
) -> None:
    odoo.data.stock_app = False
    runtime = await Runtime.start(with_odoo(demo_settings, odoo, odoo_sync_products_minutes=60))
    try:
        existing = next(iter((await products(runtime)).values()))
        odoo_product(odoo, name=existing.name, default_code=existing.sku, list_price=1000.0)
        assert runtime.odoo is not None
        await runtime.odoo.sync_products()
        assert (await products(runtime))[existing.sku].stock == existing.stock
    finally:
        await runtime.close()


async def test_a_closed_order_becomes_one_quotation_in_odoo(shop: Runtime, odoo: FakeOdoo) -> None:
    order = await buy(shop)
    stock_the_odoo_catalog(odoo, order)

    assert await queue_new_orders(shop.sessions) == 1
    assert await queue_new_orders(shop.sessions) == 0
    await deliver_now(shop)

    (quotation,) = odoo.data.orders
    (partner,) = odoo.data.partners
    assert (partner["name"], partner["vat"], partner["phone"]) == (
        "Ana María Ríos",
        "1088123456",
        "3104567890",
    )
    assert quotation["partner_id"] == partner["id"]
    assert quotation["origin"] == f"salesagent #{order.id}"
    by_code = {p["default_code"]: p["id"] for p in odoo.data.products}
    assert [command[2] for command in quotation["order_line"]] == [
        {"product_id": by_code[line.sku], "product_uom_qty": line.quantity} for line in order.lines
    ]  # no unit price: Odoo prices the lines, here at its sales price of 1.0
    assert [line["price_unit"] for line in odoo.lines_of(quotation)] == [1.0] * len(order.lines)
    stored = await pushed(shop, order.id)
    async with shop.sessions() as session:
        repriced = await session.get(Order, order.id, options=[selectinload(Order.lines)])
    assert repriced is not None
    assert [line.unit_price for line in repriced.lines] == [Decimal("1.00")] * len(order.lines)
    assert (stored.odoo_status, stored.odoo_ref, stored.odoo_id) == (
        "pushed",
        quotation["name"],
        quotation["id"],
    )
    await deliver_now(shop)
    assert len(odoo.data.orders) == 1

    second = await buy(shop)
    await queue_new_orders(shop.sessions)
    await deliver_now(shop)
    assert len(odoo.data.orders) == 2 and len(odoo.data.partners) == 1  # found by VAT
    assert (await pushed(shop, second.id)).odoo_ref == odoo.data.orders[1]["name"]


async def test_a_push_whose_answer_was_lost_is_not_made_twice(
    shop: Runtime, odoo: FakeOdoo
) -> None:
    order = await buy(shop)
    stock_the_odoo_catalog(odoo, order)
    odoo.data.fail_after_create = 1

    await queue_new_orders(shop.sessions)
    await deliver_now(shop)
    (failed,) = await push_states_of(shop)
    assert failed.status == "queued" and failed.attempts == 1 and failed.error

    await deliver_now(shop)
    assert len(odoo.data.orders) == 1
    (done,) = await push_states_of(shop)
    assert (done.status, done.reference, done.error) == (
        "pushed",
        odoo.data.orders[0]["name"],
        None,
    )


async def test_a_failing_push_is_visible_retried_and_recovers(
    shop: Runtime, odoo: FakeOdoo
) -> None:
    order = await buy(shop)  # its products are not in Odoo yet
    await queue_new_orders(shop.sessions)
    for _ in range(6):
        await deliver_now(shop)

    (state,) = await push_states_of(shop)
    assert state.status == "failed" and state.attempts == 6
    assert state.error is not None and order.lines[0].sku in state.error
    assert odoo.data.orders == []

    env = command_env(shop.settings.database_url)
    status = await asyncio.to_thread(salesagent, env, "odoo", "status")
    assert status.returncode == 0, status.stderr
    assert f"#{order.id}" in status.stdout and "failed" in status.stdout
    assert order.lines[0].sku in status.stdout

    stock_the_odoo_catalog(odoo, order)
    retried = await asyncio.to_thread(salesagent, env, "odoo", "retry-failed")
    assert retried.returncode == 0 and "1 quotation push is due again" in retried.stdout
    await deliver_now(shop)
    (state,) = await push_states_of(shop)
    assert state.status == "pushed" and len(odoo.data.orders) == 1
    async with shop.sessions() as session, session.begin():
        assert await retry_failed(session) == 0


def command_env(database_url: str, **more: str) -> dict[str, str]:
    """The environment of `salesagent` run as a process on the test's database."""
    return cli_env(database_url, drop=("DATABASE_", "ODOO_"), COLUMNS="200", **more)


async def push_states_of(runtime: Runtime) -> list[Any]:
    async with runtime.sessions() as session:
        return await push_states(session)


async def test_the_server_pushes_new_orders_by_itself(
    demo_settings: Settings, odoo: FakeOdoo
) -> None:
    settings = with_odoo(demo_settings, odoo, odoo_push_orders=True)
    async with serving(settings) as live, httpx.AsyncClient(base_url=live.url, timeout=30) as http:
        for text in PURCHASE:
            answer = await http.post("/chat/text", json={"chat_id": "web-1", "message": text})
            assert answer.status_code == 200
        order_id = answer.json()["order_id"]
        async with live.runtime.sessions() as session:
            order = await session.get(Order, order_id)
        assert order is not None
        stock_the_odoo_catalog(odoo, order)
        for _ in range(200):  # the sweeper runs every 5 s, the outbox every second
            if odoo.data.orders:
                break
            await asyncio.sleep(0.1)
        assert len(odoo.data.orders) == 1
        assert odoo.data.orders[0]["origin"] == f"salesagent #{order_id}"


def test_salesagent_odoo_sync_products_as_a_command(
    tmp_path: Path, demo_template: Path, odoo: FakeOdoo
) -> None:
    database = tmp_path / "shop.db"
    database.write_bytes(demo_template.read_bytes())
    odoo_product(
        odoo,
        name="Botiquín tipo A",
        default_code="BOT-A",
        list_price=85000.0,
        qty_available=3.0,
        categ_id=[2, "All / Botiquines"],
    )
    env = command_env(
        f"sqlite:///{database}",
        ODOO_URL=odoo.url,
        ODOO_DB=DATABASE,
        ODOO_API_KEY=API_KEY,
        ODOO_USER=LOGIN,
    )
    done = salesagent(env, "odoo", "sync-products")
    assert done.returncode == 0, done.stderr
    assert "1 Odoo products: created 1" in done.stdout

    missing = {k: v for k, v in env.items() if k != "ODOO_API_KEY"}
    refused = salesagent(missing, "odoo", "sync-products")
    assert refused.returncode == 1 and "ODOO_API_KEY" in refused.stderr


async def test_past_orders_are_never_pushed(shop: Runtime) -> None:
    """The demo shop's past orders (no conversation) are history, never pushed."""
    async with shop.sessions() as session:
        history = await session.scalar(select(func.count()).select_from(Order))
    assert history and await queue_new_orders(shop.sessions) == 0
