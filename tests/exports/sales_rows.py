"""The sales rows the database holds and the rows of a downloaded sales CSV, for the export tests
to compare."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.models import Customer, Order, OrderLine

BOM = b"\xef\xbb\xbf"

SaleRow = tuple[int, str, int, Decimal, str]
"""order id, sku, quantity, line total, customer name."""


async def sales_in_database(sessions: async_sessionmaker[AsyncSession]) -> list[SaleRow]:
    """Every order line, as the sales report should list it."""
    async with sessions() as session:
        rows = await session.execute(
            select(Order.id, OrderLine.sku, OrderLine.quantity, OrderLine.line_total, Customer.name)
            .join(Order, OrderLine.order_id == Order.id)
            .join(Customer, Order.customer_id == Customer.id)
            .order_by(Order.id, OrderLine.id)
        )
        return [(r[0], r[1], r[2], Decimal(r[3]), r[4]) for r in rows]


def sales_in_csv(data: bytes) -> list[SaleRow]:
    """The rows of a downloaded sales CSV (it must start with the UTF-8 BOM)."""
    assert data.startswith(BOM), data[:20]
    reader = csv.DictReader(io.StringIO(data[len(BOM) :].decode("utf-8"), newline=""))
    return [
        (
            int(row["order_id"]),
            row["sku"],
            int(row["quantity"]),
            Decimal(row["line_total"]),
            row["customer_name"],
        )
        for row in reader
    ]
