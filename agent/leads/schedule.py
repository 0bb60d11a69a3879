"""The leads' periodic round: abandoned carts become leads, then a configured model writes the
texts of the leads the rules filled. Every minute, in the process (the embedded schedule) or
as a periodic job of the task queue (once per minute whichever worker takes it)."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.leads.carts import take_abandoned_carts
from agent.leads.phrasing import phrase_leads
from agent.llm.factory import LLM
from agent.settings import Settings

log = logging.getLogger(__name__)

INTERVAL_SECONDS = 60.0


async def lead_round(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, llm: LLM | None
) -> None:
    """One round: the carts left idle, then the model's texts."""
    await take_abandoned_carts(sessions, settings)
    if llm is not None:
        await phrase_leads(
            sessions, llm, shop_name=settings.shop_name, budget=settings.llm_phrasing_timeout
        )


async def watch_leads(
    sessions: async_sessionmaker[AsyncSession], settings: Settings, llm: LLM | None
) -> None:
    """A round every minute until cancelled."""
    while True:
        await lead_round(sessions, settings, llm)
        await asyncio.sleep(INTERVAL_SECONDS)
