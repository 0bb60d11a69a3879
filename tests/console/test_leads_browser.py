"""The leads page in a real browser (chromium driven by Playwright): the live feed brings a new
lead into the table (from a turn or from the idle-cart round), a typed reason is never swept
away by it, and a lead is closed."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from fixtures.browser import fill_login, page_errors
from fixtures.console_login import add_staff
from fixtures.live_server import LiveServer, serving
from playwright.async_api import Browser, expect
from sqlalchemy import update

from agent.models import Conversation, StaffRole, utcnow
from agent.settings import Settings


@pytest.fixture
async def live(demo_settings: Settings) -> AsyncIterator[LiveServer]:
    async with serving(demo_settings) as running:
        yield running


async def customer_says(live: LiveServer, chat_id: str, text: str) -> None:
    async with httpx.AsyncClient(base_url=live.url, timeout=20) as http:
        answer = await http.post("/chat/text", json={"chat_id": chat_id, "message": text})
    answer.raise_for_status()


async def test_a_new_lead_appears_live_and_is_closed_with_a_reason(
    live: LiveServer, browser: Browser
) -> None:
    await add_staff(live.runtime, "marta", StaffRole.MANAGER, name="Marta Ruiz")
    await customer_says(live, "b-call", "llámenme al 310 555 1234 por favor")
    page = await browser.new_page()
    errors = page_errors(page)
    await page.goto(live.url + "/console/leads")
    await fill_login(page, "marta")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Oportunidades de venta")
    await expect(page.locator("#live-state")).to_have_text("En vivo")
    rows = page.locator("#lead-table tbody tr")
    await expect(rows).to_have_count(1)

    # A reason half typed is kept while a new lead arrives; the table waits for it.
    reason = rows.first.get_by_placeholder("Motivo")
    await reason.fill("Compró por teléfono")
    await customer_says(live, "b-bulk", "¿venden al por mayor guantes de nitrilo industrial?")
    await page.wait_for_timeout(500)
    await expect(rows).to_have_count(1)
    await expect(reason).to_have_value("Compró por teléfono")
    await rows.first.get_by_role("button", name="Cerrar").click()

    await expect(page.locator("#notice")).to_have_text("Oportunidad cerrada.")
    await expect(rows).to_have_count(1)  # the active ones: only the wholesale question now
    await expect(rows.first).to_contain_text("Pregunta por compra al por mayor")

    # Nothing typed: the next lead comes in live.
    await customer_says(live, "b-quote", "necesito una cotización de 20 cascos dieléctricos")
    await expect(rows).to_have_count(2)
    await expect(page.locator("#lead-count")).to_have_text("Oportunidades: 2")

    # A cart left idle becomes a lead in the app's round, no message at that moment: live too.
    await customer_says(live, "b-cart", "quiero 2 cascos dielectricos")
    await page.wait_for_timeout(500)
    await expect(rows).to_have_count(2)  # a cart is no lead yet
    async with live.runtime.sessions() as session, session.begin():
        await session.execute(
            update(Conversation)
            .where(Conversation.external_chat_id == "b-cart")
            .values(last_activity_at=utcnow() - timedelta(hours=2))
        )
    rounds = asyncio.create_task(live.runtime.loops["leads"]())
    try:
        await expect(rows).to_have_count(3)
    finally:
        rounds.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await rounds
    await expect(page.locator("#lead-table")).to_contain_text("Dejó un carrito sin cerrar")
    assert errors == []
