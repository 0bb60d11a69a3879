"""A configured model writes a lead's summary and next step, under the grounding guard, against
the local Gemini protocol server."""

from __future__ import annotations

from decimal import Decimal

from fixtures.llm_servers import Reply, ScriptedServer, gemini_json
from fixtures.llm_setup import gemini_settings
from sqlalchemy import select

from agent.leads.rules import summary
from agent.leads.schedule import lead_round
from agent.models import Conversation, Lead, LeadKind
from agent.settings import Settings
from salesagent.runtime import Runtime

ITEMS = [
    {
        "sku": "GUA-NIT-IND",
        "name": "Guante de nitrilo industrial calibre 22",
        "quantity": 60,
        "unit_price": "9500.00",
    }
]
RULES_NEXT = "Ofrecerle precio por volumen y confirmar cantidades y entrega."


async def a_lead(runtime: Runtime) -> int:
    async with runtime.sessions() as session, session.begin():
        conversation = Conversation(channel="web", external_chat_id="phrase-me")
        session.add(conversation)
        await session.flush()
        lead = Lead(
            conversation_id=conversation.id,
            channel="web",
            kind=LeadKind.WHOLESALE,
            items=ITEMS,
            amount=Decimal("570000.00"),
            summary=summary(LeadKind.WHOLESALE, ITEMS, Decimal("570000.00"), "COP"),
            next_step=RULES_NEXT,
            missing=["phone", "company"],
            confidence=0.7,
            priority=1,
        )
        session.add(lead)
    return lead.id


async def lead(runtime: Runtime, lead_id: int) -> Lead:
    async with runtime.sessions() as session:
        found = await session.scalar(select(Lead).where(Lead.id == lead_id))
    assert found is not None
    return found


async def test_the_model_rewrites_a_grounded_summary_and_next_step(
    gemini: Runtime, server: ScriptedServer
) -> None:
    lead_id = await a_lead(gemini)
    server.script(
        "generate",
        gemini_json(
            "Quiere 60 guantes de nitrilo industrial al por mayor, unos $570.000 a precio de "
            "lista.\nSiguiente paso: ofrecerle precio por volumen y pedirle teléfono y empresa."
        ),
    )

    await lead_round(gemini.sessions, gemini.settings, gemini.engine.llm)

    written = await lead(gemini, lead_id)
    assert written.phrased
    assert written.summary == (
        "Quiere 60 guantes de nitrilo industrial al por mayor, unos $570.000 a precio de lista."
    )
    assert written.next_step == "ofrecerle precio por volumen y pedirle teléfono y empresa."
    asked = server.requests[-1].body
    assert "GUA-NIT-IND" in str(asked) and "570000.00" in str(asked)


async def test_a_number_the_facts_do_not_hold_keeps_the_rules_texts(
    gemini: Runtime, server: ScriptedServer
) -> None:
    lead_id = await a_lead(gemini)
    rules_summary = (await lead(gemini, lead_id)).summary
    server.script(
        "generate",
        gemini_json(
            "Quiere 60 guantes con un descuento del 15 %.\nSiguiente paso: darle el descuento."
        ),
    )

    await lead_round(gemini.sessions, gemini.settings, gemini.engine.llm)

    kept = await lead(gemini, lead_id)
    assert kept.phrased  # asked once, not every minute
    assert (kept.summary, kept.next_step) == (rules_summary, RULES_NEXT)
    requests = len(server.requests)
    await lead_round(gemini.sessions, gemini.settings, gemini.engine.llm)
    assert len(server.requests) == requests


async def test_a_model_that_fails_keeps_the_rules_texts_until_it_answers(
    demo_settings: Settings, server: ScriptedServer
) -> None:
    settings = gemini_settings(demo_settings, server, llm_retries=0, llm_breaker_failures=5)
    async with await Runtime.start(settings, migrate=False) as runtime:
        lead_id = await a_lead(runtime)
        rules_summary = (await lead(runtime, lead_id)).summary
        server.script("generate", Reply(status=500, body={"error": "down"}))

        await lead_round(runtime.sessions, runtime.settings, runtime.engine.llm)

        kept = await lead(runtime, lead_id)
        assert (kept.summary, kept.next_step) == (rules_summary, RULES_NEXT)
        assert not kept.phrased  # asked again in a later round

        server.script("generate", gemini_json("Quiere 60 guantes.\nSiguiente paso: llamarlo."))
        await lead_round(runtime.sessions, runtime.settings, runtime.engine.llm)
        later = await lead(runtime, lead_id)
        assert (later.summary, later.next_step) == ("Quiere 60 guantes.", "llamarlo.")
