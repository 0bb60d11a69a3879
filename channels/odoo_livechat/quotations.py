"""Closed orders pushed to Odoo as quotations (`sale.order` with lines), through the outbox.

Every few seconds new orders (confirmed, from a conversation, never queued) get an outbox row
on the `odoo_orders` channel in the same transaction that marks them `queued`, so an order is
queued once. Delivering the row pushes the quotation: the customer is found in Odoo by
national id (`vat` = cédula) or created as a `res.partner`, the products by internal reference
(the SKU), and the `sale.order` is created with the order's quantities, the configured
salesperson and `origin = "salesagent #<order id>"`. Before creating, Odoo is searched for that
origin, so a retry after a lost answer finds the first quotation instead of making a second one.
Failures stay on the outbox row (`last_error`, retried with backoff; `salesagent odoo status`
shows them).

Prices are Odoo's: the lines are created without a unit price, so Odoo prices them as its own
salespeople's are (the partner's pricelist when one applies, else the variant's sales price).
The agent then reads the lines back and, where Odoo's price differs from the one it quoted,
takes Odoo's on its order and tells the customer the quotation's total in the conversation.
Sending the agent's price instead would let a stale catalog sell below Odoo's price, and
would skip the customer's pricelist.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import String, cast, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from agent.db import transaction
from agent.i18n import money
from agent.models import (
    Conversation,
    Customer,
    Direction,
    Message,
    Order,
    OutboxItem,
    OutboxStatus,
    utcnow,
)
from agent.outbox import queue
from agent.words import t
from channels.odoo_livechat.catalog_sync import SKU_PREFIX
from channels.odoo_livechat.client import OdooClient, OdooError

log = logging.getLogger(__name__)

CHANNEL = "odoo_orders"
"""The outbox channel of quotation pushes (one row per order)."""
QUEUED = "queued"
PUSHED = "pushed"
CONFIRMED = "confirmed"


def origin_of(order_id: int) -> str:
    """The quotation's source document in Odoo: how a retry recognises an earlier push."""
    return f"salesagent #{order_id}"


async def queue_new_orders(sessions: async_sessionmaker[AsyncSession], *, limit: int = 100) -> int:
    """Give each new order its outbox row (once); how many were queued."""
    async with transaction(sessions) as session:
        orders = (
            await session.scalars(
                select(Order)
                .where(
                    Order.odoo_status.is_(None),
                    Order.status == CONFIRMED,
                    Order.conversation_id.is_not(None),
                )
                .order_by(Order.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for order in orders:
            assert order.conversation_id is not None
            order.odoo_status = QUEUED
            session.add(
                OutboxItem(
                    conversation_id=order.conversation_id,
                    channel=CHANNEL,
                    external_chat_id=str(order.id),
                    text=f"quotation for order #{order.id}",
                    payload={"order_id": order.id},
                )
            )
    if orders:
        log.info("queued %s orders for Odoo", len(orders))
    return len(orders)


class QuotationOutput:
    """The outbox output of `odoo_orders` rows: pushes the order and returns its reference."""

    name = CHANNEL

    def __init__(
        self,
        client: OdooClient,
        sessions: async_sessionmaker[AsyncSession],
        *,
        salesperson: int | None = None,
    ) -> None:
        self._client = client
        self._sessions = sessions
        self._salesperson = salesperson

    async def send_text(self, external_chat_id: str, text: str) -> str | None:
        """Push the order the row names (`external_chat_id` is its id)."""
        return await push_order(
            self._client, self._sessions, int(external_chat_id), salesperson=self._salesperson
        )


async def push_order(
    client: OdooClient,
    sessions: async_sessionmaker[AsyncSession],
    order_id: int,
    *,
    salesperson: int | None = None,
) -> str:
    """Create the order's quotation in Odoo unless it exists, at Odoo's prices; its reference.

    `salesperson` is the Odoo user (`res.users` id) the quotation is assigned to; None leaves
    Odoo's default, the agent's own user.
    """
    async with sessions() as session:
        order = await session.scalar(
            select(Order)
            .where(Order.id == order_id)
            .options(selectinload(Order.lines), selectinload(Order.customer))
        )
    if order is None:
        raise OdooError(f"order #{order_id} does not exist")
    if order.odoo_ref:
        return order.odoo_ref
    origin = origin_of(order.id)
    products = await _product_ids(client, order)
    found = await client.call(
        "sale.order", "search_read", domain=[["origin", "=", origin]], fields=["name"], limit=1
    )
    if found:
        odoo_id, reference = int(found[0]["id"]), str(found[0]["name"])
    else:
        values: dict[str, Any] = {
            "partner_id": await _partner(client, order.customer),
            "origin": origin,
            "order_line": [
                [0, 0, {"product_id": products[line.sku], "product_uom_qty": line.quantity}]
                for line in order.lines
            ],
            "note": f"Pedido #{order.id} tomado por el asistente de ventas ({order.channel}).",
        }
        if salesperson is not None:
            values["user_id"] = salesperson
        odoo_id = await client.create("sale.order", values)
        read = await client.call("sale.order", "read", ids=[odoo_id], fields=["name"])
        reference = str(read[0]["name"])
    prices = await _odoo_prices(client, odoo_id)
    async with transaction(sessions) as session:
        row = await session.scalar(
            select(Order).where(Order.id == order.id).options(selectinload(Order.lines))
        )
        assert row is not None
        quoted = row.total
        if _take_odoo_prices(row, products, prices):
            await _tell_customer(session, row, reference, quoted)
        row.odoo_id, row.odoo_ref, row.odoo_status = odoo_id, reference, PUSHED
        row.odoo_pushed_at = utcnow()
    log.info("order #%s is quotation %s in Odoo", order.id, reference)
    return reference


async def _odoo_prices(client: OdooClient, odoo_id: int) -> dict[int, Decimal]:
    """The unit price, after discount, Odoo gave each product of the quotation."""
    lines = await client.call(
        "sale.order.line",
        "search_read",
        domain=[["order_id", "=", odoo_id]],
        fields=["product_id", "price_unit", "discount"],
    )
    prices: dict[int, Decimal] = {}
    for line in lines:
        product = line.get("product_id")
        if isinstance(product, list) and product:
            unit = Decimal(str(line["price_unit"])) * (
                1 - Decimal(str(line["discount"] or 0)) / 100
            )
            prices[int(product[0])] = unit.quantize(Decimal("0.01"))
    return prices


def _take_odoo_prices(order: Order, products: dict[str, int], prices: dict[int, Decimal]) -> bool:
    """Set the order's lines to Odoo's prices; True when one changed."""
    changed = False
    for line in order.lines:
        price = prices.get(products[line.sku])
        if price is not None and price != line.unit_price:
            log.info(
                "order #%s: %s is %s in Odoo, not %s", order.id, line.sku, price, line.unit_price
            )
            line.unit_price, line.line_total = price, price * line.quantity
            changed = True
    if changed:
        order.total = sum((line.line_total for line in order.lines), Decimal(0))
    return changed


async def _tell_customer(
    session: AsyncSession, order: Order, reference: str, quoted: Decimal
) -> None:
    """Tell the customer, in their conversation, the total of Odoo's quotation."""
    if order.conversation_id is None:
        return
    conversation = await session.get(Conversation, order.conversation_id)
    if conversation is None:
        return
    language = conversation.language
    total = money(order.total, order.currency, language)
    before = money(quoted, order.currency, language)
    text = t(
        language,
        "odoo.quotation_total",
        order_id=order.id,
        reference=reference,
        total=total,
        before=before,
    )
    await queue(
        session,
        conversation,
        Message(conversation_id=conversation.id, direction=Direction.OUTBOUND, text=text),
    )


async def _partner(client: OdooClient, customer: Customer) -> int:
    """The customer's partner in Odoo, found by national id (VAT) or created."""
    found = await client.call(
        "res.partner",
        "search",
        domain=[["vat", "=", customer.national_id]],
        limit=1,
        context={"active_test": False},
    )
    if found:
        return int(found[0])
    values: dict[str, Any] = {"name": customer.name, "vat": customer.national_id}
    for odoo_field, value in (
        ("phone", customer.phone),
        ("email", customer.email),
        ("street", customer.address),
        ("city", customer.city),
    ):
        if value:
            values[odoo_field] = value
    return await client.create("res.partner", values)


async def _product_ids(client: OdooClient, order: Order) -> dict[str, int]:
    """The Odoo product (variant) id of each line's SKU; every SKU must be in Odoo."""
    by_id = {
        line.sku: int(line.sku[len(SKU_PREFIX) :]) for line in order.lines if _odoo_id(line.sku)
    }
    codes = [line.sku for line in order.lines if line.sku not in by_id]
    if codes:
        found = await client.call(
            "product.product",
            "search_read",
            domain=[["default_code", "in", codes]],
            fields=["default_code"],
            context={"active_test": False},
        )
        by_id.update({str(record["default_code"]): int(record["id"]) for record in found})
    missing = [line.sku for line in order.lines if line.sku not in by_id]
    if missing:
        raise OdooError(
            f"order #{order.id}: no Odoo product has the internal reference {', '.join(missing)}"
        )
    return by_id


def _odoo_id(sku: str) -> bool:
    return sku.startswith(SKU_PREFIX) and sku[len(SKU_PREFIX) :].isdigit()


@dataclass(frozen=True, slots=True)
class PushState:
    """Where one order's quotation stands, for staff."""

    order_id: int
    created_at: datetime
    status: str
    """queued (waiting or being retried), pushed, or failed (gave up: see `error`)."""
    reference: str | None
    attempts: int
    error: str | None


async def push_states(session: AsyncSession, *, limit: int = 50) -> list[PushState]:
    """The newest orders queued for Odoo with their outbox row's attempts and last error."""
    rows = (
        await session.execute(
            select(Order, OutboxItem)
            .join(
                OutboxItem,
                (OutboxItem.channel == CHANNEL)
                & (OutboxItem.external_chat_id == cast(Order.id, String)),
                isouter=True,
            )
            .where(Order.odoo_status.is_not(None))
            .order_by(Order.id.desc())
            .limit(limit)
        )
    ).all()
    states = []
    for order, row in rows:
        status = order.odoo_status or QUEUED
        if status != PUSHED and row is not None and row.status == OutboxStatus.FAILED:
            status = "failed"
        states.append(
            PushState(
                order_id=order.id,
                created_at=order.created_at,
                status=status,
                reference=order.odoo_ref,
                attempts=row.attempts if row is not None else 0,
                error=row.last_error if row is not None and status != PUSHED else None,
            )
        )
    return states


async def retry_failed(session: AsyncSession) -> int:
    """Put the pushes that gave up back in the outbox, due now; how many."""
    rows = (
        await session.scalars(
            select(OutboxItem).where(
                OutboxItem.channel == CHANNEL, OutboxItem.status == OutboxStatus.FAILED
            )
        )
    ).all()
    for row in rows:
        row.status = OutboxStatus.PENDING
        row.attempts = 0
        row.next_attempt_at = utcnow()
    return len(rows)
