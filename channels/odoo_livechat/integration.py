"""The Odoo parts one process runs, built from the settings (README "Odoo").

`ODOO_LIVECHAT_ENABLED` adds the livechat channel (webhook, output, handoff, and the catch-up on
the messages no webhook brought, on start and every `ODOO_CATCH_UP_MINUTES`); `ODOO_PUSH_ORDERS`
the quotation pushes; `ODOO_PUSH_LEADS` the CRM lead pushes; `ODOO_SYNC_PRODUCTS_MINUTES` a
scheduled product import. All share one client of the shop's Odoo. A missing setting stops the
start-up naming it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.catalog.importer import ImportReport
from agent.channel import OutputChannel
from agent.engine import TurnEngine
from agent.errors import RetryableError
from agent.settings import Settings
from channels.odoo_livechat.catalog_sync import sync_products
from channels.odoo_livechat.catch_up import CatchUp
from channels.odoo_livechat.client import OdooClient
from channels.odoo_livechat.config import OdooConfig, odoo_wanted, webhook_secret
from channels.odoo_livechat.crm_leads import LeadOutput, queue_leads
from channels.odoo_livechat.livechat import OdooLivechat
from channels.odoo_livechat.output import LivechatOutput
from channels.odoo_livechat.quotations import QuotationOutput, queue_new_orders
from channels.odoo_livechat.rights import check_odoo
from channels.odoo_livechat.shop_facts import read_shop

log = logging.getLogger(__name__)

QUEUE_INTERVAL_SECONDS = 5.0
"""How often new orders and leads are looked for (each is pushed by the outbox right after)."""


class OdooIntegration:
    """The livechat channel, the quotation pushes and the product sync of one Odoo database."""

    def __init__(
        self,
        *,
        settings: Settings,
        client: OdooClient,
        sessions: async_sessionmaker[AsyncSession],
        livechat: OdooLivechat | None,
        outputs: dict[str, OutputChannel],
    ) -> None:
        self.settings = settings
        self.client = client
        self.livechat = livechat
        self.outputs = outputs
        self._sessions = sessions
        self.catch_up = (
            CatchUp(
                client, livechat, sessions, window=timedelta(hours=settings.delivery_horizon_hours)
            )
            if livechat is not None
            else None
        )

    @classmethod
    def build(
        cls,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        engine: TurnEngine,
    ) -> OdooIntegration | None:
        """The parts the settings switch on; None when none is (no client is made)."""
        if not odoo_wanted(settings):
            return None
        config = OdooConfig.from_settings(settings)
        secret = webhook_secret(settings) if settings.odoo_livechat_enabled else None
        client = OdooClient(config)
        outputs: dict[str, OutputChannel] = {}
        livechat = None
        if secret is not None:
            output = LivechatOutput(client, sessions)
            outputs[output.name] = output
            livechat = OdooLivechat(
                sessions=sessions,
                engine=engine,
                output=output,
                database=config.database,
                secret=secret,
                settings=settings,
            )
        if settings.odoo_push_orders:
            quotations = QuotationOutput(client, sessions, salesperson=settings.odoo_salesperson_id)
            outputs[quotations.name] = quotations
        if settings.odoo_push_leads:
            leads = LeadOutput(
                client,
                sessions,
                salesperson=settings.odoo_salesperson_id,
                salespeople=settings.odoo_salespeople,
            )
            outputs[leads.name] = leads
        return cls(
            settings=settings,
            client=client,
            sessions=sessions,
            livechat=livechat,
            outputs=outputs,
        )

    async def sync_products(self) -> ImportReport:
        """Import Odoo's products into the catalog now."""
        return await sync_products(self.client, self._sessions)

    async def run(self, *, sync_products: bool = True) -> None:
        """Background work until cancelled: unanswered turns, the catch-up, order queue, and
        the product schedule unless the task queue runs it (`sync_products=False`)."""
        if self.livechat is not None:
            resumed = await self.livechat.resume_pending()
            if resumed:
                log.info("resumed %s Odoo livechat turns left pending", resumed)
        loops = [self._check()]  # alongside the work: a slow Odoo does not hold it back
        if self.catch_up is not None:
            loops.append(self._every(self.settings.odoo_catch_up_minutes * 60, self._catch_up))
        if self.settings.odoo_push_orders:
            loops.append(self._every(QUEUE_INTERVAL_SECONDS, self._queue_orders))
        if self.settings.odoo_push_leads:
            loops.append(self._every(QUEUE_INTERVAL_SECONDS, self._queue_leads))
        minutes = self.settings.odoo_sync_products_minutes
        if minutes > 0 and sync_products:
            loops.append(self._every(minutes * 60, self._sync))
        await asyncio.gather(*loops)

    async def close(self) -> None:
        """Let the turns in progress finish, then release the connections."""
        if self.livechat is not None:
            await self.livechat.close()
        await self.client.close()

    async def _check(self) -> None:
        """Say at start what would keep the agent from working with Odoo (a wrong key, a
        missing right), and a currency other than the agent's."""
        try:
            checked = await check_odoo(self.client, leads=self.settings.odoo_push_leads)
            shop = await read_shop(self.client) if checked.ok else None
        except Exception:  # a background task's edge: the Odoo work goes on regardless
            log.exception("the Odoo check at start failed")
            return
        if shop is None:
            log.warning("%s", checked.sentence)
            return
        log.info("%s", checked.sentence)
        if shop.currency and shop.currency != self.settings.currency:
            log.warning(
                "Odoo's company sells in %s but CURRENCY is %s: products come in %s, carts "
                "and orders are in %s; set CURRENCY=%s (or ODOO_SHOP=true)",
                shop.currency,
                self.settings.currency,
                shop.currency,
                self.settings.currency,
                shop.currency,
            )

    async def _queue_orders(self) -> None:
        await queue_new_orders(self._sessions)

    async def _queue_leads(self) -> None:
        await queue_leads(self._sessions)

    async def _sync(self) -> None:
        await self.sync_products()

    async def _catch_up(self) -> None:
        assert self.catch_up is not None
        await self.catch_up.run_once()

    @staticmethod
    async def _every(seconds: float, work: Callable[[], Awaitable[None]]) -> None:
        """Do `work` now and every `seconds` after (only now when 0)."""
        while True:
            try:
                await work()
            except RetryableError as err:  # Odoo down: no traceback, tried again next time
                log.warning("Odoo background work: %s", err)
            except Exception:  # a background loop's edge: logged, tried again next time
                log.exception("Odoo background work failed")
            if seconds <= 0:
                return
            await asyncio.sleep(seconds)
