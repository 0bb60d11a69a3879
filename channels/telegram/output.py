"""Telegram replies through the Bot API (`sendMessage`), from the outbox.

A reply over Telegram's 4,096 characters goes in parts, each recorded once accepted, so a retry
never repeats one. Flood control (429 with `retry_after`) and network failures are retried;
a chat that blocked the bot, or a request Telegram refuses, is not.

Each part's send is recorded before Telegram is called. The Bot API has no idempotency key and
no way to list what the bot sent, so a part a crashed process was sending is not sent again (at
most once): its row fails saying so, for staff to check the chat.
"""

from __future__ import annotations

import html
import re
import warnings
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.constants import MessageLimit, ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

from agent import deliveries
from agent.channel import PendingReply
from agent.db import transaction
from agent.errors import RetryableError, UndeliverableError
from channels.guards import hold_back_loop
from channels.split import split_reply

CHANNEL = "telegram"
_BOLD = re.compile(r"\*([^*\n]+)\*")


def as_html(text: str) -> str:
    """The reply with its `*bold*` as Telegram HTML, everything else escaped."""
    return _BOLD.sub(r"<b>\1</b>", html.escape(text, quote=False))


class TelegramOutput:
    """Sends replies with python-telegram-bot's `Bot`."""

    name = CHANNEL

    def __init__(
        self, bot: Bot, sessions: async_sessionmaker[AsyncSession], *, max_parts: int = 3
    ) -> None:
        self._bot = bot
        self._sessions = sessions
        self._max_parts = max_parts

    def parts(self, text: str) -> list[str]:
        """The messages a reply is sent as."""
        return split_reply(
            text, limit=int(MessageLimit.MAX_TEXT_LENGTH) - 200, max_parts=self._max_parts
        )

    async def send_text(self, external_chat_id: str, text: str) -> str | None:
        """Send `text` now (no records); the last part's message id."""
        sent = None
        for part in self.parts(text):
            sent = await self._send(external_chat_id, part)
        return sent

    async def deliver(self, reply: PendingReply) -> None:
        """Send an outbox row: the parts Telegram has not accepted yet."""
        chat = reply.external_chat_id
        async with self._sessions() as session:
            done = await deliveries.accepted_parts(session, reply.outbox_id)
            await hold_back_loop(session, channel=CHANNEL, reply=reply, done=done)
        for part, text in enumerate(self.parts(reply.text)):
            if part in done or await deliveries.settle_interrupted(
                self._sessions, channel=CHANNEL, outbox_id=reply.outbox_id, part=part, lookup=None
            ):
                continue
            await deliveries.begin_attempt(self._sessions, outbox_id=reply.outbox_id, part=part)
            message_id = await self._send(chat, text)
            async with transaction(self._sessions) as session:
                await deliveries.record_part(
                    session,
                    outbox_id=reply.outbox_id,
                    channel=CHANNEL,
                    part=part,
                    vendor_message_id=message_id,
                    status="sent",
                )

    async def _send(self, chat_id: str, text: str) -> str:
        """Send one message; its id as `chat:message` (Telegram's ids are per chat)."""
        try:
            try:
                message = await self._bot.send_message(
                    chat_id=chat_id, text=as_html(text), parse_mode=ParseMode.HTML
                )
            except BadRequest as err:
                if "parse" not in str(err).lower():
                    raise
                message = await self._bot.send_message(chat_id=chat_id, text=text)
        except RetryAfter as err:
            with warnings.catch_warnings():  # int today, timedelta in a later major version
                warnings.simplefilter("ignore", PTBDeprecationWarning)
                wait = err.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            raise RetryableError(f"Telegram flood control: {err}", retry_after=seconds) from err
        except (Forbidden, BadRequest) as err:
            raise UndeliverableError(f"Telegram refused the message: {err}") from err
        except NetworkError as err:
            raise RetryableError(f"Telegram could not be reached: {err}") from err
        except TelegramError as err:
            raise RetryableError(f"Telegram failed: {err}") from err
        return f"{chat_id}:{message.message_id}"
