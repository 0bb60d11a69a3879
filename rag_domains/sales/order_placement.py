"""Order placement: the only code that writes orders and takes stock.

A confirmed sale becomes an order with database guarantees, never by a language model:
the order, its lines and the stock decrement are written in one savepoint (all or nothing),
stock never goes below zero (a conditional UPDATE under the row lock), and a sale becomes
an order exactly once (orders.sale_id is unique; the loser of a race gets the winner's order).
A line a manager quoted (README "Proposals") keeps its approved unit price and takes from stock
only the units there are then; the rest is on backorder on the order line.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from agent import identity
from agent.errors import OutOfStockError
from agent.models import Conversation, Customer, Order, OrderLine, Product, Sale, SaleLine


async def place_order(
    session: AsyncSession, conversation: Conversation, sale: Sale, *, currency: str
) -> Order:
    """The sale's order, written with its stock taken; raises `OutOfStockError`, writing
    nothing, when a product no longer has the units."""
    try:
        async with session.begin_nested():
            return await _write(session, conversation, sale, currency)
    except IntegrityError:
        # Another process closed this very sale first: answer with its order.
        existing = await session.scalar(select(Order).where(Order.sale_id == sale.id))
        if existing is None:
            raise
        return existing


def sale_total(sale: Sale) -> Decimal:
    """What the order costs: the cart's frozen unit prices times their quantities."""
    return sum((line.unit_price * line.quantity for line in sale.lines), Decimal(0))


async def customer_by_national_id(session: AsyncSession, national_id: str) -> Customer | None:
    """The customer record with this cédula, if there is one."""
    return await session.scalar(select(Customer).where(Customer.national_id == national_id))


async def _write(
    session: AsyncSession, conversation: Conversation, sale: Sale, currency: str
) -> Order:
    """Write the order and take the stock, all or nothing (the caller holds a savepoint)."""
    fields: dict[str, str] = sale.data["customer"]
    customer = await customer_by_national_id(session, fields["national_id"])
    if customer is None:
        customer = await _new_customer(session, fields)
    elif identity.is_verified(conversation, customer):
        _update_customer(customer, fields)
    # Otherwise the record is left as it is: a chat that knows a cédula does not change
    # the phone or address on file (the order keeps what this chat gave).
    await session.flush()
    backorder: dict[int, int] = {}
    for line in sorted(sale.lines, key=lambda line: line.product_id):
        if line.quoted_price is not None:
            backorder[line.product_id] = await _take_what_there_is(session, line)
            continue
        # The WHERE clause is the guarantee: the row lock serialises buyers of the same
        # product, and a buyer who finds too few units updates nothing. `updated_at` is kept
        # because it marks catalog (text) changes, which stock is not.
        taken = await session.execute(
            update(Product)
            .where(Product.id == line.product_id, Product.stock >= line.quantity)
            .values(stock=Product.stock - line.quantity, updated_at=Product.updated_at)
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            available = await session.scalar(
                select(Product.stock).where(Product.id == line.product_id)
            )
            raise OutOfStockError(line.product.sku, int(available or 0))
    order = Order(
        sale_id=sale.id,
        customer_id=customer.id,
        conversation_id=conversation.id,
        channel=conversation.channel,
        status="confirmed",
        total=sale_total(sale),
        currency=currency,
        shipping_address=fields.get("address"),
        shipping_city=fields.get("city"),
        lines=[
            OrderLine(
                product_id=line.product_id,
                sku=line.product.sku,
                name=line.product.name,
                quantity=line.quantity,
                unit_price=line.unit_price,
                line_total=line.unit_price * line.quantity,
                backorder=backorder.get(line.product_id, 0),
            )
            for line in sale.lines
        ],
    )
    session.add(order)
    await session.flush()
    return order


async def _take_what_there_is(session: AsyncSession, line: SaleLine) -> int:
    """Take a quoted line's units from stock, as many as there are (locked); the units left
    on backorder."""
    stock = await session.scalar(
        select(Product.stock).where(Product.id == line.product_id).with_for_update()
    )
    taken = max(0, min(int(stock or 0), line.quantity))
    if taken:
        done = await session.execute(
            update(Product)
            .where(Product.id == line.product_id, Product.stock >= taken)
            .values(stock=Product.stock - taken, updated_at=Product.updated_at)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise OutOfStockError(line.product.sku, int(stock or 0))
    return line.quantity - taken


async def _new_customer(session: AsyncSession, fields: dict[str, str]) -> Customer:
    """A customer record made of the data given in this conversation."""
    customer = Customer(national_id=fields["national_id"], name=fields["name"])
    _update_customer(customer, fields)
    session.add(customer)
    await session.flush()
    return customer


def _update_customer(customer: Customer, fields: dict[str, str]) -> None:
    """The record updated with the data just given (by the verified customer)."""
    for field in ("name", "phone", "email", "city", "address"):
        if fields.get(field):
            setattr(customer, field, fields[field])
