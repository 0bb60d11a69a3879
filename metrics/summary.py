"""The dashboard's figures for a range of local days, each computed by the database (GROUP BY).

Definitions (README "Dashboard and metrics"):
- sales: orders created in the range, cancelled ones left out; revenue is the orders' totals;
- funnel: conversations with an inbound message in the range → of those, with a sale touched in
  the range that has cart lines → whose sale reached checkout (collecting_data,
  ready_to_confirm, closed) or holds the customer's cédula or name → with an order in the range;
- lead funnel: the same conversations → of those, with a lead made in the range (agent/leads)
  → whose lead is priced (its items have quantities and prices: an amount to quote) → with an
  order in the range;
- handoffs: conversations of the funnel's first step handed to a person (waiting_human or taken
  by staff) in the range; waits go from `waiting_human` to the next change of owner when that
  change is a staff member taking it;
- reply time: `latency_ms` of the bot's replies (staff replies left out);
- LLM: calls, tokens and the stored estimated cost of the messages in the range.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, and_, distinct, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from agent.models import (
    Conversation,
    Direction,
    Handoff,
    Lead,
    Message,
    Order,
    OrderLine,
    Owner,
    Sale,
    SaleLine,
    SaleState,
)
from metrics.days import DayRange, local_day
from metrics.percentiles import Percentiles, percentiles

CANCELLED = "cancelled"
TOP_PRODUCTS = 10
CHECKOUT_STATES = (SaleState.COLLECTING_DATA, SaleState.READY_TO_CONFIRM, SaleState.CLOSED)
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class DaySales:
    """Orders and revenue of one local day."""

    day: date
    orders: int
    revenue: Decimal


@dataclass(frozen=True, slots=True)
class ChannelSales:
    """Orders and revenue of one channel over the range."""

    channel: str
    orders: int
    revenue: Decimal


@dataclass(frozen=True, slots=True)
class Funnel:
    """Conversations at each step of a sale (each step a subset of the one before)."""

    conversations: int
    carts: int
    data_collected: int
    closed: int


@dataclass(frozen=True, slots=True)
class LeadFunnel:
    """Conversations that became leads, were priced (a quote) and ordered (each a subset)."""

    conversations: int
    leads: int
    quotes: int
    orders: int


@dataclass(frozen=True, slots=True)
class TopProduct:
    """A product's units sold and revenue over the range."""

    sku: str
    name: str
    units: int
    revenue: Decimal


@dataclass(frozen=True, slots=True)
class HandoffFigures:
    """How many conversations went to a person, of how many, and how long they waited (s)."""

    conversations: int
    handed: int
    waits: Percentiles

    @property
    def rate(self) -> float | None:
        """The share of conversations handed to a person (None without conversations)."""
        return self.handed / self.conversations if self.conversations else None


@dataclass(frozen=True, slots=True)
class LLMUsage:
    """Language-model calls, tokens and estimated spend (USD) over the range."""

    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: Decimal


@dataclass(frozen=True, slots=True)
class Summary:
    """Everything the dashboard shows for one range (and channel, if one was chosen)."""

    days: DayRange
    channel: str | None
    currency: str
    by_day: list[DaySales]
    by_channel: list[ChannelSales]
    funnel: Funnel
    lead_funnel: LeadFunnel
    top_products: list[TopProduct]
    intents: list[tuple[str, int]]
    handoffs: HandoffFigures
    reply_ms: Percentiles
    llm: LLMUsage
    channels: list[str]
    """Every channel the shop has seen (the dashboard's channel choice)."""

    @property
    def orders(self) -> int:
        """Orders in the range."""
        return sum(day.orders for day in self.by_day)

    @property
    def revenue(self) -> Decimal:
        """Revenue in the range."""
        return sum((day.revenue for day in self.by_day), Decimal(0))

    def as_json(self) -> dict[str, Any]:
        """The summary as JSON: money as decimal strings, days as YYYY-MM-DD."""
        rate = self.handoffs.rate
        return {
            "from": self.days.first.isoformat(),
            "to": self.days.last.isoformat(),
            "timezone": self.days.zone.key,
            "channel": self.channel,
            "currency": self.currency,
            "channels": self.channels,
            "sales": {
                "orders": self.orders,
                "revenue": str(self.revenue),
                "by_day": [
                    {"day": d.day.isoformat(), "orders": d.orders, "revenue": str(d.revenue)}
                    for d in self.by_day
                ],
                "by_channel": [
                    {"channel": c.channel, "orders": c.orders, "revenue": str(c.revenue)}
                    for c in self.by_channel
                ],
            },
            "funnel": {
                "conversations": self.funnel.conversations,
                "carts": self.funnel.carts,
                "data_collected": self.funnel.data_collected,
                "closed": self.funnel.closed,
            },
            "lead_funnel": {
                "conversations": self.lead_funnel.conversations,
                "leads": self.lead_funnel.leads,
                "quotes": self.lead_funnel.quotes,
                "orders": self.lead_funnel.orders,
            },
            "top_products": [
                {"sku": p.sku, "name": p.name, "units": p.units, "revenue": str(p.revenue)}
                for p in self.top_products
            ],
            "intents": [{"intent": name, "messages": n} for name, n in self.intents],
            "handoffs": {
                "conversations": self.handoffs.conversations,
                "handed": self.handoffs.handed,
                "rate": None if rate is None else round(rate, 4),
                "wait_seconds": self.handoffs.waits.as_json(),
            },
            "reply_ms": self.reply_ms.as_json(),
            "llm": {
                "calls": self.llm.calls,
                "prompt_tokens": self.llm.prompt_tokens,
                "completion_tokens": self.llm.completion_tokens,
                "cost_usd": str(self.llm.cost_usd),
            },
        }


async def summarize(
    session: AsyncSession, days: DayRange, *, channel: str | None = None, currency: str = "COP"
) -> Summary:
    """The dashboard's figures for `days` (and `channel`), each one query grouped in SQL."""
    by_day, by_channel = await _sales(session, days, channel)
    active = _active_conversations(days, channel)
    return Summary(
        days=days,
        channel=channel,
        currency=currency,
        by_day=by_day,
        by_channel=by_channel,
        funnel=await _funnel(session, days, active),
        lead_funnel=await _lead_funnel(session, days, active),
        top_products=await _top_products(session, days, channel),
        intents=await _intents(session, days, channel),
        handoffs=await _handoffs(session, days, channel, active),
        reply_ms=await percentiles(session, _bot_latencies(days, channel)),
        llm=await _llm(session, days, channel),
        channels=await _channels(session),
    )


def _in_range(column: Any, days: DayRange) -> ColumnElement[bool]:
    return and_(column >= days.start, column < days.end)


def _orders(days: DayRange, channel: str | None) -> list[ColumnElement[bool]]:
    found = [_in_range(Order.created_at, days), Order.status != CANCELLED]
    if channel:
        found.append(Order.channel == channel)
    return found


def _money(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(CENT)


async def _sales(
    session: AsyncSession, days: DayRange, channel: str | None
) -> tuple[list[DaySales], list[ChannelSales]]:
    day = local_day(Order.created_at, dialect=session.get_bind().dialect.name, days=days)
    rows = await session.execute(
        select(day, Order.channel, func.count(), func.sum(Order.total))
        .where(*_orders(days, channel))
        .group_by(day, Order.channel)
    )
    per_day: dict[str, tuple[int, Decimal]] = {}
    per_channel: dict[str, tuple[int, Decimal]] = {}
    for local, name, count, total in rows.all():
        for bucket, key in ((per_day, str(local)), (per_channel, str(name))):
            orders, revenue = bucket.get(key, (0, Decimal(0)))
            bucket[key] = (orders + int(count), revenue + _money(total))
    by_day = [DaySales(d, *per_day.get(d.isoformat(), (0, Decimal("0.00")))) for d in days.days()]
    by_channel = [
        ChannelSales(name, orders, revenue)
        for name, (orders, revenue) in sorted(per_channel.items(), key=lambda kv: -kv[1][1])
    ]
    return by_day, by_channel


def _active_conversations(days: DayRange, channel: str | None) -> Select[Any]:
    """Ids of the conversations with an inbound message in the range (on `channel`)."""
    query = (
        select(Message.conversation_id)
        .where(Message.direction == Direction.INBOUND, _in_range(Message.created_at, days))
        .distinct()
    )
    if channel:
        query = query.join(Conversation, Conversation.id == Message.conversation_id).where(
            Conversation.channel == channel
        )
    return query


async def _funnel(session: AsyncSession, days: DayRange, active: Select[Any]) -> Funnel:
    ids = active.subquery()
    touched = and_(Sale.updated_at >= days.start, Sale.created_at < days.end)
    has_lines = select(SaleLine.id).where(SaleLine.sale_id == Sale.id).exists()
    checkout = or_(
        Sale.state.in_(CHECKOUT_STATES),
        Sale.data[("customer", "national_id")].as_string().is_not(None),
        Sale.data[("customer", "name")].as_string().is_not(None),
    )
    carts = select(Sale.conversation_id).where(touched, has_lines)
    collected = carts.where(checkout)
    closed = select(Order.conversation_id).where(
        _in_range(Order.created_at, days), Order.status != CANCELLED
    )

    def among(step: Select[Any]) -> Any:
        return func.count(distinct(ids.c.conversation_id)).filter(ids.c.conversation_id.in_(step))

    row = (
        await session.execute(
            select(
                func.count(distinct(ids.c.conversation_id)),
                among(carts),
                among(collected),
                among(closed.where(Order.conversation_id.in_(collected))),
            )
        )
    ).one()
    return Funnel(*(int(v or 0) for v in row))


async def _lead_funnel(session: AsyncSession, days: DayRange, active: Select[Any]) -> LeadFunnel:
    ids = active.subquery()
    leads = select(Lead.conversation_id).where(_in_range(Lead.created_at, days))
    quotes = leads.where(Lead.amount.is_not(None))
    ordered = select(Order.conversation_id).where(
        _in_range(Order.created_at, days), Order.status != CANCELLED
    )

    def among(step: Select[Any]) -> Any:
        return func.count(distinct(ids.c.conversation_id)).filter(ids.c.conversation_id.in_(step))

    row = (
        await session.execute(
            select(
                func.count(distinct(ids.c.conversation_id)),
                among(leads),
                among(quotes),
                among(ordered.where(Order.conversation_id.in_(quotes))),
            )
        )
    ).one()
    return LeadFunnel(*(int(v or 0) for v in row))


async def _top_products(
    session: AsyncSession, days: DayRange, channel: str | None
) -> list[TopProduct]:
    revenue = func.sum(OrderLine.line_total)
    rows = await session.execute(
        select(
            func.max(OrderLine.sku),
            func.max(OrderLine.name),
            func.sum(OrderLine.quantity),
            revenue,
        )
        .join(Order, Order.id == OrderLine.order_id)
        .where(*_orders(days, channel))
        .group_by(OrderLine.product_id)
        .order_by(revenue.desc(), OrderLine.product_id)
        .limit(TOP_PRODUCTS)
    )
    return [
        TopProduct(str(sku), str(name), int(units), _money(total))
        for sku, name, units, total in rows.all()
    ]


async def _intents(
    session: AsyncSession, days: DayRange, channel: str | None
) -> list[tuple[str, int]]:
    """Inbound messages by top-level intent (`purchase.add` counts as `purchase`)."""
    query = (
        select(Message.intent, func.count())
        .where(
            Message.direction == Direction.INBOUND,
            Message.intent.is_not(None),
            _in_range(Message.created_at, days),
        )
        .group_by(Message.intent)
    )
    if channel:
        query = query.join(Conversation, Conversation.id == Message.conversation_id).where(
            Conversation.channel == channel
        )
    counts: dict[str, int] = {}
    for intent, n in (await session.execute(query)).all():
        top = str(intent).split(".", 1)[0]
        counts[top] = counts.get(top, 0) + int(n)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


async def _handoffs(
    session: AsyncSession, days: DayRange, channel: str | None, active: Select[Any]
) -> HandoffFigures:
    ids = active.subquery()
    handed = select(Handoff.conversation_id).where(
        Handoff.to_owner.in_((Owner.WAITING_HUMAN, Owner.HUMAN)),
        _in_range(Handoff.created_at, days),
    )
    row = (
        await session.execute(
            select(
                func.count(distinct(ids.c.conversation_id)),
                func.count(distinct(ids.c.conversation_id)).filter(
                    ids.c.conversation_id.in_(handed)
                ),
            )
        )
    ).one()
    waits = await percentiles(session, _waits(session, days, channel))
    return HandoffFigures(int(row[0] or 0), int(row[1] or 0), waits)


def _waits(session: AsyncSession, days: DayRange, channel: str | None) -> Select[Any]:
    """Seconds from each wait's start to the staff take that ended it."""
    wait = aliased(Handoff)
    after = aliased(Handoff)
    following = (
        select(func.min(Handoff.id))
        .where(Handoff.conversation_id == wait.conversation_id, Handoff.id > wait.id)
        .correlate(wait)
        .scalar_subquery()
    )
    query = (
        select(_seconds_between(session, wait.created_at, after.created_at))
        .select_from(wait)
        .join(after, after.id == following)
        .where(
            wait.to_owner == Owner.WAITING_HUMAN,
            after.to_owner == Owner.HUMAN,
            _in_range(wait.created_at, days),
        )
    )
    if channel:
        query = query.join(Conversation, Conversation.id == wait.conversation_id).where(
            Conversation.channel == channel
        )
    return query


def _seconds_between(session: AsyncSession, start: Any, end: Any) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * literal(86400.0)


def _bot_latencies(days: DayRange, channel: str | None) -> Select[Any]:
    query = select(Message.latency_ms).where(
        Message.direction == Direction.OUTBOUND,
        Message.staff_id.is_(None),
        Message.latency_ms.is_not(None),
        _in_range(Message.created_at, days),
    )
    if channel:
        query = query.join(Conversation, Conversation.id == Message.conversation_id).where(
            Conversation.channel == channel
        )
    return query


async def _llm(session: AsyncSession, days: DayRange, channel: str | None) -> LLMUsage:
    query = select(
        func.coalesce(func.sum(Message.llm_calls), 0),
        func.coalesce(func.sum(Message.prompt_tokens), 0),
        func.coalesce(func.sum(Message.completion_tokens), 0),
        func.sum(Message.llm_cost_usd),
    ).where(_in_range(Message.created_at, days))
    if channel:
        query = query.join(Conversation, Conversation.id == Message.conversation_id).where(
            Conversation.channel == channel
        )
    calls, prompt, completion, cost = (await session.execute(query)).one()
    spent = Decimal(cost or 0).quantize(Decimal("0.000001"))
    return LLMUsage(int(calls or 0), int(prompt or 0), int(completion or 0), spent)


async def _channels(session: AsyncSession) -> list[str]:
    seen = select(Conversation.channel).union(select(Order.channel))
    return sorted(str(c) for c in (await session.execute(seen)).scalars())
