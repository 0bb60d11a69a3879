"""Proposals on SQLite and PostgreSQL: a discount asked in a chat waits for a manager; approving
(edited or not) changes the cart's prices with its audit row in one transaction, rejecting or
expiring changes nothing, and nothing applies without an approval row."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from conftest import Chat, make_settings
from fixtures.proposal_rows import applies_nothing_unapproved, audits, manager, the_proposal, told
from sqlalchemy import func, select, update

from agent.db import transaction
from agent.errors import ConflictError, InvalidInputError
from agent.models import (
    Conversation,
    Order,
    Product,
    Proposal,
    ProposalStatus,
    SaleLine,
    utcnow,
)
from agent.proposals import decisions
from agent.proposals.kinds import PriceChange, ReserveStock, Restock
from salesagent.runtime import Runtime

HELMET = "Casco de seguridad tipo I clase E con ratchet azul"


@pytest.fixture
async def shop(shop_url: str, request: pytest.FixtureRequest) -> AsyncIterator[Runtime]:
    overrides: dict[str, Any] = getattr(request, "param", {})
    runtime = await Runtime.start(make_settings(shop_url, **overrides), migrate=False)
    yield runtime
    await runtime.close()


async def cart_of_two_helmets(shop: Runtime) -> Chat:
    chat = Chat(shop, f"chat-{uuid.uuid4().hex[:8]}")
    await chat.say("quiero 2 cascos de seguridad")
    added = await chat.say("1")
    assert "2 × " + HELMET in added.reply
    return chat


async def snapshot(shop: Runtime) -> dict[str, object]:
    """Everything a proposal could touch: prices in carts, stock, orders."""
    async with shop.sessions() as session:
        lines = (await session.execute(select(SaleLine.id, SaleLine.unit_price))).all()
        stock = (await session.execute(select(Product.id, Product.stock, Product.price))).all()
        orders = (await session.execute(select(Order.id, Order.total, Order.status))).all()
    return {"lines": sorted(lines), "stock": sorted(stock), "orders": sorted(orders)}


async def cart_prices(shop: Runtime, sale_id: int | None) -> list[Decimal]:
    async with shop.sessions() as session:
        rows = await session.scalars(select(SaleLine.unit_price).where(SaleLine.sale_id == sale_id))
        return list(rows)


async def test_a_discount_asked_waits_for_a_manager_and_changes_nothing(shop: Runtime) -> None:
    chat = await cart_of_two_helmets(shop)
    before = await snapshot(shop)

    asked = await chat.say("¿me dejan el 15% de descuento?")

    assert "15% de descuento: $76.000 → $64.600" in asked.reply
    assert "encargado" in asked.reply
    proposal = await the_proposal(shop)
    assert (proposal.kind, proposal.status) == ("discount", ProposalStatus.PENDING)
    assert proposal.effect["total_to"] == "64600.00"
    assert await snapshot(shop) == before
    assert await audits(shop, proposal.id) == []

    again = await chat.say("y el 10% de descuento?")
    assert "en revisión" in again.reply
    async with shop.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Proposal)) == 1


IMPOSSIBLE = {
    "es": "Un descuento del 150% no es posible: ningún descuento pasa del 100% del precio. Si "
    "quieres, pide uno menor y lo consulto con un encargado.",
    "en": "A 150% discount isn't possible: no discount goes beyond 100% of the price. If you "
    "like, ask for a smaller one and I'll check it with a manager.",
}


@pytest.mark.parametrize(
    ("language", "cart", "asked"),
    [
        ("es", ["quiero 2 cascos de seguridad", "1"], "¿me dejan el 150% de descuento?"),
        ("en", ["I want 2 safety helmets", "1"], "150% off?"),
        ("es", ["quiero 2 cascos de seguridad", "1"], "y si me hacen 150 por ciento de descuento"),
        ("es", [], "¿me dejan el 150% de descuento?"),
        ("en", [], "can I get 150% off?"),
    ],
    ids=["es-cart", "en-cart", "es-spelled-sign", "es-no-cart", "en-no-cart"],
)
async def test_a_discount_above_the_whole_price_is_not_possible_nor_a_quantity(
    shop: Runtime, language: str, cart: list[str], asked: str
) -> None:
    chat = Chat(shop, f"chat-{uuid.uuid4().hex[:8]}")
    for said in cart:
        await chat.say(said)
    before = await snapshot(shop)

    refused = await chat.say(asked)

    assert refused.reply == IMPOSSIBLE[language]
    assert await snapshot(shop) == before  # no 150 units in the cart, no price changed
    async with shop.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Proposal)) == 0


async def test_products_and_a_discount_in_one_message_fill_the_cart_then_ask(
    shop: Runtime,
) -> None:
    chat = Chat(shop, f"chat-{uuid.uuid4().hex[:8]}")

    early = await chat.say("quiero 2 cascos de seguridad con el 10% de descuento")
    assert "¿Cuál de estos quieres?" in early.reply  # nothing in the cart yet: nothing proposed
    assert early.reply.endswith("apenas tengas productos en el carrito, pídemelo de nuevo.")

    both = await chat.say("quiero 2 extintores de 10 libras ABC con el 10% de descuento")

    assert both.reply.startswith("Agregué 2 × Extintor multipropósito PQS ABC 10 lb")
    assert "10% de descuento: $170.000 → $153.000" in both.reply
    proposal = await the_proposal(shop)
    assert (proposal.status, proposal.effect["percent"]) == (ProposalStatus.PENDING, "10")


async def test_a_reservation_asked_is_proposed_for_each_product_of_the_cart(
    shop: Runtime,
) -> None:
    chat = await cart_of_two_helmets(shop)
    helmet = await a_helmet(shop)
    before = await snapshot(shop)

    asked = await chat.say("¿me los pueden apartar hasta el viernes?")

    assert asked.reply.startswith(
        f"Le pedí a un encargado que apruebe apartar 2 × {HELMET}"
        f" (existencias {helmet.stock} → {helmet.stock - 2})."
    )
    proposal = await the_proposal(shop)
    assert (proposal.kind, proposal.status) == ("reserve_stock", ProposalStatus.PENDING)
    assert await snapshot(shop) == before
    again = await chat.say("resérvamelos")
    assert "en revisión" in again.reply


async def test_an_edited_approval_lowers_the_prices_with_its_audit_row(shop: Runtime) -> None:
    chat = await cart_of_two_helmets(shop)
    await chat.say("hazme un descuento del 15%")
    proposal = await the_proposal(shop)
    marta = await manager(shop)

    async with transaction(shop.sessions) as session:
        decided = await decisions.approve(session, proposal.id, staff=marta, value="10")

    assert decided.proposal.status == ProposalStatus.EDITED
    assert await cart_prices(shop, proposal.sale_id) == [Decimal("34200.00")]
    [audit] = await audits(shop, proposal.id)
    assert (audit.decision, audit.staff_id) == (ProposalStatus.EDITED, marta.id)
    assert audit.changes["proposed"]["percent"] == "15"
    assert audit.changes["applied"]["percent"] == "10"
    assert audit.changes["rows"]["total"] == {"from": "76000.00", "to": "68400.00"}
    assert (await told(shop, proposal.conversation_id))[1:] == [
        "¡Buenas noticias! Aprobaron tu solicitud: 10% de descuento: $76.000 → $68.400."
    ]
    summary = await chat.say("ver mi carrito")
    assert "$68.400" in summary.reply


async def test_a_rejection_changes_no_price_stock_or_order(shop: Runtime) -> None:
    chat = await cart_of_two_helmets(shop)
    await chat.say("can I get 20% off?")
    proposal = await the_proposal(shop)
    before = await snapshot(shop)
    marta = await manager(shop)

    with pytest.raises(InvalidInputError):
        async with transaction(shop.sessions) as session:
            await decisions.reject(session, proposal.id, staff=marta, reason="  ")
    async with transaction(shop.sessions) as session:
        await decisions.reject(session, proposal.id, staff=marta, reason="ya tiene precio de lista")

    assert await snapshot(shop) == before
    assert (await the_proposal(shop)).status == ProposalStatus.REJECTED
    [audit] = await audits(shop, proposal.id)
    assert (audit.decision, audit.note) == (ProposalStatus.REJECTED, "ya tiene precio de lista")
    [_, text] = await told(shop, proposal.conversation_id)
    assert "can't approve it: ya tiene precio de lista" in text  # in the customer's language
    with pytest.raises(ConflictError):  # decided once
        async with transaction(shop.sessions) as session:
            await decisions.approve(session, proposal.id, staff=marta)
    assert await snapshot(shop) == before


async def reservation(shop: Runtime, chat: Chat, quantity: int) -> tuple[Proposal, Product]:
    """A pending proposal to set `quantity` helmets aside for the chat's customer."""
    async with transaction(shop.sessions) as session:
        product = await session.scalar(select(Product).where(Product.name == HELMET))
        conversation = await session.scalar(
            select(Conversation).where(Conversation.external_chat_id == chat.chat_id)
        )
        assert product is not None and conversation is not None
        proposal = await decisions.propose(
            session,
            conversation,
            ReserveStock.name,
            ReserveStock.effect(product, quantity),
            asked=f"apártame {quantity}",
            ttl=timedelta(minutes=5),
        )
    return proposal, product


async def test_nothing_applies_without_an_approval_row(shop: Runtime) -> None:
    chat = await cart_of_two_helmets(shop)
    await chat.say("¿me dejan el 15% de descuento?")
    discount = await the_proposal(shop)
    reserve, _ = await reservation(shop, chat, 3)
    before = await snapshot(shop)

    for proposal_id in (discount.id, reserve.id):
        await applies_nothing_unapproved(shop, proposal_id)

    assert await snapshot(shop) == before


async def test_a_reservation_approved_takes_the_units_out_of_stock(shop: Runtime) -> None:
    chat = await cart_of_two_helmets(shop)
    marta = await manager(shop)
    proposal, product = await reservation(shop, chat, 3)
    stock = product.stock

    with pytest.raises(InvalidInputError):
        async with transaction(shop.sessions) as session:
            await decisions.approve(session, proposal.id, staff=marta, value=str(stock + 1))
    async with transaction(shop.sessions) as session:
        await decisions.approve(session, proposal.id, staff=marta, value="2")

    async with shop.sessions() as session:
        left = await session.scalar(select(Product.stock).where(Product.id == product.id))
    assert left == stock - 2
    [audit] = await audits(shop, proposal.id)
    assert audit.changes["rows"]["stock"] == {product.sku: {"from": stock, "to": stock - 2}}
    [text] = await told(shop, proposal.conversation_id)
    assert text.endswith(f"apartar 2 × {HELMET} (existencias {stock} → {stock - 2}).")


async def test_a_reservation_after_a_sale_of_the_units_applies_nothing(shop: Runtime) -> None:
    chat = await cart_of_two_helmets(shop)
    marta = await manager(shop)
    proposal, product = await reservation(shop, chat, 3)
    async with transaction(shop.sessions) as session:  # another customer bought one meanwhile
        await session.execute(
            update(Product).where(Product.id == product.id).values(stock=Product.stock - 1)
        )
    before = await snapshot(shop)

    with pytest.raises(ConflictError, match="existencias cambiaron"):
        async with transaction(shop.sessions) as session:
            await decisions.approve(session, proposal.id, staff=marta)

    assert await snapshot(shop) == before
    assert (await the_proposal(shop)).status == ProposalStatus.PENDING


async def test_a_cart_changed_since_the_proposal_is_not_discounted(shop: Runtime) -> None:
    chat = await cart_of_two_helmets(shop)
    await chat.say("¿me dejan el 15% de descuento?")
    proposal = await the_proposal(shop)
    await chat.say("mejor que sean 3")
    before = await snapshot(shop)
    marta = await manager(shop)

    with pytest.raises(ConflictError, match="carrito cambió"):
        async with transaction(shop.sessions) as session:
            await decisions.approve(session, proposal.id, staff=marta)

    assert await snapshot(shop) == before
    assert (await the_proposal(shop)).status == ProposalStatus.PENDING
    assert await audits(shop, proposal.id) == []


@pytest.mark.parametrize("shop", [{"proposal_discount_threshold": 10}], indirect=True)
async def test_a_discount_within_the_threshold_is_granted_by_the_rule(shop: Runtime) -> None:
    chat = await cart_of_two_helmets(shop)

    granted = await chat.say("¿me dejan el 5% de descuento?")

    assert (
        granted.reply
        == "¡Buenas noticias! Aprobaron tu solicitud: 5% de descuento: $76.000 → $72.200."
    )
    proposal = await the_proposal(shop)
    assert proposal.status == ProposalStatus.APPROVED
    [audit] = await audits(shop, proposal.id)
    assert (audit.staff_id, audit.note) == (None, "threshold")
    assert await cart_prices(shop, proposal.sale_id) == [Decimal("36100.00")]


async def test_a_pending_proposal_expires_once_and_the_customer_is_told(shop: Runtime) -> None:
    chat = await cart_of_two_helmets(shop)
    await chat.say("¿me dejan el 15% de descuento?")
    proposal = await the_proposal(shop)
    before = await snapshot(shop)
    async with transaction(shop.sessions) as session:
        assert await decisions.due(session) == []
        await session.execute(
            update(Proposal)
            .where(Proposal.id == proposal.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )

    async def expire() -> int:
        async with shop.sessions() as session:
            due = await decisions.due(session)
        done = 0
        for proposal_id in due:
            async with transaction(shop.sessions) as session:
                done += await decisions.expire(session, proposal_id) is not None
        return done

    # Two workers at once: one expires it and tells the customer.
    assert sorted(await asyncio.gather(expire(), expire())) == [0, 1]
    assert (await the_proposal(shop)).status == ProposalStatus.EXPIRED
    [_, text] = await told(shop, proposal.conversation_id)
    assert "no alcanzó a revisarse a tiempo" in text
    assert [a.decision for a in await audits(shop, proposal.id)] == [ProposalStatus.EXPIRED]
    assert await snapshot(shop) == before


async def staff_proposal(shop: Runtime, kind: str, effect: dict[str, Any]) -> Proposal:
    """A proposal of the staff's own (the assistant's restock or price change): no chat."""
    async with transaction(shop.sessions) as session:
        return await decisions.propose(
            session, None, kind, effect, asked="", ttl=timedelta(minutes=5)
        )


async def a_helmet(shop: Runtime) -> Product:
    async with shop.sessions() as session:
        product = await session.scalar(select(Product).where(Product.name == HELMET))
    assert product is not None
    return product


async def test_a_restock_approved_adds_to_the_stock_as_it_is_then(shop: Runtime) -> None:
    helmet = await a_helmet(shop)
    proposal = await staff_proposal(shop, Restock.name, Restock.effect(helmet, 40))
    marta = await manager(shop)
    async with transaction(shop.sessions) as session:  # two sold while it waited
        await session.execute(
            update(Product).where(Product.id == helmet.id).values(stock=Product.stock - 2)
        )

    async with transaction(shop.sessions) as session:
        decided = await decisions.approve(session, proposal.id, staff=marta, value="50")

    assert decided.outbox_id is None  # nobody to tell: the staff's own proposal
    async with shop.sessions() as session:
        stock = await session.scalar(select(Product.stock).where(Product.id == helmet.id))
    assert stock == helmet.stock - 2 + 50
    [audit] = await audits(shop, proposal.id)
    assert audit.changes["rows"]["stock"] == {
        helmet.sku: {"from": helmet.stock - 2, "to": helmet.stock + 48}
    }


@pytest.mark.parametrize(
    ("typed", "price"),
    [
        ("40.000", "40000.00"),
        ("40.000,50", "40000.50"),
        ("41000.5", "41000.50"),
        ("$39000", "39000.00"),
    ],
)
async def test_a_price_change_approved_sets_the_price_staff_typed(
    shop: Runtime, typed: str, price: str
) -> None:
    helmet = await a_helmet(shop)
    effect = PriceChange.effect(helmet, Decimal(45000), "COP")
    proposal = await staff_proposal(shop, PriceChange.name, effect)
    marta = await manager(shop)

    async with transaction(shop.sessions) as session:
        await decisions.approve(session, proposal.id, staff=marta, value=typed)

    assert (await a_helmet(shop)).price == Decimal(price)


async def test_a_price_changed_meanwhile_is_not_overwritten(shop: Runtime) -> None:
    helmet = await a_helmet(shop)
    proposal = await staff_proposal(
        shop, PriceChange.name, PriceChange.effect(helmet, Decimal(45000), "COP")
    )
    marta = await manager(shop)
    async with transaction(shop.sessions) as session:  # the catalog import set another
        await session.execute(
            update(Product).where(Product.id == helmet.id).values(price=Decimal(39000))
        )
    with pytest.raises(InvalidInputError):
        async with transaction(shop.sessions) as session:
            await decisions.approve(session, proposal.id, staff=marta, value="gratis")

    with pytest.raises(ConflictError, match="precio cambió"):
        async with transaction(shop.sessions) as session:
            await decisions.approve(session, proposal.id, staff=marta)

    assert (await a_helmet(shop)).price == Decimal(39000)
    assert (await the_proposal(shop)).status == ProposalStatus.PENDING
