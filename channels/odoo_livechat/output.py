"""Replies to Odoo livechat sessions: `discuss.channel.message_post` as the bot partner.

A reply that announces a handoff (the engine moved the conversation to `waiting_human`) first
asks the addon for an operator (`salesagent_handoff`, Odoo's own forward-to-operator path).
With one, the addon posts the announcement as the bot and the operator joins; with none, the
conversation goes back to the bot and the visitor is told that nobody is free, and the agent
keeps helping. Both happen inside the outbox delivery, so a failure is retried with it and
the visitor is told once.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent import handoff
from agent.db import transaction
from agent.models import Conversation, Direction, Handoff, Message, Owner
from agent.words import t
from channels.odoo_livechat.client import OdooClient, OdooError
from channels.odoo_livechat.events import CHANNEL, channel_of

log = logging.getLogger(__name__)

NO_OPERATOR_REASON = "no_operator_available"
HANDOFF_HANDLER = "handoff"
"""The handler name of a reply that is only the engine's handoff announcement."""
HANDOFF_ACTOR = "odoo"
COMMENT = {"message_type": "comment", "subtype_xmlid": "mail.mt_comment"}
"""How the bot's replies are posted: a chat message, like a person's."""
_BOLD = re.compile(r"\*([^*\n]+)\*")


def to_html(text: str) -> str:
    """The reply as the chat window shows it: escaped, `*bold*` in bold, line breaks kept."""
    escaped = html.escape(text, quote=False)
    return _BOLD.sub(r"<b>\1</b>", escaped).replace("\n", "<br>")


def no_operator_message(language: str) -> str:
    """What the visitor is told when nobody of the shop can take the chat now."""
    return t(language, "odoo.no_operator_message")


def without_operator(text: str, handler: str | None, language: str) -> str:
    """The reply when nobody could take the chat.

    A reply that only announced the handoff (the engine's own, handler `handoff`) becomes the
    no-operator message, as Odoo's chatbot posts nothing when its forward step finds nobody; a
    handler's answer that came with a handoff is kept, followed by the no-operator message.
    """
    if handler == HANDOFF_HANDLER:
        return no_operator_message(language)
    return f"{text}\n\n{no_operator_message(language)}"


@dataclass(slots=True)
class _PendingHandoff:
    handoff_id: int
    conversation_id: int
    reason: str
    language: str
    reply_id: int | None
    reply_handler: str | None


class LivechatOutput:
    """The Odoo livechat channel's output, used by the outbox."""

    name = CHANNEL

    def __init__(self, client: OdooClient, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._client = client
        self._sessions = sessions
        self._bot_partner_id: int | None = None

    def remember_bot(self, partner_id: int | None) -> None:
        """The bot partner the addon named in a webhook (saves asking Odoo for it)."""
        if partner_id:
            self._bot_partner_id = partner_id

    async def bot_partner_id(self) -> int:
        """The partner the agent writes as, from the webhooks or asked from the addon."""
        if self._bot_partner_id is None:
            info = await self._client.call("discuss.channel", "salesagent_info")
            partner = info.get("bot_partner_id") if isinstance(info, dict) else None
            if not partner:
                raise OdooError("the salesagent_livechat addon has no bot partner set")
            self._bot_partner_id = int(partner)
        return self._bot_partner_id

    async def send_text(self, external_chat_id: str, text: str) -> str | None:
        """Post `text` in the session (after the handoff it announces, if any)."""
        _, channel_id = channel_of(external_chat_id)
        pending = await self._pending_handoff(external_chat_id)
        if pending is not None:
            posted = await self._hand_over(channel_id, pending, text)
            if posted:
                return None
            text = without_operator(text, pending.reply_handler, pending.language)
            await self._record_reply_text(pending.reply_id, text)
        return await self.post(channel_id, text)

    async def post(self, channel_id: int, text: str) -> str:
        """`discuss.channel.message_post` as the bot; the new message's id."""
        # Odoo escapes a string body; `body_is_html` (meant for RPC callers) keeps the line
        # breaks and emphasis of `to_html`, whose text is escaped here. Odoo sanitizes it too.
        result = await self._client.call(
            "discuss.channel",
            "message_post",
            ids=[channel_id],
            body=to_html(text),
            body_is_html=True,
            author_id=await self.bot_partner_id(),
            **COMMENT,
        )
        return str(_first_id(result))

    async def _hand_over(self, channel_id: int, pending: _PendingHandoff, text: str) -> bool:
        """Ask the addon for an operator; True when one took the chat (and `text` is posted)."""
        result = await self._client.call(
            "discuss.channel",
            "salesagent_handoff",
            ids=[channel_id],
            reason=pending.reason,
            message=text,
        )
        found = bool(isinstance(result, dict) and result.get("operator_found"))
        async with transaction(self._sessions) as session:
            record = await session.get(Handoff, pending.handoff_id)
            conversation = await session.get(Conversation, pending.conversation_id)
            assert record is not None and conversation is not None
            if found:
                name = result.get("operator_name") or "an operator"
                record.note = f"odoo: {name} took the chat"
                return True
            record.note = "odoo: no operator available"
            if conversation.owner == Owner.WAITING_HUMAN:
                await handoff.transfer(
                    session,
                    conversation,
                    to_owner=Owner.BOT,
                    reason=NO_OPERATOR_REASON,
                    actor=HANDOFF_ACTOR,
                    note="no livechat operator was available; the bot keeps helping",
                )
        log.info("no Odoo operator for chat %s: the bot keeps the conversation", channel_id)
        return False

    async def _pending_handoff(self, chat_id: str) -> _PendingHandoff | None:
        """The bot's handoff this reply announces, if Odoo has not been asked about it yet."""
        async with self._sessions() as session:
            conversation = await session.scalar(
                select(Conversation).where(
                    Conversation.channel == CHANNEL, Conversation.external_chat_id == chat_id
                )
            )
            if conversation is None or conversation.owner != Owner.WAITING_HUMAN:
                return None
            latest = await session.scalar(
                select(Handoff)
                .where(Handoff.conversation_id == conversation.id)
                .order_by(Handoff.id.desc())
                .limit(1)
            )
            if latest is None or latest.to_owner != Owner.WAITING_HUMAN or latest.note is not None:
                return None
            reply = await session.scalar(
                select(Message)
                .where(
                    Message.conversation_id == conversation.id,
                    Message.direction == Direction.OUTBOUND,
                )
                .order_by(Message.id.desc())
                .limit(1)
            )
        return _PendingHandoff(
            latest.id,
            conversation.id,
            latest.reason,
            conversation.language,
            reply.id if reply is not None else None,
            reply.handler if reply is not None else None,
        )

    async def _record_reply_text(self, message_id: int | None, text: str) -> None:
        """The handoff's reply, as the visitor will read it."""
        if message_id is None:
            return
        async with transaction(self._sessions) as session:
            message = await session.get(Message, message_id)
            if message is not None:
                message.text = text


def _first_id(result: Any) -> int:
    """A created record's id: `[id]` from JSON-2, `id` from JSON-RPC."""
    if isinstance(result, list) and result:
        return int(result[0])
    return int(result)
