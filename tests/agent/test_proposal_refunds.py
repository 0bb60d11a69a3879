"""Returns and refunds on SQLite and PostgreSQL: asked in a chat by the order's verified owner,
they wait for a manager; approving (with an edited refund or not) marks the order refunded and
puts the units back with its audit row in one transaction, once per order and never above its
total; rejecting changes nothing; another customer's order is refused without a word about it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from conftest import Chat, make_settings
from fixtures.proposal_rows import applies_nothing_unapproved, audits, manager, told
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from agent.db import transaction
from agent.errors import ConflictError, InvalidInputError
from agent.models import (
    Conversation,
    Customer,
    Order,
    Product,
    Proposal,
    ProposalStatus,
)
from agent.proposals import decisions
from agent.proposals.kinds import Refund
from salesagent.runtime import Runtime

LUISA = ("1088312904", "+573006213344")
"""A demo customer with one past order: 1 × K 6 L, 2 × PQS 10 lb, 3 × RIS-308 ($556.000)."""
JORGE = ("1093221457", "+573155508817")
"""A demo customer with three past orders; the oldest has 25 white helmets at $35.000."""
MARIA = ("1088245671", "+573104567821")


@pytest.fixture
async def shop(shop_url: str) -> AsyncIterator[Runtime]:
    runtime = await Runtime.start(make_settings(shop_url), migrate=False)
    yield runtime
    await runtime.close()


async def customer_chat(shop: Runtime, who: tuple[str, str]) -> Chat:
    """The customer's own WhatsApp chat (its number is the phone on file), once they gave their
    cédula: a verified chat."""
    national_id, phone = who
    chat = Chat(shop, f"whatsapp:{phone}", channel="whatsapp")
    hello = await chat.say(f"mi cédula es {national_id}")
    assert "Hola" in hello.reply, hello.reply
    return chat


async def orders_of(shop: Runtime, who: tuple[str, str]) -> list[Order]:
    """The customer's orders, oldest first."""
    async with shop.sessions() as session:
        rows = await session.scalars(
            select(Order)
            .join(Customer, Customer.id == Order.customer_id)
            .where(Customer.national_id == who[0])
            .order_by(Order.created_at)
        )
        return list(rows)


async def snapshot(shop: Runtime) -> dict[str, list[Any]]:
    """Everything a return could touch: stock and orders (status, total, refunded)."""
    async with shop.sessions() as session:
        stock = (await session.execute(select(Product.sku, Product.stock))).all()
        orders = (
            await session.execute(select(Order.id, Order.status, Order.total, Order.refunded))
        ).all()
    return {"stock": sorted(stock), "orders": sorted(orders)}


async def proposals(shop: Runtime) -> list[Proposal]:
    async with shop.sessions() as session:
        return list(await session.scalars(select(Proposal).order_by(Proposal.id)))


async def stock_of(shop: Runtime, sku: str) -> int:
    async with shop.sessions() as session:
        stock = await session.scalar(select(Product.stock).where(Product.sku == sku))
    assert stock is not None
    return stock


LUISA_EFFECT = (
    "devolución del pedido #{order} (1 × Extintor clase K 6 litros para cocina a $365.000, "
    "2 × Extintor multipropósito PQS ABC 10 lb a $85.000, 3 × {ris} a $7.000): reembolso de "
    "$556.000, y las unidades vuelven al inventario"
)


@pytest.mark.parametrize(
    "asked",
    [
        "quiero devolver el pedido {order}",
        "Quisiera hacer la devolución de la orden #{order}, por favor",
        "devuélvanme la plata",
        "I want to return order {order}",
        "refund please",
    ],
)
async def test_a_return_asked_by_the_owner_waits_for_a_manager(shop: Runtime, asked: str) -> None:
    chat = await customer_chat(shop, LUISA)
    [order] = await orders_of(shop, LUISA)
    before = await snapshot(shop)

    answer = await chat.say(asked.format(order=order.id))

    assert len(await proposals(shop)) == 1, answer.reply
    [proposal] = await proposals(shop)
    assert (proposal.kind, proposal.status) == ("refund", ProposalStatus.PENDING)
    assert (proposal.order_id, proposal.customer_id) == (order.id, order.customer_id)
    assert proposal.effect["amount"] == proposal.effect["computed"] == "556000.00"
    assert proposal.effect["whole"] is True and proposal.effect["restock"] is True
    [ris] = [line.name for line in order.lines if line.sku == "RIS-308"]
    effect = Refund().describe(proposal.effect, "es")
    assert effect == LUISA_EFFECT.format(order=order.id, ris=ris)
    if proposal.language == "es":
        assert answer.reply.startswith(f"Le pedí a un encargado que apruebe {effect}.")
    else:
        assert answer.reply.startswith(
            f"I've asked a manager to approve return of order #{order.id}"
        )
        assert "refund of $556.000, and the units go back to stock" in answer.reply
    assert await snapshot(shop) == before
    again = await chat.say(f"quiero devolver el pedido {order.id}")
    assert "en revisión" in again.reply
    assert len(await proposals(shop)) == 1


async def test_with_several_orders_the_customer_is_asked_which_of_their_own(
    shop: Runtime,
) -> None:
    chat = await customer_chat(shop, JORGE)
    oldest, middle, newest = await orders_of(shop, JORGE)
    others = [order.id for order in await orders_of(shop, MARIA)]

    which = await chat.say("necesito hacer una devolución")

    assert which.reply.startswith("¿Cuál pedido quieres devolver? Escríbeme su número:")
    assert f"• #{newest.id} — 15/09/2026 — $2.085.000" in which.reply
    assert f"#{middle.id}" in which.reply and f"#{oldest.id}" in which.reply
    assert not any(f"#{order_id} " in which.reply for order_id in others)
    assert await proposals(shop) == []

    chosen = await chat.say(f"el {middle.id}")

    [proposal] = await proposals(shop)
    assert (proposal.order_id, proposal.asked) == (
        middle.id,
        f"necesito hacer una devolución · el {middle.id}",
    )
    assert f"devolución del pedido #{middle.id} (6 × " in chosen.reply


async def test_another_customers_order_is_refused_like_one_that_does_not_exist(
    shop: Runtime,
) -> None:
    chat = await customer_chat(shop, LUISA)
    [marias, *_] = await orders_of(shop, MARIA)
    before = await snapshot(shop)

    theirs = await chat.say(f"quiero devolver el pedido {marias.id}")
    missing = await chat.say("quiero devolver el pedido 999999")

    assert theirs.reply == (
        f"No encuentro el pedido #{marias.id} entre tus pedidos. Revisa el número (está en la "
        "confirmación) o escribe «mis pedidos» para verlos."
    )
    assert missing.reply == theirs.reply.replace(f"#{marias.id}", "#999999")
    for leak in ("María", "Ospina", "$", "Extintor"):
        assert leak not in theirs.reply
    assert await proposals(shop) == []
    assert await snapshot(shop) == before


async def test_a_product_the_order_does_not_have_is_not_returned(shop: Runtime) -> None:
    chat = await customer_chat(shop, LUISA)
    [order] = await orders_of(shop, LUISA)

    asked = await chat.say(f"quiero devolver los cascos del pedido {order.id}")

    assert asked.reply.startswith(
        f"El pedido #{order.id} no tiene ese producto; tiene: Extintor clase K 6 litros para "
        "cocina, Extintor multipropósito PQS ABC 10 lb"
    )
    assert await proposals(shop) == []


async def test_a_cancelled_order_is_not_returnable(shop: Runtime) -> None:
    chat = await customer_chat(shop, LUISA)
    [order] = await orders_of(shop, LUISA)
    async with transaction(shop.sessions) as session:
        await session.execute(update(Order).where(Order.id == order.id).values(status="cancelled"))

    named = await chat.say(f"quiero devolver el pedido {order.id}")
    unnamed = await chat.say("devuélvanme la plata")

    assert named.reply == f"El pedido #{order.id} fue cancelado, así que no tiene devolución."
    assert unnamed.reply.startswith("No encuentro pedidos tuyos recientes que se puedan devolver.")
    assert await proposals(shop) == []


async def test_a_stranger_is_asked_who_they_are_and_nothing_is_proposed(shop: Runtime) -> None:
    [order] = await orders_of(shop, LUISA)
    chat = Chat(shop, f"chat-{uuid.uuid4().hex[:8]}")

    asked = await chat.say(f"quiero devolver el pedido {order.id}")

    assert asked.reply.startswith("Con gusto reviso la devolución. Primero necesito confirmar")
    assert f"#{order.id}" not in asked.reply
    assert await proposals(shop) == []


async def test_a_question_about_the_returns_policy_is_answered_as_before(shop: Runtime) -> None:
    chat = await customer_chat(shop, LUISA)

    policy = await chat.say("¿cuál es la política de devoluciones?")

    assert "8 días" in policy.reply
    assert await proposals(shop) == []


async def test_a_partial_return_with_an_edited_refund_moves_exactly_that(shop: Runtime) -> None:
    chat = await customer_chat(shop, JORGE)
    oldest, *_ = await orders_of(shop, JORGE)
    helmets = await stock_of(shop, "CAS-I-E-BL")
    before = await snapshot(shop)

    asked = await chat.say(f"quiero devolver 2 cascos del pedido {oldest.id}")

    assert (
        f"devolución del pedido #{oldest.id} (2 × Casco de seguridad tipo I clase E con ratchet "
        "blanco a $35.000): reembolso de $70.000, y las unidades vuelven al inventario"
        in asked.reply
    )
    [proposal] = await proposals(shop)
    assert proposal.effect["whole"] is False
    marta = await manager(shop)
    for too_much in ("70.001", "0", "mucho"):
        with pytest.raises(InvalidInputError, match=r"máximo \$70\.000"):
            async with transaction(shop.sessions) as session:
                await decisions.approve(session, proposal.id, staff=marta, value=too_much)
    assert await snapshot(shop) == before

    async with transaction(shop.sessions) as session:
        decided = await decisions.approve(session, proposal.id, staff=marta, value="60.000")

    assert decided.proposal.status == ProposalStatus.EDITED
    async with shop.sessions() as session:
        order = await session.get(Order, oldest.id)
    assert order is not None
    assert (order.status, order.refunded) == ("partially_refunded", Decimal("60000.00"))
    assert await stock_of(shop, "CAS-I-E-BL") == helmets + 2
    after = await snapshot(shop)
    others = [row for row in after["stock"] if row[0] != "CAS-I-E-BL"]
    assert others == [row for row in before["stock"] if row[0] != "CAS-I-E-BL"]
    [audit] = await audits(shop, proposal.id)
    assert (audit.decision, audit.staff_id) == (ProposalStatus.EDITED, marta.id)
    assert audit.changes["proposed"]["amount"] == "70000.00"
    assert audit.changes["applied"]["amount"] == "60000.00"
    assert audit.changes["rows"]["order"][str(oldest.id)] == {
        "status": {"from": "delivered", "to": "partially_refunded"},
        "refunded": {"from": "0", "to": "60000.00"},
    }
    assert audit.changes["rows"]["stock"] == {"CAS-I-E-BL": {"from": helmets, "to": helmets + 2}}
    assert (await told(shop, proposal.conversation_id))[-1] == (
        "¡Buenas noticias! Aprobaron tu solicitud: devolución del pedido "
        f"#{oldest.id} (2 × Casco de seguridad tipo I clase E con ratchet blanco a $35.000): "
        "reembolso de $60.000, y las unidades vuelven al inventario."
    )
    history = await chat.say("mis pedidos")
    assert f"#{oldest.id}* — 02/06/2025 — $3.582.000 (devuelto en parte)" in history.reply


async def test_an_order_is_never_refunded_twice_nor_above_its_total(shop: Runtime) -> None:
    chat = await customer_chat(shop, LUISA)
    [order] = await orders_of(shop, LUISA)
    await chat.say(f"quiero devolver el pedido {order.id}")
    [first] = await proposals(shop)
    marta = await manager(shop)
    async with transaction(shop.sessions) as session:
        await decisions.approve(session, first.id, staff=marta)
    refunded = await snapshot(shop)

    again = await chat.say(f"quiero devolver el pedido {order.id}")

    assert again.reply == (
        f"El pedido #{order.id} ya tuvo su devolución y reembolso; no se puede devolver otra vez."
    )
    assert len(await proposals(shop)) == 1
    # A second proposal written behind the chat's back is refused when approved.
    async with transaction(shop.sessions) as session:
        conversation = await session.get(Conversation, first.conversation_id)
        stale = await session.get(Order, order.id)
        assert stale is not None
        effect = {**first.effect, "lines": first.effect["lines"][:1]}
        second = await decisions.propose(
            session, conversation, Refund.name, effect, asked="", ttl=timedelta(minutes=5)
        )
    with pytest.raises(ConflictError, match="ya no admite devolución"):
        async with transaction(shop.sessions) as session:
            await decisions.approve(session, second.id, staff=marta)
    assert await snapshot(shop) == refunded
    assert await audits(shop, second.id) == []
    # And the database itself refuses a refund above the order's total.
    with pytest.raises(IntegrityError):
        async with transaction(shop.sessions) as session:
            await session.execute(
                update(Order).where(Order.id == order.id).values(refunded=Order.total + 1)
            )
    assert await snapshot(shop) == refunded


async def test_a_rejected_return_changes_no_order_or_stock(shop: Runtime) -> None:
    chat = await customer_chat(shop, LUISA)
    asked = await chat.say("I want to return my order, the extinguishers were the wrong kind")
    assert "return of order #" in asked.reply
    [proposal] = await proposals(shop)
    before = await snapshot(shop)
    marta = await manager(shop)

    async with transaction(shop.sessions) as session:
        await decisions.reject(session, proposal.id, staff=marta, reason="pasaron más de 8 días")

    assert await snapshot(shop) == before
    [_, text] = await told(shop, proposal.conversation_id)  # "it is being checked", then this
    assert "can't approve it: pasaron más de 8 días" in text
    [audit] = await audits(shop, proposal.id)
    assert audit.decision == ProposalStatus.REJECTED


async def test_a_return_applies_nothing_without_an_approval_row(shop: Runtime) -> None:
    chat = await customer_chat(shop, LUISA)
    await chat.say("devuélvanme la plata")
    [proposal] = await proposals(shop)
    before = await snapshot(shop)

    await applies_nothing_unapproved(shop, proposal.id)

    assert await snapshot(shop) == before


async def test_damaged_goods_are_refunded_without_going_back_to_stock(shop: Runtime) -> None:
    chat = await customer_chat(shop, LUISA)
    pqs = await stock_of(shop, "EXT-PQS-10")

    asked = await chat.say("me llegó dañado un extintor PQS, quiero la devolución")

    assert "sin volver al inventario (llegaron con daño)" in asked.reply
    [proposal] = await proposals(shop)
    assert [line["sku"] for line in proposal.effect["lines"]] == ["EXT-PQS-10"]
    assert [line["quantity"] for line in proposal.effect["lines"]] == [1]
    async with transaction(shop.sessions) as session:
        await decisions.approve(session, proposal.id, staff=await manager(shop))
    assert await stock_of(shop, "EXT-PQS-10") == pqs
    async with shop.sessions() as session:
        refunded = await session.scalar(select(func.sum(Order.refunded)))
    assert refunded == Decimal("85000.00")
