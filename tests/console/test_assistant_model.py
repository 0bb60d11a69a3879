"""The assistant with a model configured, against the local Gemini and Ollama protocol servers:
the model chooses a query of the fixed set for a question the rules do not know, as structured
output; an invalid choice, or a model that fails, leaves the question unread."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fixtures.console_login import add_staff, logged_in
from fixtures.live_server import serving
from fixtures.llm_servers import ScriptedServer, gemini_error, gemini_json, ollama_chat
from fixtures.llm_setup import gemini_settings, ollama_settings

from agent.models import StaffRole
from agent.settings import Settings
from console.assistant.answering import Source, read_question
from console.assistant.questions import Ask
from salesagent.runtime import Runtime

UNKNOWN_TO_RULES = "¿cuánta plata entró por cada canal en la quincena?"


@pytest.fixture
async def gemini_shop(demo_settings: Settings, server: ScriptedServer) -> AsyncIterator[Runtime]:
    # The breaker stays closed over a failed question: the recovery test sees the model answer.
    settings = gemini_settings(demo_settings, server, llm_breaker_failures=10)
    runtime = await Runtime.start(settings, migrate=False)
    async with runtime.sessions() as session:
        await runtime.index.refresh(session)
    yield runtime
    await runtime.close()


async def read(runtime: Runtime, question: str) -> tuple[Ask | None, str, Source]:
    """The query the question was read as, its language, and who read it."""
    assert runtime.console is not None
    reply = await read_question(
        question, index=runtime.index, llm=runtime.console.llm, shop="Tienda", budget=2.5
    )
    assert reply.answer is None
    return reply.ask, reply.language, reply.source


async def test_the_model_chooses_a_query_for_a_question_the_rules_do_not_know(
    gemini_shop: Runtime, server: ScriptedServer
) -> None:
    choice = {"query": "sales", "period": "last_days", "days": 15, "group": "channel"}
    server.script("generate", gemini_json(choice))

    ask, language, source = await read(gemini_shop, UNKNOWN_TO_RULES)

    assert ask == Ask.model_validate(choice)
    assert (language, source) == ("es", Source.MODEL)
    sent = server.calls("gemini-generate")[-1]
    assert sent.wants_json
    assert sent.user_text == f"<pregunta>\n{UNKNOWN_TO_RULES}\n</pregunta>"
    assert "low_stock" in sent.text and "Protección de cabeza" in sent.text  # the fixed set


async def test_a_question_the_rules_know_never_reaches_the_model(
    gemini_shop: Runtime, server: ScriptedServer
) -> None:
    ask, _, source = await read(gemini_shop, "ventas de esta semana por canal")

    assert ask is not None and source == Source.RULES
    assert server.calls("gemini-generate") == []


@pytest.mark.parametrize(
    "answer",
    [
        "esto no es JSON",
        {"query": "delete_customers"},
        {"query": "sales", "sql": "DROP TABLE orders"},
        {"query": "sales", "category": "Drones"},
        {"query": "buyers", "product": "taladros"},
        {"query": "top_products", "limit": 5000},
        {"query": "sales", "channel": "fax"},
    ],
    ids=["not-json", "unknown-query", "free-sql", "no-such-category", "product-not-asked",
         "limit-too-big", "unknown-channel"],
)  # fmt: skip
async def test_an_invalid_choice_is_not_run(
    gemini_shop: Runtime, server: ScriptedServer, answer: Any
) -> None:
    server.script("generate", gemini_json(answer))

    ask, _, source = await read(gemini_shop, UNKNOWN_TO_RULES)

    assert (ask, source) == (None, Source.NONE)


async def test_a_category_is_taken_as_the_catalog_writes_it(
    gemini_shop: Runtime, server: ScriptedServer
) -> None:
    server.script("generate", gemini_json({"query": "buyers", "category": "proteccion de cabeza"}))

    ask, _, _ = await read(gemini_shop, "¿a quiénes les interesa la protección de cabeza?")

    assert ask is not None and ask.category == "Protección de cabeza"


async def test_a_model_that_fails_leaves_the_question_unread_then_recovers(
    gemini_shop: Runtime, server: ScriptedServer
) -> None:
    server.script("generate", *[gemini_error(503, "UNAVAILABLE")] * 3)

    assert await read(gemini_shop, UNKNOWN_TO_RULES) == (None, "es", Source.NONE)

    server.script("generate", gemini_json({"query": "open_orders", "channel": "web"}))
    ask, _, source = await read(gemini_shop, UNKNOWN_TO_RULES)
    assert ask == Ask.model_validate({"query": "open_orders", "channel": "web"})
    assert source == Source.MODEL


async def test_ollama_chooses_through_its_json_schema(
    demo_settings: Settings, server: ScriptedServer
) -> None:
    runtime = await Runtime.start(ollama_settings(demo_settings, server), migrate=False)
    try:
        server.script("chat", ollama_chat({"query": "new_customers", "period": "last_week"}))

        ask, language, source = await read(runtime, "any fresh faces around here lately?")

        assert ask == Ask.model_validate({"query": "new_customers", "period": "last_week"})
        assert (language, source) == ("en", Source.MODEL)
        schema = server.calls("chat")[-1].body["format"]
        assert set(schema["properties"]) == set(Ask.model_fields)
        assert schema["additionalProperties"] is False and schema["required"] == ["query"]
    finally:
        await runtime.close()


async def test_the_page_answers_what_the_model_chose(
    demo_settings: Settings, server: ScriptedServer
) -> None:
    async with serving(gemini_settings(demo_settings, server)) as live:
        await add_staff(live.runtime, "ana", StaffRole.AGENT)
        async with httpx.AsyncClient(base_url=live.url, timeout=20) as client:
            csrf = await logged_in(client, "ana")
            server.script("generate", gemini_json({"query": "waiting_handoffs"}))
            chosen = await client.post(
                "/console/assistant/ask",
                data={"question": "¿hay gente aguardando que alguien le conteste?"},
                headers={"x-csrf-token": csrf},
            )
            server.script("generate", gemini_json({"query": "sales", "group": "channel"}))
            refused = await client.post(
                "/console/assistant/ask",
                data={"question": "¿cuánta plata entró por cada canal?"},
                headers={"x-csrf-token": csrf},
            )

    body = chosen.json()
    assert (body["source"], body["query"]) == ("model", "waiting_handoffs")
    assert body["answer"]["title"] == "Conversaciones que esperan un asesor"
    assert refused.status_code == 403  # the model's choice is held to the agent's role too
