"""The web chat WebSocket against a live server, with the `websockets` client library."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from chat_socket import next_event, say, turn_events
from fixtures.console_login import add_staff
from fixtures.live_server import LiveServer, eventually, serving
from fixtures.llm_servers import running as running_llm
from fixtures.llm_servers import stall
from fixtures.llm_setup import ollama_settings
from sqlalchemy import func, select
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from agent.models import (
    Conversation,
    Direction,
    InboxItem,
    Message,
    OutboxItem,
    OutboxStatus,
    Owner,
)
from agent.settings import Settings
from channels.web.socket import MAX_QUEUED_TURNS
from salesagent.runtime import Runtime


@pytest.fixture
async def server(demo_settings: Settings) -> AsyncIterator[LiveServer]:
    async with serving(demo_settings) as live:
        yield live


def reply_of(events: list[dict[str, Any]]) -> str:
    return "".join(e["content"] for e in events if e["type"] == "response_chunk")


async def outbox_rows(runtime: Runtime, chat_id: str) -> list[OutboxItem]:
    async with runtime.sessions() as session:
        rows = await session.execute(
            select(OutboxItem).where(OutboxItem.external_chat_id == chat_id).order_by(OutboxItem.id)
        )
        return list(rows.scalars())


async def settled(runtime: Runtime, chat_id: str, count: int) -> list[OutboxItem]:
    """The chat's outbox rows once `count` of them have left `pending` (the delivery ran)."""
    for _ in range(200):
        rows = await outbox_rows(runtime, chat_id)
        if len(rows) >= count and all(r.status != OutboxStatus.PENDING for r in rows):
            return rows
        await asyncio.sleep(0.02)
    raise AssertionError(f"outbox of {chat_id} not settled: {rows}")


async def staff_reply(
    runtime: Runtime, chat_id: str, text: str, *, staff_id: int | None = None
) -> tuple[int, int]:
    """Write a reply as a person from the shop would: a message and its outbox row."""
    async with runtime.sessions() as session, session.begin():
        conversation = (
            await session.execute(
                select(Conversation).where(
                    Conversation.channel == "web", Conversation.external_chat_id == chat_id
                )
            )
        ).scalar_one()
        message = Message(
            conversation_id=conversation.id,
            direction=Direction.OUTBOUND,
            text=text,
            staff_id=staff_id,
        )
        session.add(message)
        await session.flush()
        row = OutboxItem(
            conversation_id=conversation.id,
            message_id=message.id,
            channel="web",
            external_chat_id=chat_id,
            text=text,
        )
        session.add(row)
        await session.flush()
        return row.id, message.id


async def no_event(ws: Any, seconds: float = 0.5) -> None:
    with pytest.raises(TimeoutError):
        await next_event(ws, within=seconds)


async def test_a_message_is_answered_with_events_in_order(server: LiveServer) -> None:
    async with connect(server.chat_url("ws-order")) as ws:
        status = await next_event(ws)
        events = await say(ws, "¿cuánto vale el casco dieléctrico?", tone="amigable")

    assert status["type"] == "connection_status"
    assert status["status"] == "connected" and status["resumed"] is False
    kinds = [e["type"] for e in events]
    chunks = kinds.count("response_chunk")
    assert kinds == ["processing", "typing", "response_start"] + ["response_chunk"] * chunks + [
        "response_end"
    ]
    assert chunks > 3
    end = events[-1]
    assert reply_of(events) == end["reply"]
    assert "$" in end["reply"] and "Casco" in end["reply"]
    assert end["intent"].startswith("inventory") and end["owner"] == "bot"
    assert {"sale_state", "cart", "order_id", "chat_id", "timestamp"} <= set(end)
    for chunk in (e for e in events if e["type"] == "response_chunk"):
        assert chunk["chat_id"] == "ws-order" and chunk["content"] and chunk["timestamp"]


@pytest.mark.parametrize(
    ("frame", "code", "words"),
    [
        ("hola", "invalid_json", "not valid JSON"),
        ("[1, 2]", "invalid_frame", "JSON object"),
        ('{"type": "shout", "message": "hola"}', "invalid_type", "type must be"),
        ('{"type": "message"}', "invalid_message", "field required"),
        ('{"type": "message", "message": "   "}', "invalid_message", "must not be empty"),
        ('{"type": "message", "message": 42}', "invalid_message", "must be a string"),
        (json.dumps({"type": "message", "message": "a" * 4001}), "invalid_message", "limit"),
        ('{"type": "message", "message": "hola", "tone": 7}', "invalid_tone", "tone"),
        (b"\x00\x01", "invalid_frame", "binary"),
    ],
)
async def test_a_malformed_frame_gets_an_error_and_the_socket_keeps_working(
    server: LiveServer, frame: str | bytes, code: str, words: str
) -> None:
    async with connect(server.chat_url("ws-bad")) as ws:
        await next_event(ws)
        await ws.send(frame)
        error = await next_event(ws)
        events = await say(ws, "hola")

    assert error["type"] == "error" and error["code"] == code
    assert words in error["message"]
    assert events[-1]["type"] == "response_end" and "Hola" in events[-1]["reply"]


async def test_ping_is_answered_and_the_server_sends_heartbeats(demo_settings: Settings) -> None:
    settings = demo_settings.model_copy(update={"web_heartbeat_seconds": 0.2})
    async with serving(settings) as live, connect(live.chat_url("ws-beat")) as ws:
        status = json.loads(await ws.recv())
        await ws.send('{"type": "ping"}')
        seen = [json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] for _ in range(3)]

    assert status["heartbeat_seconds"] == 0.2
    assert "pong" in seen and "ping" in seen


async def test_reconnecting_with_the_same_chat_id_continues_the_sale(server: LiveServer) -> None:
    async with connect(server.chat_url("ws-back")) as ws:
        await next_event(ws)
        await say(ws, "necesito dos extintores de 10 libras")
        picked = (await say(ws, "1"))[-1]

    async with connect(server.chat_url("ws-back")) as ws:
        status = await next_event(ws)
        end = (await say(ws, "eso es todo"))[-1]

    assert picked["sale_state"] == "cart" and picked["cart"][0]["quantity"] == 2
    assert status["resumed"] is True
    assert end["sale_state"] == "collecting_data"
    assert end["cart"] == picked["cart"]
    assert "cédula" in end["reply"]


async def test_http_and_websocket_with_one_chat_id_are_one_conversation(
    server: LiveServer,
) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        first = await http.post(
            "/chat/text",
            json={"chat_id": "both", "message": "necesito dos extintores de 10 libras"},
        )
    async with connect(server.chat_url("both")) as ws:
        await next_event(ws)
        end = (await say(ws, "1"))[-1]
        await settled(server.runtime, "both", 2)
        await no_event(ws, 0.3)  # the HTTP reply was delivered in its response, not again here

    assert first.json()["products"]
    assert end["sale_state"] == "cart" and end["cart"][0]["quantity"] == 2
    rows = await outbox_rows(server.runtime, "both")
    assert [r.status for r in rows] == [OutboxStatus.SENT, OutboxStatus.SENT]


async def test_two_sockets_on_one_chat_both_receive_the_reply(server: LiveServer) -> None:
    async with connect(server.chat_url("tabs")) as one, connect(server.chat_url("tabs")) as two:
        await next_event(one)
        await next_event(two)
        mine = await say(one, "¿cuál es el horario de atención?", message_id="m-1")
        theirs = await turn_events(two)

    assert [e["type"] for e in mine] == [e["type"] for e in theirs]
    assert theirs[0]["message"] == "¿cuál es el horario de atención?"
    assert theirs[0]["message_id"] == "m-1"
    assert reply_of(theirs) == theirs[-1]["reply"] == mine[-1]["reply"]
    assert mine[-1]["intent"].startswith("company")


async def test_a_streamed_reply_is_not_delivered_again_by_the_outbox(server: LiveServer) -> None:
    async with connect(server.chat_url("once")) as one, connect(server.chat_url("once")) as two:
        await next_event(one)
        await next_event(two)
        await say(one, "hola")
        await turn_events(two)
        rows = await settled(server.runtime, "once", 1)
        await no_event(one)
        await no_event(two, 0.05)

    assert rows[0].status == OutboxStatus.SENT and rows[0].attempts == 1


async def test_a_reply_from_the_shop_reaches_the_open_sockets(server: LiveServer) -> None:
    runtime = server.runtime
    async with connect(server.chat_url("staff")) as one, connect(server.chat_url("staff")) as two:
        await next_event(one)
        await next_event(two)
        await say(one, "quiero hablar con una persona")
        await turn_events(two)
        ana = await add_staff(runtime, "ana", name="Ana Gómez")
        outbox_id, _ = await staff_reply(
            runtime, "staff", "Hola, soy *Ana* de la tienda.", staff_id=ana.id
        )
        await runtime.engine.drain_deliveries()  # the bot's reply goes first (order per chat)
        # Now, unless the outbox loop already sent it behind the bot's reply: either way once.
        await runtime.dispatcher.deliver(outbox_id)
        seen = [await next_event(one), await next_event(two)]

    for event in seen:
        assert event["type"] == "message" and event["role"] == "agent"
        assert event["content"] == "Hola, soy *Ana* de la tienda."
        assert event["sender"] == "Ana Gómez"
    rows = await outbox_rows(runtime, "staff")
    assert rows[-1].status == OutboxStatus.SENT


async def test_a_reply_with_no_socket_open_waits_for_the_customer(server: LiveServer) -> None:
    runtime = server.runtime
    async with connect(server.chat_url("away")) as ws:
        await next_event(ws)
        await say(ws, "hola")
    ana = await add_staff(runtime, "ana", name="Ana Gómez")
    outbox_id, message_id = await staff_reply(runtime, "away", "¿Sigues ahí?", staff_id=ana.id)
    await runtime.engine.drain_deliveries()  # the bot's reply goes first (order per chat)

    assert await runtime.dispatcher.deliver(outbox_id) is False
    row = (await outbox_rows(runtime, "away"))[-1]
    assert row.status == OutboxStatus.WAITING and row.attempts == 0
    assert await runtime.dispatcher.deliver_due() == 0  # off the retry schedule

    async with connect(server.chat_url("away")) as ws:
        await next_event(ws)
        waiting = await next_event(ws)
    async with connect(server.chat_url("away")) as ws:
        await next_event(ws)
        await no_event(ws, 0.3)

    assert waiting["type"] == "message" and waiting["content"] == "¿Sigues ahí?"
    assert waiting["message_id"] == message_id and waiting["sender"] == "Ana Gómez"
    assert (await outbox_rows(runtime, "away"))[-1].status == OutboxStatus.SENT


async def test_while_a_person_owns_the_chat_the_reply_is_null(server: LiveServer) -> None:
    async with connect(server.chat_url("human")) as ws:
        await next_event(ws)
        handed = (await say(ws, "quiero hablar con una persona"))[-1]
        events = await say(ws, "¿hola? ¿alguien?")

    assert handed["owner"] == Owner.WAITING_HUMAN and handed["reply"]
    end = events[-1]
    assert end["reply"] is None and end["owner"] == "waiting_human"
    assert "response_chunk" not in [e["type"] for e in events]


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("https://evil.example", False),
        ("http://localhost:3000", False),  # not in development: only what is configured
        ("https://tienda.example", True),
        (None, True),  # not a browser: no Origin header
        ("same", True),
    ],
)
async def test_a_socket_from_another_origin_is_refused(
    demo_settings: Settings, origin: str | None, allowed: bool
) -> None:
    settings = demo_settings.model_copy(
        update={"web_allowed_origins": "https://tienda.example, https://otra.example"}
    )
    async with serving(settings) as live:
        sent = live.url if origin == "same" else origin
        async with connect(live.chat_url("origin"), origin=sent) as ws:  # type: ignore[arg-type]
            if allowed:
                assert (await next_event(ws))["type"] == "connection_status"
                assert (await say(ws, "hola"))[-1]["reply"]
            else:
                with pytest.raises(ConnectionClosed) as closed:
                    await ws.recv()
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
                assert "origin not allowed" in closed.value.rcvd.reason
        async with live.runtime.sessions() as session:
            stored = (await session.execute(select(func.count()).select_from(InboxItem))).scalar()
    assert stored == (1 if allowed else 0)


async def test_localhost_pages_may_connect_in_development(demo_settings: Settings) -> None:
    settings = demo_settings.model_copy(update={"environment": "development"})
    async with (
        serving(settings) as live,
        connect(live.chat_url("dev"), origin="http://localhost:5173") as ws,  # type: ignore[arg-type]
    ):
        assert (await next_event(ws))["type"] == "connection_status"


async def test_a_socket_that_leaves_with_a_full_queue_still_lets_the_server_stop(
    demo_settings: Settings,
) -> None:
    # The first turn waits on a slow model while the socket fills its queue and leaves: the
    # queued messages are still answered, and the server then stops (before, the socket's
    # handler waited for ever for the end of a queue it could not mark).
    sent = MAX_QUEUED_TURNS + 5
    with running_llm() as model:
        model.script("chat", stall(2.0))  # the first understanding only; the oracle after
        settings = ollama_settings(demo_settings, model, llm_mode="always")
        async with asyncio.timeout(120):
            async with serving(settings) as live:
                async with connect(live.chat_url("ws-full")) as ws:
                    await next_event(ws)
                    for n in range(sent):
                        message = {"type": "message", "message": f"hola {n}", "message_id": f"m{n}"}
                        await ws.send(json.dumps(message))
                        if n == 0:  # under way: the queue fills behind it
                            assert (await next_event(ws))["type"] == "processing"
                    busy = await _first_error(ws)
                assert busy["code"] == "busy"

                async def answered() -> bool:
                    async with live.runtime.sessions() as session:
                        done = (
                            await session.scalars(
                                select(InboxItem.processed_at).where(
                                    InboxItem.external_chat_id == "ws-full"
                                )
                            )
                        ).all()
                    return len(done) == MAX_QUEUED_TURNS + 1 and None not in done

                await eventually(answered, within=90)
        # Reached within the timeout: the server stopped.


async def _first_error(ws: Any) -> dict[str, Any]:
    while (event := await next_event(ws, within=30))["type"] != "error":
        pass
    return event
