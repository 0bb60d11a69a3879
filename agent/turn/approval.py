"""A request the agent may not grant alone becomes a proposal for a manager (README
"Proposals"): a discount, or setting the cart's units aside. The customer is told it is being
checked, or, for a discount within the shop's own threshold, that it is granted (recorded like
an approval, by the rule instead of a person).

Asked about an open cart it is the turn's whole answer (`ask_approval`); asked with products
("3 cascos con el 10% de descuento") the handlers fill the cart first and the proposal's words
follow their reply (`after_answer`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from agent.domain import DomainResult
from agent.models import Conversation, Sale
from agent.nlu.types import Understanding
from agent.proposals import decisions
from agent.proposals.asks import discount_asked, reservation_asked
from agent.proposals.kinds import MAX_DISCOUNT, OPEN_SALE, Discount, ReserveStock
from agent.settings import Settings
from agent.turn.answer import Reply
from agent.words import t

HANDLER = decisions.HANDLER
WHOLE_PRICE = Decimal(100)
"""A discount above this percentage is not possible (the shop would pay the customer)."""


async def ask_approval(
    session: AsyncSession,
    conversation: Conversation,
    sale: Sale | None,
    text: str,
    understanding: Understanding,
    *,
    settings: Settings,
) -> Reply | None:
    """The answer to a message asking for a discount or a reservation of the open cart (a
    proposal made), or None when it asks for neither, there is no cart yet, or it names
    products (the handlers add them first)."""
    if not _asks(text) or understanding.entities.products:
        return None
    percent = discount_asked(text)
    if percent is not None and percent > WHOLE_PRICE:  # cart or not: it is never possible
        said = _impossible(understanding.language, percent)
        return Reply(DomainResult(reply=said, sale=sale), HANDLER)
    if not _with_lines(sale):
        return None
    said = await _proposed(session, conversation, sale, text, understanding.language, settings)
    return Reply(DomainResult(reply=said, sale=sale), HANDLER)


async def after_answer(
    session: AsyncSession,
    conversation: Conversation,
    reply: Reply,
    text: str,
    language: str,
    *,
    settings: Settings,
) -> Reply:
    """The handlers' reply, followed by what became of a discount or reservation asked."""
    if not _asks(text) or reply.handed_off:
        return reply
    sale = reply.result.sale
    said = await _proposed(session, conversation, sale, text, language, settings)
    result = replace(reply.result, reply=f"{reply.result.reply}\n\n{said}")
    return replace(reply, result=result)


def _asks(text: str) -> bool:
    return discount_asked(text) is not None or reservation_asked(text)


async def _proposed(
    session: AsyncSession,
    conversation: Conversation,
    sale: Sale | None,
    text: str,
    language: str,
    settings: Settings,
) -> str:
    """Propose what the message asks for on the open cart; what the customer is told."""
    percent = discount_asked(text)
    if percent is not None and percent > WHOLE_PRICE:
        return _impossible(language, percent)
    if sale is None or not _with_lines(sale):
        return t(language, "proposals.asked.no_cart")
    if await decisions.has_pending(session, sale_id=sale.id):
        return t(language, "proposals.asked.already")
    await session.flush()  # the cart's new lines get their ids
    if percent is not None:
        return await _discount(session, conversation, sale, percent, text, language, settings)
    return await _reserve(session, conversation, sale, text, language, settings)


async def _reserve(
    session: AsyncSession,
    conversation: Conversation,
    sale: Sale,
    text: str,
    language: str,
    settings: Settings,
) -> str:
    """Propose setting the cart's units aside, each product that has them in stock."""
    effects = [
        ReserveStock.effect(line.product, line.quantity)
        for line in sale.lines
        if line.product.stock >= line.quantity
    ]
    if not effects:
        return t(language, "proposals.asked.reserve_no_stock")
    return await decisions.checked_by_manager(
        session,
        conversation,
        ReserveStock.name,
        effects,
        asked=text,
        language=language,
        minutes=settings.proposal_ttl_minutes,
        sale_id=sale.id,
    )


def _impossible(language: str, percent: Decimal) -> str:
    """The polite no to a discount above the whole price ("¿me dejan el 150%?")."""
    return t(language, "proposals.asked.discount_impossible", percent=format(percent, "f"))


def _with_lines(sale: Sale | None) -> bool:
    return sale is not None and not sale.abandoned and sale.state in OPEN_SALE and bool(sale.lines)


async def _discount(
    session: AsyncSession,
    conversation: Conversation,
    sale: Sale,
    percent: Decimal,
    text: str,
    language: str,
    settings: Settings,
) -> str:
    """Propose `percent` off the open cart (or grant it within the threshold); what the
    customer is told."""
    if percent > MAX_DISCOUNT:
        return t(language, "proposals.asked.discount_too_high")
    effect = Discount.effect(sale, percent, settings.currency)
    minutes = settings.proposal_ttl_minutes
    proposal = await decisions.propose(
        session,
        conversation,
        Discount.name,
        effect,
        asked=text,
        ttl=timedelta(minutes=minutes),
        sale_id=sale.id,
    )
    if percent <= settings.proposal_discount_threshold:
        await decisions.approve(session, proposal.id, staff=None, note="threshold", tell=False)
        return decisions.approved_text(proposal)
    return t(
        language,
        "proposals.asked.checking",
        effect=Discount().describe(effect, language),
        minutes=round(minutes),
    )
