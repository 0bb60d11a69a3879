"""The dashboard in a real browser (Debian's chromium driven by Playwright) on the demo shop after
a day of conversations: the charts are drawn by the vendored Chart.js under the console's CSP,
the figures change with the range and the channel, and an agent has no dashboard. The screenshot
is saved as `test-output/dashboard.png` in the checkout."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from fixtures.browser import fill_login, page_errors, screenshot
from fixtures.clock import SHOP_NOW
from fixtures.console_login import add_staff
from fixtures.live_server import LiveServer, serving
from metrics_shop import Activity, drive_shop
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from agent.i18n import money
from agent.models import Order
from agent.settings import Settings

BOGOTA = ZoneInfo("America/Bogota")
pytestmark = pytest.mark.usefixtures("shop_clock")  # the demo's history has fixed dates
CHARTS = ("days", "channels", "funnel", "leads", "products", "intents")
WATCH_CSP = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI);
});
"""


@pytest.fixture
async def live(demo_settings: Settings) -> AsyncIterator[LiveServer]:
    async with serving(demo_settings) as running:
        yield running


async def sales_between(
    live: LiveServer, first: date, last: date, channel: str | None = None
) -> tuple[int, Decimal]:
    """Orders and revenue of the local days [first, last], from the rows, bucketed in Python."""
    async with live.runtime.sessions() as session:
        orders = list(await session.scalars(select(Order).where(Order.status != "cancelled")))
    chosen = [
        o
        for o in orders
        if first <= o.created_at.astimezone(BOGOTA).date() <= last
        and (channel is None or o.channel == channel)
    ]
    return len(chosen), sum((o.total for o in chosen), Decimal(0))


async def drawn(page: Page) -> dict[str, list[float]]:
    """Each chart's first dataset, as the Chart.js instance on its canvas holds it."""
    found: dict[str, list[float]] = await page.evaluate(
        """(names) => Object.fromEntries(names.map((name) => {
            const chart = Chart.getChart(document.getElementById("chart-" + name));
            return [name, chart ? chart.data.datasets[0].data : null];
        }))""",
        list(CHARTS),
    )
    return found


async def test_a_manager_sees_the_shop_in_charts_and_changes_the_range(
    live: LiveServer, browser: Browser, capsys: pytest.CaptureFixture[str]
) -> None:
    activity: Activity = await drive_shop(live.runtime)
    context = await browser.new_context(viewport={"width": 1366, "height": 900}, locale="es-CO")
    await context.clock.set_fixed_time(SHOP_NOW)  # the page's "today" is the server's
    await context.add_init_script(WATCH_CSP)
    page = await context.new_page()
    errors = page_errors(page)
    page.on(
        "console",
        lambda msg: (
            errors.append(f"{msg.text} at {msg.location.get('url')}")
            if msg.type == "error"
            else None
        ),
    )

    await page.goto(live.url + "/console/dashboard")
    await fill_login(page, "marta")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Panel")
    await expect(page.get_by_role("link", name="Panel")).to_have_attribute("aria-current", "page")
    await page.wait_for_selector("#dashboard[data-loaded]")

    # The last 30 days: the three orders of the day (the demo's history is older).
    today = datetime.now(BOGOTA).date()
    assert today == SHOP_NOW.date()
    orders, revenue = await sales_between(live, today - timedelta(days=29), today)
    assert orders == len(activity.orders) == 3
    await expect(page.locator("#sub-revenue")).to_have_text("3 pedidos")
    await expect(page.locator("#fig-revenue")).to_have_text(money(revenue))
    await expect(page.locator("#fig-conversations")).to_have_text("9")
    await expect(page.locator("#fig-handoff")).to_have_text("22,2 %")
    charts = await drawn(page)
    assert len(charts["days"]) == 30 and sum(charts["days"]) == float(revenue)
    assert sum(charts["channels"]) == float(revenue)
    assert charts["funnel"] == [9, 5, 4, 3]
    assert charts["leads"] == [9, 0, 0, 0]  # nobody asked for a quote, a call or wholesale
    assert sum(charts["intents"]) == len(activity.results)
    assert charts["products"] == sorted(charts["products"], reverse=True)
    painted = await page.evaluate(
        """(names) => names.map((name) => {
            const canvas = document.getElementById("chart-" + name);
            const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
            let inked = 0;
            for (let i = 3; i < pixels.data.length; i += 4) if (pixels.data[i]) inked++;
            return inked;
        })""",
        list(CHARTS),
    )
    assert all(n > 500 for n in painted), painted
    shot = await screenshot(page, "dashboard")
    with capsys.disabled():  # shown in the run's output, not only with -s
        print(f"\ndashboard screenshot: {shot}")

    # The last 90 days: the demo's orders of September and October join the day's three.
    await page.get_by_role("button", name="90 días").click()
    first90 = today - timedelta(days=89)
    orders90, revenue90 = await sales_between(live, first90, today)
    assert orders90 > orders
    await expect(page.locator("#sub-revenue")).to_have_text(f"{orders90} pedidos")
    await expect(page.locator("#fig-revenue")).to_have_text(money(revenue90))
    await expect(page.locator("#from")).to_have_value(first90.isoformat())
    assert f"from={first90.isoformat()}" in page.url
    assert len((await drawn(page))["days"]) == 90

    # One channel: the terminal's single order.
    await page.locator("#channel").select_option(label="Terminal")
    cli_orders, cli_revenue = await sales_between(live, first90, today, "cli")
    await expect(page.locator("#sub-revenue")).to_have_text(f"{cli_orders} pedido")
    await expect(page.locator("#fig-revenue")).to_have_text(money(cli_revenue))
    await expect(page.locator("#fig-conversations")).to_have_text("3")

    # Any range typed in: the whole history on every channel.
    await page.locator("#channel").select_option(label="Todos")
    await page.locator("#from").fill("2025-06-01")
    await page.locator("#to").fill(today.isoformat())
    await page.get_by_role("button", name="Ver").click()
    all_orders, all_revenue = await sales_between(live, date(2025, 6, 1), today)
    await expect(page.locator("#sub-revenue")).to_have_text(f"{all_orders} pedidos")
    await expect(page.locator("#fig-revenue")).to_have_text(money(all_revenue))
    # June 2025 to November 2026, eighteen months: a bar a month, their sum the whole revenue.
    await expect(page.locator("#title-days")).to_have_text("Ventas por mes")
    months = (await drawn(page))["days"]
    assert len(months) == 18 and sum(months) == pytest.approx(float(all_revenue))
    await screenshot(page, "dashboard-history")

    # A range backwards is refused, naming it; the figures stay.
    await page.locator("#from").fill(today.isoformat())
    await page.locator("#to").fill((today - timedelta(days=3)).isoformat())
    await page.get_by_role("button", name="Ver").click()
    await expect(page.locator("#dash-status")).to_contain_text("is after 'to'")
    await expect(page.locator("#sub-revenue")).to_have_text(f"{all_orders} pedidos")

    assert await page.evaluate("window.__csp") == []
    # The one refusal asked for above; the browser's own favicon request is not the page's.
    expected = ("status of 422", "/favicon.ico")
    assert [e for e in errors if not any(part in e for part in expected)] == []
    await context.close()


async def test_an_agent_has_no_dashboard(live: LiveServer, browser: Browser) -> None:
    await add_staff(live.runtime, "ana")
    context = await browser.new_context(locale="es-CO")
    page = await context.new_page()
    await page.goto(live.url + "/console")
    await fill_login(page, "ana")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Conversaciones")
    await expect(page.get_by_role("link", name="Panel")).to_have_count(0)
    refused = await page.goto(live.url + "/console/dashboard")
    assert refused is not None and refused.status == 403
    await expect(page.get_by_role("heading", level=1)).to_have_text("Solo para gerentes")
    await expect(page.locator("main")).to_contain_text(
        "El panel es solo para las cuentas de gerente"
    )
    await page.get_by_role("link", name="Volver a las conversaciones").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Conversaciones")
    data = await page.evaluate(
        "fetch('/console/dashboard/summary').then(async (r) => [r.status, await r.json()])"
    )  # the dashboard's script asks for its figures: JSON, not a page
    assert data == [403, {"detail": "Solo un gerente puede hacer esto."}]  # STAFF_LANGUAGE es
    await context.close()
