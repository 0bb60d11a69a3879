"""What the leads page reads: the leads with their filters, and a conversation's leads."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from agent.models import Conversation, Lead, LeadKind, LeadStatus

STATES = ("active", "open", "assigned", "won", "lost", "mine", "all")
"""The status filter: `active` is open or assigned (the default), `mine` the active assigned to
the staff member looking."""
ACTIVE = (LeadStatus.OPEN, LeadStatus.ASSIGNED)
PAGE_SIZE = 200


@dataclass(frozen=True, slots=True)
class LeadFilter:
    """The leads page's filters."""

    state: str = "active"
    kind: LeadKind | None = None
    channel: str | None = None


@dataclass(frozen=True, slots=True)
class LeadRow:
    """One lead as the page lists it."""

    lead: Lead
    who: str
    """The lead's contact, else the chat's contact name, else the chat id."""


def _filtered(flt: LeadFilter, staff_id: int) -> Select[Lead, Conversation]:
    statement = select(Lead, Conversation).join(
        Conversation, Conversation.id == Lead.conversation_id
    )
    if flt.state == "active":
        statement = statement.where(Lead.status.in_(ACTIVE))
    elif flt.state == "mine":
        statement = statement.where(Lead.status.in_(ACTIVE), Lead.assignee_id == staff_id)
    elif flt.state != "all":
        statement = statement.where(Lead.status == LeadStatus(flt.state))
    if flt.kind is not None:
        statement = statement.where(Lead.kind == flt.kind)
    if flt.channel:
        statement = statement.where(Lead.channel == flt.channel)
    return statement


async def list_leads(
    session: AsyncSession, flt: LeadFilter, *, staff_id: int
) -> tuple[list[LeadRow], int]:
    """The leads the filters keep, active first, then by priority and newest; and how many."""
    statement = _filtered(flt, staff_id)
    total = await session.scalar(select(func.count()).select_from(statement.subquery()))
    active_first = case((Lead.status.in_(ACTIVE), 0), else_=1)
    rows = await session.execute(
        statement.order_by(
            active_first, Lead.priority, Lead.created_at.desc(), Lead.id.desc()
        ).limit(PAGE_SIZE)
    )
    found = [
        LeadRow(
            lead,
            lead.contact or conversation.contact_name or conversation.external_chat_id,
        )
        for lead, conversation in rows
    ]
    return found, int(total or 0)


async def lead_channels(session: AsyncSession) -> list[str]:
    """The channels leads came from (the channel filter)."""
    rows = await session.scalars(select(Lead.channel).distinct().order_by(Lead.channel))
    return [str(name) for name in rows]


async def leads_of_conversation(session: AsyncSession, conversation_id: int) -> list[Lead]:
    """A conversation's leads, newest episode first (the link on its page)."""
    rows = await session.scalars(
        select(Lead).where(Lead.conversation_id == conversation_id).order_by(Lead.episode.desc())
    )
    return list(rows)
