"""Ollama through its SDK against a local server: tags at start-up, `format` JSON schema, NDJSON
streaming whose final line still carries `message`, failures, and no personal data hidden
(the model runs on the shop's own machine)."""

from __future__ import annotations

import json

from conftest import Chat
from fixtures.llm_servers import (
    ScriptedServer,
    ollama_chat,
    ollama_error,
    ollama_stream,
    ollama_tags,
)
from fixtures.llm_setup import messages_of, ollama_settings, outbox_of, reading

from agent.messages import InboundMessage
from agent.settings import Settings
from salesagent.app import health
from salesagent.runtime import Runtime

UNSURE = "quisiera algo para proteger la cabeza en obra"
CABEZA = reading("inventory.category", 0.85, category="cabeza")


async def test_start_up_checks_the_model_is_pulled(ollama: Runtime, server: ScriptedServer) -> None:
    (tags,) = server.calls("tags")

    assert tags.method == "GET" and tags.path == "/api/tags"
    status = json.loads((await health(ollama)).body)["llm"]
    assert status["provider"] == "ollama" and status["last_error"] is None
    assert status["privacy"] is False and status["reads_images"] is False


async def test_a_model_that_is_not_pulled_shows_in_health_and_turns_still_run(
    demo_settings: Settings, server: ScriptedServer
) -> None:
    server.script("tags", ollama_tags("llama3.2:3b"))
    runtime = await Runtime.start(ollama_settings(demo_settings, server), migrate=False)
    try:
        status = json.loads((await health(runtime)).body)["llm"]
        assert "ollama pull scripted-model" in status["last_error"]

        result = await Chat(runtime, "any").say("¿tienen botas de seguridad?")

        assert result.reply
    finally:
        await runtime.close()


async def test_a_reading_asks_for_the_json_schema_and_a_phrasing_streams_ndjson(
    ollama: Runtime, server: ScriptedServer
) -> None:
    server.script("chat", ollama_chat(CABEZA, prompt_tokens=250, completion_tokens=30))
    phrased = "¡Claro! Tenemos el *Casco dieléctrico tipo II clase E* a $95.000 (7 disponibles)."
    server.script("chat", ollama_stream([phrased[:20], phrased[20:50], phrased[50:]]))
    pieces: list[str] = []

    async def sink(piece: str) -> None:
        pieces.append(piece)

    result = await ollama.engine.handle(
        InboundMessage("cli", "o-1", "ndjson", UNSURE), on_chunk=sink
    )

    read_call, phrase_call = server.calls("chat")
    assert read_call.body["stream"] is False
    assert read_call.body["format"]["properties"]["intent"]["enum"][0] == "inventory.product"
    assert phrase_call.body["stream"] is True and "format" not in phrase_call.body
    assert result.reply == phrased == "".join(pieces)
    inbound, outbound = await messages_of(ollama, "ndjson")
    assert (inbound.prompt_tokens, inbound.completion_tokens) == (250, 30)
    assert (outbound.prompt_tokens, outbound.completion_tokens) == (180, 35)  # the final line
    assert inbound.llm_cost_usd == 0 and outbound.llm_cost_usd == 0  # a local model
    assert outbound.text == phrased


async def test_a_stream_cut_half_way_leaves_the_template(
    ollama: Runtime, server: ScriptedServer
) -> None:
    server.script("chat", ollama_chat(CABEZA))
    server.script("chat", ollama_stream(["¡Claro! Para la ", "cabeza tenemos "], cut=True))

    result = await Chat(ollama, "cut").say(UNSURE)

    assert result.reply is not None and result.reply.startswith("En *Protección de cabeza*")
    rows = await messages_of(ollama, "cut")
    assert len(rows) == 2 and rows[1].text == result.reply
    (row,) = await outbox_of(ollama, "cut")
    assert row.text == result.reply


async def test_a_500_storm_opens_the_breaker(ollama: Runtime, server: ScriptedServer) -> None:
    server.script("chat", *[ollama_error(500)] * 3)
    chat = Chat(ollama, "storm")

    first = await chat.say(UNSURE)
    second = await chat.say("mi jefe me mandó a averiguar lo de la obra")

    assert first.reply and second.reply
    assert len(server.calls("chat")) == 3
    assert json.loads((await health(ollama)).body)["llm"]["breaker"] == "open"


async def test_personal_data_is_sent_as_is_to_a_local_model(
    demo_settings: Settings, server: ScriptedServer
) -> None:
    runtime = await Runtime.start(
        ollama_settings(demo_settings, server, llm_mode="always"), migrate=False
    )
    try:
        await Chat(runtime, "local").say("soy cc 1088123456, ¿tengo compras?")

        assert "1088123456" in server.calls("chat")[0].text
    finally:
        await runtime.close()
