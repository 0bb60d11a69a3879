"""Ownership of a conversation: bot → waiting_human → human → bot, every trigger, every change.

Through the whole product (the runtime's engine and the staff console's actions) on a private
copy of the demo shop; two staff members taking at once also on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from conftest import Chat, make_settings
from fixtures.llm_servers import ScriptedServer, gemini_error, gemini_json
from fixtures.llm_setup import configured, gemini_settings
from sqlalchemy import func, select

from agent import handoff_triggers
from agent.handoff import NotAllowed, OwnershipConflict
from agent.models import (
    Conversation,
    Direction,
    Handoff,
    Message,
    OutboxItem,
    Owner,
    Sale,
    SaleState,
    Staff,
    StaffRole,
)
from agent.settings import Settings
from console.service import StaffConsole
from salesagent.runtime import Runtime


async def add_staff(runtime: Runtime, username: str, role: StaffRole = StaffRole.AGENT) -> Staff:
    """A staff account (no password: these tests act through the console's service)."""
    async with runtime.sessions() as session, session.begin():
        staff = Staff(username=username, name=username.title(), role=role, password_hash="-")
        session.add(staff)
    return staff


ALL = ",".join(handoff_triggers.TRIGGERS)


def console(runtime: Runtime) -> StaffConsole:
    assert runtime.console is not None
    return runtime.console


async def conversation_of(runtime: Runtime, chat: Chat) -> Conversation:
    async with runtime.sessions() as session:
        found = await session.scalar(
            select(Conversation).where(
                Conversation.channel == chat.channel, Conversation.external_chat_id == chat.chat_id
            )
        )
    assert found is not None
    return found


async def changes(runtime: Runtime, chat: Chat) -> list[tuple[Owner, Owner, str, str]]:
    conversation = await conversation_of(runtime, chat)
    async with runtime.sessions() as session:
        rows = await session.execute(
            select(Handoff).where(Handoff.conversation_id == conversation.id).order_by(Handoff.id)
        )
        return [(h.from_owner, h.to_owner, h.reason, h.actor) for h in rows.scalars()]


@pytest.fixture
async def shop(demo_settings: Settings, request: pytest.FixtureRequest) -> AsyncIterator[Runtime]:
    """The product with the settings overrides a test passes (indirect parametrization)."""
    overrides = getattr(request, "param", {})
    runtime = await Runtime.start(configured(demo_settings, **overrides), migrate=False)
    yield runtime
    await runtime.close()


# Triggers.


async def test_an_explicit_request_waits_for_a_person_and_the_bot_goes_quiet(
    runtime: Runtime, chat: Chat
) -> None:
    moved = await chat.say("/asesor")

    assert moved.owner == Owner.WAITING_HUMAN
    assert moved.reply is not None and "asesor" in moved.reply
    assert await changes(runtime, chat) == [
        (Owner.BOT, Owner.WAITING_HUMAN, "customer_request", "bot")
    ]
    conversation = await conversation_of(runtime, chat)
    assert conversation.waiting_since is not None

    for text in ("¿hola?", "necesito 2 extintores de 10 libras", "asesor"):
        quiet = await chat.say(text)
        assert quiet.reply is None and quiet.owner == Owner.WAITING_HUMAN
    async with runtime.sessions() as session:
        inbound = await session.scalar(
            select(func.count()).where(
                Message.conversation_id == conversation.id, Message.direction == Direction.INBOUND
            )
        )
        outbound = await session.scalar(
            select(func.count()).where(
                Message.conversation_id == conversation.id, Message.direction == Direction.OUTBOUND
            )
        )
    assert (inbound, outbound) == (4, 1)  # every message stored, one reply: the transition


@pytest.mark.parametrize(
    ("messages", "reason", "says"),
    [
        (["quiero poner una queja, el pedido me llegó dañado"], "complaint", "Lamento"),
        (["my order never arrived, I want to file a complaint"], "complaint", "sorry"),
        (["me cobraron doble el pedido"], "complaint", "Lamento"),
        (["este bot no sirve para nada"], "frustration", "Disculpa"),
        (["son unos hijueputas"], "frustration", "Disculpa"),
        (["this is useless"], "frustration", "Sorry"),
        (
            ["asdfgh jkl", "ñlkj qwe zxc", "qwpoi zxmn"],
            "repeated_misunderstanding",
            "no te estoy entendiendo",
        ),
        (["quiero 1 extintor estandar"], "price_on_request", "precio a consultar"),
    ],
    ids=[
        "queja",
        "complaint-en",
        "cobro",
        "frustracion",
        "insulto",
        "useless",
        "tres-veces",
        "precio",
    ],
)
async def test_each_trigger_hands_over_with_its_reason(
    runtime: Runtime, chat: Chat, messages: list[str], reason: str, says: str
) -> None:
    for text in messages[:-1]:
        before = await chat.say(text)
        assert before.owner == Owner.BOT
    moved = await chat.say(messages[-1])

    assert moved.owner == Owner.WAITING_HUMAN
    assert moved.reply is not None and says in moved.reply
    assert (await changes(runtime, chat))[-1][2] == reason


async def test_the_same_checkout_question_misunderstood_twice_goes_to_a_person(
    runtime: Runtime, chat: Chat
) -> None:
    await chat.say("necesito 1 casco de ala completa")
    await chat.say("eso es todo")
    first = await chat.say("no sé")
    assert first.owner == Owner.BOT and first.reply and "cédula" in first.reply

    second = await chat.say("no sé")

    assert second.owner == Owner.WAITING_HUMAN
    assert (await changes(runtime, chat))[-1][2] == "repeated_misunderstanding"
    assert second.sale_state == SaleState.COLLECTING_DATA and len(second.cart) == 1


async def test_two_different_misunderstandings_are_not_a_repeat(
    runtime: Runtime, chat: Chat
) -> None:
    await chat.say("asdfgh jkl")
    await chat.say("¿tienen botas de seguridad?")
    again = await chat.say("qwerty uiop")

    assert again.owner == Owner.BOT and await changes(runtime, chat) == []


@pytest.mark.parametrize("shop", [{"handoff_order_amount": Decimal(100_000)}], indirect=True)
async def test_a_cart_above_the_set_amount_goes_to_a_person_with_the_cart_kept(
    shop: Runtime,
) -> None:
    chat = Chat(shop, "big-order")
    await chat.say("necesito 2 extintores de 10 libras")
    moved = await chat.say("2")  # 2 × $85.000 = $170.000 > $100.000

    assert moved.owner == Owner.WAITING_HUMAN
    assert moved.cart_total == Decimal(170_000) and moved.sale_state == SaleState.CART
    assert (
        moved.reply is not None and "Tu carrito" in moved.reply and "pedido grande" in moved.reply
    )
    assert (await changes(shop, chat))[-1][2] == "order_above_amount"


async def test_the_model_down_while_the_offline_reading_is_unsure_goes_to_a_person(
    demo_settings: Settings, server: ScriptedServer
) -> None:
    runtime = await Runtime.start(
        gemini_settings(demo_settings, server, llm_retries=0, handoff_triggers=ALL), migrate=False
    )
    try:
        server.script("generate", gemini_error(503, "UNAVAILABLE"))
        chat = Chat(runtime, "model-down")
        moved = await chat.say("asdfgh jkl")

        assert moved.owner == Owner.WAITING_HUMAN
        assert moved.reply is not None and "no logro entender" in moved.reply
        assert (await changes(runtime, chat))[-1][2] == "model_unavailable"

        # A sure offline reading needs no model: the bot answers while the model is down.
        sure = Chat(runtime, "model-down-sure")
        answered = await sure.say("¿cuál es el horario?")
        assert answered.owner == Owner.BOT and answered.reply
    finally:
        await runtime.close()


async def test_an_open_breaker_with_an_unsure_reading_goes_to_a_person(
    demo_settings: Settings, server: ScriptedServer
) -> None:
    settings = gemini_settings(demo_settings, server, handoff_triggers=ALL)
    runtime = await Runtime.start(settings, migrate=False)
    try:
        assert runtime.engine.llm is not None
        breaker = runtime.engine.llm.service.breaker
        for _ in range(5):
            breaker.failure()
        assert breaker.state.value == "open"
        chat = Chat(runtime, "breaker-open")

        moved = await chat.say("zzkx prrt")

        assert moved.owner == Owner.WAITING_HUMAN
        assert (await changes(runtime, chat))[-1][2] == "model_unavailable"
        assert server.calls("gemini-generate") == []
    finally:
        await runtime.close()


async def test_a_model_that_answers_keeps_the_conversation_with_the_bot(
    demo_settings: Settings, server: ScriptedServer
) -> None:
    runtime = await Runtime.start(gemini_settings(demo_settings, server), migrate=False)
    try:
        reading = {"intent": "company.hours", "confidence": 0.9, "language": "es"}
        server.script("generate", gemini_json(reading))
        chat = Chat(runtime, "model-up")

        answered = await chat.say("zzkx prrt")

        assert answered.owner == Owner.BOT and answered.intent == "company.hours"
    finally:
        await runtime.close()


@pytest.mark.parametrize("shop", [{"handoff_triggers": ""}], indirect=True)
@pytest.mark.parametrize(
    "text",
    ["quiero hablar con un asesor", "quiero poner una queja", "este bot es inútil"],
)
async def test_triggers_switched_off_keep_the_bot(shop: Runtime, text: str) -> None:
    chat = Chat(shop, f"off-{uuid.uuid4().hex[:6]}")

    result = await chat.say(text)

    assert result.owner == Owner.BOT and result.reply
    assert await changes(shop, chat) == []


@pytest.mark.parametrize(
    "shop",
    [{"handoff_triggers": "request,complaint", "handoff_misunderstandings": 3}],
    indirect=True,
)
async def test_only_the_triggers_named_are_on(shop: Runtime) -> None:
    angry = Chat(shop, "angry")
    assert (await angry.say("este bot es inútil")).owner == Owner.BOT
    lost = Chat(shop, "lost")
    for text in ("asdfgh", "qwerty", "zxcvb"):
        assert (await lost.say(text)).owner == Owner.BOT  # misunderstanding is off
    complaining = Chat(shop, "complaining")
    assert (await complaining.say("tengo un reclamo")).owner == Owner.WAITING_HUMAN


# Staff: take, reply, hand back, reassign.


async def test_a_staff_reply_takes_the_conversation_and_reaches_the_channel(
    runtime: Runtime,
) -> None:
    ana = await add_staff(runtime, "ana")
    chat = Chat(runtime, "cli-customer", channel="cli")
    await chat.say("quiero hablar con una persona")
    conversation = await conversation_of(runtime, chat)

    await runtime.engine.drain_deliveries()  # the transition message went out first

    message = await console(runtime).reply(ana, conversation.id, "Hola, soy Ana. ¿Qué necesitas?")
    await console(runtime).drain()

    taken = await conversation_of(runtime, chat)
    assert taken.owner == Owner.HUMAN and taken.assigned_staff_id == ana.id
    assert taken.waiting_since is None
    assert (await changes(runtime, chat))[-1] == (
        Owner.WAITING_HUMAN,
        Owner.HUMAN,
        "staff_reply",
        "ana",
    )
    assert message.staff_id == ana.id
    sent = runtime.outputs["cli"].sent["cli-customer"]  # type: ignore[attr-defined]
    assert list(sent)[-1] == "Hola, soy Ana. ¿Qué necesitas?"
    async with runtime.sessions() as session:
        row = await session.scalar(select(OutboxItem).where(OutboxItem.message_id == message.id))
    assert row is not None and row.status == "sent"

    quiet = await chat.say("gracias, necesito 3 cascos")
    assert quiet.reply is None and quiet.owner == Owner.HUMAN


async def test_a_staff_member_can_take_a_conversation_the_bot_has(runtime: Runtime) -> None:
    ana = await add_staff(runtime, "ana")
    chat = Chat(runtime, "proactive")
    await chat.say("¿tienen botas de seguridad?")
    conversation = await conversation_of(runtime, chat)

    await console(runtime).take(ana, conversation.id)

    assert (await chat.say("¿y guantes?")).reply is None
    assert (await changes(runtime, chat)) == [(Owner.BOT, Owner.HUMAN, "taken", "ana")]


async def test_handing_back_keeps_the_sale_and_the_bot_answers_again(
    runtime: Runtime, chat: Chat
) -> None:
    ana = await add_staff(runtime, "ana")
    await chat.say("necesito 2 chalecos de brigadista")
    await chat.say("eso es todo")
    await chat.say("/asesor")
    conversation = await conversation_of(runtime, chat)
    await console(runtime).take(ana, conversation.id)
    assert (await chat.say("1098765432")).reply is None  # a person has it: stored, not answered

    await console(runtime).hand_back(ana, conversation.id, "le di el precio del envío")

    async with runtime.sessions() as session:
        sale = await session.scalar(select(Sale).where(Sale.conversation_id == conversation.id))
    assert sale is not None and sale.state == SaleState.COLLECTING_DATA
    back = await chat.say("1098765432")
    assert back.owner == Owner.BOT
    assert back.reply is not None and "nombre completo" in back.reply
    assert [line.quantity for line in back.cart] == [2]
    assert (await changes(runtime, chat))[-1] == (Owner.HUMAN, Owner.BOT, "handed_back", "ana")


async def test_only_the_owner_or_a_manager_hands_back_and_managers_reassign(
    runtime: Runtime, chat: Chat
) -> None:
    ana = await add_staff(runtime, "ana")
    luis = await add_staff(runtime, "luis")
    boss = await add_staff(runtime, "marta", StaffRole.MANAGER)
    await chat.say("asesor por favor")
    conversation = await conversation_of(runtime, chat)
    await console(runtime).take(ana, conversation.id)

    with pytest.raises(OwnershipConflict, match="Ana ya está atendiendo"):
        await console(runtime).hand_back(luis, conversation.id)
    with pytest.raises(OwnershipConflict):
        await console(runtime).reply(luis, conversation.id, "hola")
    with pytest.raises(NotAllowed):
        await console(runtime).reassign(luis, conversation.id, luis.id)

    await console(runtime).reassign(boss, conversation.id, luis.id)
    moved = await conversation_of(runtime, chat)
    assert moved.owner == Owner.HUMAN and moved.assigned_staff_id == luis.id
    assert (await changes(runtime, chat))[-1][2:] == ("reassigned", "marta")

    await console(runtime).hand_back(boss, conversation.id)
    assert (await conversation_of(runtime, chat)).owner == Owner.BOT


async def test_two_staff_taking_at_once_one_wins_and_the_other_is_told(
    runtime: Runtime,
) -> None:
    await assert_one_wins(runtime)


async def test_two_staff_taking_at_once_on_postgresql(postgres_url: str) -> None:
    runtime = await Runtime.start(make_settings(postgres_url))
    try:
        await assert_one_wins(runtime)
    finally:
        await runtime.close()


async def assert_one_wins(runtime: Runtime) -> None:
    ana = await add_staff(runtime, "ana")
    luis = await add_staff(runtime, "luis")
    for round_ in range(6):  # several races: each time exactly one of them gets it
        chat = Chat(runtime, f"race-{round_}")
        await chat.say("quiero hablar con un asesor")
        conversation = await conversation_of(runtime, chat)

        outcomes = await asyncio.gather(
            console(runtime).take(ana, conversation.id),
            console(runtime).reply(luis, conversation.id, "¡Hola! Te atiendo yo."),
            return_exceptions=True,
        )

        lost = [o for o in outcomes if isinstance(o, BaseException)]
        assert len(lost) == 1 and isinstance(lost[0], OwnershipConflict), outcomes
        winner = await conversation_of(runtime, chat)
        assert winner.owner == Owner.HUMAN
        name = "Ana" if winner.assigned_staff_id == ana.id else "Luis"
        assert str(lost[0]) == f"{name} ya está atendiendo esta conversación"
        assert [c[1] for c in await changes(runtime, chat)] == [Owner.WAITING_HUMAN, Owner.HUMAN]
        async with runtime.sessions() as session:
            replies = await session.scalar(
                select(func.count()).where(
                    Message.conversation_id == conversation.id, Message.staff_id.is_not(None)
                )
            )
        assert replies == (1 if name == "Luis" else 0)  # the loser's reply was not stored


# Waiting too long, notifications, the feed.


@pytest.mark.parametrize("shop", [{"handoff_wait_seconds": 0.2}], indirect=True)
async def test_nobody_taking_it_in_time_gets_the_customer_an_honest_message_once(
    shop: Runtime,
) -> None:
    chat = Chat(shop, "waiting-long", channel="cli")
    await chat.say("quiero hablar con un asesor")
    assert await console(shop).tell_unanswered() == 0  # not yet

    await asyncio.sleep(0.3)
    assert await console(shop).tell_unanswered() == 1
    assert await console(shop).tell_unanswered() == 0  # once per wait
    await console(shop).drain()

    sent = list(shop.outputs["cli"].sent["waiting-long"])  # type: ignore[attr-defined]
    assert "Perdona la espera" in sent[-1] and "teléfono" in sent[-1]
    assert "lunes a viernes" in sent[-1]  # the hours when staff answer, from company.yaml
    assert (await chat.say("Soy Laura, 3104567890")).reply is None  # still waiting, stored


@pytest.mark.parametrize("shop", [{"handoff_wait_seconds": 0.2}], indirect=True)
async def test_a_conversation_taken_in_time_gets_no_waiting_message(shop: Runtime) -> None:
    ana = await add_staff(shop, "ana")
    chat = Chat(shop, "taken-in-time", channel="cli")
    await chat.say("asesor")
    await console(shop).take(ana, (await conversation_of(shop, chat)).id)

    await asyncio.sleep(0.3)

    assert await console(shop).tell_unanswered() == 0


async def test_the_live_feed_hears_of_messages_handoffs_and_staff_actions(
    runtime: Runtime, chat: Chat
) -> None:
    ana = await add_staff(runtime, "ana")
    async with console(runtime).feed.subscribe() as listener:
        await chat.say("hola")
        await chat.say("quiero hablar con un asesor")
        conversation = await conversation_of(runtime, chat)
        await console(runtime).take(ana, conversation.id)
        await console(runtime).note(ana, conversation.id, "cliente frecuente")
        await chat.say("¿sigues ahí?")
        events = [await asyncio.wait_for(listener.get(), 2) for _ in range(5)]

    assert [e["change"] for e in events] == ["message", "handoff", "taken", "note", "message"]
    assert events[1]["reason"] == "customer_request" and events[1]["owner"] == "waiting_human"
    assert events[2]["by"] == "Ana" and events[4]["owner"] == "human"
    assert {e["conversation_id"] for e in events} == {conversation.id}


def test_the_trigger_names_in_the_settings_are_the_known_ones() -> None:
    default = Settings(_env_file=None).handoff_triggers  # type: ignore[call-arg]
    assert set(default.split(",")) == set(handoff_triggers.TRIGGERS)
