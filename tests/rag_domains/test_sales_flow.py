"""The sales state machine, driven as a customer would: replies, cart, order rows, stock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

import pytest
from conftest import Chat, make_settings
from sqlalchemy import func, select

from agent.messages import TurnResult
from agent.models import Customer, Order, Owner, Product, Sale, SaleState
from salesagent.runtime import Runtime

LAURA = ["1032456789", "Laura Restrepo", "3104567890", "Pereira", "Calle 19 # 8-34"]


async def stock_of(runtime: Runtime, sku: str) -> int:
    async with runtime.sessions() as session:
        return int(await session.scalar(select(Product.stock).where(Product.sku == sku)) or 0)


async def order_of(runtime: Runtime, order_id: int) -> Order:
    async with runtime.sessions() as session:
        return (await session.execute(select(Order).where(Order.id == order_id))).scalar_one()


async def say_all(chat: Chat, texts: list[str]) -> TurnResult:
    result = None
    for text in texts:
        result = await chat.say(text)
    assert result is not None
    return result


async def test_spanish_purchase_from_greeting_to_order(runtime: Runtime, chat: Chat) -> None:
    before = await stock_of(runtime, "EXT-PQS-10")

    hello = await chat.say("hola buenas tardes")
    assert hello.intent == "smalltalk.greeting" and "asistente" in (hello.reply or "")

    options = await chat.say("necesito dos extintores de 10 libras")
    assert options.intent == "purchase.add"
    assert "EXT-PQS-10" in [p.sku for p in options.products]
    pick = [p.sku for p in options.products].index("EXT-PQS-10") + 1

    added = await chat.say(f"el {pick}")
    assert added.sale_state == SaleState.CART
    assert [(c.sku, c.quantity, c.unit_price) for c in added.cart] == [
        ("EXT-PQS-10", 2, Decimal("85000"))
    ]
    assert "$170.000" in (added.reply or "")

    asked = await chat.say("eso es todo")
    assert asked.sale_state == SaleState.COLLECTING_DATA and "cédula" in (asked.reply or "")

    bad_id = await chat.say("10324AB")
    assert "entre 6 y 10 dígitos" in (bad_id.reply or "")
    assert bad_id.sale_state == SaleState.COLLECTING_DATA

    name_asked = await chat.say("1032456789")
    assert "nombre" in (name_asked.reply or "")
    one_word = await chat.say("Laura")
    assert "nombre y apellido" in (one_word.reply or "")
    phone_asked = await chat.say("Laura Restrepo")
    assert "celular" in (phone_asked.reply or "")
    bad_phone = await chat.say("12345")
    assert "10 dígitos" in (bad_phone.reply or "")
    await chat.say("310 456 7890")
    await chat.say("Pereira")
    summary = await chat.say("Calle 19 # 8-34")

    assert summary.sale_state == SaleState.READY_TO_CONFIRM
    for fragment in ("$170.000", "1032456789", "Laura Restrepo", "3104567890", "Calle 19 # 8-34"):
        assert fragment in (summary.reply or "")
    assert await stock_of(runtime, "EXT-PQS-10") == before  # nothing moves before the yes

    closed = await chat.say("sí")

    assert closed.sale_state == SaleState.CLOSED and closed.order_id is not None
    assert f"#{closed.order_id}" in (closed.reply or "")
    order = await order_of(runtime, closed.order_id)
    assert order.total == Decimal("170000") and order.shipping_city == "Pereira"
    assert [(line.sku, line.quantity, line.line_total) for line in order.lines] == [
        ("EXT-PQS-10", 2, Decimal("170000"))
    ]
    assert await stock_of(runtime, "EXT-PQS-10") == before - 2
    async with runtime.sessions() as session:
        customer = (
            await session.execute(select(Customer).where(Customer.national_id == "1032456789"))
        ).scalar_one()
    assert (customer.name, customer.phone) == ("Laura Restrepo", "3104567890")


async def test_english_purchase_with_a_quantity_change(runtime: Runtime, chat: Chat) -> None:
    before = await stock_of(runtime, "CAS-II-E")

    added = await chat.say("I want 3 dielectric helmets")
    assert added.language == "en" and [(c.sku, c.quantity) for c in added.cart] == [("CAS-II-E", 3)]
    changed = await chat.say("actually make it 5")
    assert [(c.sku, c.quantity) for c in changed.cart] == [("CAS-II-E", 5)]
    assert "$475.000" in (changed.reply or "")
    asked = await chat.say("that's all")
    assert "ID number" in (asked.reply or "")
    summary = await say_all(
        chat, ["79512345", "John Smith", "3001234567", "Manizales", "Carrera 23 # 45-10"]
    )
    assert summary.sale_state == SaleState.READY_TO_CONFIRM and "Reply *yes*" in (
        summary.reply or ""
    )

    done = await chat.say("yes")

    assert done.sale_state == SaleState.CLOSED and "is confirmed" in (done.reply or "")
    assert await stock_of(runtime, "CAS-II-E") == before - 5


async def test_cart_corrections_remove_and_add(chat: Chat) -> None:
    await chat.say("necesito 2 pares de guantes de vaqueta tipo ingeniero")
    await chat.say("agrega también 1 casco dieléctrico tipo II")
    removed = await chat.say("quita los guantes")

    assert [c.sku for c in removed.cart] == ["CAS-II-E"]
    assert "Quité" in (removed.reply or "")


async def test_saying_no_at_the_summary_lets_the_customer_correct(chat: Chat) -> None:
    await chat.say("quiero 1 casco dieléctrico tipo II")
    summary = await say_all(chat, ["eso es todo", *LAURA])
    assert summary.sale_state == SaleState.READY_TO_CONFIRM

    denied = await chat.say("no")
    assert "qué quieres cambiar" in (denied.reply or "").lower()
    corrected = await chat.say("mi dirección es Carrera 8 # 20-15")

    assert corrected.sale_state == SaleState.READY_TO_CONFIRM
    assert "Carrera 8 # 20-15" in (corrected.reply or "")
    assert (await chat.say("sí")).sale_state == SaleState.CLOSED


@pytest.mark.parametrize("step", [1, 2, 4])
async def test_cancelling_at_any_step_creates_no_order(
    runtime: Runtime, chat: Chat, step: int
) -> None:
    script = ["quiero 1 casco dieléctrico tipo II", "eso es todo", "1032456789", "Laura Restrepo"]
    await say_all(chat, script[:step])

    cancelled = await chat.say("cancelar el pedido")

    assert cancelled.sale_state == SaleState.CANCELLED and "cancelé" in (cancelled.reply or "")
    async with runtime.sessions() as session:
        assert (
            await session.scalar(
                select(func.count()).select_from(Order).where(Order.sale_id.is_not(None))
            )
            == 0
        )
        sale = (await session.execute(select(Sale))).scalar_one()
    assert len(sale.lines) == 1  # the cart stays in the records


async def test_out_of_stock_offers_alternatives_to_pick(runtime: Runtime, chat: Chat) -> None:
    assert await stock_of(runtime, "CAS-I-E-VE") == 0

    result = await chat.say("quiero 2 cascos de seguridad tipo I con ratchet verde")
    if "agotado" not in (result.reply or ""):
        skus = [p.sku for p in result.products]
        result = await chat.say(f"el {skus.index('CAS-I-E-VE') + 1}")

    assert result.cart == []
    assert "agotado" in (result.reply or "") and "1. " in (result.reply or "")
    alternatives = result.products
    assert alternatives and all(p.stock > 0 for p in alternatives)

    picked = await chat.say("el primero")

    assert [(c.sku, c.quantity) for c in picked.cart] == [(alternatives[0].sku, 2)]


async def test_more_than_the_stock_offers_what_there_is(runtime: Runtime, chat: Chat) -> None:
    available = await stock_of(runtime, "EXT-PQS-30")

    result = await chat.say(f"quiero {available + 5} extintores multipropósito de 30 libras")

    assert result.cart == []
    assert f"Solo tenemos {available} unidades" in (result.reply or "")

    accepted = await chat.say("sí, agrégalos")

    assert [(c.sku, c.quantity) for c in accepted.cart] == [("EXT-PQS-30", available)]


MARIA = "1088245671"  # a demo customer: phone +573104567821, Carrera 7 # 19-42, Pereira
MARIA_ON_FILE = ("Ospina", "3104567821", "Carrera 7", "maria.ospina", "Pedidos", "Tus últimos")


async def test_a_returning_customer_is_recognised_by_their_own_whatsapp_number(
    runtime: Runtime,
) -> None:
    chat = Chat(runtime, "whatsapp:+573104567821", channel="whatsapp")
    await chat.say("quiero 1 casco dieléctrico tipo II")
    await chat.say("eso es todo")

    summary = await chat.say(MARIA)

    assert summary.sale_state == SaleState.READY_TO_CONFIRM
    assert "María" in (summary.reply or "") and "Carrera 7 # 19-42" in (summary.reply or "")
    assert "María Fernanda Ospina Giraldo" in (summary.reply or "")


async def test_a_returning_customer_on_the_web_is_recognised_by_the_phone_on_file(
    chat: Chat,
) -> None:
    await chat.say("quiero 1 casco dieléctrico tipo II")
    await chat.say("eso es todo")
    asked = await chat.say(MARIA)
    assert asked.sale_state == SaleState.COLLECTING_DATA and "nombre" in (asked.reply or "")
    await chat.say("María Ospina")

    summary = await chat.say("310 456 7821")

    assert summary.sale_state == SaleState.READY_TO_CONFIRM
    assert "Qué bueno tenerte de nuevo, María" in (summary.reply or "")
    assert "Carrera 7 # 19-42" in (summary.reply or "")


async def test_a_stranger_with_a_known_cedula_sees_only_what_they_typed(
    runtime: Runtime, chat: Chat
) -> None:
    await chat.say("quiero 1 casco dieléctrico tipo II")
    await chat.say("eso es todo")
    replies = [await chat.say(text) for text in (MARIA, "Pedro Pérez", "3001119999", "Pereira")]
    summary = await chat.say("Calle 1 # 2-3")
    replies.append(summary)

    assert summary.sale_state == SaleState.READY_TO_CONFIRM
    assert "Pedro Pérez" in (summary.reply or "") and "Calle 1 # 2-3" in (summary.reply or "")
    for reply in replies:
        for secret in (*MARIA_ON_FILE, "María", "tenerte de nuevo"):
            assert secret not in (reply.reply or ""), reply.reply
    closed = await chat.say("sí")
    assert closed.order_id is not None and "3001119999" in (closed.reply or "")
    async with runtime.sessions() as session:
        maria = (
            await session.execute(select(Customer).where(Customer.national_id == MARIA))
        ).scalar_one()
    # The record on file is not changed by a chat that only knows the cédula.
    assert (maria.name, maria.phone) == ("María Fernanda Ospina Giraldo", "+573104567821")
    history = await chat.say("muéstrame mis pedidos")
    for secret in (*MARIA_ON_FILE, "María"):
        assert secret not in (history.reply or ""), history.reply


@pytest.fixture
async def shop(shop_url: str) -> AsyncIterator[Runtime]:
    """The demo shop on SQLite, then on PostgreSQL."""
    runtime = await Runtime.start(make_settings(shop_url), migrate=False)
    yield runtime
    await runtime.close()


async def test_only_the_verified_customer_gets_her_data_on_each_database(shop: Runtime) -> None:
    stranger, maria = Chat(shop, "db-stranger"), Chat(shop, "db-maria")
    for chat, phone in ((stranger, "3001119999"), (maria, "3104567821")):
        await chat.say("quiero 1 casco dieléctrico tipo II")
        await chat.say("eso es todo")
        await chat.say(MARIA)
        await chat.say("Pedro Pérez" if chat is stranger else "María Ospina")
        await chat.say(phone)
    unverified = await stranger.say("Pereira")
    summary = await stranger.say("Calle 1 # 2-3")
    verified = maria.results[-1]

    assert summary.sale_state == verified.sale_state == SaleState.READY_TO_CONFIRM
    for secret in (*MARIA_ON_FILE, "María"):
        assert secret not in (unverified.reply or "") + (summary.reply or "")
    assert "Carrera 7 # 19-42" in (verified.reply or "")
    assert (await stranger.say("sí")).order_id is not None
    # The stranger's order is hers (the cédula's) but leaves her record on file as it was.
    assert (await on_file(shop)).phone == "+573104567821"
    assert (await maria.say("sí")).order_id is not None
    record = await on_file(shop)
    assert (record.name, record.phone) == ("María Ospina", "3104567821")
    async with shop.sessions() as session:
        owners = (
            await session.execute(select(Order.customer_id).order_by(Order.id.desc()).limit(2))
        ).scalars()
        assert set(owners) == {record.id}


async def on_file(runtime: Runtime) -> Customer:
    async with runtime.sessions() as session:
        statement = select(Customer).where(Customer.national_id == MARIA)
        return (await session.execute(statement)).scalar_one()


async def test_price_on_request_goes_to_a_person(chat: Chat) -> None:
    result = await chat.say("quiero 1 extintor satélite")
    if result.cart == [] and "1." in (result.reply or ""):
        names = [p.name for p in result.products]
        result = await chat.say(f"el {names.index('Extintor Satélite') + 1}")

    assert result.owner == Owner.WAITING_HUMAN
    assert "precio a consultar" in (result.reply or "") and "asesor" in (result.reply or "")


async def test_confirming_without_a_sale_is_answered_politely(chat: Chat) -> None:
    result = await chat.say("sí, confirmo")

    assert result.order_id is None and result.reply


@pytest.mark.parametrize(
    ("asked", "pick", "sku"),
    [
        # The size only one of the products shown has.
        ("extintores entre 100 y 200 mil", "deme el de 20 libras", "EXT-PQS-20"),
        # The price only one of them costs.
        ("necesito botas talla 41 por menos de 150 mil", "la de 135 mil, 2 pares", "BOT-PA-41"),
    ],
)
async def test_a_product_shown_in_a_priced_list_is_taken_by_its_size_or_price(
    chat: Chat, asked: str, pick: str, sku: str
) -> None:
    listed = await chat.say(asked)
    taken = await chat.say(pick)

    assert len(listed.products) == 2
    assert [c.sku for c in taken.cart] == [sku]
    assert "Respóndeme con el número" not in (taken.reply or "")


async def test_the_cheapest_of_a_priced_list_is_added_with_its_quantity(chat: Chat) -> None:
    await chat.say("guantes por debajo de 10 mil")
    taken = await chat.say("el mas barato, 20 pares")

    assert [(c.sku, c.quantity) for c in taken.cart] == [("GUA-HIL-PVC", 20)]


async def test_the_cheapest_of_a_kind_in_a_colour_after_the_dearest_was_shown(
    chat: Chat,
) -> None:
    await chat.say("cual es el casco mas barato")
    dearest = await chat.say("y el mas caro?")
    taken = await chat.say("deme 3 del mas barato en amarillo")

    assert "$145.000" in (dearest.reply or "")
    assert [(c.sku, c.quantity) for c in taken.cart] == [("CAS-I-PIN-AM", 3)]
