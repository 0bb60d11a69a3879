"""The composition root: builds every part from the settings, and closes them."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from agent.catalog.search import ProductIndex
from agent.company import CompanyInfo, load_company
from agent.db import create_engine, create_sessionmaker
from agent.engine import TurnEngine
from agent.llm.factory import build_llm
from agent.migrate import upgrade_async
from agent.outbox import OutboxDispatcher
from agent.seed import seed_demo_if_empty
from agent.settings import Settings
from agent.understanding import Understander
from channels.base import CollectingOutput, OutputChannel
from channels.web.fanout import LocalFanOut
from channels.web.output import WebOutput
from rag_domains.base import DomainHandler
from rag_domains.company import CompanyHandler
from rag_domains.customers import CustomersHandler
from rag_domains.inventory import InventoryHandler
from rag_domains.sales import SalesHandler
from rag_domains.smalltalk import SmalltalkHandler

log = logging.getLogger(__name__)

LOCAL_CHANNELS = ("cli",)
"""Channels whose replies travel back in the response (the terminal)."""


@dataclass(slots=True)
class Runtime:
    """Everything a running product holds; one per process."""

    settings: Settings
    db: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    index: ProductIndex
    company: CompanyInfo
    outputs: dict[str, OutputChannel]
    dispatcher: OutboxDispatcher
    engine: TurnEngine

    @classmethod
    async def start(cls, settings: Settings, *, migrate: bool = True) -> Runtime:
        """Migrate, seed the demo shop on first start (if enabled), and wire the parts."""
        company = load_company(settings.company_file)
        llm = build_llm(settings)  # a missing GOOGLE_API_KEY stops the start-up here
        if migrate:
            await upgrade_async(settings.database_url)
        db = create_engine(settings.database_url, echo=settings.database_echo)
        try:
            sessions = create_sessionmaker(db)
            if settings.auto_seed_demo:
                report = await seed_demo_if_empty(sessions)
                if report is not None:
                    log.info("seeded the demo shop: %s", report)
            index = ProductIndex()
            outputs: dict[str, OutputChannel] = {
                name: CollectingOutput(name) for name in LOCAL_CHANNELS
            }
            outputs[WebOutput.name] = WebOutput(LocalFanOut())
            dispatcher = OutboxDispatcher(sessions, outputs)
            handlers: dict[str, DomainHandler] = {
                "inventory": InventoryHandler(index, limit=settings.search_results),
                "sales": SalesHandler(index, currency=settings.currency),
                "customers": CustomersHandler(),
                "company": CompanyHandler(company),
                "smalltalk": SmalltalkHandler(settings.shop_name),
            }
            engine = TurnEngine(
                sessions=sessions,
                settings=settings,
                understander=Understander(
                    index,
                    refresh_seconds=settings.catalog_refresh_seconds,
                    model=llm.reader,
                    mode=settings.llm_mode,
                    threshold=settings.nlu_confidence_threshold,
                ),
                handlers=handlers,
                dispatcher=dispatcher,
                llm=llm,
            )
            await llm.check()
        except BaseException:
            await llm.close()
            await db.dispose()
            raise
        return cls(settings, db, sessions, index, company, outputs, dispatcher, engine)

    async def close(self) -> None:
        """Finish pending deliveries and release the database."""
        await self.engine.drain_deliveries()
        if self.engine.llm is not None:
            await self.engine.llm.close()
        await self.db.dispose()
