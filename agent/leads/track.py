"""Leads written in a turn's own transaction: a turn is committed once, so is its lead.

A conversation has one lead per episode: the lead of the current episode is the newest one
whose conversation was last seen less than SESSION_IDLE_HOURS before the turn (as a sale
expires); it is kept up to date (the cart, the quantities, a phone or company given later, a
stronger kind) and won when the episode ends in an order. A turn without a sign of a lead adds
none, but keeps the current one's episode alive.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from agent.leads import rules
from agent.leads.changes import LeadChanged, changed, told
from agent.leads.policy import LeadPolicy
from agent.models import (
    Conversation,
    Customer,
    Lead,
    LeadStatus,
    Product,
    Sale,
)
from agent.nlu.types import Understanding
from agent.words import STAFF_LANGUAGE, t

CLOSED = (LeadStatus.WON, LeadStatus.LOST)


@dataclass(slots=True)
class TurnSeen:
    """What a committed bot turn tells the leads: the message, its reading, the products the
    reply was about, the sale after it and the order it made."""

    text: str
    understanding: Understanding
    sale: Sale | None
    products: list[Product] = field(default_factory=list)
    focus: Product | None = None
    order_id: int | None = None


async def current_lead(
    session: AsyncSession,
    conversation_id: int,
    *,
    last_activity: datetime,
    now: datetime,
    idle: timedelta,
) -> Lead | None:
    """The lead of the episode under way at `now`: none when the conversation was silent for
    `idle` before it, or when the newest lead was last seen `idle` before its last activity."""
    if now - last_activity > idle:
        return None
    lead = await session.scalar(
        select(Lead)
        .where(Lead.conversation_id == conversation_id)
        .order_by(Lead.episode.desc())
        .limit(1)
    )
    if lead is None or last_activity - lead.seen_at > idle:
        return None
    return lead


async def next_episode(session: AsyncSession, conversation_id: int) -> int:
    """The number of the conversation's next lead."""
    newest = await session.scalar(
        select(func.max(Lead.episode)).where(Lead.conversation_id == conversation_id)
    )
    return int(newest or 0) + 1


async def track_turn(
    session: AsyncSession,
    conversation: Conversation,
    seen: TurnSeen,
    *,
    previous_activity: datetime,
    now: datetime,
    policy: LeadPolicy,
) -> LeadChanged | None:
    """Record what the turn shows of a lead (in the turn's transaction); its change, if any
    (a turn that only keeps the episode alive changes nothing staff or Odoo see)."""
    lead = await current_lead(
        session, conversation.id, last_activity=previous_activity, now=now, idle=policy.idle
    )
    if lead is not None:
        lead.seen_at = now
    items = turn_items(seen)
    quantities = [int(i["quantity"]) for i in items if i.get("quantity")]
    found = rules.signal(
        seen.text, quantities=quantities, wholesale_quantity=policy.wholesale_quantity
    )
    if lead is not None and lead.status in CLOSED:
        return None  # staff decided it; the episode's later turns leave it as it is
    if lead is not None and seen.order_id is not None:
        lead.status = LeadStatus.WON
        lead.reason = t(STAFF_LANGUAGE, "leads.reason.ordered", order_id=seen.order_id)
        lead.closed_at = now
        changed(lead)
        return told(lead)
    if lead is None and found is None:
        return None
    created = lead is None
    if lead is None:
        assert found is not None
        lead = Lead(
            conversation_id=conversation.id,
            episode=await next_episode(session, conversation.id),
            channel=conversation.channel,
            kind=found.kind,
            confidence=found.confidence,
            currency=policy.currency,
            created_at=now,
            seen_at=now,
        )
        session.add(lead)
    elif found is not None:
        lead.kind = rules.stronger(lead.kind, found.kind)
        lead.confidence = max(lead.confidence, found.confidence)
    cart = sale_items(seen.sale)
    filled = await fill(
        session,
        lead,
        conversation,
        items=cart or items or lead.items or [],
        sale=seen.sale if cart else None,
        said=seen.text,
        phone=seen.understanding.entities.phone,
        policy=policy,
    )
    await session.flush()
    return told(lead, created=created) if filled or created else None


async def fill(
    session: AsyncSession,
    lead: Lead,
    conversation: Conversation,
    *,
    items: list[dict[str, Any]],
    sale: Sale | None,
    said: str,
    phone: str | None,
    policy: LeadPolicy,
) -> bool:
    """Fill the lead's who, what and how much, and the rules' summary, priority, missing
    fields and next step (a model may rephrase the two texts later; texts it wrote are kept
    while the facts they rest on stay the same); whether anything staff see changed (counted
    as a change of the lead)."""
    shown = _shown(lead)
    customer = (
        await session.get(Customer, conversation.customer_id)
        if conversation.customer_id is not None
        else None
    )
    lead.customer_id = conversation.customer_id
    if sale is not None:
        lead.sale_id = sale.id
    lead.contact = (
        (customer.name if customer else None) or conversation.contact_name or lead.contact
    )
    lead.phone = (
        (customer.phone if customer else None)
        or phone
        or rules.phone_in(said)
        or chat_phone(conversation)
        or lead.phone
    )
    lead.company = rules.company_in(said) or lead.company
    facts = (lead.kind, lead.items, lead.amount, lead.missing)
    lead.items = items
    lead.amount = rules.amount_of(items)
    lead.missing = rules.missing_fields(
        lead.kind, phone=lead.phone, company=lead.company, items=items
    )
    lead.priority = rules.priority(lead.kind, lead.amount, high_amount=policy.high_amount)
    if not lead.phrased or facts != (lead.kind, lead.items, lead.amount, lead.missing):
        lead.summary = rules.summary(lead.kind, items, lead.amount, lead.currency)
        lead.next_step = rules.next_step(lead.kind, lead.missing)
        lead.phrased = False
    if _shown(lead) == shown:
        return False
    changed(lead)
    return True


def _shown(lead: Lead) -> tuple[object, ...]:
    """What staff and Odoo see of a lead's facts and texts."""
    return (
        lead.kind,
        lead.contact,
        lead.phone,
        lead.company,
        list(lead.items or []),
        lead.amount,
        list(lead.missing or []),
        lead.priority,
        lead.summary,
        lead.next_step,
    )


def chat_phone(conversation: Conversation) -> str | None:
    """The number a WhatsApp chat comes from (its chat id)."""
    if conversation.channel != "whatsapp":
        return None
    number = conversation.external_chat_id.removeprefix("whatsapp:")
    return number if number.lstrip("+").isdigit() else None


def sale_items(sale: Sale | None) -> list[dict[str, Any]]:
    """The cart's lines as a lead's items."""
    if sale is None:
        return []
    return [item(line.product, line.quantity, unit_price=line.unit_price) for line in sale.lines]


def turn_items(seen: TurnSeen) -> list[dict[str, Any]]:
    """The products asked for and the quantities stated: the product the reply was about
    with the quantity said, else each product named as the customer wrote it."""
    entities = seen.understanding.entities
    mentions = entities.products
    focus = seen.focus or (seen.products[0] if len(seen.products) == 1 else None)
    if focus is not None and len(mentions) <= 1:
        quantity = mentions[0].quantity if mentions else None
        return [item(focus, quantity or entities.quantity)]
    return [
        {"sku": None, "name": m.text, "quantity": m.quantity, "unit_price": None} for m in mentions
    ]


def item(
    product: Product, quantity: int | None, *, unit_price: Decimal | None = None
) -> dict[str, Any]:
    """A lead's item: the product's SKU and name, the quantity, the price (None: on request)."""
    price = unit_price if unit_price is not None else product.price
    return {
        "sku": product.sku,
        "name": product.name,
        "quantity": quantity,
        "unit_price": str(price) if price is not None else None,
    }
