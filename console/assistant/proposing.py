"""A staff request made a pending proposal, never applied: the product found through the catalog
search, the number checked, the exact effect (from → to) written by `decisions.propose`, the
same path a customer's discount takes; a manager approves or rejects it at /console/proposals.

Words that name several products propose nothing and list them; a missing or invalid number
is asked for. Asking twice for the same change shows the proposal already pending.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.catalog.search import ProductIndex, load_products
from agent.db import transaction
from agent.errors import InvalidInputError
from agent.i18n import money
from agent.models import Product, Proposal, ProposalStatus, Staff
from agent.proposals import decisions
from agent.proposals.kinds import KINDS, MAX_RESTOCK, PriceChange, Restock
from agent.settings import Settings
from agent.words import t
from console.assistant.answers import Answer, Column, Kind, Link
from console.assistant.requests import Request, RequestName

DESK = "/console/proposals"
CANDIDATES = 5
"""How many products an ambiguous request lists."""
KIND = {RequestName.RESTOCK: Restock.name, RequestName.PRICE_CHANGE: PriceChange.name}


def _message(request: Request, title: str, note: str) -> Answer:
    """An answer with no table: what is missing, and nothing proposed."""
    return Answer(request.name.value, title, None, [], [], notes=[note])


def _candidates(request: Request, products: list[Product]) -> Answer:
    language = request.language
    return Answer(
        request.name.value,
        t(language, "assistant.request.which"),
        None,
        [
            Column("sku", t(language, "assistant.col.sku")),
            Column("product", t(language, "assistant.col.product")),
            Column("price", t(language, "assistant.col.price"), Kind.MONEY),
            Column("stock", t(language, "assistant.col.stock"), Kind.COUNT),
        ],
        [[p.sku, p.name, p.price, p.stock] for p in products[:CANDIDATES]],
        notes=[t(language, "assistant.request.several", product=request.product)],
    )


def _proposed(request: Request, proposal: Proposal, *, already: bool) -> Answer:
    """The proposal as the staff read it: what it changes, from → to."""
    language, effect = request.language, proposal.effect
    name = Column("product", t(language, "assistant.col.product"))
    sku = Column("sku", t(language, "assistant.col.sku"))
    if proposal.kind == Restock.name:
        columns = [
            name,
            sku,
            Column("quantity", t(language, "assistant.col.units"), Kind.COUNT),
            Column("before", t(language, "assistant.col.stock_before"), Kind.COUNT),
            Column("after", t(language, "assistant.col.stock_after"), Kind.COUNT),
        ]
        row: list[Any] = [
            effect["name"],
            effect["sku"],
            effect["quantity"],
            effect["stock_from"],
            effect["stock_to"],
        ]
    else:
        columns = [
            name,
            sku,
            Column("before", t(language, "assistant.col.price_before"), Kind.MONEY),
            Column("after", t(language, "assistant.col.price_after"), Kind.MONEY),
        ]
        before = effect["price_from"]
        row = [
            effect["name"],
            effect["sku"],
            None if before is None else Decimal(before),
            Decimal(effect["price"]),
        ]
    if already:
        title = t(language, "assistant.request.already", id=proposal.id)
    else:
        title = t(language, "assistant.request.proposed", id=proposal.id)
    return Answer(
        request.name.value,
        title,
        None,
        columns,
        [row],
        notes=[
            KINDS[proposal.kind].describe(effect, language),
            t(language, "assistant.request.waits"),
        ],
        link=Link(DESK, t(language, "assistant.request.desk")),
    )


def _effect(request: Request, product: Product, settings: Settings) -> dict[str, Any] | None:
    """The exact effect of the request on `product` as it is now; None when its number will
    not do (a restock counts whole units, a price is above zero)."""
    number = request.number
    if number is None:
        return None
    if request.name == RequestName.RESTOCK:
        if number != int(number) or not 0 < number <= MAX_RESTOCK:
            return None
        return Restock.effect(product, int(number))
    try:
        return PriceChange.effect(product, number, settings.currency)
    except InvalidInputError:
        return None


def _missing_number(request: Request, product: Product, settings: Settings) -> Answer:
    """Ask for the number the request lacks (or had wrong), with the product as it is now."""
    language = request.language
    if request.name == RequestName.RESTOCK:
        note = t(
            language,
            "assistant.request.quantity",
            name=product.name,
            stock=product.stock,
            max=MAX_RESTOCK,
        )
    else:
        price = money(product.price, settings.currency, language)
        note = t(language, "assistant.request.price", name=product.name, price=price)
    return _message(request, t(language, "assistant.request.nothing"), note)


def not_sent(request: Request) -> Answer:
    """What a page load of a request says: proposals are sent with the page's button (a POST),
    so reloading the page never proposes again."""
    language = request.language
    note = t(language, "assistant.request.not_sent")
    return _message(request, t(language, "assistant.request.nothing"), note)


async def _pending_same(
    session: AsyncSession, kind: str, effect: dict[str, Any]
) -> Proposal | None:
    """A staff proposal still pending that would make the same change."""
    pending = await session.scalars(
        select(Proposal).where(
            Proposal.kind == kind,
            Proposal.status == ProposalStatus.PENDING,
            Proposal.conversation_id.is_(None),
        )
    )
    return next((p for p in pending if p.effect == effect), None)


async def propose(
    request: Request,
    *,
    question: str,
    staff: Staff,
    sessions: async_sessionmaker[AsyncSession],
    index: ProductIndex,
    settings: Settings,
) -> Answer:
    """Make the pending proposal `request` asks for, or say why none was made."""
    language = request.language
    nothing = t(language, "assistant.request.nothing")
    if not request.product:
        return _message(request, nothing, t(language, "assistant.request.name_it"))
    async with transaction(sessions) as session:
        await index.ensure_fresh(session)
        hits = index.matching(request.product, limit=CANDIDATES + 1)
        products = await load_products(session, [hit.product_id for hit in hits])
        if not products:
            note = t(language, "assistant.request.no_product", product=request.product)
            return _message(request, nothing, note)
        if len(products) > 1:
            return _candidates(request, products)
        product = products[0]
        effect = _effect(request, product, settings)
        if effect is None:
            return _missing_number(request, product, settings)
        kind = KIND[request.name]
        pending = await _pending_same(session, kind, effect)
        if pending is not None:
            return _proposed(request, pending, already=True)
        proposal = await decisions.propose(
            session,
            None,
            kind,
            effect,
            asked=f"{staff.name}: {question}",
            ttl=timedelta(minutes=settings.proposal_ttl_minutes),
        )
        return _proposed(request, proposal, already=False)
