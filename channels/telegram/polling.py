"""Polling mode, for a shop without a public address: the bot asks Telegram for updates.

Telegram gives updates either to a webhook or to `getUpdates`, never both: polling removes the
webhook first. Each update goes through the same intake as the webhook's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram.error import TelegramError

from agent.errors import InvalidInputError
from channels.intake import Intake
from channels.telegram.adapter import TelegramChannel

log = logging.getLogger(__name__)


async def poll(
    telegram: TelegramChannel, intake: Intake, *, stop: asyncio.Event, wait: int = 25
) -> int:
    """Take updates until `stop` is set; returns how many messages were taken in."""
    bot = telegram.bot
    await bot.delete_webhook()
    offset: int | None = None
    taken = 0
    pause = 1.0
    while not stop.is_set():
        try:
            updates = await bot.get_updates(
                offset=offset, timeout=wait, allowed_updates=["message"]
            )
        except TelegramError as err:
            log.warning("getUpdates failed (%s); trying again in %.0f s", err, pause)
            await _sleep(stop, pause)
            pause = min(60.0, pause * 2)
            continue
        pause = 1.0
        for update in updates:
            offset = update.update_id + 1
            message = telegram.inbound(update)
            if message is None:
                continue
            try:
                await intake.accept(message)
            except InvalidInputError as err:  # text no database keeps: skipped, not retried
                log.warning("skipped Telegram update %s: %s", update.update_id, err)
                continue
            taken += 1
    return taken


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):  # not wait_for: in 3.11 it may eat a cancellation
        async with asyncio.timeout(seconds):
            await stop.wait()
