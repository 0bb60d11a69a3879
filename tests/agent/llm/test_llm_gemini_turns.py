"""Gemini through the google-genai SDK against a local server: what the customer receives and
what is stored, for a good answer and for every way the model can fail."""

from __future__ import annotations

import asyncio
import json
import time
from decimal import Decimal

import pytest
from conftest import Chat
from fixtures.llm_servers import (
    GEMINI_KEY,
    Reply,
    ScriptedServer,
    gemini_error,
    gemini_json,
    gemini_stream,
    stall,
)
from fixtures.llm_setup import (
    conversation_row,
    gemini_settings,
    messages_of,
    outbox_of,
    reading,
)

from agent.channel import CollectingOutput
from agent.models import Direction, OutboxItem, OutboxStatus, Owner
from agent.settings import Settings
from salesagent.app import health
from salesagent.runtime import Runtime

UNSURE = "quisiera algo para proteger la cabeza en obra"
"""A message the offline reader is not sure of (the rules see nothing, the classifier guesses
a product search at 0.2): the model is asked."""
CABEZA = reading("inventory.category", 0.85, category="cabeza")
OFFLINE_INTENT = "purchase.add"
OFFLINE_REPLY = "Esto es lo que tengo"
"""What the offline path answers to UNSURE: its guess, a wish to buy that names no product
("quisiera algo…"), answered with what serves the need, the helmets, not "¿qué producto?"."""
NOT_UNDERSTOOD = "no te entendí"
"""What the offline path answers to a message it reads as nothing at all."""
TEMPLATE_START = "En *Protección de cabeza*"


def released(row: OutboxItem) -> bool:
    """The held reply was released: the outbox, which only takes a row that is due, sent it
    (read after the turn's delivery finished: before, the row may be half-way through it)."""
    return row.status == OutboxStatus.SENT


async def stored_turn(runtime: Runtime, chat: Chat) -> tuple[int, int, int]:
    """(inbound messages, outbound messages, outbox rows) of the chat."""
    rows = await messages_of(runtime, chat.chat_id)
    inbound = sum(m.direction == Direction.INBOUND for m in rows)
    return inbound, len(rows) - inbound, len(await outbox_of(runtime, chat.chat_id))


async def test_a_good_reading_is_used_and_its_cost_is_stored(
    gemini: Runtime, server: ScriptedServer
) -> None:
    server.script("generate", gemini_json(CABEZA, prompt_tokens=300, completion_tokens=40))
    chat = Chat(gemini, "good")

    result = await chat.say(UNSURE)

    assert result.intent == "inventory.category"
    assert result.reply is not None and "Casco" in result.reply
    call = server.calls("gemini-generate")[0]
    assert call.path == "/v1beta/models/gemini-3.5-flash:generateContent"
    assert call.headers["x-goog-api-key"] == GEMINI_KEY
    config = call.body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert "inventory.category" in json.dumps(config["responseSchema"])
    assert f"<mensaje>{UNSURE}</mensaje>" in call.user_text
    inbound, outbound = await messages_of(gemini, chat.chat_id)
    assert (inbound.llm_calls, inbound.prompt_tokens, inbound.completion_tokens) == (1, 300, 40)
    assert inbound.llm_model == "gemini-3.5-flash"
    # Flash list price: 0.30 USD per million prompt tokens, 2.50 per million completion tokens.
    assert inbound.llm_cost_usd == Decimal("0.000190")
    assert outbound.llm_calls == 1  # the phrasing of the unsure turn (the server's echo)
    conversation = await conversation_row(gemini, chat.chat_id)
    assert conversation.llm_calls == 2
    assert conversation.prompt_tokens == 300 + (outbound.prompt_tokens or 0)
    assert conversation.llm_cost_usd == inbound.llm_cost_usd + (outbound.llm_cost_usd or 0)
    assert await stored_turn(gemini, chat) == (1, 1, 1)


async def test_a_turn_the_offline_reading_is_sure_of_calls_no_model(
    gemini: Runtime, server: ScriptedServer
) -> None:
    result = await Chat(gemini, "sure").say("¿tienen extintores de 10 libras?")

    assert result.intent.startswith("inventory")
    assert server.requests == []


@pytest.mark.parametrize(
    ("replies", "used", "calls"),
    [
        pytest.param([gemini_json(CABEZA)], True, 1, id="good"),
        pytest.param([gemini_json("{not json"), gemini_json(CABEZA)], True, 2, id="malformed-once"),
        pytest.param([gemini_json("{not json"), gemini_json("[1, 2")], False, 2, id="malformed"),
        pytest.param(
            [gemini_json(reading("buy.everything")), gemini_json({"intent": "other"})],
            False,
            2,
            id="schema-violation",
        ),
        pytest.param(
            [gemini_error(429, "RESOURCE_EXHAUSTED"), gemini_json(CABEZA)], True, 2, id="429"
        ),
        pytest.param([gemini_error(503, "UNAVAILABLE"), gemini_json(CABEZA)], True, 2, id="503"),
        pytest.param([gemini_error(400, "INVALID_ARGUMENT")], False, 1, id="400-not-retried"),
        pytest.param([stall(6)], False, 1, id="read-timeout"),
    ],
)
async def test_the_customer_is_answered_whatever_the_model_does(
    gemini: Runtime, server: ScriptedServer, replies: list[Reply], used: bool, calls: int
) -> None:
    server.script("generate", *replies)
    chat = Chat(gemini, "failures")

    started = time.perf_counter()
    result = await chat.say(UNSURE)

    assert time.perf_counter() - started < 5.0  # the 2.5 s budget bounds even a stalled model
    assert result.reply
    if used:
        assert result.intent == "inventory.category" and "Casco" in result.reply
    else:
        assert result.intent == OFFLINE_INTENT and OFFLINE_REPLY in result.reply
    assert len(server.calls("gemini-generate")) == calls
    assert await stored_turn(gemini, chat) == (1, 1, 1)
    inbound = (await messages_of(gemini, chat.chat_id))[0]
    assert inbound.llm_calls == calls


async def test_a_500_storm_opens_the_breaker_and_the_model_recovers(
    demo_settings: Settings, server: ScriptedServer
) -> None:
    settings = gemini_settings(demo_settings, server, llm_breaker_reset_seconds=0.5)
    runtime = await Runtime.start(settings, migrate=False)
    try:
        server.script("generate", *[gemini_error(500, "INTERNAL")] * 3)
        chat = Chat(runtime, "storm")

        first = await chat.say(UNSURE)

        assert first.reply is not None and OFFLINE_REPLY in first.reply
        assert len(server.calls("gemini-generate")) == 3  # one call and two retries
        status = json.loads((await health(runtime)).body)["llm"]
        assert status["breaker"] == "open"
        assert status["provider"] == "gemini" and status["model"] == "gemini-3.5-flash"
        assert "500" in status["last_error"]

        # A new chat: here, after the helmets shown, the rules read "lo" as "add it".
        skipped = await Chat(runtime, "storm-skipped").say(
            "mi jefe me mandó a averiguar lo de la obra"
        )

        assert skipped.reply is not None and NOT_UNDERSTOOD in skipped.reply
        assert len(server.calls("gemini-generate")) == 3  # the open breaker sent nothing
        await asyncio.sleep(0.6)
        assert json.loads((await health(runtime)).body)["llm"]["breaker"] == "half_open"
        server.script("generate", gemini_json(CABEZA))

        # On a new chat: after the helmets this chat was shown, "quisiera algo..." is sure.
        fresh = Chat(runtime, "after-the-storm")
        recovered = await fresh.say(UNSURE)

        assert recovered.intent == "inventory.category"
        assert json.loads((await health(runtime)).body)["llm"]["breaker"] == "closed"
        assert await stored_turn(runtime, chat) == (1, 1, 1)
        assert await stored_turn(runtime, fresh) == (1, 1, 1)
    finally:
        await runtime.close()


async def collect(runtime: Runtime, chat_id: str, text: str) -> tuple[list[str], str | None]:
    pieces: list[str] = []

    async def sink(piece: str) -> None:
        pieces.append(piece)

    from agent.messages import InboundMessage

    message = InboundMessage("cli", f"m-{time.monotonic_ns()}", chat_id, text)
    result = await runtime.engine.handle(message, on_chunk=sink)
    return pieces, result.reply


GROUNDED = (
    "¡Claro! Para proteger la cabeza tenemos el *Casco dieléctrico tipo II clase E* a $95.000 "
    "(7 disponibles) y el *Casco de ala completa clase E* a $65.000. ¿Te agrego alguno?"
)


async def test_a_grounded_phrasing_streams_and_is_what_is_stored(
    gemini: Runtime, server: ScriptedServer
) -> None:
    server.script("generate", gemini_json(CABEZA))
    server.script("stream", gemini_stream([GROUNDED[:30], GROUNDED[30:71], GROUNDED[71:]]))

    pieces, reply = await collect(gemini, "phrased", UNSURE)

    assert reply == GROUNDED
    assert "".join(pieces) == reply
    stream = server.calls("gemini-stream")[0]
    assert stream.path.endswith(":streamGenerateContent?alt=sse")
    assert "BORRADOR" in stream.user_text and "$95.000" in stream.user_text
    outbound = (await messages_of(gemini, "phrased"))[-1]
    assert outbound.text == GROUNDED
    assert (outbound.llm_calls, outbound.prompt_tokens, outbound.completion_tokens) == (1, 200, 40)
    await gemini.engine.drain_deliveries()
    (row,) = await outbox_of(gemini, "phrased")
    assert row.text == GROUNDED and released(row)
    delivered = gemini.outputs["cli"]
    assert isinstance(delivered, CollectingOutput)
    assert list(delivered.sent["phrased"]) == [GROUNDED]  # delivered once, phrased


@pytest.mark.parametrize(
    "stream",
    [
        pytest.param(
            gemini_stream(
                ["¡Claro! Para la cabeza ", "tenemos el casco ", "dieléctrico"], cut=True
            ),
            id="stopped-half-way",
        ),
        pytest.param(
            gemini_stream(["¡Claro! El casco dieléctrico ", "vale $8", "9.000 y hay 7."]),
            id="invented-price",
        ),
        pytest.param(
            gemini_stream(["¡Claro! Hay 70", "0 cascos disponibles."]), id="invented-stock"
        ),
        pytest.param(gemini_stream(["¡Hoy te lo dejamos gratis!"]), id="invented-discount"),
    ],
)
async def test_a_phrasing_that_fails_or_invents_gives_way_to_the_template(
    gemini: Runtime, server: ScriptedServer, stream: Reply
) -> None:
    server.script("generate", gemini_json(CABEZA))
    server.script("stream", stream)

    pieces, reply = await collect(gemini, "guarded", UNSURE)

    assert reply is not None and reply.startswith(TEMPLATE_START)
    given = "".join(pieces)
    assert "89.000" not in given and "700" not in given and "gratis" not in given
    assert given == reply or not reply.startswith(given)  # the final reply is authoritative
    rows = await messages_of(gemini, "guarded")
    assert [m.direction for m in rows] == [Direction.INBOUND, Direction.OUTBOUND]
    assert rows[1].text == reply
    await gemini.engine.drain_deliveries()
    (row,) = await outbox_of(gemini, "guarded")
    assert row.text == reply and released(row)


async def test_personal_data_is_replaced_before_it_leaves_and_restored_after(
    demo_settings: Settings, server: ScriptedServer
) -> None:
    runtime = await Runtime.start(
        gemini_settings(demo_settings, server, llm_mode="always"), migrate=False
    )
    try:
        server.script(
            "generate",
            gemini_json(reading("customer.lookup", 0.9, national_id="[CEDULA_A]")),
        )
        text = (
            "hola, soy cc 1088123456, cel 310 456 7890, correo ana.gomez@example.com, "
            "vivo en la Calle 19 # 8-34; ¿tengo compras?"
        )

        result = await Chat(runtime, "private").say(text)

        sent = " ".join(r.text for r in server.requests)
        for secret in ("1088123456", "310 456 7890", "ana.gomez@example.com", "Calle 19 # 8-34"):
            assert secret not in sent
        for placeholder in ("[CEDULA_A]", "[TELEFONO_A]", "[EMAIL_A]", "[DIRECCION_A]"):
            assert placeholder in sent
        assert result.intent == "customer.lookup"
        # The model's placeholder is restored: the cédula given is the one checked (against
        # the phone given, which is not the one on file).
        conversation = await conversation_row(runtime, "private")
        assert conversation.context["claimed_national_id"] == "1088123456"
        assert result.reply is not None and "No puedo confirmar tus datos" in result.reply
        assert result.owner == Owner.BOT
    finally:
        await runtime.close()


async def test_gemini_without_a_key_stops_the_start_up_naming_the_variable(
    demo_settings: Settings, server: ScriptedServer
) -> None:
    from agent.errors import ConfigurationError

    settings = gemini_settings(demo_settings, server, google_api_key=None)

    with pytest.raises(ConfigurationError, match="GOOGLE_API_KEY"):
        await Runtime.start(settings, migrate=False)
