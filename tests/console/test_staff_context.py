"""Context for staff (the summary made by code, and by a model), what customers are told, and
the staff Telegram chat's notifications."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bot_api_server import TOKEN, bot_api
from conftest import Chat
from fixtures.llm_servers import ScriptedServer, gemini_error, gemini_json
from fixtures.llm_setup import configured, gemini_settings
from sqlalchemy import select

from agent.company import load_company
from agent.handoff import HandoffPolicy, describe_hours
from agent.models import Conversation, Message, OutboxItem
from agent.settings import DEMO_SHOP_DIR, Settings
from console.queries import conversation_view
from console.summary import staff_context
from salesagent.runtime import Runtime

DEMO = load_company(DEMO_SHOP_DIR / "company.yaml")
MONDAY_10AM_BOGOTA = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
SUNDAY_NOON_BOGOTA = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)


async def view_of(runtime: Runtime, chat: Chat):  # type: ignore[no-untyped-def]
    async with runtime.sessions() as session:
        number = await session.scalar(
            select(Conversation.id).where(Conversation.external_chat_id == chat.chat_id)
        )
        assert number is not None
        found = await conversation_view(session, number)
    assert found is not None
    return found


async def test_the_summary_says_what_the_customer_wants_and_what_the_order_lacks(
    runtime: Runtime, chat: Chat
) -> None:
    await chat.say("necesito 2 extintores de 10 libras")
    await chat.say("2")
    await chat.say("eso es todo")
    await chat.say("1098765432")
    await chat.say("quiero hablar con un asesor")

    context = staff_context(await view_of(runtime, chat))

    assert context.intent.startswith("purchase") and context.intent_label.startswith("comprar")
    assert [(line.name, line.quantity) for line in context.cart] == [
        ("Extintor multipropósito PQS ABC 10 lb", 2)
    ]
    assert context.missing == ["Nombre", "Teléfono", "Ciudad", "Dirección"]
    assert context.customer["national_id"] == "1098765432"
    summary = context.summary
    assert "Espera un asesor desde hace" in summary and "El cliente pidió un asesor" in summary
    assert "Carrito: 2 unidades de 1 producto por $170.000 (dando sus datos)" in summary
    assert "Faltan: nombre, teléfono, ciudad, dirección." in summary
    assert "«quiero hablar con un asesor»" in summary


async def test_the_summary_counts_in_words_that_agree(runtime: Runtime, chat: Chat) -> None:
    await chat.say("quiero hablar con un asesor")
    one = staff_context(await view_of(runtime, chat)).summary
    await chat.say("hola?")
    two = staff_context(await view_of(runtime, chat)).summary

    assert "; 1 mensaje suyo." in one
    assert "; 2 mensajes suyos." in two


async def test_the_summary_counts_voice_notes_and_shows_their_transcripts(
    runtime: Runtime, chat: Chat
) -> None:
    await chat.say("hola")
    async with runtime.sessions() as session, session.begin():
        conversation = await session.scalar(
            select(Conversation).where(Conversation.external_chat_id == chat.chat_id)
        )
        assert conversation is not None
        session.add(
            Message(
                conversation_id=conversation.id,
                direction="in",
                text="necesito tres chalecos reflectivos",
                media=[
                    {
                        "kind": "voice",
                        "url": "x",
                        "transcript": "necesito tres chalecos reflectivos",
                        "seconds": 3.2,
                    }
                ],
            )
        )

    view = await view_of(runtime, chat)
    context = staff_context(view)

    assert "1 nota de voz, transcritas" in context.summary
    assert view.messages[-1].media[0]["transcript"] == "necesito tres chalecos reflectivos"


async def test_a_model_writes_the_summary_only_with_the_facts(
    demo_settings: Settings, server: ScriptedServer
) -> None:
    runtime = await Runtime.start(gemini_settings(demo_settings, server), migrate=False)
    try:
        assert runtime.console is not None and runtime.engine.llm is not None
        runtime.engine.llm.service.breaker.success()
        chat = Chat(runtime, "phrased")
        await chat.say("necesito 2 extintores de 10 libras")
        await chat.say("2")
        await chat.say("/asesor")
        view = await view_of(runtime, chat)
        context = staff_context(view)

        good = "El cliente quiere comprar 2 extintores por $170.000 y pidió hablar con un asesor."
        server.script("generate", gemini_json(good))
        assert await runtime.console.phrased_summary(view, context) == good
        asked = len(server.calls("gemini-generate"))
        assert await runtime.console.phrased_summary(view, context) == good  # kept, not asked
        assert len(server.calls("gemini-generate")) == asked
        assert (
            "Escribe para un asesor de ventas un resumen"
            in server.calls("gemini-generate")[-1].text
        )

        invented = Chat(runtime, "invented")
        await invented.say("/asesor")
        other = await view_of(runtime, invented)
        server.script("generate", gemini_json("Quiere 7 extintores por $999.000 con descuento."))
        assert await runtime.console.phrased_summary(other, staff_context(other)) is None

        down = Chat(runtime, "down")
        await down.say("/asesor")
        third = await view_of(runtime, down)
        server.script("generate", *[gemini_error(503, "UNAVAILABLE")] * 3)
        assert await runtime.console.phrased_summary(third, staff_context(third)) is None
    finally:
        await runtime.close()


def test_the_hours_when_staff_answer_read_as_a_person_says_them() -> None:
    assert describe_hours(DEMO.hours, "es") == (
        "lunes a viernes de 7:30 a. m. a 12:30 p. m. y de 2:00 p. m. a 6:00 p. m.; "
        "sábado de 8:00 a. m. a 1:00 p. m."
    )
    assert describe_hours(DEMO.hours, "en").startswith("Monday to Friday 7:30 am to 12:30 pm")


def test_the_transition_message_is_honest_about_the_hours() -> None:
    policy = HandoffPolicy(company=DEMO)

    inside = policy.transition("es", "customer_request", MONDAY_10AM_BOGOTA)
    outside = policy.transition("es", "customer_request", SUNDAY_NOON_BOGOTA)

    assert inside.startswith("Te comunico con un asesor") and "fuera del horario" not in inside
    assert "fuera del horario de atención (lunes a viernes" in outside
    assert "déjanos tu nombre y tu teléfono" in outside
    assert policy.transition("en", "complaint", MONDAY_10AM_BOGOTA).startswith("I'm very sorry")


def test_the_shop_writes_its_own_texts_and_staff_hours(tmp_path: Path) -> None:
    text = (DEMO_SHOP_DIR / "company.yaml").read_text(encoding="utf-8")
    text += (
        "\nhandoff:\n"
        "  staff_hours:\n"
        '    domingo: "10:00-14:00"\n'
        "  waiting: Ya te atiende una persona del equipo.\n"
        "  after_hours:\n"
        "    es: Atendemos {hours}. Llámanos al {phone}.\n"
        "    en: We answer {hours}. Call {phone}.\n"
        "  unanswered: Seguimos ocupados; atendemos {hours}.\n"
    )
    path = tmp_path / "company.yaml"
    path.write_text(text, encoding="utf-8")
    policy = HandoffPolicy(company=load_company(path))

    assert policy.staff_in(SUNDAY_NOON_BOGOTA) and not policy.staff_in(MONDAY_10AM_BOGOTA)
    assert policy.transition("es", "customer_request", SUNDAY_NOON_BOGOTA) == (
        "Ya te atiende una persona del equipo."
    )
    assert policy.transition("en", "customer_request", MONDAY_10AM_BOGOTA) == (
        "We answer Sunday 10:00 am to 2:00 pm. Call +57 606 340 1234."
    )
    assert (
        policy.unanswered("es")
        == "Seguimos ocupados; atendemos domingo de 10:00 a. m. a 2:00 p. m."
    )


async def test_a_waiting_conversation_is_announced_in_the_staff_telegram_chat(
    demo_settings: Settings,
) -> None:
    async with bot_api() as api:
        api.fail = 1  # Telegram answers 502 once: the outbox retries
        settings = configured(
            demo_settings,
            staff_telegram_chat_id="-1001234567890",
            staff_telegram_bot_token=TOKEN,
            telegram_api_base_url=api.url,
            public_base_url="https://chat.mitienda.co",
        )
        runtime = await Runtime.start(settings, migrate=False)
        try:
            chat = Chat(runtime, "notify-me")
            await chat.say("hola")
            await chat.say("quiero poner una queja, me llegó dañado")
            await runtime.engine.drain_deliveries()
            for _ in range(50):
                if api.sent():
                    break
                async with runtime.sessions() as session, session.begin():
                    for row in (await session.execute(select(OutboxItem))).scalars():
                        row.next_attempt_at = datetime.now(UTC)
                await runtime.dispatcher.deliver_due()
                await asyncio.sleep(0.05)
        finally:
            await runtime.close()

    assert api.calls[0][0] == "getMe"
    assert len(api.attempts()) == 2  # refused with a 502 once, then sent again
    sent = api.sent()
    assert len(sent) == 1 and sent[0]["chat_id"] == "-1001234567890"
    text = sent[0]["text"]
    assert "Conversación esperando asesor" in text and "notify-me" in text
    assert "Queja o reclamo" in text and "me llegó dañado" in text
    assert "https://chat.mitienda.co/console/conversations/" in text


async def test_a_staff_telegram_chat_without_a_bot_stops_the_start_up(
    demo_settings: Settings,
) -> None:
    settings = configured(demo_settings, staff_telegram_chat_id="-100")

    with pytest.raises(Exception, match="STAFF_TELEGRAM_BOT_TOKEN"):
        await Runtime.start(settings, migrate=False)
