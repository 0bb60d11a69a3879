"""Scripted conversations that end as each kind of lead, through the whole turn engine, on
SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal

import pytest
from conftest import Chat, make_settings
from fixtures.scale_out import REDIS_URL
from sqlalchemy import select, update

from agent.leads.carts import take_abandoned_carts
from agent.leads.changes import changed
from agent.leads.schedule import lead_round
from agent.models import Conversation, Lead, LeadKind, LeadStatus, utcnow
from channels.web.redis_fanout import RedisFanOut
from console.service import StaffConsole
from salesagent.runtime import Runtime


@pytest.fixture
async def runtime(shop_url: str) -> AsyncIterator[Runtime]:
    """The product on the demo shop, on SQLite or PostgreSQL."""
    async with await Runtime.start(make_settings(shop_url), migrate=False) as running:
        yield running


async def leads_of(runtime: Runtime, chat: Chat) -> list[Lead]:
    async with runtime.sessions() as session:
        rows = await session.scalars(
            select(Lead)
            .join(Conversation, Conversation.id == Lead.conversation_id)
            .where(Conversation.external_chat_id == chat.chat_id)
            .order_by(Lead.episode)
        )
        return list(rows.all())


async def silence(runtime: Runtime, chat: Chat, hours: float) -> None:
    """The customer wrote last `hours` ago (the conversation and its leads last seen then)."""
    then = utcnow() - timedelta(hours=hours)
    async with runtime.sessions() as session, session.begin():
        conversation = await session.scalar(
            select(Conversation.id).where(Conversation.external_chat_id == chat.chat_id)
        )
        await session.execute(
            update(Conversation)
            .where(Conversation.id == conversation)
            .values(last_activity_at=then)
        )
        await session.execute(
            update(Lead).where(Lead.conversation_id == conversation).values(seen_at=then)
        )


async def test_a_quote_request_for_a_company_is_a_lead(runtime: Runtime, chat: Chat) -> None:
    await chat.say(
        "Buenas, necesito una cotización de 20 cascos dieléctricos para la empresa "
        "Andamios del Café S.A.S."
    )

    [lead] = await leads_of(runtime, chat)
    assert lead.kind == LeadKind.QUOTE_REQUEST and lead.status == LeadStatus.OPEN
    assert lead.channel == "web"
    assert lead.company == "Andamios del Café S.A.S"
    assert [i["quantity"] for i in lead.items] == [20]
    assert "cascos dielectricos" in lead.items[0]["name"]
    assert lead.missing == ["phone"]
    assert lead.priority == 2
    assert lead.summary.startswith("Pide una cotización: 20 × cascos")
    assert lead.next_step == "Preparar y enviarle la cotización."


async def test_a_wholesale_question_names_the_product_and_misses_the_quantity(
    runtime: Runtime, chat: Chat
) -> None:
    await chat.say("¿venden al por mayor guantes de nitrilo industrial?")

    [lead] = await leads_of(runtime, chat)
    assert lead.kind == LeadKind.WHOLESALE and lead.priority == 1
    assert lead.items == [
        {
            "sku": "GUA-NIT-IND",
            "name": "Guante de nitrilo industrial calibre 22",
            "quantity": None,
            "unit_price": "9500.00",
        }
    ]
    assert lead.amount is None
    assert lead.missing == ["phone", "company", "quantity"]
    assert "cuántas unidades" in lead.next_step


async def test_a_large_quantity_is_a_wholesale_lead(runtime: Runtime, chat: Chat) -> None:
    await chat.say("quiero 60 botiquines")

    [lead] = await leads_of(runtime, chat)
    assert lead.kind == LeadKind.WHOLESALE
    assert [i["quantity"] for i in lead.items] == [60]


async def test_a_request_for_a_call_keeps_the_number_given(runtime: Runtime, chat: Chat) -> None:
    await chat.say("hola")
    assert await leads_of(runtime, chat) == []

    await chat.say("¿me pueden llamar al 310 555 1234? es por unos cascos")

    [lead] = await leads_of(runtime, chat)
    assert lead.kind == LeadKind.CALL_REQUEST
    assert lead.phone == "3105551234"
    assert "phone" not in lead.missing
    assert lead.next_step == "Llamarlo al número que dejó."


async def test_a_call_request_without_a_number_asks_for_one(runtime: Runtime, chat: Chat) -> None:
    await chat.say("llámenme por favor")

    [lead] = await leads_of(runtime, chat)
    assert lead.kind == LeadKind.CALL_REQUEST and lead.phone is None
    assert lead.next_step == "Pedirle por el chat un número de teléfono para llamarlo."


async def test_a_cart_left_idle_becomes_one_lead(runtime: Runtime, chat: Chat) -> None:
    added = await chat.say("quiero 2 cascos dielectricos")
    assert added.cart and added.cart[0].quantity == 2
    assert await take_abandoned_carts(runtime.sessions, runtime.settings) == 0  # not idle yet
    await silence(runtime, chat, hours=2)

    assert await take_abandoned_carts(runtime.sessions, runtime.settings) == 1
    assert await take_abandoned_carts(runtime.sessions, runtime.settings) == 0  # once

    [lead] = await leads_of(runtime, chat)
    assert lead.kind == LeadKind.ABANDONED_CART and lead.sale_id is not None
    assert lead.amount == Decimal("190000.00")
    assert lead.items[0]["sku"] == "CAS-II-E" and lead.items[0]["quantity"] == 2
    assert lead.summary == (
        "Dejó un carrito sin cerrar: 2 × Casco dieléctrico tipo II clase E; "
        "$190.000 a precio de lista."
    )
    assert lead.priority == 3 and lead.confidence == 0.6


async def test_an_idle_carts_lead_is_told_to_the_consoles_of_every_process(
    runtime: Runtime, chat: Chat
) -> None:
    prefix = f"test-{uuid.uuid4().hex[:8]}:"
    serve, worker = (RedisFanOut.from_url(REDIS_URL, prefix=prefix, pool_size=4) for _ in "ab")
    await serve.start()
    await worker.start()
    try:  # the round runs in a worker; a console is open on a serve process
        in_worker = StaffConsole.build(
            runtime.settings, runtime.sessions, runtime.company, feed=worker.feed("staff")
        )
        await chat.say("quiero 2 cascos dielectricos")
        await silence(runtime, chat, hours=2)
        async with serve.feed("staff").subscribe() as console:
            await lead_round(runtime.sessions, runtime.settings, None, on_lead=in_worker.on_lead)
            heard = await asyncio.wait_for(console.get(), 5)
    finally:
        await serve.close()
        await worker.close()

    [lead] = await leads_of(runtime, chat)
    assert lead.kind == LeadKind.ABANDONED_CART
    assert heard["type"] == "lead" and heard["change"] == "created"
    assert (heard["lead_id"], heard["conversation_id"]) == (lead.id, lead.conversation_id)


async def test_one_lead_per_episode_and_a_new_one_after_a_silence(
    runtime: Runtime, chat: Chat
) -> None:
    await chat.say("necesito cotizar 10 botiquines", message_id="m1")
    await chat.say("necesito cotizar 10 botiquines", message_id="m1")  # a webhook retried
    await chat.say("y también una cotización de 5 extintores")
    await chat.say("¿venden al por mayor?")

    [lead] = await leads_of(runtime, chat)
    assert lead.kind == LeadKind.WHOLESALE  # the stronger kind names the episode's lead

    await silence(runtime, chat, hours=25)
    await chat.say("buenas, me cotizan 4 cascos dielectricos?")

    first, second = await leads_of(runtime, chat)
    assert (first.episode, second.episode) == (1, 2)
    assert second.kind == LeadKind.QUOTE_REQUEST


async def test_a_lead_whose_episode_ends_in_an_order_is_won(runtime: Runtime, chat: Chat) -> None:
    for text in (
        "me pueden cotizar 10 cascos dielectricos?",
        "quiero 2 cascos dielectricos",
        "finalizar",
        "Ana Gómez",
        "1032456789",
        "3105551234",
        "Calle 20 # 8-15, Pereira",
    ):
        await chat.say(text)
    closed = await chat.say("si")
    assert closed.order_id is not None

    [lead] = await leads_of(runtime, chat)
    assert lead.status == LeadStatus.WON and lead.closed_at is not None
    assert lead.reason == f"Compró: pedido #{closed.order_id}."
    assert lead.amount == Decimal("190000.00")
    assert await take_abandoned_carts(runtime.sessions, runtime.settings) == 0


async def test_a_quote_asked_after_a_cart_quotes_the_cart(runtime: Runtime, chat: Chat) -> None:
    await chat.say("hola")
    await chat.say("¿me pasan una cotización?")
    [bare] = await leads_of(runtime, chat)
    assert bare.items == [] and "products" in bare.missing
    assert bare.summary == "Pide una cotización: productos sin precisar."

    await chat.say("quiero 2 cascos dielectricos")

    [lead] = await leads_of(runtime, chat)
    assert lead.id == bare.id and lead.kind == LeadKind.QUOTE_REQUEST
    assert lead.amount == Decimal("190000.00") and lead.sale_id is not None
    assert "products" not in lead.missing
    await silence(runtime, chat, hours=2)
    assert await take_abandoned_carts(runtime.sessions, runtime.settings) == 0  # its lead has it
    [still] = await leads_of(runtime, chat)
    assert still.kind == LeadKind.QUOTE_REQUEST


async def test_staffs_decision_and_the_models_texts_outlive_later_turns(
    runtime: Runtime, chat: Chat
) -> None:
    await chat.say("necesito cotizar 10 botiquines")
    [lead] = await leads_of(runtime, chat)
    async with runtime.sessions() as session, session.begin():
        await session.execute(
            update(Lead)
            .where(Lead.id == lead.id)
            .values(summary="Cotizar 10 botiquines.", phrased=True)
        )

    await chat.say("gracias")  # nothing new: the model's words stand

    [kept] = await leads_of(runtime, chat)
    assert (kept.summary, kept.phrased) == ("Cotizar 10 botiquines.", True)

    async with runtime.sessions() as session, session.begin():
        await session.execute(
            update(Lead)
            .where(Lead.id == lead.id)
            .values(status=LeadStatus.LOST, reason="Ya compró")
        )
    await chat.say("¿venden al por mayor? serían 80 botiquines")

    [lost] = await leads_of(runtime, chat)
    assert (lost.status, lost.kind, lost.reason) == (
        LeadStatus.LOST,
        LeadKind.QUOTE_REQUEST,
        "Ya compró",
    )


@pytest.mark.parametrize("shop_url", ["postgres"], indirect=True)  # SQLite: one writer at once
async def test_two_changes_made_at_once_are_both_counted(runtime: Runtime, chat: Chat) -> None:
    await chat.say("¿me pueden llamar al 310 555 1234?")
    [lead] = await leads_of(runtime, chat)
    async with runtime.sessions() as turn, runtime.sessions() as staff:
        in_turn = await turn.get(Lead, lead.id)
        by_staff = await staff.get(Lead, lead.id)
        assert in_turn is not None and by_staff is not None  # both read the same count
        changed(by_staff)
        await staff.commit()
        changed(in_turn)
        await turn.commit()

    [counted] = await leads_of(runtime, chat)
    assert counted.revision == lead.revision + 2  # so Odoo hears of the later one too
