"""The dashboard's lead funnel: conversations → leads → quotes (priced leads) → orders, from
conversations driven through the engine."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from conftest import Chat

from metrics.days import parse_range
from metrics.summary import Summary, summarize
from salesagent.runtime import Runtime

BOGOTA = ZoneInfo("America/Bogota")
PURCHASE = (
    "quiero 2 cascos dielectricos",
    "finalizar",
    "Ana Gómez",
    "1032456789",
    "3105551234",
    "Calle 20 # 8-15, Pereira",
    "si",
)


def chat(runtime: Runtime, channel: str = "web") -> Chat:
    return Chat(runtime, f"funnel-{uuid.uuid4().hex[:8]}", channel)


async def summary_of(
    runtime: Runtime, first: date, last: date, channel: str | None = None
) -> Summary:
    days = parse_range(first.isoformat(), last.isoformat(), zone=BOGOTA)
    async with runtime.sessions() as session:
        return await summarize(session, days, channel=channel)


async def test_the_lead_funnel_counts_each_step_of_the_same_conversations(
    runtime: Runtime,
) -> None:
    await chat(runtime).say("hola")  # a conversation, no lead
    await chat(runtime).say("¿me pasan una cotización?")  # a lead with nothing to price
    priced = chat(runtime)
    await priced.say("quiero 2 cascos dielectricos")
    await priced.say("¿me pasan una cotización formal?")  # a lead, priced: a quote
    bought = chat(runtime, "cli")
    await bought.say("¿me pueden cotizar 2 cascos dielectricos?")
    for text in PURCHASE:  # a lead, priced, ordered
        done = await bought.say(text)
    assert done.order_id is not None
    direct = chat(runtime)
    for text in PURCHASE:  # an order with no lead before it: not in the lead funnel
        done = await direct.say(text)
    assert done.order_id is not None

    today = datetime.now(BOGOTA).date()
    found = await summary_of(runtime, today - timedelta(days=1), today + timedelta(days=1))
    funnel = found.lead_funnel
    assert (funnel.conversations, funnel.leads, funnel.quotes, funnel.orders) == (5, 3, 2, 1)
    assert found.as_json()["lead_funnel"] == {
        "conversations": 5,
        "leads": 3,
        "quotes": 2,
        "orders": 1,
    }

    cli = (await summary_of(runtime, today, today + timedelta(days=1), "cli")).lead_funnel
    assert (cli.conversations, cli.leads, cli.quotes, cli.orders) == (1, 1, 1, 1)
    before = await summary_of(runtime, today - timedelta(days=9), today - timedelta(days=2))
    assert before.lead_funnel.leads == 0
