"""Orders over the API: list with filters, detail, and cancel with the stock returned."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from agent.errors import ConflictError, NotFoundError
from agent.models import Order, OrderLine, Product

log = logging.getLogger(__name__)

CANCELLED = "cancelled"
CANCELLABLE = ("confirmed",)
"""Statuses an order can be cancelled from: once delivered (or cancelled) it cannot."""


async def list_orders(
    session: AsyncSession,
    *,
    limit: int,
    offset: int,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    status: str | None = None,
    channel: str | None = None,
    customer_id: int | None = None,
) -> tuple[Sequence[Order], int]:
    """A page of the orders matching every filter, newest first, and how many match."""
    conditions: list[ColumnElement[bool]] = []
    if created_from is not None:
        conditions.append(Order.created_at >= created_from)
    if created_to is not None:
        conditions.append(Order.created_at < created_to)
    if status is not None:
        conditions.append(Order.status == status)
    if channel is not None:
        conditions.append(Order.channel == channel)
    if customer_id is not None:
        conditions.append(Order.customer_id == customer_id)
    total = await session.scalar(select(func.count()).select_from(Order).where(*conditions))
    rows = await session.execute(
        select(Order)
        .where(*conditions)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return rows.scalars().all(), int(total or 0)


async def get_order(session: AsyncSession, *, order_id: int) -> Order:
    """The order with its lines and customer, or NotFoundError."""
    order = await session.scalar(
        select(Order)
        .where(Order.id == order_id)
        .options(selectinload(Order.lines), selectinload(Order.customer))
        .execution_options(populate_existing=True)
    )
    if order is None:
        raise NotFoundError(f"no order has the id {order_id}")
    return order


async def cancel_order(session: AsyncSession, *, order_id: int, reason: str | None) -> Order:
    """Cancel an order and put the units of each line back in stock, exactly once.

    The status changes in one conditional UPDATE: of two cancellations racing, only the one
    that changed it returns the stock; the other finds the order cancelled (ConflictError).
    """
    changed = await session.execute(
        update(Order)
        .where(Order.id == order_id, Order.status.in_(CANCELLABLE))
        .values(status=CANCELLED)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        status = await session.scalar(select(Order.status).where(Order.id == order_id))
        await session.rollback()
        if status is None:
            raise NotFoundError(f"no order has the id {order_id}")
        raise ConflictError(
            f"order {order_id} is {status} and cannot be cancelled", details={"status": status}
        )
    lines = await session.execute(
        select(OrderLine.product_id, OrderLine.quantity)
        .where(OrderLine.order_id == order_id)
        .order_by(OrderLine.product_id)  # one lock order for every writer: no deadlocks
    )
    for product_id, quantity in lines:
        await session.execute(
            update(Product)
            .where(Product.id == product_id)
            .values(stock=Product.stock + quantity, updated_at=Product.updated_at)
            .execution_options(synchronize_session=False)
        )
    await session.commit()
    log.info("order %d cancelled, stock returned: %s", order_id, reason or "no reason given")
    return await get_order(session, order_id=order_id)
