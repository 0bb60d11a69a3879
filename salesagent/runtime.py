"""The composition root: builds every part from the settings, and closes them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from functools import partial

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from agent.catalog.search import ProductIndex
from agent.catalog.vocabulary import Vocabulary
from agent.channel import CollectingOutput, OutputChannel
from agent.company import CompanyInfo, check_currency, load_company
from agent.db import create_engine, create_sessionmaker
from agent.domain import DomainHandler
from agent.engine import TurnEngine
from agent.errors import ConfigurationError, StorageError
from agent.jobs import TurnJobs
from agent.knowledge.search import KnowledgeBase
from agent.leads.schedule import watch_leads
from agent.llm.factory import build_llm
from agent.migrate import upgrade_async
from agent.nlu.model_store import load_or_train
from agent.outbox import OutboxDispatcher
from agent.queue import TurnQueue
from agent.seed import seed_demo_if_empty
from agent.settings import Settings
from agent.turn.admission import Admission
from agent.understanding import Understander
from agent.voice import VoiceNotes
from agent.words import use_shop_words
from channels.guards import SenderGuard
from channels.intake import Intake
from channels.odoo_livechat.integration import OdooIntegration
from channels.odoo_livechat.shop_facts import run_on_odoo
from channels.registry import ChannelAdapter, build_channels, check_channels
from channels.web.fanout import FanOut, LocalFanOut
from channels.web.output import WebOutput
from channels.web.redis_fanout import RedisFanOut
from channels.web.turns import LocalWebTurns, WebTurns
from console.feed import StaffFeed
from console.proposal_desk import ProposalDesk
from console.service import StaffConsole
from exports.jobs import ExportJobs
from exports.schedule import DailyPlan, run_cleanup, run_schedule
from rag_domains.company import CompanyHandler
from rag_domains.customers import CustomersHandler
from rag_domains.documents import DocumentsFirst
from rag_domains.inventory import InventoryHandler
from rag_domains.sales import SalesHandler
from rag_domains.smalltalk import SmalltalkHandler
from salesagent.taskqueue import TaskQueue
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
    web_turns: WebTurns
    """Where the web chat's turns run: here, or queued for the workers."""
    queue: TaskQueue | None = None
    """The PostgreSQL task queue (TASK_QUEUE=postgres): turns and the schedule run in workers."""
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
    loops: dict[str, Callable[[], Awaitable[None]]] = field(default_factory=dict)
    """The background loops the app's lifespan runs (salesagent/loops.py), by name."""
    _opened: AsyncExitStack = field(default_factory=AsyncExitStack, init=False, repr=False)
    """What `close` releases, in the reverse order of the start-up."""

    @classmethod
    async def start(cls, settings: Settings, *, migrate: bool = True) -> Runtime:
        """Migrate, seed the demo shop on first start (if enabled), and wire the parts.

        Each part that holds something is entered into one exit stack as it is made; a failure
        half-way closes what was opened, in reverse, and `close` does the same later.
        """
        async with AsyncExitStack() as opened:
            runtime = await cls._wire(settings, opened, migrate=migrate)
            runtime._opened = opened.pop_all()
        return runtime

    async def close(self) -> None:
        """Finish the turns and deliveries under way, then release every part (a second call
        does nothing)."""
        await self._opened.aclose()

    async def __aenter__(self) -> Runtime:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    @classmethod
    async def _wire(cls, settings: Settings, opened: AsyncExitStack, *, migrate: bool) -> Runtime:
        storage = build_storage(settings)  # a missing S3_*/MINIO_* setting stops it here
        company = stated = load_company(settings.company_file)
        use_shop_words(settings.shop_words_dir)  # an unknown id or placeholder stops it here
        if settings.odoo_shop:  # the shop's name, currency, language and contact are Odoo's
            settings, company = await run_on_odoo(settings, stated)
        check_currency(stated, settings.currency, settings.company_file)
        vocabulary = Vocabulary.load(settings.catalog_synonyms_file)  # a bad file stops it here
        index = ProductIndex(vocabulary, settings.catalog_language)
        llm = build_llm(settings, index)  # a missing GOOGLE_API_KEY stops the start-up here
        opened.push_async_callback(llm.close)
        check_channels(settings)  # so does a half-set TWILIO_* or TELEGRAM_*
        daily = DailyPlan.from_settings(settings)  # and a malformed EXPORT_DAILY_*
        if migrate:
            await upgrade_async(settings.database_url)
        db = create_engine(
            settings.database_url,
            echo=settings.database_echo,
            pool_size=settings.database_pool_size,
            pool_overflow=settings.database_pool_overflow,
            pool_timeout=settings.database_pool_timeout,
        )
        opened.push_async_callback(db.dispose)
        opened.push_async_callback(storage.close)
        try:
            await storage.start()
        except StorageError as err:  # the chat works without it; each report tries again
            log.warning("the file store is not ready; reports will try it again: %s", err)
        sessions = create_sessionmaker(db)
        exports = ExportJobs(settings=settings, db=db, sessions=sessions, storage=storage)
        opened.push_async_callback(exports.close)
        if settings.auto_seed_demo:
            report = await seed_demo_if_empty(sessions)
            if report is not None:
                log.info("seeded the demo shop: %s", report)
        # Trained from the corpus on the first start (seconds), read from disk after.
        classifier = await asyncio.to_thread(load_or_train, settings.nlu_model_dir)
        outputs: dict[str, OutputChannel] = {
            name: CollectingOutput(name) for name in LOCAL_CHANNELS
        }
        # The process's bounds (MAX_PARALLEL_INTAKE, MAX_PARALLEL_TURNS, MAX_PARALLEL_DELIVERIES),
        # one for every entry and every reply.
        admission = Admission.from_settings(settings)
        queue: TaskQueue | None = None
        fanout: FanOut = LocalFanOut()
        staff_feed: StaffFeed | None = None
        if settings.task_queue == "postgres":
            if settings.redis_url is None:
                raise ConfigurationError("TASK_QUEUE=postgres needs REDIS_URL (the live feed)")
            shared = RedisFanOut.from_url(
                settings.redis_url, prefix=settings.redis_prefix, pool_size=settings.redis_pool_size
            )
            opened.push_async_callback(shared.close)
            await shared.start()
            queue = TaskQueue(settings, shared, sessions, admission)
            await queue.open()
            opened.push_async_callback(queue.close)
            fanout = shared
            staff_feed = shared.feed("staff")  # consoles hear the turns the workers run
        web = WebOutput(fanout, sessions)
        outputs[WebOutput.name] = web
        voice = VoiceNotes.from_settings(settings, sessions)
        opened.push_async_callback(asyncio.to_thread, voice.close)
        channels = build_channels(settings, sessions)
        for name, adapter in channels.items():
            opened.push_async_callback(adapter.close)
            outputs[name] = adapter.output
            voice.add_fetcher(name, adapter.fetch_media)
        # A half-set STAFF_TELEGRAM_* stops the start-up here, naming the variable.
        console = StaffConsole.build(settings, sessions, company, llm, feed=staff_feed)
        opened.push_async_callback(console.close)  # after the engine's deliveries
        outputs.update(console.outputs)
        dispatcher = OutboxDispatcher.from_settings(settings, sessions, outputs, admission)
        inventory = InventoryHandler(index, limit=settings.search_results)
        knowledge = KnowledgeBase.from_settings(settings, sessions)
        opened.push_async_callback(knowledge.close)
        handlers: dict[str, DomainHandler] = {
            "inventory": DocumentsFirst(inventory, knowledge),
            "sales": SalesHandler(
                index,
                currency=settings.currency,
                shipping=company.shipping,
                not_sold=inventory.not_sold,
                browse=inventory.handle,
            ),
            "customers": CustomersHandler(currency=settings.currency),
            "company": CompanyHandler(company, knowledge),
            "smalltalk": SmalltalkHandler(
                settings.shop_name,
                catalog=index if settings.odoo_shop else None,
                knowledge=knowledge,
            ),
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
                classifier=classifier,
            ),
            handlers=handlers,
            dispatcher=dispatcher,
            llm=llm,
            voice=voice,
            handoff=console.policy,
            listener=console.on_turn,
            admission=admission,
        )
        opened.push_async_callback(engine.close)  # the deliveries, after the turns that make them
        # A missing Odoo setting stops the start-up here, naming the variable.
        odoo = OdooIntegration.build(settings, sessions, engine)
        if odoo is not None:
            opened.push_async_callback(odoo.close)
            outputs.update(odoo.outputs)
        jobs: TurnQueue
        if queue is None:
            jobs = TurnJobs(engine)
            opened.push_async_callback(jobs.close)  # first at shutdown: the turns under way
        else:
            jobs = queue
        intake = Intake(
            sessions,
            jobs,
            SenderGuard.from_settings(settings),
            admission=admission,
        )
        for adapter in channels.values():
            await adapter.start()
        await console.start(dispatcher)
        await llm.check()
        loops: dict[str, Callable[[], Awaitable[None]]] = {
            "outbox": dispatcher.run,
            "export runner": exports.run,
        }
        if queue is None:  # with a queue they are its periodic jobs (salesagent/taskqueue.py)
            loops["waiting watch"] = console.watch
            loops["proposal expiry"] = ProposalDesk(console).watch
            loops["export cleanup"] = partial(run_cleanup, exports)
            loops["leads"] = partial(watch_leads, sessions, settings, llm, on_lead=console.on_lead)
            if daily is not None:
                loops["daily exports"] = partial(run_schedule, exports, daily)
        if odoo is not None:  # with a queue the product sync is its periodic job
            loops["odoo"] = partial(odoo.run, sync_products=queue is None)
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
            queue or LocalWebTurns(engine, web),
            queue,
            odoo,
            channels=channels,
            intake=intake,
            voice=voice,
            console=console,
            exports=exports,
            daily=daily,
            loops=loops,
        )
