"""The Telegram channel: Bot API updates in, `InboundMessage` out; its output and media.

Telegram sends the secret given to `setWebhook` in `X-Telegram-Bot-Api-Secret-Token` with every
update; a request without it is refused. Updates are deduplicated by `update_id` (the inbox's
message id), so an update Telegram delivers again is answered once.
"""

from __future__ import annotations

import hmac
import logging
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, Message, Update
from telegram.error import InvalidToken, TelegramError

from agent.errors import ChannelAuthError, ConfigurationError
from agent.messages import InboundMessage, MediaRef
from agent.settings import Settings
from agent.voice.fetch import too_large
from agent.voice.transcriber import UnheardNote
from channels.telegram.output import CHANNEL, TelegramOutput

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhooks/telegram"
FILE_PREFIX = "telegram-file:"
"""How a Telegram file id is kept as a media URL (only the bot can fetch it)."""
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


class _Shape(BaseModel):
    model_config = ConfigDict(strict=True, populate_by_name=True)


class _Id(_Shape):
    id: int


class _MessageShape(_Shape):
    message_id: int
    date: int
    chat: _Id
    from_: _Id | None = Field(default=None, alias="from")
    text: str | None = None
    caption: str | None = None


class _UpdateShape(_Shape):
    """The types of the parts of an update this channel reads (the SDK does not check them)."""

    update_id: int
    message: _MessageShape | None = None


@dataclass(frozen=True, slots=True)
class TelegramConfig:
    """The channel's settings, checked."""

    token: str
    secret: str | None
    api_base_url: str

    @classmethod
    def from_settings(cls, settings: Settings, *, webhook: bool = False) -> TelegramConfig | None:
        """The configuration, None when Telegram is off; `ConfigurationError` naming what is
        missing. Registering a webhook (`webhook=True`) needs the secret; polling does not, and
        without it the service's webhook refuses every update."""
        token = (
            settings.telegram_bot_token.get_secret_value() if settings.telegram_bot_token else ""
        )
        secret = (
            settings.telegram_webhook_secret.get_secret_value()
            if settings.telegram_webhook_secret
            else ""
        )
        if not token and not secret:
            return None
        if not token:
            raise ConfigurationError("Telegram is half configured: set TELEGRAM_BOT_TOKEN")
        if ":" not in token or not token.split(":", 1)[0].isdigit():
            raise ConfigurationError("TELEGRAM_BOT_TOKEN does not look like 123456:ABC... ")
        if webhook and not secret:
            raise ConfigurationError(
                "Telegram is half configured: set TELEGRAM_WEBHOOK_SECRET (letters, digits, _ "
                "and -), the secret Telegram sends with every update"
            )
        if secret and not _SECRET.match(secret):
            raise ConfigurationError(
                "TELEGRAM_WEBHOOK_SECRET may only hold letters, digits, _ and - (1 to 256)"
            )
        return cls(token, secret or None, settings.telegram_api_base_url.rstrip("/"))


def make_bot(config: TelegramConfig) -> Bot:
    """A python-telegram-bot `Bot` on the configured Bot API server."""
    return Bot(
        config.token,
        base_url=f"{config.api_base_url}/bot",
        base_file_url=f"{config.api_base_url}/file/bot",
    )


class TelegramChannel:
    """Verifies and translates updates, fetches their files, and sends replies."""

    name = CHANNEL

    def __init__(
        self, config: TelegramConfig, sessions: async_sessionmaker[AsyncSession], settings: Settings
    ) -> None:
        self.config = config
        self.bot = make_bot(config)
        self.bot_id = config.token.split(":", 1)[0]
        self.output = TelegramOutput(self.bot, sessions, max_parts=settings.whatsapp_max_parts)

    @classmethod
    def from_settings(
        cls, settings: Settings, sessions: async_sessionmaker[AsyncSession]
    ) -> TelegramChannel | None:
        """The channel when its token is set."""
        config = TelegramConfig.from_settings(settings)
        return cls(config, sessions, settings) if config is not None else None

    def verify(self, secret: str | None) -> None:
        """`ChannelAuthError` unless the request carries the webhook's secret token."""
        expected = self.config.secret
        if expected is None or not secret or not hmac.compare_digest(secret, expected):
            raise ChannelAuthError("the request does not carry this bot's webhook secret")

    def update(self, data: Any) -> Update:
        """The SDK's `Update` of a webhook's JSON; `ValueError` when it is not one."""
        _UpdateShape.model_validate(data)  # a ValidationError is a ValueError
        try:
            update = Update.de_json(data, self.bot)
        except (TypeError, KeyError, AttributeError) as err:
            raise ValueError(str(err)) from err
        if update is None:
            raise ValueError("the body is empty")
        return update

    def inbound(self, update: Update) -> InboundMessage | None:
        """The customer's message, or None (other kinds of update, bots, the bot itself)."""
        message = update.message
        if message is None or message.from_user is None:
            return None
        user = message.from_user
        if user.is_bot or str(user.id) == self.bot_id:
            log.info("ignored a Telegram message from a bot (%s)", user.id)
            return None
        return InboundMessage(
            channel=CHANNEL,
            external_message_id=str(update.update_id),
            external_chat_id=str(message.chat.id),
            text=message.text or message.caption or _shared_phone(message),
            sender=str(user.id),
            sender_name=user.full_name or None,
            media=_media(message),
            timestamp=message.date,
        )

    async def fetch_media(self, url: str, *, max_bytes: int) -> bytes:
        """A file of a message, through getFile and the Bot API's file download."""
        file_id = url.removeprefix(FILE_PREFIX)
        try:
            file = await self.bot.get_file(file_id)
            if file.file_size and file.file_size > max_bytes:
                raise too_large(file.file_size, max_bytes)
            data = bytes(await file.download_as_bytearray())
        except TelegramError as err:
            raise UnheardNote("unavailable", f"Telegram did not give the file: {err}") from err
        if len(data) > max_bytes:
            raise too_large(len(data), max_bytes)
        return data

    async def start(self) -> None:
        """Ask Telegram who the bot is: a rejected token stops the start-up."""
        if self.config.secret is None:
            log.warning(
                "Telegram: no TELEGRAM_WEBHOOK_SECRET, so %s refuses every update; take them "
                "with `salesagent telegram poll`, or set the secret and run `telegram set-webhook`",
                WEBHOOK_PATH,
            )
        try:
            await self.bot.initialize()
        except InvalidToken as err:
            raise ConfigurationError(f"Telegram refused TELEGRAM_BOT_TOKEN: {err}") from err
        except TelegramError as err:  # unreachable now: replies retry through the outbox
            log.warning("Telegram could not be reached at start-up: %s", err)

    async def close(self) -> None:
        """Close the bot's HTTP connections."""
        await self.bot.shutdown()


def _shared_phone(message: Message) -> str:
    """A shared contact as its phone number: Telegram's "share my phone number" button gives
    the number the customer registered with us in full, as if typed (agent/identity.py)."""
    contact = message.contact
    return contact.phone_number if contact is not None else ""


def _media(message: Message) -> tuple[MediaRef, ...]:
    media = []
    if message.voice is not None:
        voice = message.voice
        media.append(MediaRef("voice", FILE_PREFIX + voice.file_id, voice.mime_type or "audio/ogg"))
    if message.audio is not None:
        audio = message.audio
        media.append(
            MediaRef("voice", FILE_PREFIX + audio.file_id, audio.mime_type or "audio/mpeg")
        )
    if message.photo:
        largest = message.photo[-1]
        media.append(MediaRef("image", FILE_PREFIX + largest.file_id, "image/jpeg"))
    return tuple(media)
