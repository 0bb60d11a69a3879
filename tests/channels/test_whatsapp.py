"""WhatsApp through Twilio, over real HTTP: webhooks signed with the twilio SDK's own
`RequestValidator`, posted to the live app; replies sent by the twilio `Client` to a server on
127.0.0.1 that speaks Twilio's Messages API; voice notes downloaded and transcribed for real."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fixtures.live_server import LiveServer, count, eventually, rows, serving
from fixtures.twilio_server import ACCOUNT_SID, AUTH_TOKEN, SENDER, TwilioServer
from fixtures.voice_setup import Speaker
from fixtures.whatsapp_setup import CUSTOMER, PUBLIC, post, recorded, signature, whatsapp_settings
from pydantic import SecretStr

from agent.errors import ConfigurationError
from agent.models import (
    Conversation,
    Delivery,
    Direction,
    InboxItem,
    InboxStatus,
    Message,
    OutboxItem,
    OutboxStatus,
    Sale,
    utcnow,
)
from agent.settings import Settings
from channels.whatsapp.adapter import INBOUND_PATH, STATUS_PATH
from console.queries import ListFilter, list_conversations
from salesagent.runtime import Runtime


@pytest.fixture
async def server(
    demo_settings: Settings, fake_twilio: TwilioServer, tiny_en_model: str
) -> AsyncIterator[LiveServer]:
    settings = whatsapp_settings(demo_settings, fake_twilio, whisper_model=tiny_en_model)
    async with serving(settings) as live:
        yield live


@pytest.mark.parametrize(
    "how",
    ["missing", "wrong token", "signed for the internal URL", "body changed after signing"],
)
async def test_requests_not_signed_by_twilio_are_refused_and_nothing_is_stored(
    http: httpx.AsyncClient, server: LiveServer, fake_twilio: TwilioServer, how: str
) -> None:
    form = recorded("inbound_text.json")
    sig = {
        "missing": None,
        "wrong token": signature(INBOUND_PATH, form, token="not-the-token"),
        "signed for the internal URL": signature(INBOUND_PATH, form, base=server.url),
        "body changed after signing": signature(INBOUND_PATH, {**form, "Body": "otra cosa"}),
    }[how]

    response = await post(http, INBOUND_PATH, form, sig)
    await asyncio.sleep(0.3)

    assert response.status_code == 403
    assert await count(server, InboxItem) == 0
    assert fake_twilio.attempts == []


async def test_a_message_is_acknowledged_at_once_and_answered_through_the_rest_api(
    http: httpx.AsyncClient, server: LiveServer, fake_twilio: TwilioServer
) -> None:
    started = time.perf_counter()
    response = await post(http, INBOUND_PATH, recorded("inbound_text.json", Body="hola"))
    acknowledged = time.perf_counter() - started

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert "<Response />" in response.text or "<Response></Response>" in response.text
    assert acknowledged < 2.0
    await eventually(lambda: len(fake_twilio.created) == 1)
    sent = fake_twilio.created[0]
    assert sent["To"] == CUSTOMER and sent["From"] == SENDER
    assert "Hola" in sent["Body"] or "hola" in sent["Body"].lower()
    assert sent["StatusCallback"] == PUBLIC + STATUS_PATH
    await eventually(lambda: _sent(server))
    (delivery,) = await rows(server, Delivery)
    assert delivery.vendor_message_id == sent["Sid"] and delivery.part == 0


async def test_staff_see_the_customer_by_their_whatsapp_profile_name(
    http: httpx.AsyncClient, server: LiveServer, fake_twilio: TwilioServer
) -> None:
    await post(http, INBOUND_PATH, recorded("inbound_text.json", Body="hola"))
    await eventually(lambda: len(fake_twilio.created) == 1)

    async def listed(query: str) -> list[str]:
        async with server.runtime.sessions() as session:
            found, _ = await list_conversations(
                session, ListFilter(state="all", q=query), staff_id=0
            )
        return [row.who for row in found]

    assert await listed("restrepo") == ["Ana Restrepo"]
    # The customer renames their profile: staff see the newest name.
    renamed = recorded("inbound_text.json", Body="gracias", ProfileName="Ana María R.")
    await post(http, INBOUND_PATH, renamed)
    await eventually(lambda: len(fake_twilio.created) == 2)
    assert await listed("573001112233") == ["Ana María R."]


async def _sent(server: LiveServer) -> bool:
    return await count(server, OutboxItem, OutboxItem.status == OutboxStatus.SENT) == 1


async def test_status_callbacks_update_the_delivery_and_never_go_backwards(
    http: httpx.AsyncClient, server: LiveServer, fake_twilio: TwilioServer
) -> None:
    await post(http, INBOUND_PATH, recorded("inbound_text.json"))
    await eventually(lambda: _sent(server))
    sid = fake_twilio.created[0]["Sid"]

    statuses = []
    for status in ("sent", "read", "delivered"):  # Twilio's callbacks may arrive out of order
        form = recorded("status_delivered.json", MessageSid=sid, MessageStatus=status)
        response = await post(http, STATUS_PATH, form)
        assert response.status_code == 204
        statuses.append((await rows(server, Delivery))[0].status)

    assert statuses == ["sent", "read", "read"]
    unsigned = await post(http, STATUS_PATH, recorded("status_delivered.json"), None)
    assert unsigned.status_code == 403


async def test_a_failed_delivery_is_recorded_on_the_reply(
    http: httpx.AsyncClient, server: LiveServer, fake_twilio: TwilioServer
) -> None:
    await post(http, INBOUND_PATH, recorded("inbound_text.json"))
    await eventually(lambda: _sent(server))
    sid = fake_twilio.created[0]["Sid"]

    form = recorded(
        "status_delivered.json", MessageSid=sid, MessageStatus="undelivered", ErrorCode="63016"
    )
    await post(http, STATUS_PATH, form)

    (delivery,) = await rows(server, Delivery)
    (outbox,) = await rows(server, OutboxItem)
    assert delivery.status == "undelivered" and delivery.error_code == "63016"
    assert "undelivered" in (outbox.last_error or "") and "63016" in (outbox.last_error or "")


async def test_the_same_message_sid_three_times_at_once_is_one_message_and_one_reply(
    http: httpx.AsyncClient, server: LiveServer, fake_twilio: TwilioServer
) -> None:
    form = recorded("inbound_text.json", Body="¿tienen cascos dieléctricos?")

    responses = await asyncio.gather(*(post(http, INBOUND_PATH, form) for _ in range(3)))
    await eventually(lambda: _sent(server))
    await asyncio.sleep(1.5)  # room for a second reply, if there were one
    await server.runtime.intake.jobs.idle()  # type: ignore[union-attr]

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert await count(server, InboxItem) == 1
    assert await count(server, Message, Message.direction == Direction.INBOUND) == 1
    assert await count(server, Message, Message.direction == Direction.OUTBOUND) == 1
    assert len(fake_twilio.created) == 1


async def test_a_reply_refused_with_429_then_500_is_retried_and_sent_once(
    http: httpx.AsyncClient, server: LiveServer, fake_twilio: TwilioServer
) -> None:
    fake_twilio.failures = [429, 500]

    await post(http, INBOUND_PATH, recorded("inbound_text.json"))
    await eventually(lambda: _sent(server), within=40)

    (outbox,) = await rows(server, OutboxItem)
    assert [a.get("Body") for a in fake_twilio.attempts] == [outbox.text] * 3
    assert len(fake_twilio.created) == 1
    assert outbox.attempts == 3 and outbox.last_error is None


async def test_the_shops_own_number_is_never_answered(
    http: httpx.AsyncClient, server: LiveServer, fake_twilio: TwilioServer
) -> None:
    response = await post(http, INBOUND_PATH, recorded("inbound_text.json", From=SENDER))
    await asyncio.sleep(0.5)

    assert response.status_code == 200
    assert await count(server, InboxItem) == 0 and fake_twilio.attempts == []


async def test_a_voice_note_is_fetched_with_the_accounts_login_and_fills_the_cart(
    http: httpx.AsyncClient, server: LiveServer, fake_twilio: TwilioServer, speaker: Speaker
) -> None:
    said = "I need six dielectric helmets and one kitchen fire extinguisher"
    url = fake_twilio.media_url("ME" + uuid.uuid4().hex, speaker.note(said, voice="en-us"))

    response = await post(http, INBOUND_PATH, recorded("inbound_voice.json", MediaUrl0=url))
    await eventually(lambda: _sent(server), within=60)

    assert response.status_code == 200
    # Twilio's media URL asks for the login; its CDN, on another host, must not get it.
    assert fake_twilio.media_requests and fake_twilio.media_requests[0]["authorization"] is None
    (sale,) = await rows(server, Sale)
    assert {(line.product.name, line.quantity) for line in sale.lines} == {
        ("Casco dieléctrico tipo II clase E", 6),
        ("Extintor clase K 6 litros para cocina", 1),
    }
    (inbound,) = await rows(server, Message, Message.direction == Direction.INBOUND)
    assert "dielectric helmets" in inbound.text.lower()
    assert inbound.media[0]["transcript"] == inbound.text
    assert inbound.media[0]["language"] == "en" and inbound.media[0]["seconds"] > 2
    assert "Casco dieléctrico" in fake_twilio.created[0]["Body"]


async def test_a_note_that_cannot_be_understood_is_answered_so(
    http: httpx.AsyncClient, server: LiveServer, fake_twilio: TwilioServer
) -> None:
    url = fake_twilio.media_url("ME" + uuid.uuid4().hex, b"this is no audio at all" * 20)

    await post(http, INBOUND_PATH, recorded("inbound_voice.json", MediaUrl0=url))
    await eventually(lambda: _sent(server), within=30)

    assert "No pude entender tu nota de voz" in fake_twilio.created[0]["Body"]
    (inbound,) = await rows(server, Message, Message.direction == Direction.INBOUND)
    assert inbound.media[0]["error"] == "unreadable" and inbound.text == ""


async def test_a_long_reply_goes_in_parts_and_a_part_already_sent_is_not_repeated(
    demo_settings: Settings, fake_twilio: TwilioServer
) -> None:
    settings = whatsapp_settings(demo_settings, fake_twilio, whatsapp_part_chars=120)
    fake_twilio.failures = [201, 500]  # the first part goes, the second fails once
    async with serving(settings) as live, httpx.AsyncClient(base_url=live.url) as http:
        await post(http, INBOUND_PATH, recorded("inbound_text.json", Body="extintores de CO2"))
        await eventually(lambda: _sent(live), within=40)
        (outbox,) = await rows(live, OutboxItem)
        parts = live.runtime.channels["whatsapp"].output.parts(outbox.text)  # type: ignore[attr-defined]
        deliveries = await rows(live, Delivery)

    assert len(parts) >= 2 and all(len(p) <= 120 for p in parts)
    assert fake_twilio.bodies() == parts  # each part once, in order
    assert [a["Body"] for a in fake_twilio.attempts] == [parts[0], parts[1], *parts[1:]]
    assert sorted(d.part for d in deliveries) == list(range(len(parts)))


async def _old_chat(runtime: Runtime, chat: str, *, hours: float, replies: list[str]) -> list[int]:
    """A WhatsApp chat whose customer last wrote `hours` ago, with replies waiting to go."""
    async with runtime.sessions() as session, session.begin():
        conversation = Conversation(channel="whatsapp", external_chat_id=chat)
        session.add(conversation)
        session.add(
            InboxItem(
                channel="whatsapp",
                external_message_id=uuid.uuid4().hex,
                external_chat_id=chat,
                status=InboxStatus.DONE,
                received_at=utcnow() - timedelta(hours=hours),
            )
        )
        await session.flush()
        rows = [
            OutboxItem(
                conversation_id=conversation.id,
                channel="whatsapp",
                external_chat_id=chat,
                text=text,
            )
            for text in replies
        ]
        session.add_all(rows)
        await session.flush()
        return [row.id for row in rows]


async def _outbox(runtime: Runtime, outbox_id: int) -> OutboxItem:
    async with runtime.sessions() as session:
        row = await session.get(OutboxItem, outbox_id)
        assert row is not None
        return row


async def test_outside_the_24_hour_window_no_free_form_message_is_attempted(
    demo_settings: Settings, fake_twilio: TwilioServer
) -> None:
    runtime = await Runtime.start(whatsapp_settings(demo_settings, fake_twilio), migrate=False)
    try:
        (late,) = await _old_chat(runtime, CUSTOMER, hours=25, replies=["Tu pedido salió hoy."])
        await runtime.dispatcher.deliver(late)
        row = await _outbox(runtime, late)
    finally:
        await runtime.close()

    assert fake_twilio.attempts == []
    assert row.status == OutboxStatus.FAILED
    assert "24-hour window" in (row.last_error or "") and "TWILIO_CONTENT_SID" in (
        row.last_error or ""
    )


async def test_outside_the_window_the_configured_template_is_sent_instead(
    demo_settings: Settings, fake_twilio: TwilioServer
) -> None:
    settings = whatsapp_settings(
        demo_settings,
        fake_twilio,
        twilio_content_sid="HX0123456789abcdef0123456789abcdef",
        twilio_content_variables='{"1": "Extintores del Risaralda"}',
    )
    runtime = await Runtime.start(settings, migrate=False)
    try:
        recent, late = [], []
        recent = await _old_chat(runtime, CUSTOMER, hours=2, replies=["Hola de nuevo"])
        late = await _old_chat(runtime, "whatsapp:+573009998877", hours=30, replies=["Listo"])
        for outbox_id in recent + late:
            await runtime.dispatcher.deliver(outbox_id)
        rows = [await _outbox(runtime, i) for i in recent + late]
    finally:
        await runtime.close()

    free_form, template = fake_twilio.created
    assert free_form["Body"] == "Hola de nuevo" and "ContentSid" not in free_form
    assert template["ContentSid"] == "HX0123456789abcdef0123456789abcdef"
    assert json.loads(template["ContentVariables"]) == {"1": "Extintores del Risaralda"}
    assert "Body" not in template or not template["Body"]
    assert [r.status for r in rows] == [OutboxStatus.SENT, OutboxStatus.SENT]


async def test_the_same_reply_is_not_sent_a_third_time_in_a_row(
    demo_settings: Settings, fake_twilio: TwilioServer
) -> None:
    runtime = await Runtime.start(whatsapp_settings(demo_settings, fake_twilio), migrate=False)
    try:
        same = "¿Me cuentas qué necesitas?"
        ids = await _old_chat(runtime, CUSTOMER, hours=0.1, replies=[same, same, same, "Otra"])
        for outbox_id in ids:
            await runtime.dispatcher.deliver(outbox_id)
        rows = [await _outbox(runtime, i) for i in ids]
    finally:
        await runtime.close()

    assert fake_twilio.bodies() == [same, same, "Otra"]
    assert [r.status for r in rows] == [
        OutboxStatus.SENT,
        OutboxStatus.SENT,
        OutboxStatus.FAILED,
        OutboxStatus.SENT,
    ]
    assert "bot-loop guard" in (rows[2].last_error or "")


async def test_a_chat_writing_faster_than_a_person_is_throttled(
    demo_settings: Settings, fake_twilio: TwilioServer
) -> None:
    settings = whatsapp_settings(
        demo_settings, fake_twilio, sender_burst=3, sender_rate_per_minute=1
    )
    async with serving(settings) as live, httpx.AsyncClient(base_url=live.url) as http:
        for n in range(6):
            await post(http, INBOUND_PATH, recorded("inbound_text.json", Body=f"mensaje {n}"))
        await live.runtime.intake.jobs.idle()  # type: ignore[union-attr]
        statuses = [row.status for row in await rows(live, InboxItem)]

    assert statuses.count(InboxStatus.IGNORED) == 3
    assert statuses.count(InboxStatus.DONE) == 3


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"twilio_account_sid": ACCOUNT_SID}, "TWILIO_AUTH_TOKEN"),
        ({"twilio_auth_token": SecretStr(AUTH_TOKEN)}, "TWILIO_WHATSAPP_FROM"),
        (
            {
                "twilio_account_sid": ACCOUNT_SID,
                "twilio_auth_token": SecretStr(AUTH_TOKEN),
                "twilio_whatsapp_from": SENDER,
            },
            "PUBLIC_BASE_URL",
        ),
        (
            {
                "public_base_url": PUBLIC,
                "twilio_account_sid": ACCOUNT_SID,
                "twilio_auth_token": SecretStr(AUTH_TOKEN),
                "twilio_whatsapp_from": "+14155238886",
            },
            "TWILIO_WHATSAPP_FROM",
        ),
    ],
)
async def test_half_configured_whatsapp_stops_the_start_naming_the_variable(
    demo_settings: Settings, settings: dict[str, Any], named: str
) -> None:
    with pytest.raises(ConfigurationError, match=named):
        await Runtime.start(demo_settings.model_copy(update=settings), migrate=False)


async def test_without_credentials_the_webhook_is_a_clear_404(demo_settings: Settings) -> None:
    async with serving(demo_settings) as live, httpx.AsyncClient(base_url=live.url) as http:
        response = await http.post(INBOUND_PATH, data={"Body": "hola"})

    assert response.status_code == 404 and "TWILIO" in response.json()["detail"]
