"""Carts left without closing become leads: a periodic job, safe to run in several processes.

A cart (lines, not closed or cancelled, not abandoned) whose conversation has been silent for
LEAD_CART_IDLE_MINUTES becomes an `abandoned_cart` lead, or joins the lead its episode already
has. Each sale is taken once: its lead names it (`sale_id`), and the conversation's row is
locked while the lead is written, as a turn locks it, so a turn and the job never both add one.
Each lead made or changed is told, once committed, to the open consoles (`on_lead`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.db import transaction
from agent.leads.changes import LeadChanged, LeadListener, tell, told
from agent.leads.policy import LeadPolicy, lead_policy
from agent.leads.track import (
    CLOSED,
    current_lead,
    fill,
    next_episode,
    sale_items,
)
from agent.memory import current_sale
from agent.models import Conversation, Lead, LeadKind, Owner, Sale, SaleLine, SaleState, utcnow
from agent.settings import Settings

log = logging.getLogger(__name__)

OPEN_CART = (SaleState.CART, SaleState.COLLECTING_DATA, SaleState.READY_TO_CONFIRM)
CONFIDENCE = {SaleState.CART: 0.6, SaleState.COLLECTING_DATA: 0.7, SaleState.READY_TO_CONFIRM: 0.8}
"""How sure an abandoned cart is a buyer: the further the sale got, the surer."""


async def idle_carts(session: AsyncSession, *, before: datetime, limit: int) -> list[int]:
    """The conversations whose current cart has waited since `before`, no lead naming it."""
    named = exists().where(Lead.sale_id == Sale.id)
    rows = await session.scalars(
        select(Conversation.id)
        .join(Sale, Sale.conversation_id == Conversation.id)
        .where(
            Sale.abandoned.is_(False),
            Sale.state.in_(OPEN_CART),
            Conversation.last_activity_at < before,
            Conversation.owner == Owner.BOT,
            exists().where(SaleLine.sale_id == Sale.id),
            ~named,
        )
        .order_by(Conversation.last_activity_at)
        .limit(limit)
    )
    return list(dict.fromkeys(rows.all()))


async def take_abandoned_carts(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    now: datetime | None = None,
    limit: int = 100,
    on_lead: LeadListener | None = None,
) -> int:
    """Make the leads of the carts idle for LEAD_CART_IDLE_MINUTES, each told to `on_lead`
    once committed; how many carts were taken."""
    moment = now or utcnow()
    before = moment - timedelta(minutes=settings.lead_cart_idle_minutes)
    policy = lead_policy(settings)
    async with sessions() as session:
        conversations = await idle_carts(session, before=before, limit=limit)
    taken = 0
    for conversation_id in conversations:
        async with transaction(sessions) as session:
            change = await _take(session, conversation_id, before=before, policy=policy)
        if change is not None:
            taken += 1
            await tell(on_lead, [change])
    if taken:
        log.info("%s abandoned carts became leads", taken)
    return taken


async def _take(
    session: AsyncSession, conversation_id: int, *, before: datetime, policy: LeadPolicy
) -> LeadChanged | None:
    conversation = await session.scalar(
        select(Conversation)
        .where(Conversation.id == conversation_id)
        .with_for_update(of=Conversation)
        .execution_options(populate_existing=True)
    )
    if conversation is None or conversation.last_activity_at >= before:
        return None  # a message came meanwhile: the cart is not left
    sale = await current_sale(session, conversation.id)
    if sale is None or sale.state not in OPEN_CART or not sale.lines:
        return None
    if await session.scalar(select(exists().where(Lead.sale_id == sale.id))):
        return None
    activity = conversation.last_activity_at
    lead = await current_lead(
        session, conversation.id, last_activity=activity, now=activity, idle=policy.idle
    )
    if lead is not None and lead.status in CLOSED:
        return None  # staff already decided this episode's lead
    created = lead is None
    if lead is None:
        lead = Lead(
            conversation_id=conversation.id,
            episode=await next_episode(session, conversation.id),
            channel=conversation.channel,
            kind=LeadKind.ABANDONED_CART,
            confidence=CONFIDENCE[sale.state],
            currency=policy.currency,
            seen_at=activity,
        )
        session.add(lead)
    await fill(
        session,
        lead,
        conversation,
        items=sale_items(sale),
        sale=sale,
        said="",
        phone=None,
        policy=policy,
    )
    await session.flush()
    return told(lead, created=created)
