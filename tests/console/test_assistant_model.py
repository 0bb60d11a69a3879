"""The assistant with a model configured, against the local Gemini and Ollama protocol servers:
the model chooses a query of the fixed set for a question the rules do not know, as structured
output; an invalid choice, or a model that fails, leaves the question unread."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fixtures.console_login import add_staff, logged_in
from fixtures.live_server import LiveServer, serving
from fixtures.llm_servers import ScriptedServer, gemini_error, gemini_json, ollama_chat
from fixtures.llm_setup import gemini_settings, ollama_settings
from sqlalchemy import select

from agent.db import transaction
from agent.models import Product, Proposal, ProposalStatus, StaffRole
from agent.proposals import decisions
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
        assert set(schema["properties"]) == set(Ask.model_fields) | {"number"}
        assert "propose_restock" in schema["properties"]["query"]["enum"]
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


SHORT_OF_GLASSES = "nos quedamos cortos de gafas oscuras, que traigan 40 más"
GLASSES = "Gafas de seguridad lente oscuro"


async def ask_live(live: LiveServer, username: str, question: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=live.url, timeout=20) as client:
        csrf = await logged_in(client, username)
        return await client.post(
            "/console/assistant/ask",
            data={"question": question},
            headers={"x-csrf-token": csrf, "accept": "application/json"},
        )


async def staff_proposals(live: LiveServer) -> list[Proposal]:
    async with live.runtime.sessions() as session:
        return list(await session.scalars(select(Proposal).order_by(Proposal.id)))


async def glasses(live: LiveServer) -> Product:
    async with live.runtime.sessions() as session:
        found = await session.scalar(select(Product).where(Product.name == GLASSES))
    assert found is not None
    return found


async def test_the_model_chooses_a_restock_the_same_code_resolves_and_proposes(
    demo_settings: Settings, server: ScriptedServer
) -> None:
    async with serving(gemini_settings(demo_settings, server)) as live:
        ana = await add_staff(live.runtime, "ana", StaffRole.AGENT, name="Ana")
        marta = await add_staff(live.runtime, "marta", StaffRole.MANAGER, name="Marta")
        before = await glasses(live)
        choice = {"query": "propose_restock", "product": "gafas oscuras", "number": 40}
        server.script("generate", gemini_json(choice))

        reply = await ask_live(live, ana.username, SHORT_OF_GLASSES)

        body = reply.json()
        assert (body["source"], body["query"], body["params"]) == (
            "model",
            "propose_restock",
            {"product": "gafas oscuras", "number": "40"},
        )
        [proposal] = await staff_proposals(live)
        assert (proposal.kind, proposal.status) == ("restock", ProposalStatus.PENDING)
        assert proposal.effect == {
            "product_id": before.id,
            "sku": "GAF-OSCURO",
            "name": GLASSES,
            "quantity": 40,
            "stock_from": before.stock,
            "stock_to": before.stock + 40,
        }
        assert (await glasses(live)).stock == before.stock  # proposed, not applied
        sent = server.calls("gemini-generate")[-1]
        assert "propose_restock" in sent.text and "propose_price_change" in sent.text

        async with transaction(live.runtime.sessions) as session:
            await decisions.approve(session, proposal.id, staff=marta)
        assert (await glasses(live)).stock == before.stock + 40


@pytest.mark.parametrize(
    ("choice", "said"),
    [
        # A number the staff never wrote is asked for, not proposed.
        ({"query": "propose_restock", "product": "gafas oscuras", "number": 400}, "nothing"),
        ({"query": "propose_restock", "product": "gafas oscuras"}, "nothing"),
        # A product the question does not name, or a number on a query, reads as nothing.
        ({"query": "propose_restock", "product": "cascos", "number": 40}, "unread"),
        ({"query": "propose_restock", "number": 40}, "unread"),
        ({"query": "low_stock", "number": 40}, "unread"),
        ({"query": "propose_restock", "product": "gafas oscuras", "number": -40}, "unread"),
        ({"query": "apply_restock", "product": "gafas oscuras", "number": 40}, "unread"),
    ],
    ids=["number-not-said", "no-number", "product-not-said", "no-product", "number-on-query",
         "negative", "unknown-tool"],
)  # fmt: skip
async def test_a_models_request_is_held_to_the_question(
    demo_settings: Settings, server: ScriptedServer, choice: dict[str, Any], said: str
) -> None:
    async with serving(gemini_settings(demo_settings, server)) as live:
        await add_staff(live.runtime, "marta", StaffRole.MANAGER)
        server.script("generate", gemini_json(choice))

        body = (await ask_live(live, "marta", SHORT_OF_GLASSES)).json()

        assert await staff_proposals(live) == []
    if said == "nothing":
        assert body["answer"]["title"] == "No propuse nada"
        assert body["answer"]["notes"][0].startswith(f"Escribe cuántas unidades de {GLASSES}")
    else:
        assert (body["query"], body["answer"], body["source"]) == (None, None, "none")


async def test_the_model_chooses_a_price_change_only_a_manager_makes(
    demo_settings: Settings, server: ScriptedServer
) -> None:
    question = "las gafas oscuras deberían costar 7 mil"
    choice = {"query": "propose_price_change", "product": "gafas oscuras", "number": 7000}
    async with serving(gemini_settings(demo_settings, server)) as live:
        await add_staff(live.runtime, "ana", StaffRole.AGENT)
        await add_staff(live.runtime, "marta", StaffRole.MANAGER)
        server.script("generate", gemini_json(choice))
        refused = await ask_live(live, "ana", question)
        assert refused.status_code == 403
        assert await staff_proposals(live) == []

        server.script("generate", gemini_json(choice))
        body = (await ask_live(live, "marta", question)).json()

        [proposal] = await staff_proposals(live)
        assert proposal.effect["price_from"] == "6500.00" and proposal.effect["price"] == "7000.00"
        assert body["answer"]["rows"][0][2:] == ["$6.500", "$7.000"]
        assert (await glasses(live)).price == Decimal("6500.00")
