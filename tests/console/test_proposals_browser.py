"""Proposals in a real browser (Debian's chromium driven by Playwright): a customer in the web
chat widget asks for a discount; a manager sees it appear on the desk without a reload, edits it
and approves it, and the customer's chat gets the result; a rejected one changes no price, stock
or order (compared before and after). Screenshots are saved under `test-output/`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fixtures.browser import fill_login, page_errors, screenshot
from fixtures.console_login import add_staff
from fixtures.live_server import LiveServer, serving
from playwright.async_api import Browser, BrowserContext, Locator, Page, expect
from sqlalchemy import select

from agent.models import Order, Product, SaleLine, StaffRole
from agent.settings import Settings


@pytest.fixture
async def server(demo_settings: Settings) -> AsyncIterator[LiveServer]:
    async with serving(demo_settings) as live:
        await add_staff(live.runtime, "marta", StaffRole.MANAGER, name="Marta Ríos")
        yield live


async def shop_state(server: LiveServer) -> dict[str, list[tuple[object, ...]]]:
    """Every price in a cart, every product's stock and price, every order."""
    async with server.runtime.sessions() as session:
        lines = await session.execute(select(SaleLine.id, SaleLine.quantity, SaleLine.unit_price))
        stock = await session.execute(select(Product.sku, Product.stock, Product.price))
        orders = await session.execute(select(Order.id, Order.total, Order.status))
        return {
            "lines": sorted(tuple(r) for r in lines),
            "stock": sorted(tuple(r) for r in stock),
            "orders": sorted(tuple(r) for r in orders),
        }


async def widget(browser: Browser, server: LiveServer) -> tuple[BrowserContext, Page, Locator]:
    """A customer on the shop's page with the chat open; the agent's messages."""
    context = await browser.new_context(viewport={"width": 1100, "height": 800}, locale="es-CO")
    page = await context.new_page()
    await page.goto(server.url + "/")
    await page.get_by_role("button", name="Abrir el chat").click()
    return context, page, page.locator(".msg.agent")


async def say(page: Page, agent: Locator, text: str, expected: str) -> None:
    box = page.get_by_role("textbox", name="Tu mensaje")
    await box.fill(text)
    await box.press("Enter")
    await expect(agent.last).to_contain_text(expected, timeout=15_000)


async def two_helmets_and_a_discount(page: Page, agent: Locator, percent: int, after: str) -> None:
    await say(page, agent, "quiero 2 cascos de seguridad", "¿Cuál de estos quieres?")
    await say(page, agent, "1", "Total: $76.000")
    await say(
        page,
        agent,
        f"¿me dejan el {percent}% de descuento?",
        f"{percent}% de descuento: $76.000 → {after}",
    )


async def manager_desk(browser: Browser, server: LiveServer) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(viewport={"width": 1366, "height": 900}, locale="es-CO")
    page = await context.new_page()
    await page.goto(server.url + "/console/proposals")
    await fill_login(page, "marta")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Propuestas por aprobar")
    await expect(page.locator("#proposals")).to_have_attribute("data-live", "open")
    return context, page


async def test_a_manager_approves_an_edited_discount_and_the_chat_gets_it(
    server: LiveServer, browser: Browser
) -> None:
    staff, desk = await manager_desk(browser, server)
    errors = page_errors(desk)
    await expect(desk.locator("#proposals")).to_contain_text("No hay propuestas.")
    shopper, chat, agent = await widget(browser, server)

    await two_helmets_and_a_discount(chat, agent, 15, "$64.600")
    await expect(agent.last).to_contain_text("Te aviso por aquí apenas lo revise")

    # The desk shows it without a reload; the manager grants 10% instead of 15%.
    row = desk.locator("tr.proposal-pending")
    await expect(row).to_contain_text("15% de descuento: $76.000 → $64.600", timeout=15_000)
    await expect(row).to_contain_text("«¿me dejan el 15% de descuento?»")
    await screenshot(desk, "proposals-1-pending")
    await row.get_by_label("Porcentaje").fill("10")
    await row.get_by_role("button", name="Aprobar").click()
    await expect(desk.locator("#notice")).to_contain_text("Propuesta aprobada y aplicada")
    done = desk.locator("tr.proposal-edited")
    await expect(done).to_contain_text("Aprobada con cambios")
    await expect(done).to_contain_text("10% de descuento: $76.000 → $68.400")
    await expect(done).to_contain_text("Marta Ríos")
    await screenshot(desk, "proposals-2-approved-edited")

    # The customer's chat gets the result, and the cart has the new prices.
    await expect(agent.last).to_contain_text(
        "¡Buenas noticias! Aprobaron tu solicitud: 10% de descuento: $76.000 → $68.400.",
        timeout=15_000,
    )
    await say(chat, agent, "ver mi carrito", "$68.400")
    await screenshot(chat, "proposals-3-chat-gets-the-result", full_page=False)
    assert errors == []
    await shopper.close()
    await staff.close()


async def test_a_rejected_discount_changes_no_price_stock_or_order(
    server: LiveServer, browser: Browser
) -> None:
    shopper, chat, agent = await widget(browser, server)
    await two_helmets_and_a_discount(chat, agent, 30, "$53.200")
    before = await shop_state(server)

    # From the conversation's own page: its panel of proposals.
    staff, page = await manager_desk(browser, server)
    errors = page_errors(page)
    await page.locator("tr.proposal-pending").get_by_role("link").click()
    panel = page.locator("#proposals")
    await expect(panel).to_contain_text("30% de descuento: $76.000 → $53.200")
    await panel.get_by_label("Motivo").fill("el precio ya tiene descuento por volumen")
    await panel.get_by_role("button", name="Rechazar").click()
    await expect(panel.locator("tr.proposal-rejected")).to_contain_text(
        "Marta Ríos · el precio ya tiene descuento por volumen"
    )
    # The conversation's history (its live part) shows what the customer was told, by whom.
    await expect(page.locator(".msg-staff").last).to_contain_text("no la podemos aprobar")

    await expect(agent.last).to_contain_text(
        "no la podemos aprobar: el precio ya tiene descuento por volumen. Tu pedido sigue igual.",
        timeout=15_000,
    )
    await screenshot(page, "proposals-4-rejected")
    assert await shop_state(server) == before
    await say(chat, agent, "ver mi carrito", "Total: $76.000")
    assert errors == []
    await shopper.close()
    await staff.close()


async def test_a_manager_quotes_a_count_above_the_stock_at_an_edited_price(
    server: LiveServer, browser: Browser
) -> None:
    helmet = "Casco de seguridad tipo I clase E con ratchet azul"
    staff, desk = await manager_desk(browser, server)
    errors = page_errors(desk)
    shopper, chat, agent = await widget(browser, server)

    await say(chat, agent, f"quiero 40 {helmet.lower()}", "dime «cotizar 40»")
    await say(chat, agent, "cotizar 40", "24 por encargo (hay 16 en existencias)")

    row = desk.locator("tr.proposal-pending")
    await expect(row).to_contain_text("Cotización especial", timeout=15_000)
    await expect(row).to_contain_text(f"una cotización especial de 40 × {helmet} a $38.000 c/u")
    await row.get_by_label("Precio unitario").fill("35.000")
    await row.get_by_role("button", name="Aprobar").click()
    await expect(desk.locator("tr.proposal-edited")).to_contain_text("a $35.000 c/u")
    await screenshot(desk, "proposals-5-quote-approved")

    await expect(agent.last).to_contain_text(
        "Aprobaron tu solicitud: una cotización especial de 40 ×", timeout=15_000
    )
    await say(chat, agent, "ver mi carrito", f"40 × {helmet}: $1.400.000 (24 por encargo)")
    assert errors == []
    await shopper.close()
    await staff.close()
