"""A request the agent may not grant alone becomes a proposal for a manager (README
"Proposals"); the customer is told it is being checked, or, within the shop's own threshold,
that it is granted (recorded like an approval, by the rule instead of a person)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agent.domain import DomainResult
from agent.errors import InvalidInputError
from agent.models import Conversation, Proposal, ProposalStatus, Sale
from agent.proposals import decisions
from agent.proposals.asks import discount_asked
from agent.proposals.kinds import MAX_DISCOUNT, OPEN_SALE, Discount
from agent.settings import Settings
from agent.turn.answer import Reply
from agent.words import t

HANDLER = decisions.HANDLER


async def ask_approval(
    session: AsyncSession,
    conversation: Conversation,
    sale: Sale | None,
    text: str,
    language: str,
    *,
    settings: Settings,
) -> Reply | None:
    """The answer to a message asking for a discount (a proposal made), or None when the
    message asks for nothing that needs an approval."""
    percent = discount_asked(text)
    if percent is None:
        return None
    if sale is None or sale.abandoned or sale.state not in OPEN_SALE or not sale.lines:
        return _reply(t(language, "proposals.asked.discount_no_cart"), sale)
    if percent > MAX_DISCOUNT:
        return _reply(t(language, "proposals.asked.discount_too_high"), sale)
    if await _pending_for(session, sale):
        return _reply(t(language, "proposals.asked.already"), sale)
    try:
        effect = Discount.effect(sale, percent, settings.currency)
    except InvalidInputError:
        return _reply(t(language, "proposals.asked.discount_too_high"), sale)
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
        return _reply(decisions.approved_text(proposal), sale)
    said = t(
        language,
        "proposals.asked.discount",
        effect=Discount().describe(effect, language),
        minutes=round(minutes),
    )
    return _reply(said, sale)


async def _pending_for(session: AsyncSession, sale: Sale) -> bool:
    found = await session.scalar(
        select(Proposal.id).where(
            Proposal.sale_id == sale.id, Proposal.status == ProposalStatus.PENDING
        )
    )
    return found is not None


def _reply(text: str, sale: Sale | None) -> Reply:
    return Reply(DomainResult(reply=text, sale=sale), HANDLER)
