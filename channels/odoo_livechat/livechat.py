"""The Odoo livechat channel: verified events in, turns run after the acknowledgement.

A visitor's message is stored in the inbox (deduplicated by database and message id) before
the webhook is answered; its turn runs afterwards, and the reply leaves through the outbox
(`LivechatOutput`). An operator's message is stored as the shop's, and the conversation
becomes the operator's: the bot stays silent from then on.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from typing import Literal

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent import handoff, inbox
from agent.db import insert_ignore, transaction
from agent.engine import TurnEngine
from agent.errors import ChannelAuthError, InvalidInputError
from agent.messages import InboundMessage
from agent.models import (
    Conversation,
    Direction,
    InboxItem,
    InboxStatus,
    Message,
    Owner,
    utcnow,
)
from agent.settings import Settings
from agent.stopping import FINISH_SECONDS, stop_tasks
from channels.odoo_livechat import signing
from channels.odoo_livechat.events import CHANNEL, LivechatEvent
from channels.odoo_livechat.output import LivechatOutput

log = logging.getLogger(__name__)

Outcome = Literal["accepted", "duplicate", "operator"]
OPERATOR_REASON = "operator_replied"


class OdooLivechat:
    """Receives the addon's webhooks for one Odoo database."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        engine: TurnEngine,
        output: LivechatOutput,
        database: str,
        secret: str,
        settings: Settings,
    ) -> None:
        self._sessions = sessions
        self._engine = engine
        self.output = output
        self.database = database
        self._secret = secret
        self._settings = settings
        self._turns: set[asyncio.Task[None]] = set()

    def verify(self, body: bytes, headers: Mapping[str, str]) -> LivechatEvent:
        """The event of a signed, fresh request from this database; `ChannelAuthError` if not."""
        signing.verify(
            self._secret,
            body=body,
            timestamp=headers.get(signing.TIMESTAMP_HEADER),
            signature=headers.get(signing.SIGNATURE_HEADER),
        )
        try:
            event = LivechatEvent.model_validate(json.loads(body))
        except (ValueError, ValidationError) as err:
            raise InvalidInputError(f"the Odoo webhook's body is not an event: {err}") from err
        if event.database != self.database:
            raise ChannelAuthError(
                f"the webhook comes from database {event.database!r}, not ODOO_DB"
            )
        return event

    async def accept(self, event: LivechatEvent) -> Outcome:
        """Store the message (once); a visitor's turn is started and not awaited."""
        self.output.remember_bot(event.bot_partner_id)
        if event.author_role == "operator":
            return await self._record_operator(event)
        message = InboundMessage(
            channel=CHANNEL,
            external_message_id=event.external_message_id,
            external_chat_id=event.chat_id,
            text=event.body[: self._settings.max_message_chars],
            sender=event.visitor_name or event.author_name or None,
            sender_name=event.visitor_name or None,
        )
        async with transaction(self._sessions) as session:
            row, created = await inbox.store(session, message)
        if not created and row.status != InboxStatus.PENDING:
            return "duplicate"
        self._start_turn(message)
        return "accepted" if created else "duplicate"

    async def resume_pending(self) -> int:
        """Run the turns of messages stored but never answered (a restart mid-turn)."""
        async with self._sessions() as session:
            rows = (
                await session.scalars(
                    select(InboxItem)
                    .where(InboxItem.channel == CHANNEL, InboxItem.status == InboxStatus.PENDING)
                    .order_by(InboxItem.id)
                )
            ).all()
        started: set[str] = set()
        for row in rows:
            if row.external_chat_id in started:
                continue  # the chat's first pending message takes the rest into its turn
            started.add(row.external_chat_id)
            self._start_turn(
                InboundMessage(
                    channel=CHANNEL,
                    external_message_id=row.external_message_id,
                    external_chat_id=row.external_chat_id,
                    text=row.text,
                    sender=row.sender,
                    timestamp=row.received_at,
                )
            )
        return len(started)

    async def drain(self) -> None:
        """Wait for the turns in progress (tests)."""
        while self._turns:
            await asyncio.gather(*list(self._turns), return_exceptions=True)

    async def close(self) -> None:
        """Let the turns in progress finish (FINISH_SECONDS at most), then cancel them: their
        messages stay pending and are answered at the next start."""
        await stop_tasks(self._turns, what="Odoo livechat turns", grace=FINISH_SECONDS)

    def _start_turn(self, message: InboundMessage) -> None:
        task = asyncio.create_task(
            self._turn(message), name=f"Odoo livechat turn {message.external_message_id}"
        )
        self._turns.add(task)
        task.add_done_callback(self._turns.discard)

    async def _turn(self, message: InboundMessage) -> None:
        try:
            await self._engine.handle(message)
        except Exception:  # a background turn's edge: logged; the message stays in the inbox
            log.exception("Odoo livechat turn failed for %s", message.external_chat_id)

    async def _record_operator(self, event: LivechatEvent) -> Outcome:
        now = utcnow()
        async with transaction(self._sessions) as session:
            created = await insert_ignore(
                session,
                InboxItem,
                {
                    "channel": CHANNEL,
                    "external_message_id": event.external_message_id,
                    "external_chat_id": event.chat_id,
                    "sender": event.author_name or None,
                    "text": event.body,
                    "media": [],
                    "status": InboxStatus.DONE,
                    "received_at": now,
                    "processed_at": now,
                },
                list(inbox.KEY),
            )
            if not created:
                return "duplicate"
            conversation = await self._conversation(session, event.chat_id, event.language)
            if conversation.owner != Owner.HUMAN:
                await handoff.transfer(
                    session,
                    conversation,
                    to_owner=Owner.HUMAN,
                    reason=OPERATOR_REASON,
                    actor=f"odoo:{event.author_name or 'operator'}"[:100],
                )
            session.add(
                Message(
                    conversation_id=conversation.id,
                    direction=Direction.OUTBOUND,
                    text=event.body,
                    handler="operator",
                )
            )
            conversation.last_activity_at = now
        return "operator"

    async def _conversation(
        self, session: AsyncSession, chat_id: str, language: str | None
    ) -> Conversation:
        await insert_ignore(
            session,
            Conversation,
            {
                "channel": CHANNEL,
                "external_chat_id": chat_id,
                "owner": Owner.BOT,
                "language": _language(language, self._settings.default_language),
                "context": {},
                "created_at": utcnow(),
                "last_activity_at": utcnow(),
            },
            ["channel", "external_chat_id"],
        )
        conversation = await session.scalar(
            select(Conversation)
            .where(Conversation.channel == CHANNEL, Conversation.external_chat_id == chat_id)
            .execution_options(populate_existing=True)
        )
        assert conversation is not None
        return conversation


def _language(odoo_language: str | None, default: str) -> str:
    """`es` for Odoo's `es_CO`, `en` for `en_US`; the default for anything else."""
    short = (odoo_language or "").split("_")[0].lower()
    return short if short in ("es", "en") else default
