"""Leads pushed to Odoo as CRM leads (`crm.lead`) and kept in step with them, through the outbox.

Every few seconds each lead not yet queued gets an outbox row on the `odoo_leads` channel, and
each lead changed since it was last queued (its `revision` above `odoo_revision`: more items, a
new amount, an assignee, won or lost) gets one more, in the same transaction that records the
revision queued; so each change is queued once, and the outbox delivers a lead's rows in order
(they share its chat), retrying failures with backoff (`last_error`) like the quotations'.

Delivering a row makes Odoo's crm.lead say what the lead says now. The first creates it: its
name ends with `(salesagent #<lead id>)`, and Odoo is searched for that ending before creating,
so a retry after a lost answer finds the first record instead of making a second. Later rows
write the same record; a won lead gets Odoo's `action_set_won` (its won stage), a lost one
`action_set_lost` (archived, probability 0), the reason staff gave in its notes. A write and
these actions leave the record the same when repeated, so a retry after a lost answer changes
nothing more.

The crm.lead holds who (contact, company, phone, e-mail), the expected revenue (the lead's amount
at list prices), a priority (Odoo's stars: the agent's first priority is three), the salesperson
(the assignee's Odoo user in ODOO_SALESPEOPLE, else ODOO_SALESPERSON_ID when created) and, as its
description, the summary, next step, items, missing fields, assignee and outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from html import escape
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.db import transaction
from agent.leads.labels import KINDS, MISSING
from agent.leads.rules import items_text
from agent.models import Customer, Lead, LeadStatus, OutboxItem
from agent.words import STAFF_LANGUAGE, t
from channels.odoo_livechat.client import OdooClient, OdooError

log = logging.getLogger(__name__)

CHANNEL = "odoo_leads"
"""The outbox channel of CRM lead pushes (a row per lead, then one per change)."""
QUEUED = "queued"
PUSHED = "pushed"
STARS = {1: "3", 2: "2", 3: "1"}
"""The agent's priority (1 first) as Odoo's priority stars ("0" to "3")."""
OUTCOME = {LeadStatus.WON: "action_set_won", LeadStatus.LOST: "action_set_lost"}
"""Odoo's crm.lead action for a closed lead's status."""


def marker_of(lead_id: int) -> str:
    """How a retry recognises an earlier push: the end of the crm.lead's name."""
    return f"(salesagent #{lead_id})"


async def queue_leads(sessions: async_sessionmaker[AsyncSession], *, limit: int = 100) -> int:
    """Give each new lead its outbox row, and each lead changed since it was queued one more
    (each revision once); how many rows were queued."""
    async with transaction(sessions) as session:
        leads = (
            await session.scalars(
                select(Lead)
                .where(or_(Lead.odoo_status.is_(None), Lead.revision > Lead.odoo_revision))
                .order_by(Lead.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for lead in leads:
            first = lead.odoo_status is None
            what = "crm.lead" if first else f"crm.lead update {lead.revision}"
            session.add(
                OutboxItem(
                    conversation_id=lead.conversation_id,
                    channel=CHANNEL,
                    external_chat_id=str(lead.id),
                    text=f"{what} for lead #{lead.id}",
                    payload={"lead_id": lead.id, "revision": lead.revision},
                )
            )
            lead.odoo_revision = lead.revision
            if first:
                lead.odoo_status = QUEUED
    if leads:
        log.info("queued %s lead pushes for Odoo", len(leads))
    return len(leads)


class LeadOutput:
    """The outbox output of `odoo_leads` rows: brings the lead's crm.lead up to date."""

    name = CHANNEL

    def __init__(
        self,
        client: OdooClient,
        sessions: async_sessionmaker[AsyncSession],
        *,
        salesperson: int | None = None,
        salespeople: Mapping[str, int] | None = None,
    ) -> None:
        self._client = client
        self._sessions = sessions
        self._salesperson = salesperson
        self._salespeople = dict(salespeople or {})

    async def send_text(self, external_chat_id: str, text: str) -> str | None:
        """Push the lead the row names (`external_chat_id` is its id)."""
        odoo_id = await push_lead(
            self._client,
            self._sessions,
            int(external_chat_id),
            salesperson=self._salesperson,
            salespeople=self._salespeople,
        )
        return str(odoo_id)


async def push_lead(
    client: OdooClient,
    sessions: async_sessionmaker[AsyncSession],
    lead_id: int,
    *,
    salesperson: int | None = None,
    salespeople: Mapping[str, int] | None = None,
) -> int:
    """Make the lead's crm.lead in Odoo say what the lead says now (created unless it exists);
    its id in Odoo."""
    async with sessions() as session:
        lead = await session.get(Lead, lead_id)
        if lead is None:
            raise OdooError(f"lead #{lead_id} does not exist")
        customer = (
            await session.get(Customer, lead.customer_id) if lead.customer_id is not None else None
        )
        assignee = lead.assignee.username if lead.assignee is not None else None
        user = (salespeople or {}).get(assignee or "")
        values = crm_values(lead, customer, salesperson=user)
        odoo_id, status = lead.odoo_id, lead.status
    if odoo_id is None:
        found = await client.call(
            "crm.lead",
            "search",
            domain=[["name", "=like", f"%{marker_of(lead_id)}"]],
            limit=1,
            context={"active_test": False},
        )
        if found:
            odoo_id = int(found[0])
        else:
            odoo_id = await client.create(
                "crm.lead", values | _default_salesperson(values, salesperson)
            )
            values = {}  # just made from these values
    if values:
        del values["type"]  # Odoo's staff may have made it an opportunity since
        await client.call("crm.lead", "write", ids=[odoo_id], vals=values)
    if status in OUTCOME:
        await client.call("crm.lead", OUTCOME[status], ids=[odoo_id])
    async with transaction(sessions) as session:
        row = await session.get(Lead, lead_id, with_for_update=True)
        assert row is not None
        row.odoo_id, row.odoo_status = odoo_id, PUSHED
    log.info("lead #%s is crm.lead %s in Odoo", lead_id, odoo_id)
    return odoo_id


def _default_salesperson(values: dict[str, Any], salesperson: int | None) -> dict[str, Any]:
    """ODOO_SALESPERSON_ID for a new crm.lead whose assignee has no Odoo user."""
    return {"user_id": salesperson} if salesperson is not None and "user_id" not in values else {}


def crm_values(lead: Lead, customer: Customer | None, *, salesperson: int | None) -> dict[str, Any]:
    """The crm.lead's fields (`salesperson`: the assignee's Odoo user, when known)."""
    who = lead.contact or t(STAFF_LANGUAGE, "leads.odoo.unknown_contact")
    values: dict[str, Any] = {
        "name": f"{KINDS[lead.kind]}: {who} {marker_of(lead.id)}",
        "type": "lead",
        "contact_name": lead.contact or False,
        "partner_name": lead.company or False,
        "phone": lead.phone or False,
        "email_from": (customer.email if customer else None) or False,
        "expected_revenue": float(lead.amount) if lead.amount is not None else 0.0,
        "priority": STARS.get(lead.priority, "1"),
        "description": description(lead),
    }
    if salesperson is not None:
        values["user_id"] = salesperson
    return values


def description(lead: Lead) -> str:
    """The crm.lead's notes (HTML): the summary, the next step, the items, what is missing,
    who has it and how it ended."""
    missing = ", ".join(MISSING[name] for name in lead.missing)
    lines = [
        lead.summary,
        t(STAFF_LANGUAGE, "leads.odoo.next_step", step=lead.next_step),
        t(STAFF_LANGUAGE, "leads.odoo.items", items=items_text(lead.items)),
    ]
    if missing:
        lines.append(t(STAFF_LANGUAGE, "leads.odoo.missing", fields=missing))
    if lead.assignee is not None:
        lines.append(t(STAFF_LANGUAGE, "leads.odoo.assignee", name=lead.assignee.name))
    if lead.status == LeadStatus.WON:
        lines.append(t(STAFF_LANGUAGE, "leads.odoo.won", reason=lead.reason or ""))
    elif lead.status == LeadStatus.LOST:
        lines.append(t(STAFF_LANGUAGE, "leads.odoo.lost", reason=lead.reason or ""))
    lines.append(
        t(
            STAFF_LANGUAGE,
            "leads.odoo.origin",
            channel=lead.channel,
            at=f"{lead.created_at:%Y-%m-%d}",
        )
    )
    return "".join(f"<p>{escape(line)}</p>" for line in lines)
