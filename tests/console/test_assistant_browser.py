"""The assistant in a real browser (Debian's chromium driven by Playwright) on the demo shop: a
manager asks a question on the page and sees the table and the chart drawn by the vendored
Chart.js under the console's CSP; a question it cannot answer shows what it can. The
screenshot is saved as `test-output/assistant.png` in the checkout."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from fixtures.browser import fill_login, page_errors, screenshot
from fixtures.clock import SHOP_NOW
from fixtures.console_login import add_staff
from fixtures.live_server import LiveServer, serving
from playwright.async_api import Browser, expect
from sqlalchemy import select

from agent.i18n import money
from agent.models import Order, Product, StaffRole
from agent.settings import Settings

BOGOTA = ZoneInfo("America/Bogota")
pytestmark = pytest.mark.usefixtures("shop_clock")  # the demo's history has fixed dates
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI);
});
"""
CHANNELS = {"web": "Chat web", "whatsapp": "WhatsApp", "telegram": "Telegram", "cli": "Terminal"}


@pytest.fixture
async def live(demo_settings: Settings) -> AsyncIterator[LiveServer]:
    async with serving(demo_settings) as running:
        await add_staff(running.runtime, "marta", StaffRole.MANAGER, name="Marta Ríos")
        yield running


async def revenue_by_channel(live: LiveServer, first: date, last: date) -> dict[str, Decimal]:
    """Revenue of the shop's days [first, last] by channel, from the rows, bucketed in Python."""
    async with live.runtime.sessions() as session:
        orders = list(await session.scalars(select(Order).where(Order.status != "cancelled")))
    found: dict[str, Decimal] = {}
    for order in orders:
        if first <= order.created_at.astimezone(BOGOTA).date() <= last:
            found[order.channel] = found.get(order.channel, Decimal(0)) + order.total
    return found


async def test_a_manager_asks_and_sees_a_table_and_a_chart(
    live: LiveServer, browser: Browser, capsys: pytest.CaptureFixture[str]
) -> None:
    context = await browser.new_context(viewport={"width": 1366, "height": 900}, locale="es-CO")
    await context.clock.set_fixed_time(SHOP_NOW)
    await context.add_init_script(WATCH_CSP)
    page = await context.new_page()
    errors = page_errors(page)
    await page.goto(live.url + "/console/assistant")
    await fill_login(page, "marta")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Asistente")

    await page.get_by_label("Tu pregunta").fill("ventas de este año por canal")
    await page.get_by_role("button", name="Preguntar").click()

    expected = await revenue_by_channel(live, date(2026, 1, 1), SHOP_NOW.date())
    ranked = sorted(expected.items(), key=lambda item: -item[1])
    assert len(ranked) >= 2  # the demo's history of the year is on several channels
    await expect(page.locator("#assistant-title")).to_have_text("Ventas por canal")
    await expect(page.locator("#assistant-period")).to_have_text("01/01/2026 – 20/11/2026")
    table = page.locator("#assistant-table")
    await expect(table.locator("thead th")).to_have_text(
        ["Canal", "Pedidos", "Unidades", "Ingresos"]
    )
    await expect(table.locator("tbody tr td:first-child")).to_have_text(
        [CHANNELS[c] for c, _ in ranked]
    )
    await expect(table.locator("tbody tr td:last-child")).to_have_text(
        [money(r) for _, r in ranked]
    )
    await expect(table.locator("tfoot th")).to_have_text("Total")
    drawn = await page.evaluate(
        "() => Chart.getChart(document.getElementById('assistant-chart')).data.datasets[0].data"
    )
    assert drawn == [float(r) for _, r in ranked]
    tooltip = await page.evaluate(
        """() => {
            const chart = Chart.getChart(document.getElementById("assistant-chart"));
            return chart.options.plugins.tooltip.callbacks.label({ dataIndex: 0 });
        }"""
    )
    assert tooltip == money(ranked[0][1])
    inked = await page.evaluate(
        """() => {
            const canvas = document.getElementById("assistant-chart");
            const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
            let inked = 0;
            for (let i = 3; i < pixels.data.length; i += 4) if (pixels.data[i]) inked++;
            return inked;
        }"""
    )
    assert inked > 500
    shot = await screenshot(page, "assistant")
    with capsys.disabled():  # shown in the run's output, not only with -s
        print(f"\nassistant screenshot: {shot}")

    # An example clicked: the open orders of the day (none in the demo's delivered history).
    await page.get_by_text("Ejemplos de preguntas").click()
    await page.get_by_role("link", name="Pedidos pendientes").click()
    await expect(page.locator("#assistant-title")).to_have_text("Pedidos pendientes")
    await expect(table.locator("tbody tr.empty")).to_have_text("No hay pedidos pendientes.")
    await expect(page.locator("#assistant-figure")).to_be_hidden()
    assert page.url.endswith("/console/assistant?q=Pedidos%20pendientes")  # to share or reload

    # A question it cannot answer: what it can, and no table.
    await page.get_by_label("Tu pregunta").fill("¿cuál es la capital de Francia?")
    await page.get_by_role("button", name="Preguntar").click()
    await expect(page.locator("#assistant-help-message")).to_contain_text("No sé responder")
    await expect(page.locator("#assistant-help-examples li")).to_have_count(7)
    await expect(page.locator("#assistant-answer")).to_be_hidden()

    # The address of an answer, opened: the server writes the table, the script draws the chart.
    await page.goto(live.url + "/console/assistant?q=ventas+de+este+a%C3%B1o+por+canal")
    await expect(table.locator("tbody tr td:first-child")).to_have_text(
        [CHANNELS[c] for c, _ in ranked]
    )
    await expect(page.locator("#assistant-figure")).to_be_visible()
    assert await page.evaluate(
        "() => Chart.getChart(document.getElementById('assistant-chart')).data.datasets[0].data"
    ) == [float(r) for _, r in ranked]

    assert await page.evaluate("window.__csp") == []
    assert [e for e in errors if "/favicon.ico" not in e] == []
    await context.close()


async def test_a_restock_asked_on_the_page_is_approved_at_the_desk(
    live: LiveServer, browser: Browser
) -> None:
    helmet = "Casco de seguridad tipo I clase E con ratchet blanco"
    async with live.runtime.sessions() as session:
        stock = await session.scalar(select(Product.stock).where(Product.name == helmet))
    assert stock is not None
    context = await browser.new_context(viewport={"width": 1366, "height": 900}, locale="es-CO")
    await context.add_init_script(WATCH_CSP)
    page = await context.new_page()
    errors = page_errors(page)
    await page.goto(live.url + "/console/assistant")
    await fill_login(page, "marta")

    await page.get_by_label("Tu pregunta").fill("reponer 50 cascos blancos con ratchet")
    await page.get_by_role("button", name="Preguntar").click()

    await expect(page.locator("#assistant-title")).to_contain_text("espera la aprobación")
    table = page.locator("#assistant-table")
    await expect(table.locator("tbody td")).to_have_text(
        [helmet, "CAS-I-E-BL", "50", str(stock), str(stock + 50)]
    )
    await expect(page.locator("#assistant-figure")).to_be_hidden()
    await screenshot(page, "assistant-restock")

    # Words naming two products: the candidates, no link, nothing proposed.
    await page.get_by_label("Tu pregunta").fill("reponer 50 cascos blancos")
    await page.get_by_role("button", name="Preguntar").click()
    await expect(page.locator("#assistant-title")).to_have_text("¿Cuál producto?")
    await expect(page.locator("#assistant-link")).to_be_hidden()

    # A missing number: no table, the question for it.
    await page.get_by_label("Tu pregunta").fill("reponer gafas oscuras")
    await page.get_by_role("button", name="Preguntar").click()
    await expect(page.locator("#assistant-title")).to_have_text("No propuse nada")
    await expect(table).to_be_hidden()

    await page.get_by_label("Tu pregunta").fill("reponer 50 cascos blancos con ratchet")
    await page.get_by_role("button", name="Preguntar").click()
    await expect(page.locator("#assistant-title")).to_contain_text("ya espera")
    await page.get_by_role("link", name="Ver las propuestas").click()
    row = page.locator("tr.proposal-pending")
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text(f"reponer 50 × {helmet} (existencias {stock} → {stock + 50})")
    await expect(row).to_contain_text("«Marta Ríos: reponer 50 cascos blancos con ratchet»")
    async with live.runtime.sessions() as session:
        assert await session.scalar(select(Product.stock).where(Product.name == helmet)) == stock

    await row.get_by_role("button", name="Aprobar").click()
    await expect(page.locator("#notice")).to_contain_text("Propuesta aprobada y aplicada")
    async with live.runtime.sessions() as session:
        now = await session.scalar(select(Product.stock).where(Product.name == helmet))
    assert now == stock + 50
    assert await page.evaluate("window.__csp") == []
    assert [e for e in errors if "/favicon.ico" not in e] == []
    await context.close()
