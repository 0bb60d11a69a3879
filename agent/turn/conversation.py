"""The conversation a turn works on: its row, locked for the turn, and the offer left open."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agent.db import insert_new
from agent.domain import Offer
from agent.models import Conversation, Owner, utcnow


async def find_locked(session: AsyncSession, channel: str, chat_id: str) -> Conversation | None:
    """The chat's conversation row, locked for the transaction; None when the chat has none."""
    statement = (
        select(Conversation)
        .where(Conversation.channel == channel, Conversation.external_chat_id == chat_id)
        .with_for_update(of=Conversation)  # a staff take waits for the turn, or the reverse
        .execution_options(populate_existing=True)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def create_locked(
    session: AsyncSession, channel: str, chat_id: str, *, language: str
) -> tuple[Conversation, bool]:
    """The chat's new conversation, the bot owning it, locked for the transaction (its INSERT
    holds it); (row, created here): another process may have created it first, then its row."""
    values = {
        "channel": channel,
        "external_chat_id": chat_id,
        "owner": Owner.BOT,
        "language": language,
        "context": {},
        "created_at": utcnow(),
        "last_activity_at": utcnow(),
    }
    # Two processes may create it at once: the loser's insert does nothing and reads the row.
    created = await insert_new(session, Conversation, values, ["channel", "external_chat_id"])
    if created is not None:
        return created, True
    found = await find_locked(session, channel, chat_id)
    if found is None:
        raise LookupError(f"the conversation of {channel}/{chat_id} was neither new nor found")
    return found, False


def pending_offer(conversation: Conversation) -> Offer | None:
    """The offer the previous reply made, if it made one."""
    stored = conversation.context.get("offer")
    return Offer(**stored) if stored else None
