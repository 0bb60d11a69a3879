"""Phase 2, read (no model): the turn's batch and what the chat knows, under the chat's lock."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from agent import inbox, memory
from agent.domain import Offer
from agent.llm.prompts import Line, recent
from agent.messages import InboundMessage
from agent.models import Conversation, Direction, InboxItem, Message, Owner, Sale, utcnow
from agent.nlu.types import DialogState, Understanding
from agent.settings import Settings
from agent.turn.conversation import create_locked, find_locked, pending_offer
from agent.turn.private_data import private_values
from agent.understanding import Understander
from agent.voice import PendingNote, pending_notes, unheard


@dataclass(slots=True)
class Loaded:
    """The rows the read phase loaded: usable by a commit in the same transaction only."""

    batch: list[InboxItem]
    conversation: Conversation
    sale: Sale | None
    history: list[Message]


@dataclass(slots=True)
class Plan:
    """What the read phase learned, before any model is asked."""

    batch_ids: list[int]
    text: str
    images: list[dict[str, Any]]
    state: DialogState
    offline: Understanding
    bot_owned: bool
    history: str
    private: list[tuple[str, str]]
    loaded: Loaded
    voice: list[PendingNote] = field(default_factory=list)
    """Voice notes of the batch still to be transcribed (agent/voice)."""
    unheard: str | None = None
    """Why a voice note could not be understood, when the batch has no other text."""


def clean_text(text: str, limit: int) -> str:
    """Drop control characters (keeping line breaks) and cut the text at `limit` characters."""
    kept = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C").strip()
    return kept[:limit]


async def read_plan(
    session: AsyncSession,
    message: InboundMessage,
    inbox_id: int,
    *,
    settings: Settings,
    understander: Understander,
) -> Plan | None:
    """The chat's pending messages as one batch, read offline, with the conversation locked
    for the rest of `session`'s transaction; None when the message `inbox_id` is no longer
    pending (an earlier turn merged it into its burst, or failed it)."""
    channel, chat_id = message.channel, message.external_chat_id
    conversation = await find_locked(session, channel, chat_id)
    # Read after the lock: a turn of another process that held it has committed its batch.
    batch = await inbox.pending_for_chat(session, channel, chat_id)
    new = False
    if conversation is None and _holds(batch, inbox_id):  # the chat's first turn
        language = settings.default_language
        conversation, new = await create_locked(session, channel, chat_id, language=language)
        if not new:  # another process created it, and may have answered the batch since
            batch = await inbox.pending_for_chat(session, channel, chat_id)
    if conversation is None or not _holds(batch, inbox_id):
        return None
    # A conversation this transaction created has no sale and no messages yet.
    sale = None if new else await memory.current_sale(session, conversation.id)
    idle = utcnow() - conversation.last_activity_at > timedelta(hours=settings.session_idle_hours)
    history = (
        []
        if new
        else await memory.recent_messages(session, conversation.id, settings.memory_messages)
    )
    await understander.prepare(session)
    text = clean_text("\n".join(r.text for r in batch), settings.max_message_chars)
    offer = pending_offer(conversation)
    state = _dialog_state(conversation, None if idle else sale, offer)
    if idle:
        state.last_products, state.focus, state.topic = [], None, None
    offline = understander.understand(text, state)
    lines = [
        Line("cliente" if m.direction == Direction.INBOUND else "tienda", m.text) for m in history
    ]
    budget = settings.llm_history_tokens
    return Plan(
        batch_ids=[r.id for r in batch],
        text=text,
        images=[m for r in batch for m in r.media if m.get("kind") == "image"],
        state=state,
        offline=offline,
        bot_owned=conversation.owner == Owner.BOT,
        history=recent(lines, budget) if budget else "",
        private=private_values(conversation, sale),
        loaded=Loaded(batch, conversation, sale, history),
        voice=pending_notes(batch),
        unheard=unheard(batch, text),
    )


def _holds(batch: list[InboxItem], inbox_id: int) -> bool:
    return any(row.id == inbox_id for row in batch)


def _dialog_state(
    conversation: Conversation, sale: Sale | None, offer: Offer | None
) -> DialogState:
    return DialogState(
        sale_state=sale.state if sale else None,
        pending_field=sale.data.get("pending_field") if sale else None,
        last_products=list(conversation.context.get("last_products", [])),
        language=conversation.language,
        has_cart=bool(sale and sale.lines),
        offer=offer.intent if offer else None,
        topic=conversation.context.get("topic"),
        focus=conversation.context.get("focus"),
    )
