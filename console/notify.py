"""Notifications to the staff's Telegram chat: a new conversation waiting for a person.

The handoff writes the notification as an outbox row (channel `staff_telegram`) in the same
transaction; this output sends it with the Telegram channel's own sender (python-telegram-bot),
so a Telegram outage is retried by the outbox like any reply.
"""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram.error import InvalidToken, TelegramError

from agent.errors import ConfigurationError
from agent.handoff import STAFF_TELEGRAM
from agent.settings import Settings
from channels.telegram.adapter import TelegramConfig, make_bot
from channels.telegram.output import TelegramOutput

log = logging.getLogger(__name__)


class StaffTelegram:
    """Sends the console's notifications to a Telegram chat (a staff group)."""

    name = STAFF_TELEGRAM

    def __init__(self, config: TelegramConfig, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.bot = make_bot(config)
        self._sender = TelegramOutput(self.bot, sessions)

    @classmethod
    def from_settings(
        cls, settings: Settings, sessions: async_sessionmaker[AsyncSession]
    ) -> StaffTelegram | None:
        """The notifier `STAFF_TELEGRAM_CHAT_ID` asks for (None without it)."""
        if not settings.staff_telegram_chat_id:
            return None
        secret = settings.staff_telegram_bot_token or settings.telegram_bot_token
        token = secret.get_secret_value() if secret else ""
        if not token:
            raise ConfigurationError(
                "STAFF_TELEGRAM_CHAT_ID needs a bot to write with: set STAFF_TELEGRAM_BOT_TOKEN "
                "(or TELEGRAM_BOT_TOKEN)"
            )
        base = settings.telegram_api_base_url.rstrip("/")
        return cls(TelegramConfig(token, None, base), sessions)

    async def start(self) -> None:
        """Ask Telegram who the bot is; a rejected token stops the start-up."""
        try:
            await self.bot.initialize()
        except InvalidToken as err:
            raise ConfigurationError(f"Telegram refused the staff bot's token: {err}") from err
        except TelegramError as err:  # unreachable now: the outbox retries the notifications
            log.warning("Telegram could not be reached at start-up: %s", err)

    async def send_text(self, external_chat_id: str, text: str) -> str | None:
        """Send one notification to the staff chat."""
        return await self._sender.send_text(external_chat_id, text)

    async def close(self) -> None:
        """Close the bot's connections."""
        await self.bot.shutdown()
