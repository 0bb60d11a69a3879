"""The widget in a real browser (Debian's chromium driven by Playwright): buy from the demo page.

Screenshots are saved under `test-output/` in the checkout.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator

import pytest
from fixtures.browser import CHROMIUM, page_errors, screenshot
from fixtures.console_login import add_staff
from fixtures.live_server import LiveServer, free_port, running, serving
from playwright.async_api import Browser, expect
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from agent.models import Conversation, Order
from agent.settings import Settings

PURCHASE = [
    ("hola", "asistente virtual"),
    ("necesito dos extintores de 10 libras", "¿Cuál de estos quieres?"),
    ("1", "¿Algo más, o finalizamos la compra?"),
    ("eso es todo", "número de cédula"),
    ("1098765432", "nombre completo"),
    ("Laura Restrepo", "número de celular"),
    ("3104567890", "ciudad"),
    ("Pereira", "dirección de entrega"),
    ("Calle 19 # 8-34", "¿Confirmas el pedido?"),
    ("sí", "¡Gracias por tu compra!"),
]


@pytest.fixture
async def server(demo_settings: Settings) -> AsyncIterator[LiveServer]:
    async with serving(demo_settings) as live:
        yield live


async def test_a_customer_buys_from_the_widget_and_finds_the_chat_after_a_reload(
    server: LiveServer, browser: Browser
) -> None:
    context = await browser.new_context(viewport={"width": 1280, "height": 860}, locale="es-CO")
    page = await context.new_page()
    errors = page_errors(page)
    await page.goto(server.url + "/")

    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Extintores y Seguridad Industrial del Risaralda"
    )
    launcher = page.get_by_role("button", name="Abrir el chat")
    await launcher.click()
    panel = page.get_by_role("dialog", name="Extintores y Seguridad Industrial del Risaralda")
    await expect(panel).to_be_visible()
    box = page.get_by_role("textbox", name="Tu mensaje")
    await expect(box).to_be_focused()
    await screenshot(page, "widget-1-open", full_page=False)

    agent = page.locator(".msg.agent")
    for number, (text, expected) in enumerate(PURCHASE, start=1):
        await box.fill(text)
        await box.press("Enter")
        await expect(agent).to_have_count(number, timeout=15_000)
        await expect(agent.nth(number - 1)).to_contain_text(expected, timeout=15_000)
        if text == "1":
            # *Tu carrito* is shown bold, without the asterisks.
            await expect(agent.nth(number - 1).locator("strong").first).to_have_text("Tu carrito")
            await screenshot(page, "widget-2-cart", full_page=False)
    confirmation = agent.last
    await expect(confirmation).to_contain_text("quedó confirmado por $660.000")
    await expect(page.get_by_role("status")).to_have_text("En línea")
    await screenshot(page, "widget-3-order-confirmed", full_page=False)

    chat_id = await page.evaluate(
        "Object.keys(localStorage).filter(k => k.startsWith('salesagent:'))"
        ".map(k => localStorage.getItem(k))[0]"
    )
    async with server.runtime.sessions() as session:
        order = (
            await session.execute(
                select(Order)
                .join(Conversation, Order.conversation_id == Conversation.id)
                .where(Conversation.external_chat_id == chat_id)
            )
        ).scalar_one()
    assert order.channel == "web" and order.total == 660000
    assert order.lines[0].quantity == 2 and order.shipping_city == "Pereira"
    assert f"#{order.id}" in (await confirmation.inner_text())

    await page.reload()
    await page.get_by_role("button", name="Abrir el chat").click()
    history = page.locator(".msg")
    await expect(history).to_have_count(2 * len(PURCHASE))
    await expect(page.locator(".msg.customer").nth(5)).to_have_text("Tú: Laura Restrepo")
    await expect(page.locator(".msg.agent").last).to_contain_text(f"#{order.id}")
    await expect(page.get_by_role("status")).to_have_text("En línea")
    await screenshot(page, "widget-4-after-reload", full_page=False)

    await page.keyboard.press("Escape")
    await expect(panel).to_be_hidden()
    await expect(page.get_by_role("button", name="Abrir el chat")).to_be_focused()
    assert errors == []
    await context.close()


async def test_the_widget_is_usable_on_a_phone_in_dark_mode(
    server: LiveServer, browser: Browser
) -> None:
    context = await browser.new_context(
        viewport={"width": 390, "height": 844}, color_scheme="dark", has_touch=True
    )
    page = await context.new_page()
    await page.goto(server.url + "/")

    await page.keyboard.press("Tab")
    launcher = page.get_by_role("button", name="Abrir el chat")
    await expect(launcher).to_be_focused()
    await page.keyboard.press("Enter")
    panel = page.locator(".panel")
    await expect(panel).to_be_visible()
    size = await panel.bounding_box()
    assert size is not None and size["width"] == 390 and size["height"] == 844
    background = await panel.evaluate("p => getComputedStyle(p).backgroundColor")
    assert background == "rgb(29, 34, 41)"  # the dark palette

    box = page.get_by_role("textbox", name="Tu mensaje")
    await box.fill("<b>hola</b> *amigos*")
    await box.press("Enter")
    await expect(page.locator(".msg.agent")).to_have_count(1, timeout=15_000)
    mine = page.locator(".msg.customer").first
    await expect(mine).to_have_text("Tú: <b>hola</b> amigos")  # markup shown as text, never run
    assert await mine.locator("b").count() == 0
    await screenshot(page, "widget-5-phone-dark", full_page=False)
    await context.close()


def test_chromium_is_debians() -> None:
    assert CHROMIUM.exists(), "make test installs Debian's chromium"
    assert shutil.which("chromium") == str(CHROMIUM)


async def test_the_widget_reconnects_and_sends_what_was_typed_while_offline(
    demo_settings: Settings, browser: Browser
) -> None:
    port = free_port()
    page = await browser.new_page()
    async with serving(demo_settings, port=port) as first:
        await page.goto(first.url + "/")
        await page.get_by_role("button", name="Abrir el chat").click()
        box = page.get_by_role("textbox", name="Tu mensaje")
        await box.fill("hola")
        await box.press("Enter")
        await expect(page.locator(".msg.agent")).to_have_count(1, timeout=15_000)

    status = page.get_by_role("status")
    await expect(status).to_have_text("Sin conexión. Reintentando…")
    await box.fill("¿cuánto vale el casco dieléctrico?")
    await box.press("Enter")
    waiting = page.locator(".msg.customer.pending")
    await expect(waiting).to_have_count(1)
    await screenshot(page, "widget-6-offline", full_page=False)

    async with serving(demo_settings, port=port):
        await expect(status).to_have_text("En línea", timeout=15_000)
        await expect(waiting).to_have_count(0)
        await expect(page.locator(".msg.agent")).to_have_count(2, timeout=15_000)
        await expect(page.locator(".msg.agent").last).to_contain_text("$95.000")
        await expect(page.locator(".msg.customer")).to_have_count(2)
    await page.close()


async def test_the_header_shows_the_whole_shop_name_and_the_launcher_closes(
    server: LiveServer, browser: Browser
) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 860}, locale="es-CO")
    await page.goto(server.url + "/")
    launcher = page.locator(".launcher")
    shown = launcher.locator("svg:not([hidden])")
    await expect(shown).to_have_attribute("data-icon", "chat")

    await page.get_by_role("button", name="Abrir el chat").click()

    title = page.locator("#sa-title")
    await expect(title).to_have_text("Extintores y Seguridad Industrial del Risaralda")
    cut = await title.evaluate(
        "h => h.scrollWidth > h.clientWidth || h.scrollHeight > h.clientHeight"
    )
    assert cut is False
    await expect(shown).to_have_count(1)
    await expect(shown).to_have_attribute("data-icon", "close")
    await expect(launcher).to_have_accessible_name("Cerrar el chat")
    await screenshot(page, "widget-6-header-and-close", full_page=False)
    await launcher.click()
    await expect(page.locator(".panel")).to_be_hidden()
    await expect(shown).to_have_attribute("data-icon", "chat")


async def test_a_reply_from_the_shop_shows_who_wrote_it(
    server: LiveServer, browser: Browser
) -> None:
    runtime = server.runtime
    assert runtime.console is not None
    ana = await add_staff(runtime, "ana", name="Ana Gómez")
    page = await browser.new_page(viewport={"width": 1280, "height": 860}, locale="es-CO")
    await page.goto(server.url + "/")
    await page.get_by_role("button", name="Abrir el chat").click()
    box = page.get_by_role("textbox", name="Tu mensaje")
    await box.fill("quiero hablar con una persona")
    await box.press("Enter")
    await expect(page.locator(".msg.agent")).to_have_count(1, timeout=15_000)
    async with runtime.sessions() as session:
        conversation = await session.scalar(
            select(Conversation).where(Conversation.channel == "web")
        )
    assert conversation is not None

    await runtime.console.reply(ana, conversation.id, "Hola, soy Ana. ¿Qué talla de botas?")

    staff = page.locator(".msg.staff")
    await expect(staff).to_have_count(1, timeout=15_000)
    await expect(staff.locator(".sender")).to_have_text("Ana Gómez")
    await expect(staff).to_have_text("Ana Gómez: Hola, soy Ana. ¿Qué talla de botas?")
    await expect(page.locator(".msg.agent:not(.staff) .sender")).to_have_count(0)  # the bot's
    await screenshot(page, "widget-7-staff-reply", full_page=False)
    await page.reload()
    await page.get_by_role("button", name="Abrir el chat").click()
    await expect(page.locator(".msg.staff .sender")).to_have_text("Ana Gómez")


async def test_the_widget_reconnects_when_the_server_cannot_write_to_its_socket(
    server: LiveServer, browser: Browser
) -> None:
    page = await browser.new_page()
    await page.goto(server.url + "/")
    await page.get_by_role("button", name="Abrir el chat").click()
    box = page.get_by_role("textbox", name="Tu mensaje")
    await box.fill("hola")
    await box.press("Enter")
    await expect(page.locator(".msg.agent")).to_have_count(1, timeout=15_000)
    (chat_id,) = await page.evaluate("Object.values(localStorage)")

    # An event the socket cannot carry (a lone surrogate): the server closes it with 1011.
    fanout = server.runtime.outputs["web"].fanout  # type: ignore[attr-defined]
    await fanout.publish(chat_id, {"type": "message", "text": "\ud800"})
    status = page.get_by_role("status")
    await expect(status).to_have_text("Sin conexión. Reintentando…")
    await expect(status).to_have_text("En línea", timeout=15_000)

    await box.fill("¿cuánto vale el casco dieléctrico?")
    await box.press("Enter")
    await expect(page.locator(".msg.agent")).to_have_count(2, timeout=15_000)
    await expect(page.locator(".msg.agent").last).to_contain_text("$95.000")
    await page.close()


def _framing_page(target: list[str]) -> Starlette:
    """A shop's page on another origin that shows the chat page in an iframe."""

    async def page(request: Request) -> HTMLResponse:
        return HTMLResponse(f'<!doctype html><iframe src="{target[0]}/"></iframe>')

    return Starlette(routes=[Route("/", page)])


async def test_the_chat_page_is_framed_by_allowed_sites_only(
    demo_settings: Settings, browser: Browser
) -> None:
    target: list[str] = []
    async with running(_framing_page(target)) as shop, running(_framing_page(target)) as other:
        settings = demo_settings.model_copy(update={"web_allowed_origins": shop})
        async with serving(settings) as live:
            target.append(live.url)
            page = await (await browser.new_context()).new_page()
            errors = page_errors(page)

            await page.goto(shop + "/")
            heading = page.frame_locator("iframe").get_by_role("heading", level=1)
            await expect(heading).to_have_text("Extintores y Seguridad Industrial del Risaralda")
            assert errors == []  # the page and its widget run under their policy

            await page.goto(other + "/", wait_until="load")
            await page.wait_for_timeout(500)
            frame = page.frame_locator("iframe")  # the browser's error page, not the shop
            assert await frame.get_by_text("Extintores y Seguridad Industrial").count() == 0
