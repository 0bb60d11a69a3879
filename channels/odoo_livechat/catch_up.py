"""Catching up with Odoo: the served sessions' messages the agent never received.

While the agent is down, or while Odoo signs its webhooks with a wrong secret, the addon's
webhooks are lost. On start and every `ODOO_CATCH_UP_MINUTES`, the agent asks the addon for the
messages posted since it last looked (`discuss.channel.salesagent_messages`, the webhook's own
payloads) and takes each as it takes a webhook: the inbox keeps a message once by its Odoo id,
so a message already received is not answered again.

How far it got is kept in the database (`sync_marks`), so a restart picks up where the agent
left off. The very first start takes nothing from before it: the visitors who wrote before the
agent was ever connected (Odoo's own demo sessions, a test message hours earlier) are the
operators'. A look never goes back further than `window` (DELIVERY_HORIZON_HOURS): a reply
that late is no use.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent.db import insert_ignore
from agent.models import SyncMark, utcnow
from channels.odoo_livechat.client import OdooClient
from channels.odoo_livechat.events import LivechatEvent
from channels.odoo_livechat.livechat import OdooLivechat

log = logging.getLogger(__name__)

PAGE = 200
"""Messages asked for at once."""
OVERLAP = timedelta(minutes=10)
"""How far back past the last look each look goes (a message committed late is still seen)."""


def odoo_datetime(moment: datetime) -> str:
    """`moment` as Odoo writes a datetime field: UTC, `YYYY-MM-DD HH:MM:SS`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


class CatchUp:
    """Takes in the messages of the served sessions that no webhook brought."""

    def __init__(
        self,
        client: OdooClient,
        livechat: OdooLivechat,
        sessions: async_sessionmaker[AsyncSession],
        *,
        window: timedelta,
    ) -> None:
        self._client = client
        self._livechat = livechat
        self._sessions = sessions
        self._window = window
        self._mark = f"odoo-catch-up:{livechat.database}"

    async def run_once(self) -> int:
        """Ask Odoo for the messages since the last look; how many were new to the agent.

        The first look ever asks for nothing: it only marks the moment the agent connected.
        """
        started = utcnow()
        async with self._sessions() as session:
            mark = await session.get(SyncMark, self._mark)
            if mark is None:  # another process may be marking it too: the first one's stays
                first = {"name": self._mark, "first_at": started, "last_at": started}
                await insert_ignore(session, SyncMark, first, conflict=["name"])
                await session.commit()
                log.info("the Odoo catch-up starts now: earlier livechat messages are left")
                return 0
            since = max(mark.last_at - OVERLAP, mark.first_at, started - self._window)
        new = 0
        after = 0
        while True:
            page = await self._client.call(
                "discuss.channel",
                "salesagent_messages",
                since=odoo_datetime(since),
                after_id=after,
                limit=PAGE,
            )
            for raw in page.get("events") or []:
                new += await self._take(raw)
            if not page.get("more"):
                break
            after = int(page["last_id"])
        async with self._sessions() as session:
            mark = await session.get(SyncMark, self._mark)
            if mark is not None and mark.last_at < started:
                mark.last_at = started
                await session.commit()
        if new:
            log.info("caught up with %s Odoo livechat messages no webhook brought", new)
        return new

    async def _take(self, raw: object) -> bool:
        try:
            event = LivechatEvent.model_validate(raw)
        except ValidationError as err:
            log.warning("an Odoo message the catch-up could not read: %s", err)
            return False
        if event.database != self._livechat.database:
            return False
        return await self._livechat.accept(event) != "duplicate"
