"""The data the report tests export: real conversations with the engine, plus rows added for
the edge cases (accents, formula-like names, quotes and line breaks, a day boundary)."""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from conftest import Chat
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.models import (
    Conversation,
    Customer,
    Direction,
    Lead,
    LeadKind,
    Message,
    Order,
    OrderLine,
    Product,
    SaleState,
)
from salesagent.runtime import Runtime
from storage.base import Storage

BOGOTA = ZoneInfo("America/Bogota")
PRODUCT = "extintor multipropósito PQS ABC de 10 libras"
FORMULA_NAME = '=HYPERLINK("http://evil.example","clic")'
DASH_PRODUCT = "-Guante sin talla, color negro"
TRICKY_TEXT = 'Hola, quiero "2" guantes,\nuno negro\r\ny otro -rojo; ¿sí?'
CARRIAGE_TEXT = "\rcotización\tsolo\rcon retornos"
"""Starts with a carriage return (guarded) and holds a lone one (quoted, as COPY does)."""
LATE_EVENING = datetime(2026, 3, 10, 23, 30, tzinfo=BOGOTA)
"""A local time whose UTC date (03-11 04:30) is the next day: it belongs to 2026-03-10."""
AFTER_MIDNIGHT = datetime(2026, 3, 11, 0, 10, tzinfo=BOGOTA)


@dataclass(frozen=True, slots=True)
class Talks:
    """The conversations held with the engine: their external chat ids and the order."""

    buyer: str
    open_cart: str
    handoff: str
    order_id: int


async def talk(runtime: Runtime) -> Talks:
    """A purchase on the web, a cart left open on WhatsApp, a request for a person on Telegram."""
    tag = uuid.uuid4().hex[:6]
    buyer = Chat(runtime, f"buyer-{tag}")
    steps = [
        f"quiero 2 {PRODUCT}",
        "eso es todo",
        "1020304050",
        "José Peña Ñandú",
        "3104567890",
        "Pereira",
        "Calle 19 # 8-34",
        "sí, confirmo",
    ]
    for text in steps:
        result = await buyer.say(text)
    assert result.sale_state == SaleState.CLOSED and result.order_id is not None, result
    cart = Chat(runtime, f"cart-{tag}", channel="whatsapp")
    added = await cart.say("quiero 3 guantes de carnaza cortos")
    assert added.cart, added
    person = Chat(runtime, f"person-{tag}", channel="telegram")
    await person.say("hola")
    moved = await person.say("quiero hablar con una persona")
    assert moved.owner != "bot", moved
    return Talks(buyer.chat_id, cart.chat_id, person.chat_id, result.order_id)


@dataclass(frozen=True, slots=True)
class EdgeRows:
    """Ids of the rows added for the edge cases."""

    formula_order: int
    cancelled_order: int
    tricky_conversation: int


async def add_edge_rows(sessions: async_sessionmaker[AsyncSession]) -> EdgeRows:
    """A customer named like a formula, a product name starting with '-', an accented name,
    a message with quotes, commas and line breaks, orders either side of a local midnight, and
    a lead holding such texts."""
    async with sessions() as session, session.begin():
        formula = Customer(
            national_id="900123456",
            name=FORMULA_NAME,
            phone="3001234567",
            city="Medellín",
            address='Calle 1, "bodega B"',
        )
        accented = Customer(national_id="52987654", name="Peña Ñandú", city="Bogotá")
        dash = Product(sku="NEG-1", name=DASH_PRODUCT, category="Guantes", price=Decimal("12345.5"))
        session.add_all([formula, accented, dash])
        await session.flush()
        extinguisher = await session.scalar(select(Product).where(Product.sku == "EXT-PQS-10"))
        assert extinguisher is not None and extinguisher.price is not None
        lines = [
            OrderLine(
                product_id=dash.id,
                sku=dash.sku,
                name=dash.name,
                quantity=2,
                unit_price=Decimal("12345.50"),
                line_total=Decimal("24691.00"),
            ),
            OrderLine(
                product_id=extinguisher.id,
                sku=extinguisher.sku,
                name=extinguisher.name,
                quantity=1,
                unit_price=extinguisher.price,
                line_total=extinguisher.price,
            ),
        ]
        late = Order(
            customer_id=formula.id,
            channel="whatsapp",
            status="confirmed",
            total=sum((line.line_total for line in lines), Decimal(0)),
            shipping_city="Medellín",
            created_at=LATE_EVENING,
            odoo_ref="S00042",
            lines=lines,
        )
        early = Order(
            customer_id=accented.id,
            channel="telegram",
            status="cancelled",
            total=Decimal("85000.00"),
            created_at=AFTER_MIDNIGHT,
            lines=[
                OrderLine(
                    product_id=dash.id,
                    sku=dash.sku,
                    name=dash.name,
                    quantity=1,
                    unit_price=Decimal("85000.00"),
                    line_total=Decimal("85000.00"),
                )
            ],
        )
        conversation = Conversation(
            channel="telegram",
            external_chat_id=f"tricky-{uuid.uuid4().hex[:6]}",
            customer_id=accented.id,
            contact_name='@Ñandú "el jefe"',
            created_at=LATE_EVENING,
            last_activity_at=LATE_EVENING,
        )
        session.add_all([late, early, conversation])
        await session.flush()
        session.add_all(
            [
                Message(
                    conversation_id=conversation.id,
                    direction=Direction.INBOUND,
                    text=TRICKY_TEXT,
                    intent="purchase.add",
                    confidence=0.8765,
                    handler="sales",
                    latency_ms=12.25,
                    created_at=LATE_EVENING,
                ),
                Message(
                    conversation_id=conversation.id,
                    direction=Direction.INBOUND,
                    text="@todos +57 300",
                    intent="inventory.search",
                    confidence=1.0,
                    created_at=LATE_EVENING,
                ),
                Message(
                    conversation_id=conversation.id,
                    direction=Direction.OUTBOUND,
                    text="",
                    created_at=LATE_EVENING,
                ),
                Message(
                    conversation_id=conversation.id,
                    direction=Direction.INBOUND,
                    text=CARRIAGE_TEXT,
                    created_at=LATE_EVENING,
                ),
                Lead(
                    conversation_id=conversation.id,
                    customer_id=accented.id,
                    channel="telegram",
                    kind=LeadKind.WHOLESALE,
                    contact="Peña Ñandú",
                    company='=Ñandú, "Hermanos" S.A.S',
                    items=[
                        {
                            "sku": dash.sku,
                            "name": DASH_PRODUCT,
                            "quantity": 60,
                            "unit_price": "12345.50",
                        }
                    ],
                    amount=Decimal("740730.00"),
                    summary=TRICKY_TEXT,
                    next_step='Llamar, y "cotizar"\nhoy',
                    missing=["phone"],
                    confidence=0.85,
                    priority=1,
                    created_at=LATE_EVENING,
                    updated_at=LATE_EVENING,
                    seen_at=LATE_EVENING,
                ),
            ]
        )
    return EdgeRows(late.id, early.id, conversation.id)


async def read_back(storage: Storage, key: str) -> bytes:
    """The whole file from storage."""
    return b"".join([chunk async for chunk in storage.read(key)])


def parse(data: bytes) -> list[dict[str, str]]:
    """A CSV file's rows by column name; the BOM must be there and is dropped."""
    assert data.startswith(b"\xef\xbb\xbf"), data[:20]
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
