"""Catching up with Odoo: the served sessions' messages the agent never received.

While the agent is down, or while Odoo signs its webhooks with a wrong secret, the addon's
webhooks are lost. On start and every `ODOO_CATCH_UP_MINUTES`, the agent asks the addon for the
messages posted since it last looked (`discuss.channel.salesagent_messages`, the webhook's own
payloads) and takes each as it takes a webhook: the inbox keeps a message once by its Odoo id,
so a message already received is not answered again.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from pydantic import ValidationError

from agent.models import utcnow
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

    def __init__(self, client: OdooClient, livechat: OdooLivechat, *, window: timedelta) -> None:
        self._client = client
        self._livechat = livechat
        self._window = window
        self._looked_at: datetime | None = None

    async def run_once(self) -> int:
        """Ask Odoo for the messages since the last look (the first: `window` back); how many
        were new to the agent."""
        started = utcnow()
        since = started - self._window if self._looked_at is None else self._looked_at - OVERLAP
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
        self._looked_at = started
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
