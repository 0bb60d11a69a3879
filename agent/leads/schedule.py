"""The leads' periodic round: abandoned carts become leads, then a configured model writes the
texts of the leads the rules filled. Every minute, in the process (the embedded schedule) or
as a periodic job of the task queue (once per minute whichever worker takes it). Each lead made
or changed is told to `on_lead` (the console's live feed, which reaches every process)."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.leads.carts import take_abandoned_carts
from agent.leads.changes import LeadListener
from agent.leads.phrasing import phrase_leads
from agent.llm.factory import LLM
from agent.settings import Settings

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 60.0


async def lead_round(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    llm: LLM | None,
    *,
    on_lead: LeadListener | None = None,
) -> None:
    """One round: the carts left idle, then the model's texts."""
    await take_abandoned_carts(sessions, settings, on_lead=on_lead)
    if llm is not None:
        await phrase_leads(
            sessions,
            llm,
            shop_name=settings.shop_name,
            budget=settings.llm_phrasing_timeout,
            on_lead=on_lead,
        )


async def watch_leads(
    sessions: async_sessionmaker[AsyncSession],
    settings: Settings,
    llm: LLM | None,
    *,
    on_lead: LeadListener | None = None,
) -> None:
    """A round every minute until cancelled."""
    while True:
        await lead_round(sessions, settings, llm, on_lead=on_lead)
        await asyncio.sleep(INTERVAL_SECONDS)
