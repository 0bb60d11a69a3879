"""Ownership of a conversation (bot → waiting_human → human → bot), every change recorded."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from agent.i18n import say
from agent.models import Conversation, Handoff, Owner


async def transfer(
    session: AsyncSession,
    conversation: Conversation,
    *,
    to_owner: Owner,
    reason: str,
    actor: str = "bot",
    note: str | None = None,
) -> Handoff:
    """Give the conversation to `to_owner` and record who did it and why."""
    record = Handoff(
        conversation_id=conversation.id,
        from_owner=conversation.owner,
        to_owner=to_owner,
        reason=reason,
        actor=actor,
        note=note,
    )
    conversation.owner = to_owner
    session.add(record)
    await session.flush()
    return record


def waiting_message(language: str) -> str:
    """What the customer is told when the conversation goes to a person."""
    return say(
        language,
        es="Te comunico con un asesor de nuestro equipo. En un momento te escribe por aquí; "
        "tu carrito y tus datos quedan guardados.",
        en="I'm passing you to a member of our sales team. They will write to you here shortly; "
        "your cart and details are kept.",
    )
