"""The conversation a turn works on: its row, locked for the turn, and the offer left open."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from agent.db import insert_ignore
from agent.domain import Offer
from agent.models import Conversation, Owner, utcnow


async def lock_conversation(
    session: AsyncSession, channel: str, chat_id: str, *, create_as: str | None
) -> Conversation:
    """The chat's conversation row, locked for the transaction; with `create_as` (a language)
    created if new, the bot owning it (the read phase creates it, the commit phase finds it)."""
    statement = (
        select(Conversation)
        .where(Conversation.channel == channel, Conversation.external_chat_id == chat_id)
        .with_for_update(of=Conversation)  # a staff take waits for the turn, or the reverse
        .execution_options(populate_existing=True)
    )
    if create_as is None:
        return (await session.execute(statement)).scalar_one()
    found = (await session.execute(statement)).scalar_one_or_none()
    if found is not None:
        return found
    values = {
        "channel": channel,
        "external_chat_id": chat_id,
        "owner": Owner.BOT,
        "language": create_as,
        "context": {},
        "created_at": utcnow(),
        "last_activity_at": utcnow(),
    }
    # Two processes may create it at once: the loser's insert does nothing and both read it.
    await insert_ignore(session, Conversation, values, ["channel", "external_chat_id"])
    return (await session.execute(statement)).scalar_one()


def pending_offer(conversation: Conversation) -> Offer | None:
    """The offer the previous reply made, if it made one."""
    stored = conversation.context.get("offer")
    return Offer(**stored) if stored else None
