"""What a turn returns (`TurnResult`), and the inbox rows that keep it for a retried delivery."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from agent import inbox
from agent.db import transaction
from agent.domain import DomainResult
from agent.messages import CartLine, InboundMessage, ProductRef, TurnResult
from agent.models import Conversation, InboxItem, InboxStatus, Sale, utcnow
from agent.nlu.types import Understanding
from agent.words import t


def turn_result(
    conversation: Conversation,
    sale: Sale | None,
    understanding: Understanding,
    domain: DomainResult | None,
    reply: str | None,
) -> TurnResult:
    """The turn's outcome as the channels and the API see it: reply, reading, cart, products."""
    lines = CartLine.of_sale(sale)
    products = [
        ProductRef(sku=p.sku, name=p.name, price=p.price, stock=p.stock)
        for p in (domain.products if domain else [])
    ]
    return TurnResult(
        chat_id=conversation.external_chat_id,
        reply=reply,
        intent=understanding.intent,
        confidence=round(understanding.confidence, 3),
        sale_state=sale.state if sale else None,
        order_id=domain.order_id if domain else None,
        cart=lines,
        cart_total=sum((line.line_total for line in lines), Decimal(0)),
        products=products,
        owner=conversation.owner,
        language=conversation.language,
    )


def finish(batch: list[InboxItem], status: InboxStatus, result: TurnResult) -> None:
    """Close the batch's inbox rows with the turn's result."""
    payload = result.model_dump(mode="json")
    for row in batch:
        row.status = status
        row.result = payload
        row.processed_at = utcnow()


async def record_failure(
    sessions: async_sessionmaker[AsyncSession],
    message: InboundMessage,
    err: Exception,
    *,
    language: str,
) -> TurnResult:
    """Mark the chat's pending messages failed (with the error) and return the apology."""
    result = TurnResult(
        chat_id=message.external_chat_id,
        reply=t(language, "turn.record_failure"),
        intent="other",
        confidence=0.0,
        sale_state=None,
        language=language,
    )
    async with transaction(sessions) as session:
        batch = await inbox.pending_for_chat(session, message.channel, message.external_chat_id)
        finish(batch, InboxStatus.FAILED, result)
        for row in batch:
            row.error = f"{type(err).__name__}: {err}"
    return result
