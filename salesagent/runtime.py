"""The composition root: builds every part from the settings, and closes them."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from agent.catalog.search import ProductIndex
from agent.channel import CollectingOutput, OutputChannel
from agent.company import CompanyInfo, load_company
from agent.db import create_engine, create_sessionmaker
from agent.domain import DomainHandler
from agent.engine import TurnEngine
from agent.errors import StorageError
from agent.jobs import TurnJobs
from agent.llm.factory import build_llm
from agent.migrate import upgrade_async
from agent.outbox import OutboxDispatcher
from agent.seed import seed_demo_if_empty
from agent.settings import Settings
from agent.understanding import Understander
from agent.voice import VoiceNotes
from channels.guards import SenderGuard
from channels.intake import Intake
from channels.odoo_livechat.integration import OdooIntegration
from channels.registry import ChannelAdapter, build_channels, check_channels
from channels.web.fanout import LocalFanOut
from channels.web.output import WebOutput
from console.service import StaffConsole
from exports.jobs import ExportJobs
from exports.schedule import DailyPlan
from rag_domains.company import CompanyHandler
from rag_domains.customers import CustomersHandler
from rag_domains.inventory import InventoryHandler
from rag_domains.sales import SalesHandler
from rag_domains.smalltalk import SmalltalkHandler
from storage.base import Storage
from storage.factory import build_storage

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
    storage: Storage
    """Where reports are written (README "Reports"): a folder, S3 or MinIO."""
    odoo: OdooIntegration | None = None
    """The Odoo livechat channel, quotation pushes and product sync, when switched on."""
    channels: dict[str, ChannelAdapter] = field(default_factory=dict)
    """The messaging channels switched on (WhatsApp, Telegram), by name."""
    intake: Intake | None = None
    """Where webhook and polling messages go in: guards, inbox, turns after the acknowledgement."""
    voice: VoiceNotes | None = None
    console: StaffConsole | None = None
    """The staff console: live feed, staff actions, notifications, the waiting watch."""
    exports: ExportJobs | None = None
    """Report jobs: started by the API, the console or the schedule, run in the background."""
    daily: DailyPlan | None = None
    """The daily exports (EXPORT_DAILY_AT), when set."""

    @classmethod
    async def start(cls, settings: Settings, *, migrate: bool = True) -> Runtime:
        """Migrate, seed the demo shop on first start (if enabled), and wire the parts."""
        storage = build_storage(settings)  # a missing S3_*/MINIO_* setting stops it here
        company = load_company(settings.company_file)
        llm = build_llm(settings)  # a missing GOOGLE_API_KEY stops the start-up here
        check_channels(settings)  # so does a half-set TWILIO_* or TELEGRAM_*
        daily = DailyPlan.from_settings(settings)  # and a malformed EXPORT_DAILY_*
        channels: dict[str, ChannelAdapter] = {}
        voice: VoiceNotes | None = None
        console: StaffConsole | None = None
        if migrate:
            await upgrade_async(settings.database_url)
        db = create_engine(
            settings.database_url,
            echo=settings.database_echo,
            pool_size=settings.database_pool_size,
            pool_overflow=settings.database_pool_overflow,
            pool_timeout=settings.database_pool_timeout,
        )
        try:
            try:
                await storage.start()
            except StorageError as err:  # the chat works without it; each report tries again
                log.warning("the file store is not ready; reports will try it again: %s", err)
            sessions = create_sessionmaker(db)
            exports = ExportJobs(settings=settings, db=db, sessions=sessions, storage=storage)
            if settings.auto_seed_demo:
                report = await seed_demo_if_empty(sessions)
                if report is not None:
                    log.info("seeded the demo shop: %s", report)
            index = ProductIndex()
            outputs: dict[str, OutputChannel] = {
                name: CollectingOutput(name) for name in LOCAL_CHANNELS
            }
            outputs[WebOutput.name] = WebOutput(LocalFanOut(), sessions)
            voice = VoiceNotes.from_settings(settings, sessions)
            channels = build_channels(settings, sessions)
            for name, adapter in channels.items():
                outputs[name] = adapter.output
                voice.add_fetcher(name, adapter.fetch_media)
            # A half-set STAFF_TELEGRAM_* stops the start-up here, naming the variable.
            console = StaffConsole.build(settings, sessions, company, llm)
            outputs.update(console.outputs)
            dispatcher = OutboxDispatcher.from_settings(settings, sessions, outputs)
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
                voice=voice,
                handoff=console.policy,
                listener=console.on_turn,
            )
            # A missing Odoo setting stops the start-up here, naming the variable.
            odoo = OdooIntegration.build(settings, sessions, engine)
            if odoo is not None:
                outputs.update(odoo.outputs)
            intake = Intake(sessions, TurnJobs(engine), SenderGuard.from_settings(settings))
            for adapter in channels.values():
                await adapter.start()
            await console.start(dispatcher)
            await llm.check()
        except BaseException:
            for adapter in channels.values():
                await adapter.close()
            if console is not None:
                await console.close()
            if voice is not None:
                voice.close()
            await llm.close()
            await storage.close()
            await db.dispose()
            raise
        return cls(
            settings,
            db,
            sessions,
            index,
            company,
            outputs,
            dispatcher,
            engine,
            storage,
            odoo,
            channels=channels,
            intake=intake,
            voice=voice,
            console=console,
            exports=exports,
            daily=daily,
        )

    async def close(self) -> None:
        """Finish pending deliveries and release the database."""
        if self.intake is not None:
            await self.intake.jobs.close()
        await self.engine.drain_deliveries()
        if self.console is not None:
            await self.console.close()
        for adapter in self.channels.values():
            await adapter.close()
        if self.voice is not None:
            await asyncio.to_thread(self.voice.close)
        if self.odoo is not None:
            await self.odoo.close()
        if self.engine.llm is not None:
            await self.engine.llm.close()
        if self.exports is not None:
            await self.exports.close()
        await self.storage.close()
        await self.db.dispose()
