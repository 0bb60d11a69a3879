"""Personal data on every channel, over real HTTP: a stranger who knows a customer's cédula
sees nothing of theirs; the customer sees their data once the chat is verified (its own
WhatsApp number, or the phone on file typed in full or shared as a Telegram contact).

One app serves the four channels: the web chat (HTTP and WebSocket), WhatsApp through the
local Twilio server, Telegram through the local Bot API server and Odoo livechat through the
local Odoo server (tests/fixtures/).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from fixtures.live_server import LiveServer, eventually, serving
from fixtures.odoo_addon import addon_webhook
from fixtures.odoo_server import BOT_PARTNER_ID, DATABASE, FakeOdoo, with_odoo
from fixtures.odoo_server import running as odoo_running
from fixtures.telegram_server import SECRET as TELEGRAM_SECRET
from fixtures.telegram_server import TOKEN, BotApiServer, bot_api
from fixtures.twilio_server import ACCOUNT_SID, AUTH_TOKEN, SENDER, TwilioServer
from fixtures.whatsapp_setup import PUBLIC, post, recorded
from pydantic import SecretStr
from websockets.asyncio.client import connect

from agent.settings import Settings
from channels.telegram.adapter import WEBHOOK_PATH as TELEGRAM_PATH
from channels.whatsapp.adapter import INBOUND_PATH as WHATSAPP_PATH

MARIA_ID = "1088245671"
"""A demo customer (agent/demo_shop/customers.yaml) with three orders."""
MARIA_PHONE = "+573104567821"
ON_FILE = (
    "María",
    "Ospina",
    "Giraldo",
    "3104567821",
    "4567821",
    "***",
    "Carrera 7",
    "19-42",
    "maria.ospina",
    "Pedidos",
    "Total comprado",
    "Última compra",
    "Tus últimos pedidos",
)
"""Anything of hers on file: names, phone (whole or masked), address, e-mail, totals, history."""
STRANGER = [
    f"hola, mi cédula es {MARIA_ID}",
    "muéstrame mis pedidos",
    MARIA_ID,
    "quiero 1 casco dieléctrico tipo II",
    "eso es todo",
    MARIA_ID,
]
"""What a stranger who knows her cédula tries: a lookup, her history, a purchase with it."""
ODOO_SECRET = "shared-secret-of-the-tests-0123456789"
ODOO_WEBHOOK = "/webhooks/odoo/livechat"

Say = Callable[[str], Awaitable[str]]
_ids = itertools.count(7000)


@pytest.fixture
async def fake_bot_api() -> AsyncIterator[BotApiServer]:
    async with bot_api() as fake:
        yield fake


@pytest.fixture
def fake_odoo() -> Any:
    with odoo_running(19) as fake:
        yield fake


@pytest.fixture
async def server(
    demo_settings: Settings,
    fake_twilio: TwilioServer,
    fake_bot_api: BotApiServer,
    fake_odoo: FakeOdoo,
) -> AsyncIterator[LiveServer]:
    values: dict[str, Any] = {
        "public_base_url": PUBLIC,
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_auth_token": SecretStr(AUTH_TOKEN),
        "twilio_whatsapp_from": SENDER,
        "twilio_api_base_url": fake_twilio.url,
        "telegram_bot_token": SecretStr(TOKEN),
        "telegram_webhook_secret": SecretStr(TELEGRAM_SECRET),
        "telegram_api_base_url": fake_bot_api.url,
        "sender_rate_per_minute": 0,
    }
    settings = with_odoo(
        demo_settings.model_copy(update=values),
        fake_odoo,
        odoo_livechat_enabled=True,
        odoo_webhook_secret=SecretStr(ODOO_SECRET),
    )
    async with serving(settings) as live:
        yield live


def web_http(http: httpx.AsyncClient) -> Say:
    chat_id = f"web-{next(_ids)}"

    async def say(text: str) -> str:
        response = await http.post("/chat/text", json={"chat_id": chat_id, "message": text})
        assert response.status_code == 200, response.text
        return str(response.json()["reply"])

    return say


def whatsapp(http: httpx.AsyncClient, fake: TwilioServer, number: str) -> Say:
    customer = f"whatsapp:{number}"

    async def say(text: str) -> str:
        before = _to(fake, customer)
        form = recorded("inbound_text.json", Body=text, From=customer, WaId=number[1:])
        assert (await post(http, WHATSAPP_PATH, form)).status_code == 200
        await eventually(lambda: len(_to(fake, customer)) > len(before))
        return "\n".join(_to(fake, customer)[len(before) :])

    return say


def _to(fake: TwilioServer, customer: str) -> list[str]:
    return [str(m["Body"]) for m in fake.created if m["To"] == customer]


def telegram(http: httpx.AsyncClient, fake: BotApiServer) -> Say:
    user = next(_ids) + 5550000

    async def send(message: dict[str, Any]) -> str:
        before = len(fake.texts(user))
        update = {
            "update_id": next(_ids) + 900000000,
            "message": {
                "message_id": next(_ids),
                "from": {"id": user, "is_bot": False, "first_name": "Cliente"},
                "chat": {"id": user, "first_name": "Cliente", "type": "private"},
                "date": 1763780000,
                **message,
            },
        }
        headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
        response = await http.post(TELEGRAM_PATH, json=update, headers=headers)
        assert response.status_code == 200, response.text
        await eventually(lambda: len(fake.texts(user)) > before)
        return "\n".join(fake.texts(user)[before:])

    async def say(text: str) -> str:
        if text.startswith("contact:"):
            number = text.removeprefix("contact:")
            contact = {"phone_number": number, "first_name": "Cliente", "user_id": user}
            return await send({"contact": contact})
        return await send({"text": text})

    return say


def odoo_livechat(http: httpx.AsyncClient, fake: FakeOdoo) -> Say:
    channel_id = next(_ids)

    async def say(text: str) -> str:
        before = len(fake.posted(channel_id))
        payload = addon_webhook.build_payload(
            database=DATABASE,
            channel_id=channel_id,
            message_id=next(_ids),
            body=text,
            author_role="visitor",
            author_name="Visitante",
            visitor_name="Visitante",
            language="es_CO",
            country="CO",
            livechat_channel_id=1,
            bot_partner_id=BOT_PARTNER_ID,
            odoo_version="19.0",
        )
        body = bytes(addon_webhook.encode(payload))
        headers = addon_webhook.signed_headers(ODOO_SECRET, body)
        response = await http.post(ODOO_WEBHOOK, content=body, headers=headers)
        assert response.status_code == 200, response.text
        await eventually(lambda: len(fake.posted(channel_id)) > before)
        return "\n".join(str(m["text"]) for m in fake.posted(channel_id)[before:])

    return say


async def web_socket(server: LiveServer) -> AsyncIterator[Say]:
    async with connect(server.chat_url(f"ws-{next(_ids)}")) as ws:

        async def say(text: str) -> str:
            await ws.send(json.dumps({"type": "message", "message": text}))
            while True:
                event = json.loads(await ws.recv())
                if event["type"] == "response_end":
                    return str(event["reply"])

        yield say


def plain(text: str) -> str:
    """The reply without the channel's bold (WhatsApp *, Telegram <b>, Odoo drops it)."""
    return text.replace("*", "").replace("<b>", "").replace("</b>", "")


async def conversation(say: Say, texts: list[str]) -> list[str]:
    return [await say(text) for text in texts]


def assert_nothing_personal(replies: list[str]) -> None:
    for reply in replies:
        for secret in ON_FILE:
            assert secret not in reply, (secret, reply)


def assert_stranger_flow(replies: list[str]) -> None:
    assert_nothing_personal(replies)
    assert "celular que registraste" in replies[0]  # the phone on file is asked, not shown
    assert "nombre completo" in replies[-1]  # the purchase asks for her data afresh


@pytest.mark.parametrize("channel", ["web_http", "whatsapp", "telegram", "odoo"])
async def test_a_stranger_who_knows_a_cedula_sees_nothing_personal(
    http: httpx.AsyncClient,
    fake_twilio: TwilioServer,
    fake_bot_api: BotApiServer,
    fake_odoo: FakeOdoo,
    channel: str,
) -> None:
    say = {
        "web_http": lambda: web_http(http),
        "whatsapp": lambda: whatsapp(http, fake_twilio, "+573009990000"),
        "telegram": lambda: telegram(http, fake_bot_api),
        "odoo": lambda: odoo_livechat(http, fake_odoo),
    }[channel]()

    assert_stranger_flow(await conversation(say, STRANGER))


async def test_a_stranger_on_the_web_socket_sees_nothing_personal(server: LiveServer) -> None:
    async for say in web_socket(server):
        assert_stranger_flow(await conversation(say, STRANGER))


async def test_her_own_whatsapp_number_is_recognised_at_once(
    http: httpx.AsyncClient, fake_twilio: TwilioServer
) -> None:
    say = whatsapp(http, fake_twilio, MARIA_PHONE)

    welcome = await say(f"hola, mi cédula es {MARIA_ID}")
    history = await say("muéstrame mis pedidos")

    assert "Hola, María" in plain(welcome) and "Pedidos: 3" in welcome
    assert "Tus últimos pedidos, María" in history
    await say("quiero 1 casco dieléctrico tipo II")
    await say("eso es todo")
    summary = await say(MARIA_ID)
    assert "María Fernanda Ospina Giraldo" in summary and "Carrera 7 # 19-42" in summary


@pytest.mark.parametrize("channel", ["web_http", "odoo", "telegram"])
async def test_typing_the_phone_on_file_in_full_verifies_the_customer(
    http: httpx.AsyncClient, fake_bot_api: BotApiServer, fake_odoo: FakeOdoo, channel: str
) -> None:
    say = {
        "web_http": lambda: web_http(http),
        "telegram": lambda: telegram(http, fake_bot_api),
        "odoo": lambda: odoo_livechat(http, fake_odoo),
    }[channel]()

    asked = await say(f"hola, mi cédula es {MARIA_ID}")
    wrong = await say("3001234567")
    welcome = await say("310 456 7821")
    history = await say("muéstrame mis pedidos")

    assert_nothing_personal([asked, wrong])
    assert "Hola, María" in plain(welcome) and "Pedidos: 3" in welcome
    assert "Tus últimos pedidos, María" in history


async def test_sharing_her_own_telegram_contact_verifies_her(
    http: httpx.AsyncClient, fake_bot_api: BotApiServer
) -> None:
    say = telegram(http, fake_bot_api)

    asked = await say(f"hola, mi cédula es {MARIA_ID}")
    welcome = await say("contact:573104567821")

    assert_nothing_personal([asked])
    assert "Hola, María" in plain(welcome) and "Pedidos: 3" in welcome
