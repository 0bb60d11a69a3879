"""The staff console in a real browser (Debian's chromium driven by Playwright), with a customer
on WhatsApp: their messages come as webhooks signed like Twilio signs them, and the replies leave
through the twilio SDK to a local server speaking Twilio's Messages API.

A staff member logs in, sees the waiting WhatsApp conversation appear without a reload, takes
it, replies (the reply reaches Twilio), hands it back, and sees the bot answer the customer's
next message. Screenshots are saved under `test-output/` in the checkout.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect
from pydantic import SecretStr
from sqlalchemy import select
from twilio.request_validator import RequestValidator
from twilio_server import ACCOUNT_SID, AUTH_TOKEN, SENDER, TwilioServer, twilio
from vendor_server import eventually
from web_server import LiveServer, serving

from agent.models import Conversation, Owner, StaffRole
from agent.settings import Settings
from agent.staff import create_staff
from channels.whatsapp.adapter import INBOUND_PATH

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
PUBLIC = "https://tienda.example"
CUSTOMER = "whatsapp:+573001112233"
PASSWORD = "clave-de-prueba-larga"


@pytest.fixture
async def fake_twilio() -> AsyncIterator[TwilioServer]:
    async with twilio() as fake:
        yield fake


@pytest.fixture
async def server(demo_settings: Settings, fake_twilio: TwilioServer) -> AsyncIterator[LiveServer]:
    settings = demo_settings.model_copy(
        update={
            "public_base_url": PUBLIC,
            "twilio_account_sid": ACCOUNT_SID,
            "twilio_auth_token": SecretStr(AUTH_TOKEN),
            "twilio_whatsapp_from": SENDER,
            "twilio_api_base_url": fake_twilio.url,
        }
    )
    async with serving(settings) as live:
        async with live.runtime.sessions() as session:
            await create_staff(
                session,
                username="ana",
                name="Ana Gómez",
                role=StaffRole.AGENT,
                password=PASSWORD,
            )
        yield live


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is required at /usr/bin/chromium (make test installs it)")
    OUTPUT.mkdir(exist_ok=True)
    return CHROMIUM


@pytest.fixture
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(chromium), args=FLAGS)
        yield launched
        await launched.close()


async def whatsapp(server: LiveServer, text: str) -> None:
    """The customer writes on WhatsApp: Twilio's webhook, signed for the public URL."""
    sid = "SM" + uuid.uuid4().hex
    form = {
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ProfileName": "Laura Restrepo",
        "MessageType": "text",
        "SmsSid": sid,
        "WaId": CUSTOMER.removeprefix("whatsapp:+"),
        "SmsStatus": "received",
        "Body": text,
        "To": SENDER,
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": CUSTOMER,
        "ApiVersion": "2010-04-01",
    }
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC + INBOUND_PATH, form)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        answer = await http.post(INBOUND_PATH, data=form, headers={"X-Twilio-Signature": signature})
    assert answer.status_code == 200


async def owner(server: LiveServer) -> Owner | None:
    async with server.runtime.sessions() as session:
        found: Owner | None = await session.scalar(
            select(Conversation.owner).where(Conversation.external_chat_id == CUSTOMER)
        )
    return found


async def shot(page: Page, name: str) -> None:
    await page.screenshot(path=OUTPUT / f"console-{name}.png", full_page=True)


async def test_staff_take_a_whatsapp_conversation_answer_it_and_give_it_back(
    server: LiveServer, fake_twilio: TwilioServer, browser: Browser
) -> None:
    context = await browser.new_context(viewport={"width": 1366, "height": 900}, locale="es-CO")
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))

    await page.goto(server.url + "/console")
    await expect(page).to_have_url(f"{server.url}/console/login?next=/console")
    await page.get_by_label("Usuario").fill("ana")
    await page.get_by_label("Contraseña").fill(PASSWORD)
    await page.get_by_role("button", name="Entrar").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Conversaciones")
    await expect(page.locator("#live-state")).to_have_text("En vivo")
    await shot(page, "1-logged-in")

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
    await shot(page, "2-waiting-appears")

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
    await shot(page, "3-replied")

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
    await shot(page, "4-handed-back")
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
    await page.get_by_label("Usuario").fill("ana")
    await page.get_by_label("Contraseña").fill(PASSWORD)
    await page.get_by_role("button", name="Entrar").click()
    row = page.locator("tr.row-waiting_human", has_text="Chat web")
    await row.get_by_role("link").click()
    await page.get_by_role("button", name="Tomar conversación").click()
    await expect(page.locator("#owner")).to_contain_text("Con asesor · tú")
    await page.get_by_label("Responder al cliente (Chat web)").fill("Hola, soy Ana. ¿Qué buscas?")
    await page.get_by_role("button", name="Enviar respuesta").click()

    await expect(agent.last).to_contain_text("Hola, soy Ana. ¿Qué buscas?", timeout=15_000)
    await shop_page.screenshot(path=OUTPUT / "console-5-widget-gets-the-reply.png")
    await shopper.close()
    await staff.close()
