"""The fixed set of read-only queries the assistant runs, each a typed function of typed
parameters that answers columns and rows (and a chart where one helps).

Figures follow the dashboard's definitions (metrics/summary.py): a sale is an order created in
the period, cancelled ones left out; revenue is the lines' totals (an order's total is the sum
of its lines). Days are the shop's (SHOP_TIMEZONE).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from agent.catalog.search import ProductIndex
from agent.handoff import reason_label
from agent.models import Conversation, Customer, Handoff, Order, OrderLine, Owner, Product
from agent.words import N_, t
from console.assistant.answers import Answer, Cell, Chart, Column, Kind
from console.assistant.periods import days_of
from console.assistant.questions import DEFAULT_LIMIT, Ask, Grouping, QueryName
from console.words import CHANNEL_NAMES
from metrics.days import DayRange, local_day

CANCELLED = "cancelled"
OPEN = "confirmed"
"""An order placed and not yet delivered (the seed's history is `delivered`)."""
SELLING_OUT_DAYS = 30
"""A product whose stock lasts fewer days than this at the period's pace is selling out."""
CENT = Decimal("0.01")
SALES_TITLES = {
    Grouping.DAY: N_("assistant.title.sales.day"),
    Grouping.CHANNEL: N_("assistant.title.sales.channel"),
    Grouping.PRODUCT: N_("assistant.title.sales.product"),
    Grouping.CATEGORY: N_("assistant.title.sales.category"),
}
GROUP_COLUMNS = {
    Grouping.DAY: N_("assistant.col.day"),
    Grouping.CHANNEL: N_("assistant.col.channel"),
    Grouping.PRODUCT: N_("assistant.col.product"),
    Grouping.CATEGORY: N_("assistant.col.category"),
}


@dataclass(frozen=True, slots=True)
class Products:
    """The products a question names: those the catalog search found for its words, or a
    category's; `named` is what the staff wrote (None: every product)."""

    ids: list[int] | None
    category: str | None
    named: str | None

    def condition(self) -> list[ColumnElement[bool]]:
        """The order lines of these products."""
        found: list[ColumnElement[bool]] = []
        if self.ids is not None:
            found.append(OrderLine.product_id.in_(self.ids))
        if self.category is not None:
            found.append(Product.category == self.category)
        return found


EVERY_PRODUCT = Products(None, None, None)


def _channel(name: str, language: str) -> str:
    key = CHANNEL_NAMES.ids.get(name)
    return t(language, key) if key else name


def period_label(days: DayRange, language: str) -> str:
    """`01/11/2026 – 20/11/2026`; one day alone when the period is a day."""

    def one(day: date) -> str:
        return day.isoformat() if language == "en" else f"{day:%d/%m/%Y}"

    return one(days.first) if days.first == days.last else f"{one(days.first)} – {one(days.last)}"


def _money(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(CENT)


def _sold(days: DayRange, channel: str | None) -> list[ColumnElement[bool]]:
    found = [Order.created_at >= days.start, Order.created_at < days.end, Order.status != CANCELLED]
    if channel:
        found.append(Order.channel == channel)
    return found


def _about(products: Products, language: str) -> list[str]:
    """The note saying which products the figures are of."""
    if products.category is not None:
        return [t(language, "assistant.note.category", category=products.category)]
    if products.named is not None and not products.ids:
        return [t(language, "assistant.note.no_product", product=products.named)]
    if products.named is not None:
        return [t(language, "assistant.note.product", product=products.named)]
    return []


async def low_stock(
    session: AsyncSession, *, days: DayRange, products: Products, limit: int, language: str
) -> Answer:
    """Products that sold in the period and whose stock lasts under SELLING_OUT_DAYS at that
    pace, soonest gone first."""
    units = func.sum(OrderLine.quantity)
    rows = await session.execute(
        select(Product.name, Product.sku, Product.stock, units)
        .join(OrderLine, OrderLine.product_id == Product.id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(Product.active.is_(True), *_sold(days, None), *products.condition())
        .group_by(Product.id, Product.name, Product.sku, Product.stock)
    )
    length = len(days.days())
    found: list[list[Cell]] = []
    for name, sku, stock, sold in rows.all():
        pace = int(sold) / length
        left = max(int(stock), 0) / pace
        if left < SELLING_OUT_DAYS:
            found.append(
                [str(name), str(sku), int(stock), int(sold), round(pace, 2), round(left, 1)]
            )
    found.sort(key=lambda row: (row[5], -row[4], row[1]))  # type: ignore[operator]
    return Answer(
        query=QueryName.LOW_STOCK,
        title=t(language, "assistant.title.low_stock"),
        period=period_label(days, language),
        columns=[
            Column("product", t(language, "assistant.col.product")),
            Column("sku", t(language, "assistant.col.sku")),
            Column("stock", t(language, "assistant.col.stock"), Kind.COUNT),
            Column("sold", t(language, "assistant.col.units_sold"), Kind.COUNT),
            Column("per_day", t(language, "assistant.col.per_day"), Kind.NUMBER),
            Column("days_left", t(language, "assistant.col.days_left"), Kind.NUMBER),
        ],
        rows=found[:limit],
        chart=Chart("bar", "product", "days_left"),
        empty=t(language, "assistant.empty.low_stock", days=SELLING_OUT_DAYS),
        notes=_about(products, language),
    )


async def sales(
    session: AsyncSession,
    *,
    days: DayRange,
    group: Grouping,
    channel: str | None,
    products: Products,
    limit: int,
    language: str,
) -> Answer:
    """Orders, units and revenue in the period, by day, channel, product or category."""
    key: Any
    if group == Grouping.DAY:
        key = local_day(Order.created_at, dialect=session.get_bind().dialect.name, days=days)
    elif group == Grouping.CHANNEL:
        key = Order.channel
    elif group == Grouping.PRODUCT:
        key = func.max(OrderLine.name)
    else:
        key = Product.category
    revenue = func.sum(OrderLine.line_total)
    query = (
        select(
            key,
            func.count(distinct(Order.id)),
            func.sum(OrderLine.quantity),
            revenue,
        )
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Product, Product.id == OrderLine.product_id)
        .where(*_sold(days, channel), *products.condition())
    )
    query = (
        query.group_by(OrderLine.product_id) if group == Grouping.PRODUCT else query.group_by(key)
    )
    found: list[list[Any]] = [
        [k, int(n), int(u or 0), _money(r)] for k, n, u, r in (await session.execute(query))
    ]
    if group == Grouping.DAY:
        by_day = {str(row[0]): row for row in found}
        found = [
            [day, *by_day[day.isoformat()][1:]]
            if day.isoformat() in by_day
            else [day, 0, 0, _money(0)]
            for day in days.days()
        ]
        chart = Chart("bar", "key", "revenue")
    else:
        found.sort(key=lambda row: (-row[3], str(row[0])))
        found = found[:limit]
        chart = Chart("doughnut" if group == Grouping.CHANNEL else "bar", "key", "revenue")
    if group == Grouping.CHANNEL:
        found = [[_channel(str(row[0]), language), *row[1:]] for row in found]
    kinds = {Grouping.DAY: Kind.DAY}
    notes = _about(products, language)
    if channel:
        notes.append(t(language, "assistant.note.channel", channel=_channel(channel, language)))
    total: list[Cell] = [
        t(language, "assistant.total"),
        sum(int(row[1]) for row in found) if group in (Grouping.DAY, Grouping.CHANNEL) else None,
        sum(int(row[2]) for row in found),
        sum((row[3] for row in found), Decimal(0)),
    ]
    return Answer(
        query=QueryName.SALES,
        title=t(language, SALES_TITLES[group]),
        period=period_label(days, language),
        columns=[
            Column("key", t(language, GROUP_COLUMNS[group]), kinds.get(group, Kind.TEXT)),
            Column("orders", t(language, "assistant.col.orders"), Kind.COUNT),
            Column("units", t(language, "assistant.col.units"), Kind.COUNT),
            Column("revenue", t(language, "assistant.col.revenue"), Kind.MONEY),
        ],
        rows=found,
        chart=chart,
        empty=t(language, "assistant.empty.sales"),
        notes=notes,
        total=total if found else None,
    )


async def top_products(
    session: AsyncSession,
    *,
    days: DayRange,
    channel: str | None,
    products: Products,
    limit: int,
    language: str,
) -> Answer:
    """The products with the most revenue in the period, with their units."""
    revenue = func.sum(OrderLine.line_total)
    rows = await session.execute(
        select(
            func.max(OrderLine.name), func.max(OrderLine.sku), func.sum(OrderLine.quantity), revenue
        )
        .join(Order, Order.id == OrderLine.order_id)
        .join(Product, Product.id == OrderLine.product_id)
        .where(*_sold(days, channel), *products.condition())
        .group_by(OrderLine.product_id)
        .order_by(revenue.desc(), OrderLine.product_id)
        .limit(limit)
    )
    found: list[list[Cell]] = [[str(n), str(s), int(u), _money(r)] for n, s, u, r in rows.all()]
    notes = _about(products, language)
    if channel:
        notes.append(t(language, "assistant.note.channel", channel=_channel(channel, language)))
    return Answer(
        query=QueryName.TOP_PRODUCTS,
        title=t(language, "assistant.title.top_products"),
        period=period_label(days, language),
        columns=[
            Column("product", t(language, "assistant.col.product")),
            Column("sku", t(language, "assistant.col.sku")),
            Column("units", t(language, "assistant.col.units"), Kind.COUNT),
            Column("revenue", t(language, "assistant.col.revenue"), Kind.MONEY),
        ],
        rows=found,
        chart=Chart("bar", "product", "revenue"),
        empty=t(language, "assistant.empty.sales"),
        notes=notes,
    )


async def buyers(
    session: AsyncSession,
    *,
    days: DayRange,
    channel: str | None,
    products: Products,
    limit: int,
    language: str,
) -> Answer:
    """The customers who bought these products in the period, most units first."""
    units = func.sum(OrderLine.quantity)
    rows = await session.execute(
        select(
            Customer.name,
            Customer.phone,
            Customer.city,
            units,
            func.sum(OrderLine.line_total),
            func.max(Order.created_at),
        )
        .select_from(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .join(Customer, Customer.id == Order.customer_id)
        .join(Product, Product.id == OrderLine.product_id)
        .where(*_sold(days, channel), *products.condition())
        .group_by(Customer.id, Customer.name, Customer.phone, Customer.city)
        .order_by(units.desc(), Customer.name)
        .limit(limit)
    )
    found: list[list[Cell]] = [
        [str(n), p, c, int(u), _money(s), last] for n, p, c, u, s, last in rows.all()
    ]
    return Answer(
        query=QueryName.BUYERS,
        title=t(language, "assistant.title.buyers"),
        period=period_label(days, language),
        columns=[
            Column("customer", t(language, "assistant.col.customer")),
            Column("phone", t(language, "assistant.col.phone")),
            Column("city", t(language, "assistant.col.city")),
            Column("units", t(language, "assistant.col.units"), Kind.COUNT),
            Column("spent", t(language, "assistant.col.spent"), Kind.MONEY),
            Column("last", t(language, "assistant.col.last_purchase"), Kind.MOMENT),
        ],
        rows=found,
        chart=Chart("bar", "customer", "units"),
        empty=t(language, "assistant.empty.buyers"),
        notes=_about(products, language),
    )


async def open_orders(
    session: AsyncSession,
    *,
    days: DayRange | None,
    channel: str | None,
    limit: int,
    language: str,
) -> Answer:
    """Orders placed and not yet delivered or cancelled, oldest first."""
    conditions: list[ColumnElement[bool]] = [Order.status == OPEN]
    if days is not None:
        conditions += [Order.created_at >= days.start, Order.created_at < days.end]
    if channel:
        conditions.append(Order.channel == channel)
    rows = await session.execute(
        select(Order.id, Order.created_at, Customer.name, Order.channel, Order.total)
        .join(Customer, Customer.id == Order.customer_id)
        .where(*conditions)
        .order_by(Order.created_at, Order.id)
        .limit(limit)
    )
    found: list[list[Cell]] = [
        [f"#{n}", when, str(who), _channel(str(c), language), _money(total)]
        for n, when, who, c, total in rows.all()
    ]
    return Answer(
        query=QueryName.OPEN_ORDERS,
        title=t(language, "assistant.title.open_orders"),
        period=period_label(days, language) if days is not None else None,
        columns=[
            Column("order", t(language, "assistant.col.order")),
            Column("placed", t(language, "assistant.col.placed"), Kind.MOMENT),
            Column("customer", t(language, "assistant.col.customer")),
            Column("channel", t(language, "assistant.col.channel")),
            Column("total", t(language, "assistant.col.total"), Kind.MONEY),
        ],
        rows=found,
        empty=t(language, "assistant.empty.open_orders"),
    )


async def new_customers(
    session: AsyncSession, *, days: DayRange, limit: int, language: str
) -> Answer:
    """Customers first recorded in the period, newest first, with their orders so far."""
    orders = (
        select(func.count())
        .where(Order.customer_id == Customer.id, Order.status != CANCELLED)
        .correlate(Customer)
        .scalar_subquery()
    )
    rows = await session.execute(
        select(Customer.name, Customer.phone, Customer.city, Customer.created_at, orders)
        .where(Customer.created_at >= days.start, Customer.created_at < days.end)
        .order_by(Customer.created_at.desc(), Customer.id.desc())
        .limit(limit)
    )
    found: list[list[Cell]] = [[str(n), p, c, when, int(k)] for n, p, c, when, k in rows.all()]
    return Answer(
        query=QueryName.NEW_CUSTOMERS,
        title=t(language, "assistant.title.new_customers"),
        period=period_label(days, language),
        columns=[
            Column("customer", t(language, "assistant.col.customer")),
            Column("phone", t(language, "assistant.col.phone")),
            Column("city", t(language, "assistant.col.city")),
            Column("since", t(language, "assistant.col.since"), Kind.MOMENT),
            Column("orders", t(language, "assistant.col.orders"), Kind.COUNT),
        ],
        rows=found,
        empty=t(language, "assistant.empty.new_customers"),
    )


async def waiting_handoffs(
    session: AsyncSession, *, channel: str | None, limit: int, language: str
) -> Answer:
    """Conversations waiting for a person now, longest wait first, with why."""
    reason = (
        select(Handoff.reason)
        .where(Handoff.conversation_id == Conversation.id, Handoff.to_owner == Owner.WAITING_HUMAN)
        .order_by(Handoff.id.desc())
        .limit(1)
        .correlate(Conversation)
        .scalar_subquery()
    )
    conditions: list[ColumnElement[bool]] = [Conversation.owner == Owner.WAITING_HUMAN]
    if channel:
        conditions.append(Conversation.channel == channel)
    rows = await session.execute(
        select(
            Conversation.id,
            Conversation.channel,
            Customer.name,
            Conversation.contact_name,
            Conversation.external_chat_id,
            Conversation.waiting_since,
            reason,
        )
        .outerjoin(Customer, Customer.id == Conversation.customer_id)
        .where(*conditions)
        .order_by(Conversation.waiting_since, Conversation.id)
        .limit(limit)
    )
    found: list[list[Cell]] = [
        [
            f"#{n}",
            _channel(str(c), language),
            str(name or contact or chat.removeprefix("whatsapp:")),
            since,
            reason_label(str(why), language) if why else None,
        ]
        for n, c, name, contact, chat, since, why in rows.all()
    ]
    return Answer(
        query=QueryName.WAITING_HANDOFFS,
        title=t(language, "assistant.title.waiting_handoffs"),
        period=None,
        columns=[
            Column("conversation", t(language, "assistant.col.conversation")),
            Column("channel", t(language, "assistant.col.channel")),
            Column("customer", t(language, "assistant.col.customer")),
            Column("since", t(language, "assistant.col.waiting_since"), Kind.MOMENT),
            Column("reason", t(language, "assistant.col.reason")),
        ],
        rows=found,
        empty=t(language, "assistant.empty.waiting_handoffs"),
    )


async def products_of(session: AsyncSession, index: ProductIndex, ask: Ask) -> Products:
    """The products `ask` names: its category, or what the catalog search finds for its words."""
    if ask.category is not None:
        return Products(None, ask.category, None)
    if ask.product is None:
        return EVERY_PRODUCT
    await index.ensure_fresh(session)
    hits = index.matching(ask.product)
    return Products([hit.product_id for hit in hits], None, ask.product)


async def run(
    session: AsyncSession,
    index: ProductIndex,
    ask: Ask,
    *,
    language: str,
    today: date,
    zone: ZoneInfo,
) -> Answer:
    """The answer to `ask`, by the one function of the fixed set it names."""
    days = days_of(ask, today=today, zone=zone)
    limit = ask.limit or DEFAULT_LIMIT
    products = await products_of(session, index, ask)
    if ask.query == QueryName.LOW_STOCK:
        return await low_stock(
            session, days=days, products=products, limit=limit, language=language
        )
    if ask.query == QueryName.SALES:
        return await sales(
            session,
            days=days,
            group=ask.group or Grouping.DAY,
            channel=ask.channel,
            products=products,
            limit=limit,
            language=language,
        )
    if ask.query == QueryName.TOP_PRODUCTS:
        return await top_products(
            session,
            days=days,
            channel=ask.channel,
            products=products,
            limit=limit,
            language=language,
        )
    if ask.query == QueryName.BUYERS:
        return await buyers(
            session,
            days=days,
            channel=ask.channel,
            products=products,
            limit=limit,
            language=language,
        )
    if ask.query == QueryName.OPEN_ORDERS:
        return await open_orders(
            session,
            days=days if ask.period is not None else None,
            channel=ask.channel,
            limit=limit,
            language=language,
        )
    if ask.query == QueryName.NEW_CUSTOMERS:
        return await new_customers(session, days=days, limit=limit, language=language)
    return await waiting_handoffs(session, channel=ask.channel, limit=limit, language=language)
