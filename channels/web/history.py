"""A web chat's history, newest page first, for the widget to show what was said before."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from agent.errors import NotFoundError
from agent.memory import current_sale
from agent.models import Conversation, Direction, Message, Order, Owner, Product, SaleState
from channels.web.senders import staff_names


class HistoryMessage(BaseModel):
    """One message of the chat."""

    id: int
    role: Literal["customer", "agent"]
    text: str
    sender: str | None = Field(
        default=None,
        description="The name of the shop's staff member who wrote it; null for the bot's "
        "replies and the customer's messages.",
    )
    created_at: datetime


class ChatHistory(BaseModel):
    """A page of a chat's messages, oldest first, and where the conversation stands."""

    chat_id: str
    owner: Owner
    sale_state: SaleState | None
    messages: list[HistoryMessage]
    has_more: bool = Field(description="Older messages exist: ask again with `before`.")
    before: int | None = Field(description="The `before` that gives the next older page.")


async def chat_history(
    session: AsyncSession, *, channel: str, chat_id: str, limit: int, before: int | None = None
) -> ChatHistory:
    """The `limit` messages before message id `before` (the newest without it), oldest first."""
    conversation = (
        await session.execute(
            select(Conversation).where(
                Conversation.channel == channel, Conversation.external_chat_id == chat_id
            )
        )
    ).scalar_one_or_none()
    if conversation is None:
        raise NotFoundError(f"no chat with id {chat_id!r}: it has no messages yet")
    statement = select(Message).where(Message.conversation_id == conversation.id)
    if before is not None:
        statement = statement.where(Message.id < before)
    rows = list(
        (await session.execute(statement.order_by(Message.id.desc()).limit(limit + 1))).scalars()
    )
    has_more = len(rows) > limit
    page = list(reversed(rows[:limit]))
    sale = await current_sale(session, conversation.id)
    senders = await staff_names(session, (m.id for m in page if m.staff_id is not None))
    return ChatHistory(
        chat_id=chat_id,
        owner=conversation.owner,
        sale_state=sale.state if sale else None,
        messages=[
            HistoryMessage(
                id=m.id,
                role="customer" if m.direction == Direction.INBOUND else "agent",
                text=m.text,
                sender=senders.get(m.id),
                created_at=m.created_at,
            )
            for m in page
        ],
        has_more=has_more,
        before=page[0].id if has_more and page else None,
    )


async def shop_counts(session: AsyncSession) -> dict[str, int]:
    """How many active products, conversations and orders the shop has."""
    products = select(func.count()).select_from(Product).where(Product.active.is_(True))
    conversations = select(func.count()).select_from(Conversation)
    orders = select(func.count()).select_from(Order)
    return {
        "products": (await session.execute(products)).scalar_one(),
        "conversations": (await session.execute(conversations)).scalar_one(),
        "orders": (await session.execute(orders)).scalar_one(),
    }
