"""The Odoo livechat channel over real HTTP, against a local server speaking Odoo 19 and 18.

The addon's own webhook code builds and signs each event; the agent runs under uvicorn; its
replies reach the fake Odoo through JSON-2 (19) or JSON-RPC `execute_kw` (18).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from conftest import make_settings
from fixtures.live_server import LiveServer, count, serving
from fixtures.odoo_addon import addon_webhook
from fixtures.odoo_server import BOT_PARTNER_ID, DATABASE, FakeOdoo, with_odoo
from pydantic import SecretStr
from sqlalchemy import select

from agent import inbox
from agent.db import create_engine, create_sessionmaker, transaction
from agent.errors import ConfigurationError
from agent.messages import InboundMessage
from agent.models import Conversation, Handoff, InboxItem, Message, OutboxItem, OutboxStatus, Owner
from agent.settings import Settings
from channels.odoo_livechat.output import no_operator_message, to_html
from salesagent.runtime import Runtime

SECRET = "shared-secret-of-the-tests-0123456789"
WEBHOOK = "/webhooks/odoo/livechat"
_ids = itertools.count(5000)


def odoo_settings(settings: Settings, odoo: FakeOdoo, **more: Any) -> Settings:
    """`settings` with the livechat on, connected to the fake `odoo`."""
    livechat: dict[str, Any] = {
        "odoo_livechat_enabled": True,
        "odoo_webhook_secret": SecretStr(SECRET),
    }
    return with_odoo(settings, odoo, **(livechat | more))


@pytest.fixture
async def server(demo_settings: Settings, odoo: FakeOdoo) -> AsyncIterator[LiveServer]:
    async with serving(odoo_settings(demo_settings, odoo)) as live:
        yield live


class Visitor:
    """A website visitor in one livechat session, as the addon reports their messages."""

    def __init__(self, http: httpx.AsyncClient, channel_id: int | None = None) -> None:
        self.http = http
        self.channel_id = channel_id or next(_ids)

    def event(self, text: str, *, role: str = "visitor", message_id: int | None = None) -> bytes:
        payload = addon_webhook.build_payload(
            database=DATABASE,
            channel_id=self.channel_id,
            message_id=message_id or next(_ids),
            body=text,
            author_role=role,
            author_name="Laura Operadora" if role == "operator" else "Visitante",
            visitor_name="Visitante",
            language="es_CO",
            country="CO",
            livechat_channel_id=1,
            bot_partner_id=BOT_PARTNER_ID,
            odoo_version="19.0",
        )
        return bytes(addon_webhook.encode(payload))

    async def send(
        self, body: bytes, *, secret: str = SECRET, now: float | None = None
    ) -> httpx.Response:
        headers = addon_webhook.signed_headers(secret, body, now=now)
        return await self.http.post(WEBHOOK, content=body, headers=headers)

    async def says(self, text: str, **kwargs: Any) -> httpx.Response:
        response = await self.send(self.event(text, **kwargs))
        assert response.status_code == 200, response.text
        return response


async def until(check: Callable[[], Any], *, within: float = 15.0) -> Any:
    """Wait for `check()` to be truthy (the turn runs after the webhook's answer)."""
    deadline = time.monotonic() + within
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.05)


async def conversation(runtime: Runtime, visitor: Visitor) -> Conversation:
    async with runtime.sessions() as session:
        row = await session.scalar(
            select(Conversation).where(
                Conversation.channel == "odoo",
                Conversation.external_chat_id == f"{DATABASE}:{visitor.channel_id}",
            )
        )
    assert row is not None
    return row


async def test_a_visitor_message_gets_the_bot_reply_in_the_session(
    http: httpx.AsyncClient, odoo: FakeOdoo, server: LiveServer
) -> None:
    visitor = Visitor(http)
    answer = await visitor.says("hola, ¿tienen cascos dieléctricos?")

    assert answer.json()["status"] == "accepted"
    (reply,) = await until(lambda: odoo.posted(visitor.channel_id))
    assert reply["author_id"] == BOT_PARTNER_ID
    assert reply["message_type"] == "comment"
    assert reply["subtype_xmlid"] == "mail.mt_comment"
    assert "casco" in reply["text"].lower() and reply["body_is_html"]
    assert "<b>" in reply["body"] and "<br>" in reply["body"]
    (post,) = odoo.calls_to("message_post")
    assert post.protocol == ("json2" if odoo.version >= 19 else "jsonrpc")
    assert post.ids == [visitor.channel_id]
    async with server.runtime.sessions() as session:
        stored = (await session.scalars(select(Message.text).order_by(Message.id))).all()
    assert stored[-2] == "hola, ¿tienen cascos dieléctricos?"
    assert reply["body"] == to_html(stored[-1])


async def test_a_whole_purchase_through_the_livechat(
    http: httpx.AsyncClient, odoo: FakeOdoo, server: LiveServer
) -> None:
    visitor = Visitor(http)
    said = [
        "necesito 2 extintores de 10 libras",
        "1",
        "eso es todo",
        "1088123456",
        "Ana María Ríos",
        "3104567890",
        "Calle 20 # 8-15, Pereira",
        "sí",
    ]
    for number, text in enumerate(said, 1):
        await visitor.says(text)
        await until(lambda number=number: len(odoo.posted(visitor.channel_id)) >= number)
    last = odoo.posted(visitor.channel_id)[-1]["text"]
    assert "quedó confirmado" in last, [m["text"] for m in odoo.posted(visitor.channel_id)]


@pytest.mark.parametrize(
    "case", ["forged", "stale", "unsigned", "other database", "not an event"], ids=str
)
async def test_unverified_requests_are_refused_and_nothing_is_stored(
    http: httpx.AsyncClient, odoo: FakeOdoo, server: LiveServer, case: str
) -> None:
    visitor = Visitor(http)
    body = visitor.event("hola")
    if case == "forged":
        response = await visitor.send(body, secret="not-the-shared-secret-0123456789")
    elif case == "stale":
        response = await visitor.send(body, now=time.time() - 6 * 60)
    elif case == "unsigned":
        response = await http.post(WEBHOOK, content=body)
    elif case == "other database":
        body = body.replace(f'"database":"{DATABASE}"'.encode(), b'"database":"otra"')
        response = await visitor.send(body)
    else:
        response = await visitor.send(b'{"hello": "odoo"}')

    assert response.status_code == (422 if case == "not an event" else 403), response.text
    await asyncio.sleep(0.3)
    assert await count(server, InboxItem) == 0
    assert await count(server, Conversation) == 0
    assert odoo.posted() == []


async def test_the_same_message_twice_is_answered_once(
    http: httpx.AsyncClient, odoo: FakeOdoo, server: LiveServer
) -> None:
    visitor = Visitor(http)
    body = visitor.event("¿cuál es el horario?")
    first, second = await asyncio.gather(visitor.send(body), visitor.send(body))
    third = await visitor.send(body)

    statuses = sorted(r.json()["status"] for r in (first, second, third))
    assert statuses == ["accepted", "duplicate", "duplicate"]
    await until(lambda: odoo.posted(visitor.channel_id))
    await asyncio.sleep(0.5)
    assert len(odoo.posted(visitor.channel_id)) == 1
    assert await count(server, InboxItem) == 1


async def test_an_operator_message_silences_the_bot(
    http: httpx.AsyncClient, odoo: FakeOdoo, server: LiveServer
) -> None:
    visitor = Visitor(http)
    await visitor.says("hola")
    await until(lambda: odoo.posted(visitor.channel_id))

    answer = await visitor.says("Hola, soy Laura, ¿en qué te ayudo?", role="operator")
    await visitor.says("quiero 3 cascos")
    await asyncio.sleep(1.0)

    assert answer.json()["status"] == "operator"
    assert len(odoo.posted(visitor.channel_id)) == 1
    chat = await conversation(server.runtime, visitor)
    assert chat.owner == Owner.HUMAN
    async with server.runtime.sessions() as session:
        texts = (
            await session.scalars(
                select(Message.text).where(Message.conversation_id == chat.id).order_by(Message.id)
            )
        ).all()
        handoffs = (await session.scalars(select(Handoff).order_by(Handoff.id))).all()
    assert texts[-2:] == ["Hola, soy Laura, ¿en qué te ayudo?", "quiero 3 cascos"]
    assert handoffs[-1].to_owner == Owner.HUMAN and handoffs[-1].actor == "odoo:Laura Operadora"


async def test_a_handoff_goes_to_an_odoo_operator_when_one_is_free(
    http: httpx.AsyncClient, odoo: FakeOdoo, server: LiveServer
) -> None:
    odoo.data.operators_online = True
    visitor = Visitor(http)
    await visitor.says("quiero hablar con una persona")

    (handed,) = await until(lambda: odoo.data.handoffs)
    assert handed["channel_id"] == visitor.channel_id and handed["found"]
    assert "asesor" in handed["message"]
    (announced,) = odoo.posted(visitor.channel_id)  # posted by the addon, as the bot
    assert announced["text"] == handed["message"]
    chat = await until(lambda: _noted(server.runtime, visitor))
    assert chat.owner == Owner.WAITING_HUMAN

    await visitor.says("¿sigues ahí?")
    await asyncio.sleep(0.8)
    assert len(odoo.posted(visitor.channel_id)) == 1


async def test_without_a_free_operator_the_visitor_is_told_and_the_bot_keeps_helping(
    http: httpx.AsyncClient, odoo: FakeOdoo, server: LiveServer
) -> None:
    visitor = Visitor(http)
    await visitor.says("quiero hablar con una persona")

    (told,) = await until(lambda: odoo.posted(visitor.channel_id))
    assert odoo.data.handoffs and not odoo.data.handoffs[0]["found"]
    assert told["text"] == no_operator_message("es")
    assert told["author_id"] == BOT_PARTNER_ID
    chat = await conversation(server.runtime, visitor)
    assert chat.owner == Owner.BOT

    await visitor.says("¿cuánto vale el casco dieléctrico?")
    second = await until(lambda: odoo.posted(visitor.channel_id)[1:])
    assert "casco" in second[0]["text"].lower()
    async with server.runtime.sessions() as session:
        stored = await session.scalar(
            select(Message.text)
            .where(Message.conversation_id == chat.id, Message.handler == "handoff")
            .order_by(Message.id)
        )
    assert stored == told["text"]


async def _noted(runtime: Runtime, visitor: Visitor) -> Conversation | None:
    chat = await conversation(runtime, visitor)
    async with runtime.sessions() as session:
        note = await session.scalar(
            select(Handoff.note).where(Handoff.conversation_id == chat.id).order_by(Handoff.id)
        )
    return chat if note else None


async def test_odoo_down_the_reply_waits_in_the_outbox_and_is_sent_once_it_is_back(
    http: httpx.AsyncClient, odoo: FakeOdoo, server: LiveServer
) -> None:
    odoo.down()
    visitor = Visitor(http)
    answer = await visitor.says("hola")
    assert answer.json()["status"] == "accepted"

    async def failed_once() -> bool:
        async with server.runtime.sessions() as session:
            row = await session.scalar(select(OutboxItem).where(OutboxItem.channel == "odoo"))
        return row is not None and row.attempts >= 1 and bool(row.last_error)

    await until(failed_once)
    odoo.up()
    (reply,) = await until(lambda: odoo.posted(visitor.channel_id), within=20)
    assert reply["author_id"] == BOT_PARTNER_ID

    async def sent() -> OutboxItem | None:
        async with server.runtime.sessions() as session:
            row = await session.scalar(select(OutboxItem).where(OutboxItem.channel == "odoo"))
        return row if row is not None and row.status == OutboxStatus.SENT else None

    row = await until(sent)
    assert row.attempts >= 2
    await asyncio.sleep(0.5)
    assert len(odoo.posted(visitor.channel_id)) == 1


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ("odoo_url", "ODOO_URL"),
        ("odoo_db", "ODOO_DB"),
        ("odoo_api_key", "ODOO_API_KEY"),
        ("odoo_webhook_secret", "ODOO_WEBHOOK_SECRET"),
    ],
)
async def test_a_missing_setting_stops_the_start_up_naming_it(
    demo_settings: Settings, odoo: FakeOdoo, missing: str, named: str
) -> None:
    settings = odoo_settings(demo_settings, odoo, **{missing: None})
    with pytest.raises(ConfigurationError, match=named):
        await Runtime.start(settings, migrate=False)

    short = odoo_settings(demo_settings, odoo, odoo_webhook_secret=SecretStr("corto"))
    with pytest.raises(ConfigurationError, match="ODOO_WEBHOOK_SECRET is too short"):
        await Runtime.start(short, migrate=False)


async def test_the_webhook_is_not_found_while_the_channel_is_off(demo_settings: Settings) -> None:
    async with serving(demo_settings) as live, httpx.AsyncClient(base_url=live.url) as client:
        response = await client.post(WEBHOOK, content=b"{}")
    assert response.status_code == 404


def test_replies_are_escaped_html_keeping_line_breaks_and_bold() -> None:
    assert to_html("*Casco* <script>x</script> & más\n2 × $45.000") == (
        "<b>Casco</b> &lt;script&gt;x&lt;/script&gt; &amp; más<br>2 × $45.000"
    )


async def test_a_message_stored_before_a_restart_is_answered_after_it(
    demo_settings: Settings, odoo: FakeOdoo
) -> None:
    engine = create_engine(demo_settings.database_url)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            await inbox.store(
                session,
                InboundMessage(
                    channel="odoo",
                    external_message_id=f"{DATABASE}:777",
                    external_chat_id=f"{DATABASE}:77",
                    text="¿hacen envíos a Manizales?",
                ),
            )
    finally:
        await engine.dispose()

    async with serving(odoo_settings(demo_settings, odoo)):
        (reply,) = await until(lambda: odoo.posted(77))
    assert reply["author_id"] == BOT_PARTNER_ID and reply["message_type"] == "comment"


async def test_an_unsigned_request_is_refused_before_its_body_is_read(server: LiveServer) -> None:
    host, port = server.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    # A chunked body that never ends: only a server that looks at the headers first answers.
    writer.write(
        f"POST {WEBHOOK} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
        'transfer-encoding: chunked\r\n\r\n5\r\n{"a":\r\n'.encode()
    )
    await writer.drain()
    try:
        answer = await asyncio.wait_for(reader.read(4096), 5)
    finally:
        writer.close()

    assert answer.startswith(b"HTTP/1.1 403"), answer[:200]


async def test_a_signed_event_with_nul_or_lone_surrogates_is_a_422(
    shop_url: str, odoo: FakeOdoo
) -> None:
    async with (
        serving(odoo_settings(make_settings(shop_url), odoo)) as live,
        httpx.AsyncClient(base_url=live.url) as http,
    ):
        visitor = Visitor(http)
        for bad in ("\\u0000", "\\ud800"):
            body = visitor.event("hola@").replace(b"hola@", b"hola" + bad.encode())
            response = await visitor.send(body)
            assert response.status_code == 422, response.text
            assert response.json()["errors"][0]["field"] == "body"
        await visitor.says("hola")
        await live.runtime.odoo.livechat.drain()  # type: ignore[union-attr]
        assert await count(live, InboxItem) == 1
