"""What staff do with a lead: assign it, and mark it won or lost with the reason.

An agent takes a lead for themself and closes the leads that are theirs or nobody's; a manager
assigns a lead to any active staff member and closes any lead (the roles of the console).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from agent.errors import InvalidInputError, NotFoundError
from agent.handoff import NotAllowed
from agent.leads.changes import changed
from agent.models import Lead, LeadStatus, Staff, StaffRole, utcnow
from agent.words import STAFF_LANGUAGE, t

MAX_REASON_CHARS = 500


async def _lead(session: AsyncSession, lead_id: int) -> Lead:
    lead = await session.get(Lead, lead_id, with_for_update=True)
    if lead is None:
        raise NotFoundError(t(STAFF_LANGUAGE, "leads.not_found", id=lead_id))
    return lead


async def assign(session: AsyncSession, lead_id: int, staff: Staff, assignee_id: int) -> Lead:
    """Give the lead to `assignee_id` (an agent may only take it for themself)."""
    if staff.role != StaffRole.MANAGER and assignee_id != staff.id:
        raise NotAllowed(t(STAFF_LANGUAGE, "leads.refused.assign"))
    assignee = await session.get(Staff, assignee_id)
    if assignee is None or not assignee.active:
        raise NotFoundError(t(STAFF_LANGUAGE, "handoff.not_found.staff", id=assignee_id))
    lead = await _lead(session, lead_id)
    before = (lead.assignee_id, lead.status)
    lead.assignee_id = assignee.id
    if lead.status == LeadStatus.OPEN:
        lead.status = LeadStatus.ASSIGNED
    if (lead.assignee_id, lead.status) != before:
        changed(lead)
    return lead


async def close(
    session: AsyncSession, lead_id: int, staff: Staff, *, won: bool, reason: str
) -> Lead:
    """Mark the lead won or lost, with why (required); an agent only closes their own leads
    and the unassigned ones (which become theirs)."""
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidInputError(t(STAFF_LANGUAGE, "leads.error.reason"), field="reason")
    lead = await _lead(session, lead_id)
    mine = lead.assignee_id in (None, staff.id)
    if staff.role != StaffRole.MANAGER and not mine:
        raise NotAllowed(t(STAFF_LANGUAGE, "leads.refused.close"))
    lead.assignee_id = lead.assignee_id or staff.id
    lead.status = LeadStatus.WON if won else LeadStatus.LOST
    lead.reason = reason[:MAX_REASON_CHARS]
    lead.closed_at = utcnow()
    changed(lead)
    return lead
