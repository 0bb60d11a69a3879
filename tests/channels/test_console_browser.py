"""The staff console in a real browser (Debian's chromium driven by Playwright), with a customer
on WhatsApp: their messages come as webhooks signed like Twilio signs them, and the replies leave
through the twilio SDK to a local server speaking Twilio's Messages API.

A staff member logs in, sees the waiting WhatsApp conversation appear without a reload, takes
it, replies (the reply reaches Twilio), hands it back, and sees the bot answer the customer's
next message. Screenshots are saved under `test-output/` in the checkout.
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import AsyncIterator

import httpx
import pytest
from fixtures.browser import fill_login, page_errors, screenshot
from fixtures.cli_process import cli_env, salesagent
from fixtures.console_login import PASSWORD, add_staff
from fixtures.live_server import LiveServer, eventually, serving
from fixtures.twilio_server import TwilioServer
from fixtures.whatsapp_setup import CUSTOMER, post, recorded, whatsapp_settings
from playwright.async_api import Browser, expect
from sqlalchemy import select

from agent.models import Conversation, Owner
from agent.settings import Settings
from channels.whatsapp.adapter import INBOUND_PATH


@pytest.fixture
async def server(demo_settings: Settings, fake_twilio: TwilioServer) -> AsyncIterator[LiveServer]:
    async with serving(whatsapp_settings(demo_settings, fake_twilio)) as live:
        await add_staff(live.runtime, "ana", name="Ana Gómez")
        yield live


async def whatsapp(server: LiveServer, text: str) -> None:
    """The customer writes on WhatsApp: Twilio's webhook, signed for the public URL."""
    form = recorded("inbound_text.json", Body=text, ProfileName="Laura Restrepo")
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        answer = await post(http, INBOUND_PATH, form)
    assert answer.status_code == 200


async def owner(server: LiveServer) -> Owner | None:
    async with server.runtime.sessions() as session:
        found: Owner | None = await session.scalar(
            select(Conversation.owner).where(Conversation.external_chat_id == CUSTOMER)
        )
    return found


async def test_staff_take_a_whatsapp_conversation_answer_it_and_give_it_back(
    server: LiveServer, fake_twilio: TwilioServer, browser: Browser
) -> None:
    context = await browser.new_context(viewport={"width": 1366, "height": 900}, locale="es-CO")
    page = await context.new_page()
    errors = page_errors(page)

    await page.goto(server.url + "/console")
    await expect(page).to_have_url(f"{server.url}/console/login?next=/console")
    await fill_login(page, "ana")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Conversaciones")
    await expect(page.locator("#live-state")).to_have_text("En vivo")
    await screenshot(page, "console-1-logged-in")

    # The customer asks for a person on WhatsApp: the list shows it without a reload.
    await whatsapp(server, "Hola, necesito 3 botas de seguridad")
    await eventually(lambda: len(fake_twilio.bodies(CUSTOMER)) == 1)
    await whatsapp(server, "quiero hablar con un asesor por favor")
    row = page.locator("tr.row-waiting_human", has_text="+573001112233")
    await expect(row).to_be_visible(timeout=15_000)
    await expect(row).to_contain_text("WhatsApp")
    await expect(row).to_contain_text("Laura Restrepo")  # her WhatsApp profile name
    await expect(row).to_contain_text("El cliente pidió un asesor")
    await expect(page.locator("#announce")).to_contain_text("Nueva conversación esperando asesor")
    await expect(page.locator("#waiting-count")).to_have_text("1")
    await screenshot(page, "console-2-waiting-appears")

    # Take it.
    await row.get_by_role("link", name="Laura Restrepo").click()
    await expect(page.locator("#owner")).to_contain_text("Esperando asesor")
    await expect(page.locator("#summary")).to_contain_text("Quiere comprar")
    await page.get_by_role("button", name="Tomar conversación").click()
    await expect(page.locator("#owner")).to_contain_text("Con asesor · tú")
    assert await owner(server) == Owner.HUMAN

    # Reply: it goes out on WhatsApp through Twilio's API.
    reply = "¡Hola Laura! Soy Ana. Te cotizo las 3 botas con envío incluido."
    await page.get_by_label("Responder al cliente (WhatsApp)").fill(reply)
    await page.get_by_role("button", name="Enviar respuesta").click()
    await expect(page.locator(".msg-staff").last).to_contain_text(reply)
    await eventually(lambda: reply in fake_twilio.bodies(CUSTOMER))
    await screenshot(page, "console-3-replied")

    # The customer answers: shown live, and the bot stays quiet while Ana has it.
    sent_before = len(fake_twilio.bodies(CUSTOMER))
    await whatsapp(server, "perfecto, muchas gracias")
    await expect(page.locator(".msg-in").last).to_contain_text("perfecto, muchas gracias")
    assert len(fake_twilio.bodies(CUSTOMER)) == sent_before

    # Hand back: the bot answers the customer's next message.
    await page.get_by_role("button", name="Devolver al bot").click()
    await expect(page.locator("#owner")).to_have_text("Bot")
    await whatsapp(server, "¿cuál es el horario de atención?")
    await eventually(lambda: len(fake_twilio.bodies(CUSTOMER)) == sent_before + 1)
    assert fake_twilio.bodies(CUSTOMER)[-1].startswith("Nuestro horario")
    await expect(page.locator(".msg-in").last).to_contain_text("¿cuál es el horario de atención?")
    await expect(page.locator(".msg-out").last).to_contain_text("Nuestro horario")
    assert await owner(server) == Owner.BOT
    await screenshot(page, "console-4-handed-back")
    assert errors == []
    await context.close()


async def test_a_conversation_started_in_the_widget_is_taken_and_answered_from_the_console(
    server: LiveServer, browser: Browser
) -> None:
    shopper = await browser.new_context(viewport={"width": 1100, "height": 800}, locale="es-CO")
    shop_page = await shopper.new_page()
    await shop_page.goto(server.url + "/")
    await shop_page.get_by_role("button", name="Abrir el chat").click()
    box = shop_page.get_by_role("textbox", name="Tu mensaje")
    await box.fill("quiero hablar con una persona")
    await box.press("Enter")
    agent = shop_page.locator(".msg.agent")
    await expect(agent.last).to_contain_text("asesor", timeout=15_000)

    staff = await browser.new_context(viewport={"width": 1366, "height": 900}, locale="es-CO")
    page = await staff.new_page()
    await page.goto(server.url + "/console/login")
    await fill_login(page, "ana")
    row = page.locator("tr.row-waiting_human", has_text="Chat web")
    await row.get_by_role("link").click()
    await page.get_by_role("button", name="Tomar conversación").click()
    await expect(page.locator("#owner")).to_contain_text("Con asesor · tú")
    await page.get_by_label("Responder al cliente (Chat web)").fill("Hola, soy Ana. ¿Qué buscas?")
    await page.get_by_role("button", name="Enviar respuesta").click()

    await expect(agent.last).to_contain_text("Hola, soy Ana. ¿Qué buscas?", timeout=15_000)
    await screenshot(shop_page, "console-5-widget-gets-the-reply", full_page=False)
    await shopper.close()
    await staff.close()


async def test_the_first_login_page_says_how_to_make_the_first_manager(
    demo_settings: Settings, browser: Browser
) -> None:
    async with serving(demo_settings) as live:
        page = await browser.new_page(locale="es-CO")
        errors = page_errors(page)

        await page.goto(live.url + "/console")
        first = page.get_by_role("note")
        await expect(first).to_contain_text("Aún no hay ninguna cuenta de gerente")
        command = await first.locator("code").first.inner_text()
        await screenshot(page, "console-first-login")
        # The shop owner runs the command shown, in a terminal, on the shop's database.
        made = await asyncio.to_thread(
            salesagent,
            cli_env(demo_settings.database_url),
            *shlex.split(command)[1:],
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )
        assert made.returncode == 0, made.stderr
        await page.reload()
        await expect(page.get_by_role("note")).to_have_count(0)
        await fill_login(page, "admin")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Conversaciones")
        await expect(page.get_by_role("link", name="Panel")).to_be_visible()
        assert errors == []
