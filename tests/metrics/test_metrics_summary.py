"""The dashboard's summary on SQLite and PostgreSQL: figures of conversations driven through the
engine compared with what the test did, and the demo shop's history compared with its rows
bucketed in Python by the shop's days."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from conftest import Chat, make_settings
from fixtures.llm_servers import ScriptedServer, gemini_json, gemini_stream
from metrics_shop import Activity, drive_shop, new_chat
from sqlalchemy import select, update

from agent.errors import InvalidInputError
from agent.models import Customer, Direction, Handoff, Message, Order, OrderLine, Owner
from agent.settings import Settings
from metrics.days import offset_pieces, parse_range
from metrics.summary import Summary, summarize
from salesagent.runtime import Runtime

BOGOTA = ZoneInfo("America/Bogota")
pytestmark = pytest.mark.usefixtures("shop_clock")  # the demo's history has fixed dates


@pytest.fixture
def shop_settings(shop_url: str) -> Settings:
    """The demo shop on a private SQLite copy, or on a fresh PostgreSQL database."""
    return make_settings(shop_url)


@pytest.fixture
async def shop(shop_settings: Settings) -> AsyncIterator[Runtime]:
    runtime = await Runtime.start(shop_settings, migrate=False)
    yield runtime
    await runtime.close()


def today() -> date:
    return datetime.now(BOGOTA).date()


async def summary_of(
    runtime: Runtime, first: date, last: date, channel: str | None = None, zone: ZoneInfo = BOGOTA
) -> Summary:
    days = parse_range(first.isoformat(), last.isoformat(), zone=zone)
    async with runtime.sessions() as session:
        return await summarize(session, days, channel=channel)


def quantiles(values: list[float]) -> tuple[float, float]:
    """p50 and p95 as PostgreSQL's percentile_cont defines them (statistics' inclusive method)."""
    p50 = statistics.quantiles(values, n=2, method="inclusive")[0]
    p95 = statistics.quantiles(values, n=20, method="inclusive")[18]
    return p50, p95


async def test_a_day_of_conversations_gives_the_figures_the_test_saw(shop: Runtime) -> None:
    activity = await drive_shop(shop)
    # Around the shop's midnight a turn may fall on either side: the range takes both days.
    found = await summary_of(shop, today() - timedelta(days=1), today() + timedelta(days=1))

    # Sales: three orders on two channels, each as the customer was told its total.
    expected_channels: dict[str, tuple[int, Decimal]] = {}
    for channel, _order, total in activity.orders:
        n, revenue = expected_channels.get(channel, (0, Decimal(0)))
        expected_channels[channel] = (n + 1, revenue + total)
    assert {c.channel: (c.orders, c.revenue) for c in found.by_channel} == expected_channels
    assert found.orders == 3
    assert found.revenue == sum(total for _, _, total in activity.orders)
    assert [d.day for d in found.by_day] == [today() + timedelta(days=n) for n in (-1, 0, 1)]
    assert sum(d.orders for d in found.by_day) == 3
    async with shop.sessions() as session:
        stored = dict(
            (
                await session.execute(
                    select(Order.id, Order.total).where(
                        Order.id.in_([order for _, order, _ in activity.orders])
                    )
                )
            ).all()
        )
    assert stored == {order: total for _, order, total in activity.orders}

    # Top products: units and revenue by SKU, as the carts said.
    assert {p.sku: (p.units, p.revenue) for p in found.top_products} == {
        sku: (units, activity.revenue[sku]) for sku, units in activity.units.items()
    }
    assert found.top_products[0].revenue >= found.top_products[-1].revenue

    # The funnel: every chat wrote; five filled a cart; four gave their data; three bought.
    assert (
        found.funnel.conversations,
        found.funnel.carts,
        found.funnel.data_collected,
        found.funnel.closed,
    ) == (len(activity.chats), activity.carts, activity.data_collected, len(activity.orders))
    assert (len(activity.chats), activity.carts, activity.data_collected) == (9, 5, 4)

    # Intents of every customer message, by their top-level label.
    said = Counter(result.intent.split(".", 1)[0] for result in activity.results)
    assert dict(found.intents) == dict(said)
    assert {"purchase", "handoff", "company", "inventory"} <= set(said)

    # Handoffs: two of nine conversations, each wait ended by the manager's take.
    assert (found.handoffs.conversations, found.handoffs.handed) == (9, 2)
    assert found.handoffs.rate == pytest.approx(2 / 9)
    waits = await waits_from_rows(shop)
    assert len(waits) == found.handoffs.waits.count == 2
    p50, p95 = quantiles(waits)
    assert found.handoffs.waits.p50 == pytest.approx(p50, abs=1e-3)
    assert found.handoffs.waits.p95 == pytest.approx(p95, abs=1e-3)

    # The bot's reply time: every bot reply's stored latency.
    async with shop.sessions() as session:
        latencies = [
            float(v)
            for v in (
                await session.scalars(
                    select(Message.latency_ms).where(
                        Message.direction == Direction.OUTBOUND,
                        Message.staff_id.is_(None),
                        Message.latency_ms.is_not(None),
                    )
                )
            )
        ]
    # Every turn the bot answered, and none of those it kept quiet in (a person had them).
    bot_turns = sum(1 for r in activity.results if r.owner != Owner.HUMAN)
    assert found.reply_ms.count == len(latencies) == bot_turns
    p50, p95 = quantiles(latencies)
    assert found.reply_ms.p50 == pytest.approx(p50, rel=1e-9)
    assert found.reply_ms.p95 == pytest.approx(p95, rel=1e-9)

    # One channel only.
    cli = await summary_of(shop, today() - timedelta(days=1), today() + timedelta(days=1), "cli")
    cli_orders = [total for channel, _, total in activity.orders if channel == "cli"]
    assert (cli.orders, cli.revenue) == (len(cli_orders), sum(cli_orders))
    cli_chats = [chat for chat in activity.chats if chat.channel == "cli"]
    assert cli.funnel.conversations == len(cli_chats) == 3
    assert (cli.funnel.carts, cli.funnel.data_collected, cli.funnel.closed) == (2, 2, 1)
    assert cli.handoffs.handed == 0 and cli.handoffs.waits.count == 0
    assert dict(cli.intents) == dict(
        Counter(r.intent.split(".", 1)[0] for chat in cli_chats for r in chat.results)
    )

    # A range before any of it: nothing.
    empty = await summary_of(shop, today() - timedelta(days=9), today() - timedelta(days=2))
    assert (empty.orders, empty.funnel.conversations, empty.reply_ms.count) == (0, 0, 0)
    assert empty.handoffs.rate is None and empty.reply_ms.p50 is None


async def waits_from_rows(runtime: Runtime) -> list[float]:
    """Seconds from each `waiting_human` change to the next change, when that is a take."""
    async with runtime.sessions() as session:
        rows = list(await session.scalars(select(Handoff).order_by(Handoff.id)))
    waits = []
    for i, row in enumerate(rows):
        if row.to_owner != Owner.WAITING_HUMAN:
            continue
        after = next((r for r in rows[i + 1 :] if r.conversation_id == row.conversation_id), None)
        if after is not None and after.to_owner == Owner.HUMAN:
            waits.append((after.created_at - row.created_at).total_seconds())
    return waits


async def test_llm_spend_counts_the_messages_of_the_range(shop: Runtime) -> None:
    activity = Activity()
    chat = new_chat(shop, activity)
    await chat.say("hola, ¿tienen cascos blancos?")
    await chat.say("¿y guantes de nitrilo?")
    async with shop.sessions() as session, session.begin():
        ids = list(
            await session.scalars(
                select(Message.id)
                .where(Message.direction == Direction.INBOUND)
                .order_by(Message.id)
            )
        )
        spend = [
            (ids[0], 2, 310, 42, Decimal("0.000123")),
            (ids[1], 1, 150, 20, Decimal("0.000057")),
        ]
        for message_id, calls, prompt, completion, cost in spend:
            await session.execute(
                update(Message)
                .where(Message.id == message_id)
                .values(
                    llm_calls=calls,
                    prompt_tokens=prompt,
                    completion_tokens=completion,
                    llm_cost_usd=cost,
                )
            )
        # A message of 40 days ago: its spend is outside the range.
        old = await session.scalar(
            select(Message.id).where(Message.direction == Direction.OUTBOUND).limit(1)
        )
        await session.execute(
            update(Message)
            .where(Message.id == old)
            .values(
                llm_calls=9,
                prompt_tokens=999,
                completion_tokens=99,
                llm_cost_usd=Decimal("1.5"),
                created_at=datetime.now(UTC) - timedelta(days=40),
            )
        )
    found = await summary_of(shop, today() - timedelta(days=1), today() + timedelta(days=1))
    assert (found.llm.calls, found.llm.prompt_tokens, found.llm.completion_tokens) == (3, 460, 62)
    assert found.llm.cost_usd == Decimal("0.000180")
    assert found.as_json()["llm"]["cost_usd"] == "0.000180"


async def test_the_demo_shops_history_by_day_channel_and_product(shop: Runtime) -> None:
    first, last = date(2025, 1, 1), today()
    found = await summary_of(shop, first, last)
    async with shop.sessions() as session:
        orders = list(await session.scalars(select(Order).where(Order.status != "cancelled")))
        lines = list(await session.scalars(select(OrderLine)))
    assert len(orders) == 15  # the demo's past orders (customers.yaml)
    by_day: Counter[date] = Counter()
    revenue_by_day: dict[date, Decimal] = {}
    for order in orders:
        day = order.created_at.astimezone(BOGOTA).date()
        by_day[day] += 1
        revenue_by_day[day] = revenue_by_day.get(day, Decimal(0)) + order.total
    assert {d.day: (d.orders, d.revenue) for d in found.by_day if d.orders} == {
        day: (n, revenue_by_day[day]) for day, n in by_day.items()
    }
    assert len(found.by_day) == (last - first).days + 1
    channels: dict[str, tuple[int, Decimal]] = {}
    for order in orders:
        n, revenue = channels.get(order.channel, (0, Decimal(0)))
        channels[order.channel] = (n + 1, revenue + order.total)
    assert {c.channel: (c.orders, c.revenue) for c in found.by_channel} == channels
    assert [c.channel for c in found.by_channel] == sorted(channels, key=lambda c: -channels[c][1])

    products: dict[int, tuple[str, int, Decimal]] = {}
    for line in lines:
        _, units, revenue = products.get(line.product_id, (line.sku, 0, Decimal(0)))
        products[line.product_id] = (line.sku, units + line.quantity, revenue + line.line_total)
    ranked = sorted(products.items(), key=lambda item: (-item[1][2], item[0]))[:10]
    assert [(p.sku, p.units, p.revenue) for p in found.top_products] == [v for _, v in ranked]
    json = found.as_json()
    assert json["sales"]["orders"] == 15
    assert json["sales"]["revenue"] == str(sum(o.total for o in orders))


NEW_YORK = ZoneInfo("America/New_York")
INSTANTS = [
    datetime(2026, 3, 8, 4, 59, tzinfo=UTC),  # 23:59 EST on 7 March
    datetime(2026, 3, 8, 6, 30, tzinfo=UTC),  # 01:30 EST on 8 March, before the clocks move
    datetime(2026, 3, 8, 7, 30, tzinfo=UTC),  # 03:30 EDT on 8 March, after
    datetime(2026, 3, 9, 3, 59, tzinfo=UTC),  # 23:59 EDT on 8 March
    datetime(2026, 3, 9, 4, 0, tzinfo=UTC),  # midnight EDT: 9 March
    datetime(2026, 11, 1, 5, 30, tzinfo=UTC),  # 01:30 EDT on 1 November
    datetime(2026, 11, 1, 6, 30, tzinfo=UTC),  # 01:30 EST, the same wall time an hour later
    datetime(2026, 11, 2, 4, 59, tzinfo=UTC),  # 23:59 EST on 1 November
    datetime(2026, 11, 2, 5, 0, tzinfo=UTC),  # midnight EST: 2 November
]


async def test_days_follow_a_zone_with_daylight_saving(shop: Runtime) -> None:
    async with shop.sessions() as session, session.begin():
        customer = await session.scalar(select(Customer.id).limit(1))
        assert customer is not None
        for n, moment in enumerate(INSTANTS):
            session.add(
                Order(
                    customer_id=customer,
                    channel="dst",
                    total=Decimal(n + 1),
                    created_at=moment,
                )
            )
    found = await summary_of(
        shop, date(2026, 3, 1), date(2026, 11, 30), channel="dst", zone=NEW_YORK
    )
    expected: Counter[date] = Counter(moment.astimezone(NEW_YORK).date() for moment in INSTANTS)
    assert {d.day: d.orders for d in found.by_day if d.orders} == dict(expected)
    assert expected == {
        date(2026, 3, 7): 1,
        date(2026, 3, 8): 3,
        date(2026, 3, 9): 1,
        date(2026, 11, 1): 3,
        date(2026, 11, 2): 1,
    }
    assert found.orders == len(INSTANTS)


def test_the_offset_changes_are_found_to_the_second() -> None:
    start = datetime(2026, 1, 1, 5, tzinfo=UTC)
    end = datetime(2027, 1, 1, 5, tzinfo=UTC)
    pieces = offset_pieces(NEW_YORK, start, end)
    assert pieces == [
        (datetime(2026, 3, 8, 7, tzinfo=UTC), -5 * 3600),
        (datetime(2026, 11, 1, 6, tzinfo=UTC), -4 * 3600),
        (end, -5 * 3600),
    ]
    assert offset_pieces(BOGOTA, start, end) == [(end, -5 * 3600)]


@pytest.mark.parametrize(
    ("date_from", "date_to", "field"),
    [
        ("2026-13-01", None, "from"),
        ("ayer", None, "from"),
        (None, "2026/11/01", "to"),
        ("2026-11-10", "2026-11-01", "from"),
        ("2020-01-01", "2026-11-01", "from"),
    ],
)
def test_a_bad_range_names_its_field(
    date_from: str | None, date_to: str | None, field: str
) -> None:
    with pytest.raises(InvalidInputError) as refused:
        parse_range(date_from, date_to, zone=BOGOTA)
    assert refused.value.field == field


def test_the_default_range_is_the_last_thirty_days() -> None:
    days = parse_range(None, None, zone=BOGOTA, today=date(2026, 11, 22))
    assert (days.first, days.last) == (date(2026, 10, 24), date(2026, 11, 22))
    assert days.start == datetime(2026, 10, 24, 5, tzinfo=UTC)
    assert days.end == datetime(2026, 11, 23, 5, tzinfo=UTC)
    assert len(days.days()) == 30


async def test_model_calls_of_a_real_gemini_turn_are_counted(
    gemini: Runtime, server: ScriptedServer
) -> None:
    # The offline reader is unsure: the model reads the message, then phrases the reply.
    understood = {"intent": "inventory.category", "confidence": 0.85, "language": "es"}
    server.script("generate", gemini_json({**understood, "category": "cabeza"}, prompt_tokens=300))
    phrase = "En *Protección de cabeza* tenemos cascos de seguridad."
    server.script("generate", gemini_json(phrase, prompt_tokens=200, completion_tokens=40))
    server.script("stream", gemini_stream([phrase], prompt_tokens=200, completion_tokens=40))
    chat = Chat(gemini, "modelo")
    await chat.say("quisiera algo para proteger la cabeza en obra")
    await Chat(gemini, "sin-modelo").say("¿tienen extintores de 10 libras?")

    found = await summary_of(gemini, today() - timedelta(days=1), today() + timedelta(days=1))
    assert (found.llm.calls, found.llm.prompt_tokens, found.llm.completion_tokens) == (2, 500, 70)
    # Flash's list price: 0.30 USD per million prompt tokens, 2.50 per million completion.
    assert found.llm.cost_usd == Decimal("0.000325")
