"""Special quotes on SQLite and PostgreSQL: more units than the stock, or a wholesale price,
wait for a manager; approving (with an edited unit price or not) puts the quoted line in the
cart in one transaction with its audit row, the order keeps that price and takes from stock
only what there is; rejecting or expiring changes nothing, and nothing applies without an
approval row."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from conftest import Chat, make_settings
from fixtures.proposal_rows import applies_nothing_unapproved, audits, manager, the_proposal, told
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from agent.db import transaction
from agent.errors import ConflictError, InvalidInputError
from agent.models import (
    Order,
    OrderLine,
    Product,
    Proposal,
    ProposalStatus,
    SaleLine,
    SaleState,
    utcnow,
)
from agent.proposals import decisions
from salesagent.runtime import Runtime

BLUE = "Casco de seguridad tipo I clase E con ratchet azul"
BLUE_STOCK = 16
BUYER = ["1032456789", "Laura Restrepo", "3104567890", "Pereira", "Calle 19 # 8-34"]


@pytest.fixture
async def shop(shop_url: str) -> AsyncIterator[Runtime]:
    runtime = await Runtime.start(make_settings(shop_url), migrate=False)
    yield runtime
    await runtime.close()


async def snapshot(shop: Runtime) -> dict[str, object]:
    """Everything a quote could touch: cart lines, stock and prices, orders."""
    async with shop.sessions() as session:
        lines = (
            await session.execute(
                select(
                    SaleLine.id,
                    SaleLine.quantity,
                    SaleLine.unit_price,
                    SaleLine.quoted_price,
                    SaleLine.backorder,
                )
            )
        ).all()
        stock = (await session.execute(select(Product.id, Product.stock, Product.price))).all()
        orders = (await session.execute(select(Order.id, Order.total, Order.status))).all()
    return {"lines": sorted(lines), "stock": sorted(stock), "orders": sorted(orders)}


async def blue_stock(shop: Runtime) -> int:
    async with shop.sessions() as session:
        stock = await session.scalar(select(Product.stock).where(Product.name == BLUE))
    assert stock is not None
    return stock


async def forty_quoted(shop: Runtime, language: str = "es") -> Chat:
    """A chat asking for 40 blue helmets (16 in stock), then insisting on the full 40."""
    chat = Chat(shop, f"chat-{uuid.uuid4().hex[:8]}")
    if language == "en":
        await chat.say("I want 40 blue ratchet safety helmets")
        await chat.say("I need all 40")
    else:
        await chat.say(f"quiero 40 {BLUE.lower()}")
        await chat.say("cotizar 40")
    return chat


async def test_more_than_the_stock_is_offered_then_quoted_when_insisted(shop: Runtime) -> None:
    chat = Chat(shop, f"chat-{uuid.uuid4().hex[:8]}")
    before = await snapshot(shop)

    short = await chat.say(f"quiero 40 {BLUE.lower()}")
    assert short.reply == (
        f"Solo tenemos 16 unidades de {BLUE}. ¿Te agrego 16? Si necesitas las 40, puedo pedirle"
        " a un encargado una cotización especial (lo que falte quedaría por encargo): dime"
        " «cotizar 40»."
    )
    asked = await chat.say("sí, cotícenme las 40 completas")

    assert asked.reply.startswith(
        f"Le pedí a un encargado que apruebe una cotización especial de 40 × {BLUE} a $38.000"
        " c/u (precio de lista $38.000): total $1.520.000; 24 por encargo (hay 16 en"
        " existencias)."
    )
    proposal = await the_proposal(shop)
    assert (proposal.kind, proposal.status) == ("quote", ProposalStatus.PENDING)
    assert proposal.effect["short"] == 24
    assert proposal.effect["unit_price"] == "38000.00"
    assert await snapshot(shop) == before  # nothing in the cart, stock as it was
    again = await chat.say("cotizar 40")
    assert "en revisión" in again.reply


async def test_the_offer_of_what_is_left_still_stands(shop: Runtime) -> None:
    chat = Chat(shop, f"chat-{uuid.uuid4().hex[:8]}")
    await chat.say(f"quiero 40 {BLUE.lower()}")

    took = await chat.say("sí")

    assert f"16 × {BLUE}" in took.reply
    async with shop.sessions() as session:
        assert await session.scalar(select(Proposal.id)) is None


@pytest.mark.parametrize(
    ("said", "quantity", "words", "language"),
    [
        ("precio por mayor de 200 cascos azules", 200, "184 por encargo", "es"),
        ("¿qué precio mayorista me dan por 60 cascos blancos de pines?", 60, "$1.320.000", "es"),
        ("wholesale price for 150 blue safety helmets", 150, "134 on backorder", "en"),
        ("bulk price for 300 ABC 10 lb fire extinguishers", 300, "at $85.000 each", "en"),
    ],
)
async def test_a_wholesale_price_asked_with_a_product_is_quoted(
    shop: Runtime, said: str, quantity: int, words: str, language: str
) -> None:
    chat = Chat(shop, f"chat-{uuid.uuid4().hex[:8]}")
    before = await snapshot(shop)

    asked = await chat.say(said)

    assert words in asked.reply
    proposal = await the_proposal(shop)
    assert (proposal.kind, proposal.effect["quantity"]) == ("quote", quantity)
    assert proposal.language == language
    assert (await snapshot(shop))["stock"] == before["stock"]


async def test_how_much_they_would_leave_it_at_quotes_the_cart_line(shop: Runtime) -> None:
    chat = Chat(shop, f"chat-{uuid.uuid4().hex[:8]}")
    await chat.say("quiero 2 cascos de seguridad")
    await chat.say("1")

    asked = await chat.say("¿cuánto me dejan si llevo 200?")

    assert asked.reply.startswith(
        f"Le pedí a un encargado que apruebe una cotización especial de 200 × {BLUE}"
    )
    effect = (await the_proposal(shop)).effect
    assert effect["in_cart"]["quantity"] == 2


async def test_a_wholesale_word_under_the_minimum_says_from_how_many(shop: Runtime) -> None:
    chat = Chat(shop, f"chat-{uuid.uuid4().hex[:8]}")

    asked = await chat.say("precio por mayor de 10 cascos azules")

    assert asked.reply.endswith(
        "El precio por mayor aplica desde 50 unidades de un producto: dime cuál y cuántas"
        " necesitas y lo consulto con un encargado."
    )
    async with shop.sessions() as session:
        assert await session.scalar(select(Proposal.id)) is None


async def test_an_edited_quote_is_the_price_of_the_cart_and_of_the_order(shop: Runtime) -> None:
    chat = await forty_quoted(shop)
    proposal = await the_proposal(shop)
    marta = await manager(shop)

    with pytest.raises(InvalidInputError):
        async with transaction(shop.sessions) as session:
            await decisions.approve(session, proposal.id, staff=marta, value="gratis")
    async with transaction(shop.sessions) as session:
        decided = await decisions.approve(session, proposal.id, staff=marta, value="35.000")

    assert decided.proposal.status == ProposalStatus.EDITED
    async with shop.sessions() as session:
        [line] = await session.scalars(select(SaleLine).where(SaleLine.sale_id == proposal.sale_id))
    assert (line.quantity, line.unit_price, line.quoted_price, line.backorder) == (
        40,
        Decimal("35000.00"),
        Decimal("35000.00"),
        24,
    )
    [audit] = await audits(shop, proposal.id)
    assert (audit.decision, audit.staff_id) == (ProposalStatus.EDITED, marta.id)
    assert (audit.changes["proposed"]["unit_price"], audit.changes["applied"]["unit_price"]) == (
        "38000.00",
        "35000.00",
    )
    assert audit.changes["rows"]["total"] == "1400000.00"
    assert (await told(shop, proposal.conversation_id))[1:] == [
        "¡Buenas noticias! Aprobaron tu solicitud: una cotización especial de 40 ×"
        f" {BLUE} a $35.000 c/u (precio de lista $38.000): total $1.400.000; 24 por encargo"
        " (hay 16 en existencias)."
    ]

    cart = await chat.say("ver mi carrito")
    assert f"40 × {BLUE}: $1.400.000 (24 por encargo)" in cart.reply
    refused = await chat.say("mejor que sean 50")  # a quote holds for its quantity
    assert "tiene un precio cotizado por un encargado para 40 unidades" in refused.reply
    await chat.say("eso es todo")
    for value in BUYER:
        summary = await chat.say(value)
    assert summary.sale_state == SaleState.READY_TO_CONFIRM
    done = await chat.say("sí")

    assert done.order_id is not None
    async with shop.sessions() as session:
        order = await session.get(Order, done.order_id)
        assert order is not None
        [ordered] = await session.scalars(select(OrderLine).where(OrderLine.order_id == order.id))
    assert order.total == Decimal("1400000.00")
    assert (ordered.quantity, ordered.unit_price, ordered.backorder) == (
        40,
        Decimal("35000.00"),
        24,
    )
    assert await blue_stock(shop) == 0  # the 16 there were, never below zero


async def test_an_order_takes_only_the_units_there_are_then(shop: Runtime) -> None:
    chat = await forty_quoted(shop, "en")
    proposal = await the_proposal(shop)
    async with transaction(shop.sessions) as session:
        await decisions.approve(session, proposal.id, staff=await manager(shop))
    await chat.say("that's all, checkout")
    for value in BUYER:
        await chat.say(value)
    async with transaction(shop.sessions) as session:  # another customer bought 10 meanwhile
        await session.execute(
            update(Product).where(Product.name == BLUE).values(stock=Product.stock - 10)
        )

    done = await chat.say("yes")

    async with shop.sessions() as session:
        [ordered] = await session.scalars(
            select(OrderLine).where(OrderLine.order_id == done.order_id)
        )
    assert (ordered.quantity, ordered.unit_price, ordered.backorder) == (
        40,
        Decimal("38000.00"),
        34,
    )
    assert await blue_stock(shop) == 0


async def test_a_rejected_quote_changes_no_price_stock_or_order(shop: Runtime) -> None:
    await forty_quoted(shop, "en")
    proposal = await the_proposal(shop)
    before = await snapshot(shop)

    async with transaction(shop.sessions) as session:
        await decisions.reject(
            session, proposal.id, staff=await manager(shop), reason="no llegan más este mes"
        )

    assert await snapshot(shop) == before
    [_, text] = await told(shop, proposal.conversation_id)
    assert text.startswith("We checked your request (a special quote of 40 ×")
    assert text.endswith("can't approve it: no llegan más este mes. Your order stays as it was.")


async def test_a_quote_applies_nothing_without_an_approval_row(shop: Runtime) -> None:
    await forty_quoted(shop)
    proposal = await the_proposal(shop)
    before = await snapshot(shop)

    await applies_nothing_unapproved(shop, proposal.id)

    assert await snapshot(shop) == before


@pytest.mark.parametrize(
    ("meanwhile", "error"),
    [
        ({"stock": 15}, "existencias cambiaron"),
        ({"cart": f"quiero 16 {BLUE.lower()}"}, "carrito cambió"),
    ],
)
async def test_a_quote_after_the_stock_or_cart_changed_applies_nothing(
    shop: Runtime, meanwhile: dict[str, Any], error: str
) -> None:
    chat = Chat(shop, f"chat-{uuid.uuid4().hex[:8]}")
    await chat.say(f"quiero 40 {BLUE.lower()}")
    await chat.say("cotizar 40")
    proposal = await the_proposal(shop)
    if "stock" in meanwhile:
        async with transaction(shop.sessions) as session:
            await session.execute(
                update(Product).where(Product.name == BLUE).values(stock=meanwhile["stock"])
            )
    else:
        took = await chat.say(meanwhile["cart"])  # the 16 there are, at list price
        assert f"16 × {BLUE}" in took.reply
    before = await snapshot(shop)

    with pytest.raises(ConflictError, match=error):
        async with transaction(shop.sessions) as session:
            await decisions.approve(session, proposal.id, staff=await manager(shop))

    assert await snapshot(shop) == before
    assert (await the_proposal(shop)).status == ProposalStatus.PENDING


async def test_an_expired_quote_tells_the_customer_and_changes_nothing(shop: Runtime) -> None:
    await forty_quoted(shop)
    proposal = await the_proposal(shop)
    async with transaction(shop.sessions) as session:
        await session.execute(
            update(Proposal)
            .where(Proposal.id == proposal.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    before = await snapshot(shop)

    async with transaction(shop.sessions) as session:
        assert await decisions.expire(session, proposal.id) is not None

    assert (await the_proposal(shop)).status == ProposalStatus.EXPIRED
    [_, text] = await told(shop, proposal.conversation_id)
    assert text.startswith("Tu solicitud (una cotización especial de 40 ×")
    assert "no alcanzó a revisarse a tiempo" in text
    assert await snapshot(shop) == before


async def test_the_database_keeps_a_quoted_price_and_its_backorder(shop: Runtime) -> None:
    await forty_quoted(shop)
    proposal = await the_proposal(shop)
    async with transaction(shop.sessions) as session:
        await decisions.approve(session, proposal.id, staff=await manager(shop))
    before = await snapshot(shop)

    for values in ({"unit_price": Decimal(30000)}, {"backorder": 41}, {"backorder": -1}):
        with pytest.raises(IntegrityError):
            async with transaction(shop.sessions) as session:
                await session.execute(
                    update(SaleLine).where(SaleLine.sale_id == proposal.sale_id).values(**values)
                )

    assert await snapshot(shop) == before


async def test_a_discount_later_leaves_the_quoted_line_as_approved(shop: Runtime) -> None:
    chat = await forty_quoted(shop)
    quote = await the_proposal(shop)
    marta = await manager(shop)
    async with transaction(shop.sessions) as session:
        await decisions.approve(session, quote.id, staff=marta, value="35000")
    await chat.say("quiero 2 extintores de 10 libras ABC")

    asked = await chat.say("¿me dejan el 10% de descuento?")

    assert "10% de descuento: $170.000 → $153.000" in asked.reply  # the extinguishers only
    discount = await the_proposal(shop)
    async with transaction(shop.sessions) as session:
        await decisions.approve(session, discount.id, staff=marta)
    async with shop.sessions() as session:
        prices = dict(
            (
                await session.execute(
                    select(SaleLine.quantity, SaleLine.unit_price).where(
                        SaleLine.sale_id == quote.sale_id
                    )
                )
            ).all()
        )
    assert prices == {40: Decimal("35000.00"), 2: Decimal("76500.00")}
