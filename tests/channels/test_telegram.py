"""Telegram over real HTTP: recorded Update JSON posted to the live app with and without the
webhook's secret; replies through python-telegram-bot pointed (`base_url`, `base_file_url`) at
a server on 127.0.0.1 speaking the Bot API; a Spanish voice note transcribed by whisper base."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import time_machine
from conftest import make_settings
from fixtures.live_server import LiveServer, count, eventually, rows, serving
from fixtures.telegram_server import BOT_ID, SECRET, TOKEN, BotApiServer, bot_api
from fixtures.voice_setup import Speaker
from pydantic import SecretStr
from sqlalchemy import select

from agent.errors import ConfigurationError
from agent.models import (
    Conversation,
    Direction,
    InboxItem,
    Message,
    OutboxItem,
    OutboxStatus,
    Sale,
    utcnow,
)
from agent.settings import Settings
from channels.telegram.adapter import WEBHOOK_PATH, TelegramChannel
from channels.telegram.output import as_html
from channels.telegram.polling import poll
from console.queries import conversation_view
from salesagent.runtime import Runtime

FIXTURES = Path(__file__).parent.parent / "fixtures" / "telegram"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
CHAT = 5550001
_next_update = 800000000


def telegram_settings(base: Settings, fake: BotApiServer, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "telegram_bot_token": SecretStr(TOKEN),
        "telegram_webhook_secret": SecretStr(SECRET),
        "telegram_api_base_url": fake.url,
        **overrides,
    }
    return base.model_copy(update=values)


def recorded(name: str, *, update_id: int | None = None, **message: Any) -> dict[str, Any]:
    """A recorded update with a fresh update_id (unless given) and `message` fields changed."""
    global _next_update
    _next_update += 1
    update: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    update["update_id"] = update_id or _next_update
    update["message"].update(copy.deepcopy(message))
    return update


@pytest.fixture
async def fake_bot_api() -> AsyncIterator[BotApiServer]:
    async with bot_api() as fake:
        yield fake


@pytest.fixture
async def server(
    demo_settings: Settings, fake_bot_api: BotApiServer, base_model: str
) -> AsyncIterator[LiveServer]:
    settings = telegram_settings(demo_settings, fake_bot_api, whisper_model=base_model)
    async with serving(settings) as live:
        yield live


async def post(
    http: httpx.AsyncClient, update: dict[str, Any], secret: str | None = SECRET
) -> httpx.Response:
    headers = {HEADER: secret} if secret is not None else {}
    return await http.post(WEBHOOK_PATH, json=update, headers=headers)


async def sent(server: LiveServer, n: int = 1) -> bool:
    return await count(server, OutboxItem, OutboxItem.status == OutboxStatus.SENT) == n


@pytest.mark.parametrize("secret", [None, "", "not-the-secret"], ids=["missing", "empty", "wrong"])
async def test_updates_without_the_webhook_secret_are_refused_and_nothing_is_stored(
    http: httpx.AsyncClient, server: LiveServer, fake_bot_api: BotApiServer, secret: str | None
) -> None:
    response = await post(http, recorded("update_text.json"), secret)
    await asyncio.sleep(0.3)

    assert response.status_code == 403
    assert await count(server, InboxItem) == 0
    assert "sendMessage" not in fake_bot_api.methods()


async def test_a_text_update_is_answered_through_the_bot_api(
    http: httpx.AsyncClient, server: LiveServer, fake_bot_api: BotApiServer
) -> None:
    response = await post(http, recorded("update_text.json", text="hola"))
    await eventually(lambda: sent(server))

    assert response.status_code == 200
    (params,) = [p for name, p in fake_bot_api.calls if name == "sendMessage"]
    assert params["chat_id"] == CHAT and params["parse_mode"] == "HTML"
    # The reply's *bold* becomes Telegram HTML.
    assert "<b>Extintores y Seguridad Industrial del Risaralda</b>" in params["text"]
    (inbound,) = await rows(server, InboxItem)
    assert inbound.external_chat_id == str(CHAT) and inbound.sender == str(CHAT)
    # Staff see the customer by their Telegram name.
    (conversation,) = await rows(server, Conversation)
    assert inbound.sender_name == conversation.contact_name == "Ana Restrepo"


async def test_the_same_update_id_twice_is_one_turn(
    http: httpx.AsyncClient, server: LiveServer, fake_bot_api: BotApiServer
) -> None:
    update = recorded("update_text.json", text="¿venden arneses?")

    first, second = await asyncio.gather(post(http, update), post(http, update))
    await eventually(lambda: sent(server))
    await asyncio.sleep(1.0)
    await post(http, update)  # Telegram delivers it again later
    await server.runtime.intake.jobs.idle()  # type: ignore[union-attr]

    assert first.status_code == second.status_code == 200
    assert await count(server, InboxItem) == 1
    assert await count(server, Message, Message.direction == Direction.OUTBOUND) == 1
    assert len(fake_bot_api.sent) == 1


async def test_messages_from_bots_are_ignored(
    http: httpx.AsyncClient, server: LiveServer, fake_bot_api: BotApiServer
) -> None:
    other_bot = {"id": 42, "is_bot": True, "first_name": "OtroBot"}
    itself = {"id": BOT_ID, "is_bot": False, "first_name": "Tienda"}

    for sender in (other_bot, itself):
        response = await post(http, recorded("update_text.json", **{"from": sender}))
        assert response.status_code == 200
    await asyncio.sleep(0.3)

    assert await count(server, InboxItem) == 0


async def test_flood_control_is_waited_out_and_the_reply_sent_once(
    http: httpx.AsyncClient, server: LiveServer, fake_bot_api: BotApiServer
) -> None:
    fake_bot_api.failures = [429]

    await post(http, recorded("update_text.json"))
    await eventually(lambda: sent(server), within=30)

    (outbox,) = await rows(server, OutboxItem)
    assert outbox.attempts == 2 and len(fake_bot_api.sent) == 1


async def outbox(server: LiveServer) -> list[OutboxItem]:
    """The server's outbox rows, oldest first."""
    return sorted(await rows(server, OutboxItem), key=lambda row: row.id)


async def test_a_three_hour_outage_with_a_purchase_in_the_middle_loses_no_reply(
    demo_settings: Settings, fake_bot_api: BotApiServer
) -> None:
    purchase = ["necesito 2 extintores de 10 libras", "1", "eso es todo", "1088123456"]
    purchase += ["Ana María Ríos", "3104567890", "Calle 20 # 8-15, Pereira", "sí"]
    with time_machine.travel(utcnow(), tick=True) as clock:
        settings = telegram_settings(demo_settings, fake_bot_api)
        async with serving(settings) as live, httpx.AsyncClient(base_url=live.url) as http:
            fake_bot_api.outage = True
            for number, text in enumerate(purchase, start=1):
                await post(http, recorded("update_text.json", text=text))

                async def answered(number: int = number) -> bool:
                    return await count(live, OutboxItem) == number

                await eventually(answered)
            for _ in range(18):  # three hours, ten minutes at a time, the outbox retrying
                (head, *_) = await outbox(live)
                clock.shift(timedelta(minutes=10))

                async def tried_again(before: int = head.attempts) -> bool:
                    (head, *_) = await outbox(live)
                    return head.attempts > before and head.lease_owner is None

                await eventually(tried_again)
            waiting = await outbox(live)
            assert {row.status for row in waiting} == {OutboxStatus.PENDING}
            assert [row.attempts > 0 for row in waiting] == [True] + [False] * 7

            fake_bot_api.outage = False
            clock.shift(timedelta(minutes=5))  # the longest wait between two attempts
            await eventually(lambda: sent(live, 8))

            async with live.runtime.sessions() as session:
                written = await session.scalars(
                    select(Message.text)
                    .where(Message.direction == Direction.OUTBOUND)
                    .order_by(Message.id)
                )
                replies = list(written)
    assert len(replies) == 8 and "quedó confirmado" in replies[-1]
    assert fake_bot_api.texts(CHAT) == [as_html(text) for text in replies]  # once, in order


async def test_a_chat_that_blocked_the_bot_fails_at_once_and_is_shown_to_staff(
    demo_settings: Settings, fake_bot_api: BotApiServer
) -> None:
    fake_bot_api.failures = [403]
    async with (
        serving(telegram_settings(demo_settings, fake_bot_api)) as live,
        httpx.AsyncClient(base_url=live.url) as http,
    ):
        await post(http, recorded("update_text.json", text="hola"))

        async def failed() -> bool:
            return await count(live, OutboxItem, OutboxItem.status == OutboxStatus.FAILED) == 1

        await eventually(failed)
        (row,) = await rows(live, OutboxItem)
        assert row.attempts == 1 and "refused" in (row.last_error or "")
        async with live.runtime.sessions() as session:
            view = await conversation_view(session, row.conversation_id)
    assert view is not None and "refused" in (view.messages[-1].undelivered or "")
    assert fake_bot_api.sent == []


async def test_a_spanish_voice_note_becomes_a_cart_with_the_product(
    http: httpx.AsyncClient, server: LiveServer, fake_bot_api: BotApiServer, speaker: Speaker
) -> None:
    note = speaker.note("quiero comprar tres chalecos reflectivos", voice="es-419")
    update = recorded("update_voice.json")
    fake_bot_api.files[update["message"]["voice"]["file_id"]] = note

    response = await post(http, update)
    await eventually(lambda: sent(server), within=90)
    await post(http, recorded("update_text.json", text="el tercero"))
    await eventually(lambda: sent(server, 2), within=30)

    assert response.status_code == 200
    assert "getFile" in fake_bot_api.methods()
    shown, added = fake_bot_api.texts(CHAT)
    assert "Chaleco" in shown
    (sale,) = await rows(server, Sale)
    assert [line.product.name for line in sale.lines] == ["Chaleco Reflectivo"]
    assert "Chaleco Reflectivo" in added
    first = (await rows(server, Message, Message.direction == Direction.INBOUND))[0]
    assert "chalecos" in first.text.lower() and first.media[0]["language"] == "es"


async def test_polling_takes_updates_without_a_webhook(
    demo_settings: Settings, fake_bot_api: BotApiServer
) -> None:
    fake_bot_api.webhook = {"url": "https://old.example/webhooks/telegram"}
    fake_bot_api.updates = [recorded("update_text.json", text="hola")]
    runtime = await Runtime.start(telegram_settings(demo_settings, fake_bot_api), migrate=False)
    try:
        telegram = runtime.channels["telegram"]
        assert isinstance(telegram, TelegramChannel) and runtime.intake is not None
        stop = asyncio.Event()
        polling = asyncio.create_task(poll(telegram, runtime.intake, stop=stop, wait=0))
        await eventually(lambda: len(fake_bot_api.sent) == 1)
        stop.set()
        taken = await polling
    finally:
        await runtime.close()

    assert taken == 1 and fake_bot_api.webhook == {}
    assert fake_bot_api.methods().index("deleteWebhook") < fake_bot_api.methods().index(
        "getUpdates"
    )


async def test_polling_skips_an_update_no_database_keeps_and_goes_on(
    demo_settings: Settings, fake_bot_api: BotApiServer
) -> None:
    fake_bot_api.updates = [
        recorded("update_text.json", text="hola\x00"),
        recorded("update_text.json", text="hola"),
    ]
    runtime = await Runtime.start(telegram_settings(demo_settings, fake_bot_api), migrate=False)
    try:
        telegram = runtime.channels["telegram"]
        assert isinstance(telegram, TelegramChannel) and runtime.intake is not None
        stop = asyncio.Event()
        polling = asyncio.create_task(poll(telegram, runtime.intake, stop=stop, wait=0))
        await eventually(lambda: len(fake_bot_api.sent) == 1)
        stop.set()
        taken = await polling
        async with runtime.sessions() as session:
            stored = (await session.execute(select(InboxItem.text))).scalars().all()
    finally:
        await runtime.close()

    assert taken == 1 and stored == ["hola"]


async def _cli(*args: str, env: dict[str, str]) -> tuple[int, str]:
    salesagent = Path(sys.executable).parent / "salesagent"
    process = await asyncio.create_subprocess_exec(
        str(salesagent),
        *args,
        env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode()


async def test_set_webhook_registers_the_public_url_with_the_secret(
    fake_bot_api: BotApiServer,
) -> None:
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "TELEGRAM_API_BASE_URL": fake_bot_api.url,
        "PUBLIC_BASE_URL": "https://tienda.example",
    }

    code, out = await _cli("telegram", "set-webhook", env=env)
    missing, said = await _cli(
        "telegram", "set-webhook", env={**env, "TELEGRAM_WEBHOOK_SECRET": ""}
    )

    assert code == 0, out
    assert "https://tienda.example/webhooks/telegram" in out
    assert fake_bot_api.webhook["url"] == "https://tienda.example/webhooks/telegram"
    assert fake_bot_api.webhook["secret_token"] == SECRET
    assert fake_bot_api.webhook["allowed_updates"] == ["message"]
    assert missing == 1 and "TELEGRAM_WEBHOOK_SECRET" in said


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"telegram_webhook_secret": SecretStr(SECRET)}, "TELEGRAM_BOT_TOKEN"),
        ({"telegram_bot_token": SecretStr("not-a-token")}, "TELEGRAM_BOT_TOKEN"),
        (
            {
                "telegram_bot_token": SecretStr(TOKEN),
                "telegram_webhook_secret": SecretStr("no spaces allowed"),
            },
            "TELEGRAM_WEBHOOK_SECRET",
        ),
    ],
)
async def test_half_configured_telegram_stops_the_start_naming_the_variable(
    demo_settings: Settings, settings: dict[str, Any], named: str
) -> None:
    with pytest.raises(ConfigurationError, match=named):
        await Runtime.start(demo_settings.model_copy(update=settings), migrate=False)


async def test_a_token_telegram_refuses_stops_the_start(
    demo_settings: Settings, fake_bot_api: BotApiServer
) -> None:
    settings = telegram_settings(
        demo_settings, fake_bot_api, telegram_bot_token=SecretStr("7000001:wrong-token")
    )

    with pytest.raises(ConfigurationError, match="TELEGRAM_BOT_TOKEN"):
        await Runtime.start(settings, migrate=False)


async def test_without_a_secret_the_webhook_refuses_every_update_and_polling_still_works(
    demo_settings: Settings, fake_bot_api: BotApiServer
) -> None:
    # A shop without a public address: `serve` for the web and `telegram poll` for Telegram.
    settings = telegram_settings(demo_settings, fake_bot_api, telegram_webhook_secret=None)
    async with serving(settings) as live, httpx.AsyncClient(base_url=live.url) as http:
        refused = [await post(http, recorded("update_text.json"), s) for s in (None, "", "x")]
        assert await count(live, InboxItem) == 0

    assert [r.status_code for r in refused] == [403, 403, 403]


async def test_signed_updates_with_wrong_types_or_bad_text_are_refused(
    shop_url: str, fake_bot_api: BotApiServer
) -> None:
    settings = telegram_settings(make_settings(shop_url), fake_bot_api)
    wrong_types: list[Any] = [
        {"update_id": "x", "message": 5},
        recorded("update_text.json", text=5),
        recorded("update_text.json", chat={"id": "abc", "type": "private"}),
        [1, 2],
        None,
    ]
    async with serving(settings) as live, httpx.AsyncClient(base_url=live.url) as http:
        for update in wrong_types:
            response = await post(http, update)
            assert response.status_code == 400, (update, response.text)
        for text in ("hola\\u0000", "hola\\ud800"):
            raw = json.dumps(recorded("update_text.json", text="@")).replace("@", text)
            response = await http.post(
                WEBHOOK_PATH,
                content=raw,
                headers={HEADER: SECRET, "content-type": "application/json"},
            )
            assert response.status_code == 422, response.text
            assert response.json()["errors"][0]["field"] == "message.text"
        assert (await post(http, recorded("update_text.json", text="hola"))).status_code == 200
        await live.runtime.intake.jobs.idle()  # type: ignore[union-attr]
        assert await count(live, InboxItem) == 1
