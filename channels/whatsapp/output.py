"""WhatsApp replies through Twilio's Messages API, from the outbox.

- A reply longer than `WHATSAPP_PART_CHARS` goes in parts (at most `WHATSAPP_MAX_PARTS`, the last
  shortened); each accepted part is recorded, so a retry never sends a part twice.
- WhatsApp only lets a business write freely within 24 hours of the customer's last message.
  Outside that window no free-form message is attempted: the approved template
  (`TWILIO_CONTENT_SID`) is sent, or the row fails with the reason.
- Twilio's 429 and 5xx and network failures are retried by the outbox; other refusals are not.
- The same reply is not sent a third time in a row to a chat (a bot answering a bot).
- Twilio then reports each message's fate to the status callback (`deliveries`).
- Each part's send is recorded before Twilio is called. After a crash mid-send, Twilio's own
  records (`messages.list` to the chat) say whether the part was accepted, so it is recorded, or
  sent again, never both; so do they after a send whose answer was lost (a timeout).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from agent import deliveries
from agent.channel import PendingReply
from agent.db import transaction
from agent.errors import AnswerLostError, RetryableError, UndeliverableError
from agent.models import utcnow
from channels.guards import hold_back_loop
from channels.split import split_reply

CHANNEL = "whatsapp"
WINDOW = timedelta(hours=24)
"""WhatsApp's customer service window: free-form messages only this long after the customer's."""
LOOKUP_LIMIT = 50
"""The chat's latest messages searched for a part a stopped process may have sent."""


class WhatsAppOutput:
    """Sends replies with the twilio `Client` (`messages.create`)."""

    name = CHANNEL

    def __init__(
        self,
        client: Client,
        sessions: async_sessionmaker[AsyncSession],
        *,
        sender: str,
        status_callback: str,
        content_sid: str | None = None,
        content_variables: dict[str, Any] | None = None,
        part_chars: int = 900,
        max_parts: int = 3,
    ) -> None:
        self._client = client
        self._sessions = sessions
        self._sender = sender
        self._status_callback = status_callback
        self._content_sid = content_sid
        self._content_variables = content_variables
        self._part_chars = part_chars
        self._max_parts = max_parts

    def parts(self, text: str) -> list[str]:
        """The messages a reply is sent as."""
        return split_reply(text, limit=self._part_chars, max_parts=self._max_parts)

    async def send_text(self, external_chat_id: str, text: str) -> str | None:
        """Send `text` now (no records, no window check); the last part's message SID."""
        sid = None
        for part in self.parts(text):
            sid, _status = await self._create(to=external_chat_id, body=part)
        return sid

    async def deliver(self, reply: PendingReply) -> None:
        """Send an outbox row: the parts not yet accepted, inside the 24-hour window."""
        chat = reply.external_chat_id
        async with self._sessions() as session:
            done = await deliveries.accepted_parts(session, reply.outbox_id)
            last_inbound = await deliveries.last_inbound_at(session, CHANNEL, chat)
            await hold_back_loop(session, channel=CHANNEL, reply=reply, done=done)
        if last_inbound is None or utcnow() - last_inbound > WINDOW:
            await self._outside_window(reply, last_inbound, done)
            return
        for part, body in enumerate(self.parts(reply.text)):
            if part in done or await self._settle(reply, part, body):
                continue
            await deliveries.begin_attempt(self._sessions, outbox_id=reply.outbox_id, part=part)
            sid, status = await self._create(to=chat, body=body)
            await self._record(reply.outbox_id, part, sid, status)

    def sent_since(self, to: str, body: str | None) -> Callable[[datetime], Awaitable[list[str]]]:
        """Asks Twilio for the SIDs of the messages to `to` with `body` (any body: None) created
        since a moment, newest first."""

        async def lookup(since: datetime) -> list[str]:
            try:
                messages = await self._client.messages.list_async(
                    to=to, from_=self._sender, limit=LOOKUP_LIMIT
                )
            except TwilioRestException as err:
                raise RetryableError(f"Twilio's message list failed ({err.status})") from err
            except (aiohttp.ClientError, TimeoutError) as err:
                raise RetryableError(f"Twilio could not be reached: {err!r}") from err
            return [
                str(m.sid)
                for m in messages
                if m.date_created is not None
                and m.date_created >= since
                and (body is None or m.body == body)
            ]

        return lookup

    async def _settle(self, reply: PendingReply, part: int, body: str | None) -> bool:
        return await deliveries.settle_interrupted(
            self._sessions,
            channel=CHANNEL,
            outbox_id=reply.outbox_id,
            part=part,
            lookup=self.sent_since(reply.external_chat_id, body),
        )

    async def _outside_window(
        self, reply: PendingReply, last_inbound: datetime | None, done: set[int]
    ) -> None:
        since = last_inbound.isoformat(timespec="minutes") if last_inbound else "never"
        if self._content_sid is None:
            raise UndeliverableError(
                f"not sent: outside WhatsApp's 24-hour window (the customer last wrote: {since}) "
                "and no template is configured (TWILIO_CONTENT_SID)"
            )
        if 0 in done or await self._settle(reply, 0, None):
            return
        await deliveries.begin_attempt(self._sessions, outbox_id=reply.outbox_id, part=0)
        sid, status = await self._create(
            to=reply.external_chat_id,
            content_sid=self._content_sid,
            content_variables=self._content_variables,
        )
        await self._record(reply.outbox_id, 0, sid, status)

    async def _record(self, outbox_id: int, part: int, sid: str, status: str) -> None:
        async with transaction(self._sessions) as session:
            await deliveries.record_part(
                session,
                outbox_id=outbox_id,
                channel=CHANNEL,
                part=part,
                vendor_message_id=sid,
                status=status or "accepted",
            )

    async def _create(
        self,
        *,
        to: str,
        body: str | None = None,
        content_sid: str | None = None,
        content_variables: dict[str, Any] | None = None,
    ) -> tuple[str, str]:
        fields: dict[str, Any] = {"to": to, "from_": self._sender}
        fields["status_callback"] = self._status_callback
        if content_sid is not None:
            fields["content_sid"] = content_sid
            if content_variables:
                fields["content_variables"] = json_text(content_variables)
        else:
            fields["body"] = body
        try:
            message = await self._client.messages.create_async(**fields)
        except RetryableError:
            raise
        except TwilioRestException as err:
            if err.status == 429 or err.status >= 500:
                raise RetryableError(f"Twilio answered {err.status}: {err.msg}") from err
            raise UndeliverableError(
                f"Twilio refused the message ({err.status}, error {err.code}): {err.msg}"
            ) from err
        except (aiohttp.ClientError, TimeoutError) as err:
            raise AnswerLostError(f"Twilio's answer did not come: {err!r}") from err
        return str(message.sid), str(message.status or "accepted")


def json_text(value: dict[str, Any]) -> str:
    """Twilio wants the template's variables as a JSON string."""
    return json.dumps(value, ensure_ascii=False)
