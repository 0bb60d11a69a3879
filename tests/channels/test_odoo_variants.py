"""Odoo's variants as they are: one product each, at Odoo's price, in the agent and the quotation.

Against the local server speaking Odoo 19 (JSON-2) and Odoo 18 (JSON-RPC) wire formats.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest
from fixtures.odoo_server import FakeOdoo, with_odoo
from sqlalchemy import select

from agent.messages import InboundMessage, TurnResult
from agent.models import Message, Order, OutboxItem, OutboxStatus, Product
from agent.settings import Settings
from channels.odoo_livechat.quotations import queue_new_orders
from salesagent.runtime import Runtime

DESKS = (
    # attribute values, extra price, internal reference: Odoo's demo "Customizable Desk"
    (("Steel", "White"), 50.40, "FURN_0096"),
    (("Steel", "Black"), 0.0, "FURN_0097"),
    (("Aluminium", "White"), 120.0, "FURN_0098"),
)
CUSTOMER = ["1088123456", "Ana María Ríos", "3104567890", "Calle 20 # 8-15, Pereira", "sí"]


def add_desks(odoo: FakeOdoo) -> list[dict[str, Any]]:
    """The template "Customizable Desk" (750) with three variants, as Odoo stores them."""
    desks = []
    for number, (values, extra, code) in enumerate(DESKS):
        desk = {
            "id": odoo.data.new_id(),
            "name": "Customizable Desk",
            "attribute_values": list(values),
            "list_price": 750.0,
            "price_extra": extra,
            "default_code": code,
            "qty_available": float(4 + number),
            "categ_id": [8, "All / Saleable / Office Furniture"],
            "description_sale": "Desk with a custom top and legs",
            "active": True,
            "sale_ok": True,
        }
        odoo.data.products.append(desk)
        desks.append(desk)
    return desks


@pytest.fixture
async def shop(demo_settings: Settings, odoo: FakeOdoo) -> AsyncIterator[Runtime]:
    settings = with_odoo(demo_settings, odoo, odoo_push_orders=True, odoo_salesperson_id=9)
    runtime = await Runtime.start(settings)
    yield runtime
    await runtime.close()


async def say(runtime: Runtime, chat: str, text: str) -> TurnResult:
    return await runtime.engine.handle(
        InboundMessage(
            channel="web", external_message_id=uuid.uuid4().hex, external_chat_id=chat, text=text
        )
    )


async def buy(runtime: Runtime, quantity: int, name: str) -> Order:
    """A customer buys `quantity` of the product called `name` on the web chat, to the end."""
    chat = f"web-{uuid.uuid4().hex[:8]}"
    result = await say(runtime, chat, f"quiero {quantity} {name}")
    listed = re.search(rf"(\d)\. {re.escape(name)}:", result.reply)
    if listed:  # the agent lists the desks and the customer answers with the number
        result = await say(runtime, chat, listed.group(1))
    assert name in result.reply, result.reply
    for text in ["eso es todo", *CUSTOMER]:
        result = await say(runtime, chat, text)
    assert result.order_id is not None, result.reply
    async with runtime.sessions() as session:
        order = await session.get(Order, result.order_id)
        assert order is not None
        await session.refresh(order, ["lines"])
    return order


async def push(runtime: Runtime) -> None:
    """What the sweeper and the outbox do: queue the new orders and deliver them now."""
    await queue_new_orders(runtime.sessions)
    async with runtime.sessions() as session, session.begin():
        for row in (await session.scalars(select(OutboxItem))).all():
            if row.status == OutboxStatus.PENDING:
                row.next_attempt_at = row.created_at
    await runtime.dispatcher.deliver_due()


async def catalog(runtime: Runtime) -> dict[str, Product]:
    async with runtime.sessions() as session:
        return {p.sku: p for p in (await session.scalars(select(Product))).all()}


async def test_each_variant_is_a_product_at_its_odoo_price_in_the_quotation_too(
    shop: Runtime, odoo: FakeOdoo
) -> None:
    add_desks(odoo)
    assert shop.odoo is not None
    report = await shop.odoo.sync_products()
    assert (report.created, report.errors) == (3, [])
    products = await catalog(shop)
    assert [
        (products[code].name, products[code].price, products[code].stock)
        for _values, _extra, code in DESKS
    ] == [
        ("Customizable Desk (Steel, White)", Decimal("800.40"), 4),
        ("Customizable Desk (Steel, Black)", Decimal("750.00"), 5),
        ("Customizable Desk (Aluminium, White)", Decimal("870.00"), 6),
    ]

    for quantity, (_values, extra, code) in enumerate(DESKS, 1):
        name = products[code].name
        order = await buy(shop, quantity, name)
        await push(shop)
        quotation = odoo.data.orders[-1]
        (line,) = odoo.lines_of(quotation)
        odoo_price = Decimal(str(750 + extra)).quantize(Decimal("0.01"))
        assert line["product_id"][1] == f"[{code}] {name}"
        assert Decimal(str(line["price_unit"])) == odoo_price
        assert (order.lines[0].unit_price, order.total) == (odoo_price, odoo_price * quantity)
        assert quotation["user_id"] == 9  # ODOO_SALESPERSON_ID
        assert (await catalog(shop))[code].stock == 3  # 4, 5 and 6 in Odoo; 1, 2 and 3 sold


async def test_the_quotation_is_at_odoo_price_and_the_customer_told_the_total(
    shop: Runtime, odoo: FakeOdoo
) -> None:
    """A price raised in Odoo after the last sync is not sold lower; a pricelist applies."""
    first, second, _third = add_desks(odoo)
    assert shop.odoo is not None
    await shop.odoo.sync_products()
    first["list_price"] = second["list_price"] = 790.0  # raised in Odoo, not synced yet
    odoo.data.partners.append(
        {"id": 77, "name": "Ana María Ríos", "vat": "1088123456", "pricelist": {}}
    )

    order = await buy(shop, 2, "Customizable Desk (Steel, White)")
    assert order.total == Decimal("1600.80")
    await push(shop)

    (line,) = odoo.lines_of(odoo.data.orders[-1])
    assert line["price_unit"] == 840.40
    async with shop.sessions() as session:
        stored = await session.get(Order, order.id)
        assert stored is not None
        await session.refresh(stored, ["lines"])
        told = (
            await session.scalars(
                select(Message.text).where(Message.conversation_id == stored.conversation_id)
            )
        ).all()
    assert (stored.lines[0].unit_price, stored.total) == (Decimal("840.40"), Decimal("1680.80"))
    assert told[-1] == (
        f"Tu pedido #{order.id} quedó en nuestro sistema como la cotización "
        f"{odoo.data.orders[-1]['name']} con los precios vigentes: el total es $1.680,80 "
        "(antes te indiqué $1.600,80)."
    )

    odoo.data.partners[0]["pricelist"] = {second["id"]: 700.0}  # the customer's own price
    order = await buy(shop, 1, "Customizable Desk (Steel, Black)")
    await push(shop)
    (line,) = odoo.lines_of(odoo.data.orders[-1])
    assert line["price_unit"] == 700.0
    async with shop.sessions() as session:
        stored = await session.get(Order, order.id)
    assert stored is not None and stored.total == Decimal("700.00")
