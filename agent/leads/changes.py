"""A lead's changes, counted and told: every creation and change of what staff or Odoo see of a
lead (its kind, items, amount, contact, texts, assignee, status) bumps its `revision`, and once
committed is told to a listener (the console's live feed, shared by every process).

The revision is what keeps Odoo in step: a lead whose revision is above the one last queued for
Odoo gets an update of its crm.lead through the outbox (channels/odoo_livechat/crm_leads.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import inspect

from agent.models import Lead, LeadStatus


@dataclass(frozen=True, slots=True)
class LeadChanged:
    """A committed creation or change of a lead, as the open consoles hear of it."""

    lead_id: int
    conversation_id: int
    status: LeadStatus
    created: bool = False


LeadListener = Callable[[LeadChanged], Awaitable[None]]
"""Hears each committed lead change (the staff console's `on_lead`)."""


def changed(lead: Lead) -> None:
    """Count a change of `lead` (a new lead's first fill counts as one).

    A stored lead's count is raised by the UPDATE itself (`revision + 1`), so a turn and a staff
    action changing it at once both count, whatever each read before."""
    if inspect(lead).persistent:
        lead.revision = Lead.revision + 1
    else:
        lead.revision = 1


def told(lead: Lead, *, created: bool = False) -> LeadChanged:
    """What the listener hears of `lead` (flushed: it has its id)."""
    return LeadChanged(lead.id, lead.conversation_id, lead.status, created)


async def tell(listener: LeadListener | None, changes: list[LeadChanged]) -> None:
    """Tell `listener` of each change, in order (nothing without a listener)."""
    if listener is None:
        return
    for change in changes:
        await listener(change)
