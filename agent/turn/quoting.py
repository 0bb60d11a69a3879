"""A special quote asked in a chat becomes a proposal for a manager (README "Proposals").

Two asks make one: a wholesale price for at least `lead_wholesale_quantity` units of a product
("precio por mayor de 200 cascos", "bulk price for 300 helmets", "¿cuánto me dejan si llevo
200?"), and the full count of a product the shop has fewer of, once the customer insists
("cotizar 40", "quiero las 40 completas") after being told how many there are and offered
those. The product is the one named (the handlers answer first and find it), else the one
just found short, else the cart's last line. The customer is told it is being checked; a
wholesale word under the minimum says from how many units it applies.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agent.domain import DomainResult
from agent.models import Conversation, Product, Sale, SaleState
from agent.nlu.types import Understanding
from agent.proposals import decisions
from agent.proposals.asks import QuoteAsk, quote_asked
from agent.proposals.kinds import OPEN_SALE, Quote
from agent.settings import Settings
from agent.turn.answer import Reply
from agent.words import t

HANDLER = decisions.HANDLER


async def ask_quote(
    session: AsyncSession,
    conversation: Conversation,
    sale: Sale | None,
    text: str,
    understanding: Understanding,
    *,
    settings: Settings,
) -> Reply | None:
    """The answer to a quote asked without naming a product (of the units just found short,
    or of the cart's last line), or None when the message asks for none or names products
    (the handlers find them first: `after_answer`)."""
    asked = quote_asked(text)
    if asked is None or understanding.entities.products:
        return None
    sale = sale if _open(sale) else None
    target = await _short_of(session, sale, asked)
    if target is None and sale is not None and sale.lines:
        target = (sale.lines[-1].product, asked.quantity)
    if target is None:
        return None
    product, quantity = target
    proposed = await _proposed(
        session, conversation, sale, product, quantity, asked, text, understanding, settings
    )
    if proposed is None:
        return None
    said, sale = proposed
    return Reply(DomainResult(reply=said, products=[product], sale=sale), HANDLER)


async def after_answer(
    session: AsyncSession,
    conversation: Conversation,
    reply: Reply,
    text: str,
    understanding: Understanding,
    *,
    settings: Settings,
) -> Reply:
    """The handlers' reply, followed by what became of a quote asked with a product named."""
    asked = quote_asked(text)
    if asked is None or reply.handed_off or not understanding.entities.products:
        return reply
    product = _the_product(reply.result)
    if product is None:
        return reply
    sale = reply.result.sale if _open(reply.result.sale) else None
    mentioned = understanding.entities.products[0].quantity
    quantity = mentioned or asked.quantity
    proposed = await _proposed(
        session, conversation, sale, product, quantity, asked, text, understanding, settings
    )
    if proposed is None:
        return reply
    said, sale = proposed
    result = replace(reply.result, reply=f"{reply.result.reply}\n\n{said}", sale=sale)
    return replace(reply, result=result)


async def _proposed(
    session: AsyncSession,
    conversation: Conversation,
    sale: Sale | None,
    product: Product,
    quantity: int | None,
    asked: QuoteAsk,
    text: str,
    understanding: Understanding,
    settings: Settings,
) -> tuple[str, Sale | None] | None:
    """Propose the quote the message asks for; what the customer is told and the sale it is
    for, or None when it is not one (a plain price question, a count the shop has, a product
    priced on request)."""
    language = understanding.language
    minimum = settings.lead_wholesale_quantity
    wholesale = quantity is not None and quantity >= minimum
    short = quantity is not None and quantity > product.stock and asked.insists
    if product.price is None or not (wholesale or short):
        if asked.wholesale:
            return t(language, "proposals.asked.quote_minimum", minimum=minimum), sale
        return None
    assert quantity is not None
    sale = sale or await _sale_of(session, conversation)
    if await decisions.has_pending(session, sale_id=sale.id):
        return t(language, "proposals.asked.already"), sale
    await session.flush()  # the cart's new lines get their ids
    effect = Quote.effect(sale, product, quantity, product.price, settings.currency)
    said = await decisions.checked_by_manager(
        session,
        conversation,
        Quote.name,
        [effect],
        asked=text,
        language=language,
        minutes=settings.proposal_ttl_minutes,
        sale_id=sale.id,
    )
    return said, sale


async def _short_of(
    session: AsyncSession, sale: Sale | None, asked: QuoteAsk
) -> tuple[Product, int | None] | None:
    """The product and count just found short, when the message insists on that count."""
    short = sale.data.get("short") if sale is not None else None
    if not short or not asked.insists or asked.quantity not in (None, short["quantity"]):
        return None
    product = await session.scalar(select(Product).where(Product.sku == short["sku"]))
    return None if product is None else (product, int(short["quantity"]))


def _the_product(result: DomainResult) -> Product | None:
    """The one product the handlers' reply is about, if it is about one."""
    if result.focus is not None:
        return result.focus
    if result.offer is not None and result.offer.sku is not None:
        found = [p for p in result.products if p.sku == result.offer.sku]
        if found:
            return found[0]
    return result.products[0] if len(result.products) == 1 else None


def _open(sale: Sale | None) -> bool:
    return sale is not None and not sale.abandoned and sale.state in OPEN_SALE


async def _sale_of(session: AsyncSession, conversation: Conversation) -> Sale:
    """A new open sale for the quoted line (a wholesale price asked before any cart)."""
    sale = Sale(conversation_id=conversation.id, state=SaleState.STARTED, data={}, lines=[])
    session.add(sale)
    await session.flush()
    return sale
