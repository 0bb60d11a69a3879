"""`GET /metrics/summary` and `GET /metrics` over real HTTP: who may read them, the refusals, and
the figures compared with the database's rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
import pytest
from fixtures.console_login import add_staff, logged_in
from fixtures.live_server import LiveServer, serving
from metrics_shop import Activity, drive_shop, new_chat
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr
from sqlalchemy import select, update

from agent.api_keys import create_key
from agent.models import (
    Conversation,
    Direction,
    ExportJob,
    ExportStatus,
    Message,
    Order,
    OutboxItem,
    Owner,
)
from agent.settings import Settings

TOKEN = "un-token-de-prometheus-largo"
BOGOTA = ZoneInfo("America/Bogota")
pytestmark = pytest.mark.usefixtures("shop_clock")  # the demo's history has fixed dates


@pytest.fixture
async def live(demo_settings: Settings) -> AsyncIterator[LiveServer]:
    settings = demo_settings.model_copy(update={"metrics_token": SecretStr(TOKEN)})
    async with serving(settings) as running:
        yield running


@pytest.fixture
async def activity(live: LiveServer) -> Activity:
    return await drive_shop(live.runtime)


@pytest.fixture
async def api_key(live: LiveServer) -> str:
    async with live.runtime.sessions() as session:
        _, key = await create_key(session, name="tablero")
    return key


def window() -> dict[str, str]:
    today = datetime.now(BOGOTA).date()
    return {
        "from": (today - timedelta(days=1)).isoformat(),
        "to": (today + timedelta(days=1)).isoformat(),
    }


async def test_the_summary_for_an_api_key_and_a_console_manager(
    live: LiveServer, activity: Activity, api_key: str
) -> None:
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
        refused = await http.get("/metrics/summary")
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Bearer")

        wrong = await http.get("/metrics/summary", headers={"authorization": "Bearer sk_nada"})
        assert wrong.status_code == 401

        answer = await http.get(
            "/metrics/summary", params=window(), headers={"authorization": f"Bearer {api_key}"}
        )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["timezone"] == "America/Bogota" and body["currency"] == "COP"
    assert body["sales"]["orders"] == len(activity.orders) == 3
    assert body["sales"]["revenue"] == str(sum(total for _, _, total in activity.orders))
    per_channel: dict[str, list[object]] = {}
    for channel, _, total in activity.orders:
        orders, revenue = per_channel.get(channel, [0, Decimal(0)])
        per_channel[channel] = [int(str(orders)) + 1, Decimal(str(revenue)) + total]
    assert {
        c["channel"]: [c["orders"], Decimal(c["revenue"])] for c in body["sales"]["by_channel"]
    } == per_channel
    assert body["funnel"] == {
        "conversations": 9,
        "carts": 5,
        "data_collected": 4,
        "closed": 3,
    }
    assert body["handoffs"]["handed"] == 2 and body["handoffs"]["rate"] == round(2 / 9, 4)
    assert body["handoffs"]["wait_seconds"]["count"] == 2
    assert body["reply_ms"]["count"] > 0 and body["reply_ms"]["p50"] > 0
    assert {"cli", "web", "whatsapp"} <= set(body["channels"])
    assert isinstance(body["top_products"][0]["revenue"], str)

    # A console manager reads the same under /console (its cookie's path); an agent is refused.
    await add_staff(live.runtime, "ana")
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as browser:
        await logged_in(browser, "marta")
        seen = await browser.get("/console/dashboard/summary", params=window())
        assert seen.status_code == 200
        assert seen.json()["sales"] == body["sales"]
        assert seen.json()["funnel"] == body["funnel"]
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as browser:
        await logged_in(browser, "ana")
        assert (await browser.get("/console/dashboard/summary")).status_code == 403


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-02-30"}, "from"),
        ({"to": "mañana"}, "to"),
        ({"from": "2026-11-20", "to": "2026-11-01"}, "from"),
        ({"from": "2020-01-01", "to": "2026-11-01"}, "from"),
        ({"channel": "x" * 40}, "channel"),
    ],
)
async def test_a_bad_query_is_refused_naming_the_field(
    live: LiveServer, api_key: str, params: dict[str, str], field: str
) -> None:
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
        answer = await http.get(
            "/metrics/summary", params=params, headers={"authorization": f"Bearer {api_key}"}
        )
    assert answer.status_code == 422
    body = answer.json()
    assert body["errors"][0]["field"] == field
    assert body["detail"]


def scrape(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of an exposition, by name and labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_prometheus_totals_match_the_database(live: LiveServer, activity: Activity) -> None:
    # One more customer waits for a person, nobody takes them; some model spend; an export.
    waiting = new_chat(live.runtime, activity)
    await waiting.say("quiero hablar con una persona")
    async with live.runtime.sessions() as session, session.begin():
        await session.execute(
            update(Conversation)
            .where(Conversation.external_chat_id == waiting.chat_id)
            .values(llm_calls=3, prompt_tokens=900, completion_tokens=120, llm_cost_usd="0.0042")
        )
        # A failed job: the export worker would take a pending one before the scrape.
        failed = ExportJob(id="a" * 32, kind="sales", requested_by="cli")
        failed.status = ExportStatus.FAILED
        session.add(failed)
    # Replies still being delivered would change the outbox between the scrape and the check.
    await live.runtime.engine.drain_deliveries()

    async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
        answer = await http.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=")
    found = scrape(answer.text)

    async with live.runtime.sessions() as session:
        orders = list(await session.scalars(select(Order)))
        conversations = list(await session.scalars(select(Conversation)))
        channel_of = {c.id: c.channel for c in conversations}
        messages = list(await session.execute(select(Message.conversation_id, Message.direction)))
        outbox = list(await session.scalars(select(OutboxItem.status)))
    for channel, n in Counter(o.channel for o in orders).items():
        assert found[("salesagent_orders_total", (("channel", channel),))] == n
    for channel in {o.channel for o in orders}:
        revenue = sum(o.total for o in orders if o.channel == channel)
        key = ("salesagent_orders_revenue_total", (("channel", channel), ("currency", "COP")))
        assert found[key] == pytest.approx(float(revenue))
    assert found[("salesagent_orders_total", (("channel", "web"),))] == 5 + 2  # demo + test
    for (channel, owner), n in Counter((c.channel, c.owner.value) for c in conversations).items():
        assert found[("salesagent_conversations", (("channel", channel), ("owner", owner)))] == n
    assert found[("salesagent_handoffs_waiting", ())] == 1
    assert found[("salesagent_conversations", (("channel", "web"), ("owner", "human")))] == 2
    by_channel = Counter((channel_of[c], d.value) for c, d in messages)
    for (channel, direction), n in by_channel.items():
        key = ("salesagent_messages_total", (("channel", channel), ("direction", direction)))
        assert found[key] == n
    for status, n in Counter(s.value for s in outbox).items():
        assert found[("salesagent_outbox_messages", (("status", status),))] == n
    assert found[("salesagent_llm_calls_total", ())] == 3
    assert found[("salesagent_llm_tokens_total", (("kind", "prompt"),))] == 900
    assert found[("salesagent_llm_tokens_total", (("kind", "completion"),))] == 120
    assert found[("salesagent_llm_cost_usd_total", ())] == pytest.approx(0.0042)
    assert found[("salesagent_export_jobs", (("status", ExportStatus.FAILED.value),))] == 1
    assert any(o == Owner.WAITING_HUMAN for o in (c.owner for c in conversations))

    # The bot's reply time: a histogram of every bot reply's stored latency.
    async with live.runtime.sessions() as session:
        latencies = [
            float(v) / 1000
            for v in await session.scalars(
                select(Message.latency_ms).where(
                    Message.direction == Direction.OUTBOUND,
                    Message.staff_id.is_(None),
                    Message.latency_ms.is_not(None),
                )
            )
        ]
    assert len(latencies) > 30
    histogram = "salesagent_reply_duration_seconds"
    assert found[(f"{histogram}_count", ())] == len(latencies)
    assert found[(f"{histogram}_sum", ())] == pytest.approx(sum(latencies))
    for bound in ("0.025", "0.05", "0.1", "1", "30"):
        within = sum(1 for v in latencies if v <= float(bound))
        assert found[(f"{histogram}_bucket", (("le", bound),))] == within
    assert found[(f"{histogram}_bucket", (("le", "+Inf"),))] == len(latencies)


async def test_prometheus_refuses_a_wrong_token(live: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
        missing = await http.get("/metrics")
        wrong = await http.get("/metrics", headers={"authorization": "Bearer otro"})
        other_scheme = await http.get("/metrics", headers={"authorization": f"Basic {TOKEN}"})
    assert [missing.status_code, wrong.status_code, other_scheme.status_code] == [401, 401, 401]
    assert "METRICS_TOKEN" in wrong.json()["detail"]
    assert 'error="invalid_token"' in wrong.headers["www-authenticate"]


async def test_without_a_metrics_token_there_is_no_metrics_page(demo_settings: Settings) -> None:
    async with (
        serving(demo_settings) as running,
        httpx.AsyncClient(base_url=running.url, timeout=30) as http,
    ):
        answer = await http.get("/metrics", headers={"authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 404


async def test_the_charting_library_is_served_by_the_app(live: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live.url, timeout=30) as http:
        library = await http.get("/console/static/vendor/chart.umd.min.js")
        script = await http.get("/console/static/dashboard.js")
        licence = await http.get("/console/static/vendor/chart.js.LICENSE.md")
        outside = await http.get("/console/static/vendor/../../dashboard.py")
    assert library.status_code == 200
    assert library.headers["content-type"] == "text/javascript; charset=utf-8"
    assert library.text.startswith("/*!\n * Chart.js v4.6.1")
    assert script.status_code == 200 and "new Chart(" in script.text
    assert licence.status_code == 404 and outside.status_code == 404
