"""The assistant over real HTTP on the demo shop: the page and its JSON endpoint, for whom,
with the session's CSRF token, and answers in the question's language."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
import pytest
from fixtures.console_login import ask_assistant, logged_in
from fixtures.live_server import LiveServer, staffed
from sqlalchemy import select

from agent.i18n import money
from agent.models import Order
from agent.settings import Settings

BOGOTA = ZoneInfo("America/Bogota")
pytestmark = pytest.mark.usefixtures("shop_clock")  # the demo's history has fixed dates


@pytest.fixture
async def live(demo_settings: Settings) -> AsyncIterator[LiveServer]:
    async with staffed(demo_settings) as running:
        yield running


@pytest.fixture
async def client(live: LiveServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=live.url, timeout=20) as http:
        yield http


async def october_by_channel(live: LiveServer) -> dict[str, Decimal]:
    """October 2026's revenue by channel, from the order rows bucketed by the shop's days."""
    async with live.runtime.sessions() as session:
        orders = list(await session.scalars(select(Order).where(Order.status != "cancelled")))
    found: dict[str, Decimal] = {}
    for order in orders:
        day = order.created_at.astimezone(BOGOTA).date()
        if date(2026, 10, 1) <= day <= date(2026, 10, 31):
            found[order.channel] = found.get(order.channel, Decimal(0)) + order.total
    return found


async def test_without_a_session_the_assistant_is_refused(client: httpx.AsyncClient) -> None:
    page = await client.get("/console/assistant", headers={"accept": "text/html"})
    assert page.status_code == 303
    assert page.headers["location"] == "/console/login?next=/console/assistant"

    answer = await client.post("/console/assistant/ask", data={"question": "pedidos pendientes"})
    assert answer.status_code == 401


async def test_an_agent_asks_about_orders_but_not_about_revenue(client: httpx.AsyncClient) -> None:
    csrf = await logged_in(client, "ana")
    page = await client.get("/console/assistant")
    assert page.status_code == 200
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert 'href="/console/assistant" aria-current="page"' in page.text
    assert "¿Qué se está agotando?" in page.text  # an example to click
    assert "Ventas de esta semana por canal" not in page.text  # not one it may not ask

    waiting = await ask_assistant(client, csrf, "¿quién está esperando un asesor?")
    assert waiting.status_code == 200
    body = waiting.json()
    assert (body["query"], body["source"], body["language"]) == ("waiting_handoffs", "rules", "es")
    assert body["answer"]["title"] == "Conversaciones que esperan un asesor"
    assert body["answer"]["rows"] == [] and body["answer"]["empty"]

    money_question = await ask_assistant(client, csrf, "ventas de esta semana por canal")
    assert money_question.status_code == 403
    assert money_question.json() == {"detail": "Solo un gerente puede hacer esto."}

    forged = await client.post(
        "/console/assistant/ask",
        data={"question": "pedidos pendientes"},
        headers={"x-csrf-token": "x"},
    )
    assert forged.status_code == 403
    other_site = await client.post(
        "/console/assistant/ask",
        data={"question": "pedidos pendientes"},
        headers={"x-csrf-token": csrf, "origin": "https://evil.example"},
    )
    assert other_site.status_code == 403


async def test_a_manager_gets_the_figures_in_the_questions_language(
    live: LiveServer, client: httpx.AsyncClient
) -> None:
    csrf = await logged_in(client, "marta")
    expected = await october_by_channel(live)
    assert expected  # the demo's history has October orders

    spanish = (await ask_assistant(client, csrf, "ventas de octubre por canal")).json()
    assert (spanish["query"], spanish["params"]) == (
        "sales",
        {"period": "month", "month": 10, "group": "channel"},
    )
    answer = spanish["answer"]
    assert answer["title"] == "Ventas por canal" and answer["period"] == "01/10/2026 – 31/10/2026"
    assert [c["label"] for c in answer["columns"]] == ["Canal", "Pedidos", "Unidades", "Ingresos"]
    assert answer["chart"]["values"] == sorted((float(v) for v in expected.values()), reverse=True)
    assert answer["total"][-1] == money(sum(expected.values(), Decimal(0)))

    english = (await ask_assistant(client, csrf, "sales by channel in october")).json()
    assert english["language"] == "en"
    assert english["answer"]["title"] == "Sales by channel"
    assert english["answer"]["period"] == "2026-10-01 – 2026-10-31"
    assert english["answer"]["chart"]["values"] == answer["chart"]["values"]


async def test_without_the_script_the_page_itself_answers(client: httpx.AsyncClient) -> None:
    await logged_in(client, "ana")

    page = await client.get("/console/assistant", params={"q": "¿quién está esperando un asesor?"})
    assert page.status_code == 200
    assert '<h2 id="assistant-title">Conversaciones que esperan un asesor</h2>' in page.text
    assert '<tr class="empty"><td colspan="5">Ninguna conversación espera a un asesor.' in page.text
    assert 'value="¿quién está esperando un asesor?"' in page.text

    refused = await client.get("/console/assistant", params={"q": "ventas de hoy"})
    assert refused.status_code == 403
    assert "Solo un gerente puede hacer esto." in refused.text
    unknown = await client.get("/console/assistant", params={"q": "¿y el clima?"})
    assert "No sé responder esa pregunta" in unknown.text
    assert (await client.get("/console/assistant", params={"q": " "})).status_code == 422


async def test_a_question_it_cannot_answer_gets_what_it_can_do(client: httpx.AsyncClient) -> None:
    csrf = await logged_in(client, "ana")

    unknown = (await ask_assistant(client, csrf, "¿cuál es la capital de Francia?")).json()
    assert (unknown["query"], unknown["answer"], unknown["source"]) == (None, None, "none")
    assert unknown["help"]["message"].startswith("No sé responder esa pregunta")
    assert "Pedidos pendientes" in unknown["help"]["examples"]
    assert len(unknown["help"]["examples"]) == 5  # an agent's: no revenue questions

    english = (await ask_assistant(client, csrf, "what's the weather like tomorrow?")).json()
    assert "Open orders" in english["help"]["examples"]

    for question in ("", "x" * 301):
        refused = await ask_assistant(client, csrf, question)
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == "question"
