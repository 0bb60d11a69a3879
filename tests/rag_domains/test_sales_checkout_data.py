"""Checkout data as customers give it: all at once, in any order, corrected; shipping shown."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import Chat
from sqlalchemy import select

from agent.models import Order, SaleState
from salesagent.runtime import Runtime

HELMET = "quiero 1 casco dieléctrico tipo II"  # $95.000
MARIA = "1088245671"  # a demo customer: phone +573104567821, Carrera 7 # 19-42, Pereira
MARIA_ON_FILE = ("Ospina", "3104567821", "Carrera 7", "maria.ospina", "Pedidos", "Tus últimos")


async def total_of(runtime: Runtime, order_id: int) -> Decimal:
    async with runtime.sessions() as session:
        order = (await session.execute(select(Order).where(Order.id == order_id))).scalar_one()
        return order.total


@pytest.mark.parametrize(
    ("order", "city", "shipping"),
    [
        (HELMET, "Pereira", "Envío a Pereira: $8.000 (aparte del total; gratis desde $300.000)"),
        (HELMET, "Cartago", "Envío a Cartago: $15.000"),
        (
            "me regala 4 extintores multiproposito de 10 libras",
            "Dosquebradas",
            "Envío gratis a Dosquebradas (pedidos desde $300.000)",
        ),
        (HELMET, "Manizales", "Envío a Manizales: se cotiza según peso y destino"),
    ],
)
async def test_shipping_to_the_city_is_shown_before_and_after_the_yes(
    runtime: Runtime, chat: Chat, order: str, city: str, shipping: str
) -> None:
    added = await chat.say(order)
    products_total = sum(c.unit_price * c.quantity for c in added.cart)
    await chat.say("eso es todo")

    summary = await chat.say(f"Ana Ruiz, cc 43123456, cel 3112223344, {city}, Cra 7 # 12-30")
    assert summary.sale_state == SaleState.READY_TO_CONFIRM
    assert shipping in (summary.reply or "")
    closed = await chat.say("sí")

    assert closed.order_id is not None and shipping in (closed.reply or "")
    # The order's total is the products' total: shipping is charged apart.
    assert await total_of(runtime, closed.order_id) == products_total


async def test_shipping_is_shown_in_english(chat: Chat) -> None:
    await chat.say("I want 1 dielectric helmet")
    await chat.say("that's all")

    summary = await chat.say(
        "John Carter, ID 79123456, phone 315 444 5566, Calle 20 # 7-15, Pereira"
    )

    assert summary.sale_state == SaleState.READY_TO_CONFIRM
    assert "Shipping to Pereira: $8.000" in (summary.reply or "")


@pytest.mark.parametrize(
    "block",
    [
        "Andrea Lopez, 1093456789, 3125556677, Pereira, Cra 5 # 10-20",
        "3125556677 / 1093456789 / Andrea Lopez / Pereira / Cra 5 # 10-20",
        "cel 3125556677\ncc 1093456789\ndir Cra 5 # 10-20\nPereira\nAndrea Lopez",
    ],
)
async def test_a_contact_block_fills_every_field_whatever_was_asked(chat: Chat, block: str) -> None:
    await chat.say(HELMET)
    await chat.say("eso es todo")

    summary = await chat.say(block)

    assert summary.sale_state == SaleState.READY_TO_CONFIRM
    for value in ("Andrea Lopez", "1093456789", "3125556677", "Cra 5 # 10-20", "$8.000"):
        assert value in (summary.reply or "")


async def test_a_correction_replaces_the_field_and_shows_the_summary_again(chat: Chat) -> None:
    await chat.say(HELMET)
    await chat.say("eso es todo")
    await chat.say("Andrea Lopez, 1093456789, 3125556677, Pereira, Cra 5 # 10-20")

    phone = await chat.say("no, el celular es 3001234567")
    assert phone.sale_state == SaleState.READY_TO_CONFIRM
    assert "3001234567" in (phone.reply or "") and "3125556677" not in (phone.reply or "")
    moved = await chat.say("mejor envielo a cartago, la direccion es la misma")
    assert "Ciudad: Cartago" in (moved.reply or "") and "$15.000" in (moved.reply or "")
    fixed = await chat.say("me equivoque en la direccion: Calle 8 # 3-12")

    assert fixed.sale_state == SaleState.READY_TO_CONFIRM
    assert "Calle 8 # 3-12" in (fixed.reply or "") and "Cra 5" not in (fixed.reply or "")
    closed = await chat.say("sí")
    assert closed.sale_state == SaleState.CLOSED and "3001234567" in (closed.reply or "")


async def test_a_correction_while_collecting_keeps_asking_the_missing_field(chat: Chat) -> None:
    await chat.say(HELMET)
    await chat.say("eso es todo")
    await chat.say("1093456789, Andrea Lopez, cel 3125556677")

    corrected = await chat.say("wait, the phone is wrong, it's 3001112233")

    assert corrected.sale_state == SaleState.COLLECTING_DATA
    assert "Which city" in (corrected.reply or "")
    summary = await chat.say("Pereira, Cra 5 # 10-20")
    assert "3001112233" in (summary.reply or "") and "3125556677" not in (summary.reply or "")


async def test_a_shipping_question_between_two_fields_is_answered_then_asked_again(
    chat: Chat,
) -> None:
    await chat.say(HELMET)
    await chat.say("eso es todo")

    answered = await chat.say("y cuanto cobran de envio a cartago?")

    assert answered.sale_state == SaleState.COLLECTING_DATA
    assert "$15.000" in (answered.reply or "") and "cédula" in (answered.reply or "")


async def test_a_contact_block_before_any_product_is_kept_and_shows_nothing_on_file(
    chat: Chat,
) -> None:
    block = f"Pedro Pérez, cc {MARIA}, cel 3001119999, Pereira, Calle 1 # 2-3"

    kept = await chat.say(block)

    assert kept.intent == "purchase.data"
    assert "Anoté tus datos" in (kept.reply or "")
    await chat.say(HELMET)
    summary = await chat.say("eso es todo")
    assert summary.sale_state == SaleState.READY_TO_CONFIRM
    assert "Pedro Pérez" in (summary.reply or "") and "3001119999" in (summary.reply or "")
    for reply in (kept, summary):
        for secret in (*MARIA_ON_FILE, "María", "tenerte de nuevo"):
            assert secret not in (reply.reply or ""), reply.reply


async def test_a_returning_customer_s_block_before_any_product_finds_her_data(
    chat: Chat,
) -> None:
    kept = await chat.say(f"María Ospina, cc {MARIA}, cel 310 456 7821")
    assert "Carrera 7" not in (kept.reply or "")
    await chat.say(HELMET)

    summary = await chat.say("eso es todo")

    # She typed the phone on file in full: the address on file completes the order.
    assert summary.sale_state == SaleState.READY_TO_CONFIRM
    assert "Carrera 7 # 19-42" in (summary.reply or "")
    assert "Envío a Pereira: $8.000" in (summary.reply or "")
