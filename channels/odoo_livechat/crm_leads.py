"""Leads pushed to Odoo as CRM leads (`crm.lead`), once each, through the outbox.

Every few seconds the leads not yet queued get an outbox row on the `odoo_leads` channel in the
same transaction that marks them `queued`, so a lead is queued once. Delivering the row creates
the crm.lead: its name ends with `(salesagent #<lead id>)`, and Odoo is searched for that name
before creating, so a retry after a lost answer finds the first one instead of making a second.
Failures stay on the outbox row (`last_error`, retried with backoff) like the quotations'.

The crm.lead holds who (contact, company, phone, e-mail), the expected revenue (the lead's amount
at list prices), a priority (Odoo's stars: the agent's first priority is three), the salesperson
(ODOO_SALESPERSON_ID) and, as its description, the summary, next step, items and missing fields.
"""

from __future__ import annotations

import logging
from html import escape
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.db import transaction
from agent.leads.labels import KINDS, MISSING
from agent.leads.rules import items_text
from agent.models import Customer, Lead, OutboxItem
from agent.words import STAFF_LANGUAGE, t
from channels.odoo_livechat.client import OdooClient, OdooError

log = logging.getLogger(__name__)

CHANNEL = "odoo_leads"
"""The outbox channel of CRM lead pushes (one row per lead)."""
QUEUED = "queued"
PUSHED = "pushed"
STARS = {1: "3", 2: "2", 3: "1"}
"""The agent's priority (1 first) as Odoo's priority stars ("0" to "3")."""


def marker_of(lead_id: int) -> str:
    """How a retry recognises an earlier push: the end of the crm.lead's name."""
    return f"(salesagent #{lead_id})"


async def queue_new_leads(sessions: async_sessionmaker[AsyncSession], *, limit: int = 100) -> int:
    """Give each new lead its outbox row (once); how many were queued."""
    async with transaction(sessions) as session:
        leads = (
            await session.scalars(
                select(Lead)
                .where(Lead.odoo_status.is_(None))
                .order_by(Lead.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for lead in leads:
            lead.odoo_status = QUEUED
            session.add(
                OutboxItem(
                    conversation_id=lead.conversation_id,
                    channel=CHANNEL,
                    external_chat_id=str(lead.id),
                    text=f"crm.lead for lead #{lead.id}",
                    payload={"lead_id": lead.id},
                )
            )
    if leads:
        log.info("queued %s leads for Odoo", len(leads))
    return len(leads)


class LeadOutput:
    """The outbox output of `odoo_leads` rows: pushes the lead and returns its Odoo id."""

    name = CHANNEL

    def __init__(
        self,
        client: OdooClient,
        sessions: async_sessionmaker[AsyncSession],
        *,
        salesperson: int | None = None,
    ) -> None:
        self._client = client
        self._sessions = sessions
        self._salesperson = salesperson

    async def send_text(self, external_chat_id: str, text: str) -> str | None:
        """Push the lead the row names (`external_chat_id` is its id)."""
        odoo_id = await push_lead(
            self._client, self._sessions, int(external_chat_id), salesperson=self._salesperson
        )
        return str(odoo_id)


async def push_lead(
    client: OdooClient,
    sessions: async_sessionmaker[AsyncSession],
    lead_id: int,
    *,
    salesperson: int | None = None,
) -> int:
    """Create the lead's crm.lead in Odoo unless it exists; its id in Odoo."""
    async with sessions() as session:
        lead = await session.get(Lead, lead_id)
        if lead is None:
            raise OdooError(f"lead #{lead_id} does not exist")
        if lead.odoo_id is not None:
            return lead.odoo_id
        customer = (
            await session.get(Customer, lead.customer_id) if lead.customer_id is not None else None
        )
        values = crm_values(lead, customer, salesperson=salesperson)
    found = await client.call(
        "crm.lead",
        "search",
        domain=[["name", "=", values["name"]]],
        limit=1,
        context={"active_test": False},
    )
    odoo_id = int(found[0]) if found else await client.create("crm.lead", values)
    async with transaction(sessions) as session:
        row = await session.get(Lead, lead_id, with_for_update=True)
        assert row is not None
        row.odoo_id, row.odoo_status = odoo_id, PUSHED
    log.info("lead #%s is crm.lead %s in Odoo", lead_id, odoo_id)
    return odoo_id


def crm_values(lead: Lead, customer: Customer | None, *, salesperson: int | None) -> dict[str, Any]:
    """The crm.lead's fields."""
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
    """The crm.lead's notes (HTML): the summary, the next step, the items, what is missing."""
    missing = ", ".join(MISSING[name] for name in lead.missing)
    lines = [
        lead.summary,
        t(STAFF_LANGUAGE, "leads.odoo.next_step", step=lead.next_step),
        t(STAFF_LANGUAGE, "leads.odoo.items", items=items_text(lead.items)),
    ]
    if missing:
        lines.append(t(STAFF_LANGUAGE, "leads.odoo.missing", fields=missing))
    lines.append(
        t(
            STAFF_LANGUAGE,
            "leads.odoo.origin",
            channel=lead.channel,
            at=f"{lead.created_at:%Y-%m-%d}",
        )
    )
    return "".join(f"<p>{escape(line)}</p>" for line in lines)
