"""The turn engine: store first, dedupe, one turn at a time, ownership, idle expiry, failures."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from conftest import Chat
from sqlalchemy import func, select, update

from agent.domain import DomainResult, TurnContext
from agent.errors import InvalidInputError
from agent.messages import InboundMessage
from agent.models import (
    Conversation,
    Direction,
    Handoff,
    InboxItem,
    InboxStatus,
    Message,
    OutboxItem,
    OutboxStatus,
    Owner,
    Sale,
    SaleState,
    utcnow,
)
from salesagent.runtime import Runtime


async def count(runtime: Runtime, model: type, *where: object) -> int:
    async with runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


async def conversation_of(runtime: Runtime, chat: Chat) -> Conversation:
    async with runtime.sessions() as session:
        return (
            await session.execute(
                select(Conversation).where(Conversation.external_chat_id == chat.chat_id)
            )
        ).scalar_one()


async def test_same_message_id_twice_is_one_turn_and_one_reply(
    runtime: Runtime, chat: Chat
) -> None:
    first = await chat.say("hola, ¿qué extintores tienen?", message_id="wamid-1")
    again = await chat.say("hola, ¿qué extintores tienen?", message_id="wamid-1")

    assert again == first
    assert await count(runtime, Message, Message.direction == Direction.INBOUND) == 1
    assert await count(runtime, Message, Message.direction == Direction.OUTBOUND) == 1
    assert await count(runtime, OutboxItem) == 1


async def test_same_message_delivered_concurrently_is_one_turn(
    runtime: Runtime, chat: Chat
) -> None:
    results = await asyncio.gather(
        *(chat.say("precio del casco dieléctrico", message_id="sid-7") for _ in range(5))
    )

    assert len({r.model_dump_json() for r in results}) == 1
    assert await count(runtime, Message, Message.direction == Direction.OUTBOUND) == 1


async def test_a_burst_is_merged_and_every_message_is_kept(runtime: Runtime, chat: Chat) -> None:
    texts = ["hola", "quiero ver guantes", "de carnaza", "para soldador"]
    results = await asyncio.gather(*(chat.say(t) for t in texts))

    inbound = await count(runtime, Message, Message.direction == Direction.INBOUND)
    outbound = await count(runtime, Message, Message.direction == Direction.OUTBOUND)
    assert inbound == len(texts)
    assert 1 <= outbound < len(texts)
    assert all(r.reply for r in results)
    assert await count(runtime, InboxItem, InboxItem.status == InboxStatus.DONE) == len(texts)


async def test_a_burst_that_arrives_at_once_gets_one_reply(runtime: Runtime, chat: Chat) -> None:
    texts = ["hola", "¿tienen guantes de carnaza?", "¿y botas?"]
    results = await asyncio.gather(*(chat.say(t) for t in texts))

    assert await count(runtime, Message, Message.direction == Direction.OUTBOUND) == 1
    assert len({r.reply for r in results}) == 1


async def test_different_conversations_run_in_parallel(runtime: Runtime) -> None:
    chats = [Chat(runtime, f"parallel-{i}") for i in range(8)]
    results = await asyncio.gather(*(c.say("¿tienen botas de seguridad?") for c in chats))

    assert all(r.reply and r.intent.startswith("inventory") for r in results)
    assert await count(runtime, Conversation) == 8


async def test_explicit_handoff_and_then_the_bot_is_silent(runtime: Runtime, chat: Chat) -> None:
    moved = await chat.say("quiero hablar con una persona")

    assert moved.intent == "handoff"
    assert moved.owner == Owner.WAITING_HUMAN
    assert moved.reply is not None and "asesor" in moved.reply
    async with runtime.sessions() as session:
        record = (await session.execute(select(Handoff))).scalar_one()
    assert (record.from_owner, record.to_owner, record.reason) == (
        Owner.BOT,
        Owner.WAITING_HUMAN,
        "customer_request",
    )

    quiet = await chat.say("¿hola? ¿alguien?")

    assert quiet.reply is None
    assert quiet.owner == Owner.WAITING_HUMAN
    assert await count(runtime, Message, Message.text == "¿hola? ¿alguien?") == 1
    assert await count(runtime, OutboxItem) == 1


async def test_a_human_owned_conversation_gets_no_bot_reply(runtime: Runtime, chat: Chat) -> None:
    await chat.say("hola")
    async with runtime.sessions() as session, session.begin():
        await session.execute(
            update(Conversation)
            .where(Conversation.external_chat_id == chat.chat_id)
            .values(owner=Owner.HUMAN)
        )

    result = await chat.say("quiero 2 cascos")

    assert result.reply is None
    assert result.owner == Owner.HUMAN
    assert result.intent.startswith("purchase")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "No recibí ningún texto"),
        ("   \n\t  ", "No recibí ningún texto"),
        ("\x01\x02\x03", "No recibí ningún texto"),
    ],
)
async def test_empty_messages_get_a_polite_reply(chat: Chat, text: str, expected: str) -> None:
    result = await chat.say(text)

    assert result.reply is not None and expected in result.reply


async def test_a_nul_character_is_refused_before_anything_is_stored(
    runtime: Runtime, chat: Chat
) -> None:
    with pytest.raises(InvalidInputError, match="NUL") as refused:
        await chat.say("\x00\x01\x02")

    assert refused.value.field == "text"
    async with runtime.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(InboxItem)) == 0


async def test_a_huge_message_is_cut_and_answered(runtime: Runtime, chat: Chat) -> None:
    result = await chat.say("extintor " * 1500)

    assert result.reply
    async with runtime.sessions() as session:
        stored = await session.scalar(select(InboxItem.text))
    assert stored is not None and len(stored) == len("extintor " * 1500)


async def test_idle_conversation_starts_a_fresh_sale_and_keeps_the_old_cart(
    runtime: Runtime, chat: Chat
) -> None:
    added = await chat.say("quiero 2 cascos dielectricos")
    if added.sale_state != SaleState.CART:
        added = await chat.say("1")
    assert added.sale_state == SaleState.CART
    async with runtime.sessions() as session, session.begin():
        await session.execute(
            update(Conversation)
            .where(Conversation.external_chat_id == chat.chat_id)
            .values(last_activity_at=utcnow() - timedelta(hours=25))
        )

    later = await chat.say("muéstrame el carrito")

    assert later.cart == []
    async with runtime.sessions() as session:
        old = (await session.execute(select(Sale))).scalar_one()
    assert old.abandoned and old.state == SaleState.CART and len(old.lines) == 1


class Broken:
    name = "inventory"

    async def handle(self, ctx: TurnContext) -> DomainResult:
        raise RuntimeError("the disk is on fire")


async def test_a_failing_turn_keeps_the_message_and_apologises(
    runtime: Runtime, chat: Chat, caplog: pytest.LogCaptureFixture
) -> None:
    runtime.engine._handlers = {**runtime.engine._handlers, "inventory": Broken()}

    result = await chat.say("¿tienen extintores?")

    assert result.reply is not None and "problema" in result.reply
    async with runtime.sessions() as session:
        row = (await session.execute(select(InboxItem))).scalar_one()
    assert row.status == InboxStatus.FAILED
    assert row.text == "¿tienen extintores?"
    assert row.error is not None and "disk is on fire" in row.error
    assert "turn failed" in caplog.text


async def test_replies_are_delivered_through_the_outbox(runtime: Runtime) -> None:
    chat = Chat(runtime, "terminal-1", channel="cli")
    result = await chat.say("hola")
    await runtime.engine.drain_deliveries()

    sent = runtime.outputs["cli"].sent[chat.chat_id]  # type: ignore[attr-defined]
    assert list(sent) == [result.reply]
    assert await count(runtime, OutboxItem, OutboxItem.status == OutboxStatus.SENT) == 1


async def test_unknown_chat_starts_a_conversation(runtime: Runtime) -> None:
    result = await runtime.engine.handle(
        InboundMessage(
            channel="web", external_message_id="m1", external_chat_id="never-seen", text="hola"
        )
    )

    assert result.reply and result.chat_id == "never-seen"
