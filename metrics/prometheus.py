"""Prometheus metrics read from the database at scrape time.

Every figure is a total the database holds, so it is the same whichever process Prometheus
scrapes and however many run: nothing is counted in memory. Each scrape reads the totals with a
few grouped queries, then renders them from a fresh registry in the text exposition format.
Counters count rows that are never deleted (every order ever placed, cancelled ones too, and
every message); states that come and go (owners, outbox, export jobs) are gauges. The bot's
reply time is a histogram of the `latency_ms` every bot reply stored, so it too covers every
process (one scan of the messages per scrape: cheap at a shop's volumes, see README).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from agent.models import Conversation, Direction, ExportJob, Message, Order, OutboxItem, Owner

CANCELLED = "cancelled"
REPLY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
"""Upper bounds (seconds) of the reply-time histogram's buckets."""


@dataclass(frozen=True, slots=True)
class Totals:
    """What one scrape read from the database."""

    orders: list[tuple[str, str, int, Decimal]]
    """(channel, currency, orders, revenue) over every order ever placed."""
    cancelled: list[tuple[str, int]]
    conversations: list[tuple[str, str, int]]
    """(channel, owner, conversations)."""
    messages: list[tuple[str, str, int]]
    """(channel, direction, messages)."""
    llm_calls: int
    prompt_tokens: int
    completion_tokens: int
    llm_cost_usd: Decimal
    outbox: list[tuple[str, int]]
    export_jobs: list[tuple[str, int]]
    replies: list[int]
    """Bot replies within each of REPLY_BUCKETS, then all of them."""
    reply_seconds: float

    @property
    def waiting(self) -> int:
        """Conversations waiting for a person now."""
        return sum(n for _, owner, n in self.conversations if owner == Owner.WAITING_HUMAN)


async def read_totals(session: AsyncSession) -> Totals:
    """The totals behind every metric, read with one grouped query each."""
    orders = await session.execute(
        select(Order.channel, Order.currency, func.count(), func.sum(Order.total)).group_by(
            Order.channel, Order.currency
        )
    )
    cancelled = await session.execute(
        select(Order.channel, func.count()).where(Order.status == CANCELLED).group_by(Order.channel)
    )
    conversations = await session.execute(
        select(Conversation.channel, Conversation.owner, func.count()).group_by(
            Conversation.channel, Conversation.owner
        )
    )
    messages = await session.execute(
        select(Conversation.channel, Message.direction, func.count())
        .join(Conversation, Conversation.id == Message.conversation_id)
        .group_by(Conversation.channel, Message.direction)
    )
    llm = (
        await session.execute(
            select(
                func.coalesce(func.sum(Conversation.llm_calls), 0),
                func.coalesce(func.sum(Conversation.prompt_tokens), 0),
                func.coalesce(func.sum(Conversation.completion_tokens), 0),
                func.sum(Conversation.llm_cost_usd),
            )
        )
    ).one()
    outbox = await session.execute(
        select(OutboxItem.status, func.count()).group_by(OutboxItem.status)
    )
    exports = await session.execute(
        select(ExportJob.status, func.count()).group_by(ExportJob.status)
    )
    latency = Message.latency_ms
    replies = (
        await session.execute(
            select(
                *(func.count().filter(latency <= bound * 1000) for bound in REPLY_BUCKETS),
                func.count(),
                func.sum(latency),
            ).where(
                Message.direction == Direction.OUTBOUND,
                Message.staff_id.is_(None),
                latency.is_not(None),
            )
        )
    ).one()
    return Totals(
        orders=[(str(c), str(cur), int(n), Decimal(t or 0)) for c, cur, n, t in orders.all()],
        cancelled=[(str(c), int(n)) for c, n in cancelled.all()],
        conversations=[(str(c), _value(o), int(n)) for c, o, n in conversations.all()],
        messages=[(str(c), _value(d), int(n)) for c, d, n in messages.all()],
        llm_calls=int(llm[0]),
        prompt_tokens=int(llm[1]),
        completion_tokens=int(llm[2]),
        llm_cost_usd=Decimal(llm[3] or 0),
        outbox=[(_value(s), int(n)) for s, n in outbox.all()],
        export_jobs=[(_value(s), int(n)) for s, n in exports.all()],
        replies=[int(n or 0) for n in replies[:-1]],
        reply_seconds=float(replies[-1] or 0) / 1000,
    )


def _value(member: object) -> str:
    return str(getattr(member, "value", member))


class TotalsCollector(Collector):
    """Yields the metric families of one scrape's totals."""

    def __init__(self, totals: Totals) -> None:
        self._totals = totals

    def collect(self) -> Iterator[Metric]:
        """The metric families, named after Prometheus' conventions."""
        t = self._totals
        per_channel: dict[str, int] = {}
        for channel, _currency, n, _total in t.orders:
            per_channel[channel] = per_channel.get(channel, 0) + n
        yield _family(
            CounterMetricFamily,
            "salesagent_orders",
            "Orders placed (cancelled ones too).",
            ["channel"],
            per_channel.items(),
        )
        yield _family(
            CounterMetricFamily,
            "salesagent_orders_revenue",
            "Sum of the totals of the orders placed, in the order's currency.",
            ["channel", "currency"],
            [(channel, currency, float(total)) for channel, currency, _n, total in t.orders],
        )
        yield _family(
            GaugeMetricFamily,
            "salesagent_orders_cancelled",
            "Orders cancelled.",
            ["channel"],
            t.cancelled,
        )
        yield _family(
            GaugeMetricFamily,
            "salesagent_conversations",
            "Conversations by who answers them now (bot, waiting_human, human).",
            ["channel", "owner"],
            t.conversations,
        )
        yield GaugeMetricFamily(
            "salesagent_handoffs_waiting",
            "Conversations waiting for a person now.",
            value=t.waiting,
        )
        yield _family(
            CounterMetricFamily,
            "salesagent_messages",
            "Messages received (in) and sent (out).",
            ["channel", "direction"],
            t.messages,
        )
        yield CounterMetricFamily(
            "salesagent_llm_calls", "Calls to the language model.", value=t.llm_calls
        )
        yield _family(
            CounterMetricFamily,
            "salesagent_llm_tokens",
            "Language-model tokens.",
            ["kind"],
            [("prompt", t.prompt_tokens), ("completion", t.completion_tokens)],
        )
        yield CounterMetricFamily(
            "salesagent_llm_cost_usd",
            "Estimated language-model spend in US dollars.",
            value=float(t.llm_cost_usd),
        )
        yield _family(
            GaugeMetricFamily,
            "salesagent_outbox_messages",
            "Replies in the outbox by status.",
            ["status"],
            t.outbox,
        )
        yield _family(
            GaugeMetricFamily,
            "salesagent_export_jobs",
            "Export jobs by status.",
            ["status"],
            t.export_jobs,
        )
        bounds = [f"{bound:g}" for bound in REPLY_BUCKETS] + ["+Inf"]
        yield HistogramMetricFamily(
            "salesagent_reply_duration_seconds",
            "Time from a customer's message to the bot's reply being committed.",
            buckets=list(zip(bounds, t.replies, strict=True)),
            sum_value=t.reply_seconds,
        )


def _family(
    kind: type[CounterMetricFamily] | type[GaugeMetricFamily],
    name: str,
    documentation: str,
    labels: list[str],
    rows: Iterable[tuple[Any, ...]],
) -> Metric:
    """A labelled family with a sample per row: the row's label values, then its value."""
    family = kind(name, documentation, labels=labels)
    for *values, value in rows:
        family.add_metric(values, value)
    return family


def render(totals: Totals) -> bytes:
    """The text exposition of one scrape."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(TotalsCollector(totals))
    return generate_latest(registry)
